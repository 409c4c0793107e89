"""The engine: one DuckDB database, its event store and writer, and the domain wired onto it.

Open one :class:`Engine` per database file per process (the app caches it); every thread reads
through its own cursor and every write goes through the one writer.
"""
from __future__ import annotations

import importlib
import os
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from collections.abc import Callable, Iterator
from datetime import datetime
from types import ModuleType
from typing import Self

import duckdb

from esengine.application.buses import CommandBus, EventPublisher, QueryBus
from esengine.core.aggregate import Aggregate
from esengine.core.events import EventRegistry
from esengine.core.repository import Repository
from esengine.core.snapshots import SnapshotPolicy, SnapshotStore
from esengine.errors import UnknownDomain
from esengine.forms.hints import FormHints
from esengine.projections.runner import ASYNC, ProjectionRunner
from esengine.projections.stream_states import StreamStatesProjection
from esengine.store.connection import connect, unreadable  # noqa: F401 (connect: re-exported)
from esengine.store.event_store import EventStore
from esengine.store.opening import open_store
from esengine.store.postgres import PostgresWriter, is_url
from esengine.timetravel.rules import RuleBook

DEFAULT_DB_ENV = "ESENGINE_DB"
DEFAULT_DOMAINS_ENV = "ESENGINE_DOMAINS"
BUILT_IN_DOMAINS = {"orders": "esengine.domains.orders", "library": "esengine.domains.library"}
DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "explorer.duckdb"

DemoHistory = Callable[..., object]
"""``write(engine, events=..., seed=..., days=..., end=...)``: a domain's demo history, through its commands."""


def default_db_path() -> Path | str:
    """The database the app opens: ``$ESENGINE_DB`` if set (a file path, or a ``postgresql://`` URL, kept as
    text), else ``data/explorer.duckdb``."""
    given = os.environ.get(DEFAULT_DB_ENV) or ""
    return given if is_url(given) else Path(given or DEFAULT_DB_PATH)


class Engine:
    """Everything one database needs: store, writer, registry, buses, repositories, projections."""

    def __init__(self, path: str | Path, domains: tuple[str, ...] | None = None, wait: float | None = None):
        """Open (or create) the database at ``path``; raises :class:`StoreUnavailable` if it cannot be used.

        ``path`` is a DuckDB file, or a ``postgresql://user@host:port/dbname`` URL (a shared store; this
        engine then reads from its own DuckDB replica, see :mod:`esengine.store.postgres`).
        Another process holding a file is waited for up to ``wait`` seconds (default
        ``$ESENGINE_LOCK_WAIT`` or 3); see :mod:`esengine.store.connection`.
        """
        self.url = str(path) if is_url(path) else None
        self.path = Path(path)  # for a URL: only for display (the database's name)
        self.database = open_store(path, wait=wait)
        self.connection = self.database.connection
        try:
            self.writer = self.database.start_writer()
            if not self.connection.execute("SELECT current_setting('lock_configuration')").fetchall()[0][0]:
                self.connection.execute("SET lock_configuration = true")  # (already set when shared in-process)
            self.store = EventStore(self.connection, self.writer)
            self.registry = EventRegistry()
            self.snapshots = SnapshotStore(self.store, self.writer)
            self.publisher = EventPublisher()
            self.repositories: dict[str, Repository] = {}
            self.commands = CommandBus(self.repositories, self.writer)
            self.queries = QueryBus()
            self.projections = ProjectionRunner(self.store, self.writer)
            self.rules = RuleBook()  # the domains' rule checks, for what-if
            self.forms = FormHints()  # the domains' form hints, for the Commands page
            self.demos: dict[str, DemoHistory] = {}
            self.domains: list[str] = []  # the import paths of the domains wired in, in order
            for name in (default_domains() if domains is None else domains):
                module = load_domain(name)
                module.register(self)
                self.domains.append(module.__name__)
            self.projections.register(StreamStatesProjection(), mode=ASYNC)  # every stream's state per event
            if isinstance(self.writer, PostgresWriter):  # other instances' commits reach the replica
                self.writer.listen(on_new=self.projections.worker.wake)
        except BaseException as e:
            self._close_after_failure()
            if isinstance(e, duckdb.Error):  # the first reads of a damaged file fail here, not in connect
                raise unreadable(self.path, e) from e
            raise

    def add_aggregate(self, aggregate_cls: type[Aggregate], policy: SnapshotPolicy) -> Repository:
        repo = Repository(aggregate_cls, self.store, self.registry, self.snapshots, policy, self.publisher.publish)
        self.repositories[aggregate_cls.aggregate_type] = repo
        return repo

    def repository(self, aggregate_type: str) -> Repository | None:
        return self.repositories.get(aggregate_type)

    def has_domain(self, name: str) -> bool:
        """Whether the domain ``name`` (a built-in short name or an import path) is wired into this engine."""
        return BUILT_IN_DOMAINS.get(name, name) in self.domains

    def add_demo(self, name: str, write: DemoHistory) -> None:
        """Offer a demo history of a domain: ``python -m esengine demo`` and a first start write it."""
        self.demos[name] = write

    def write_demo(self, events: int = 20_000, seed: int = 7, days: int = 90, end: datetime | None = None) -> None:
        """Write every wired domain's demo history, about ``events`` events in all, shared out between them."""
        share = max(1, events // max(1, len(self.demos)))
        for write in self.demos.values():
            write(self, events=share, seed=seed, days=days, end=end)

    @contextmanager
    def batch(self, flush_every: int = 2000) -> Iterator[Engine]:
        """Run many commands on this thread and commit them in large groups (demo data, scripts).

        Every command is still validated and checked as usual; its events are written when the
        batch holds ``flush_every`` requests or ends. Loads see the batch's own aggregates.
        """
        with ExitStack() as stack:
            for repo in self.repositories.values():
                stack.enter_context(repo.identity_map())
            stack.enter_context(self.writer.batch(flush_every))
            yield self

    @property
    def location(self) -> str:
        """The database as people name it: the file's path, or the URL without its password."""
        return self.database.location

    def replica_status(self) -> dict[str, float] | None:
        """For a PostgreSQL store: the server's last position, the replica's, the lag in events and the seconds
        since the replica last reached the server's end. None for a DuckDB file (it is its own read side)."""
        if not isinstance(self.writer, PostgresWriter):
            return None
        w = self.writer
        return {"server_position": w.remote_position, "replica_position": w.last_position,
                "lag_events": w.replica_lag(), "pulled_seconds_ago": round(time.monotonic() - w.pulled_at, 1)}

    def is_empty(self) -> bool:
        return self.store.last_position() == 0

    def close(self) -> None:
        """Stop the background worker and the console's, then close the database and give up its lock."""
        from esengine.console.sandbox import close_for
        close_for(self)
        self.projections.close()  # stop the background worker before its connection goes
        self.database.close()

    def _close_after_failure(self) -> None:
        projections = getattr(self, "projections", None)
        try:
            if projections is not None:
                projections.close()
        finally:
            self.database.close(checkpoint=False)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def load_domain(name: str) -> ModuleType:
    """The domain module for a built-in short name (``orders``) or an import path (``myteam.shipping``).

    A domain is an importable module with ``register(engine)``; anything else is refused by name.
    """
    path = BUILT_IN_DOMAINS.get(name.strip(), name.strip())
    try:
        module = importlib.import_module(path)
    except ImportError as e:
        raise UnknownDomain(f"There is no domain '{name}': importing '{path}' failed ({e}). Give a built-in "
                            f"name ({', '.join(BUILT_IN_DOMAINS)}) or the import path of a module with "
                            "register(engine).") from e
    if not callable(getattr(module, "register", None)):
        raise UnknownDomain(f"'{path}' was imported but is not a domain: it has no register(engine) function.")
    return module


def default_domains() -> tuple[str, ...]:
    """The domains the app wires: ``$ESENGINE_DOMAINS`` (comma-separated names or import paths), else orders."""
    given = os.environ.get(DEFAULT_DOMAINS_ENV, "")
    return tuple(d.strip() for d in given.split(",") if d.strip()) or ("orders",)
