"""Fixtures of the store contract suite: every test runs against each store (a DuckDB file, PostgreSQL).

PostgreSQL is ``$ESENGINE_TEST_POSTGRES_URL`` or a throwaway cluster started for the session
(tests/pgserver.py). Under CI=true a PostgreSQL test that cannot run fails instead of being skipped.
"""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.pgserver import URL_ENV, Databases, Unavailable, throwaway


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[Databases]:
    given = os.environ.get(URL_ENV)
    if given:
        yield Databases(given)
        return
    try:
        server = throwaway()
        url = next(server)
    except Unavailable as e:
        if os.environ.get("CI") == "true":
            pytest.fail(str(e))
        pytest.skip(str(e))
    yield Databases(url)
    server.close()


@pytest.fixture
def pg_url(pg_databases: Databases) -> str:
    """The URL of a new, empty PostgreSQL database."""
    return pg_databases.fresh()


@pytest.fixture(params=["duckdb", "postgresql"])
def target(request, tmp_path) -> str:
    """The name of a new store: a DuckDB file path, or a PostgreSQL URL."""
    if request.param == "duckdb":
        return str(tmp_path / "contract.duckdb")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(target: str):
    from esengine.engine import Engine
    with Engine(target, domains=()) as e:
        yield e
