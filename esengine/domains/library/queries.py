"""Queries against the loans read model."""
from __future__ import annotations

from typing import Any

from pydantic import Field

from esengine.application.messages import Query


class ListLoans(Query):
    """Loans, newest first: only those still open (``open_only``), or one member's."""

    open_only: bool = False
    member_id: str | None = Field(default=None, max_length=64)
    limit: int = Field(default=50, ge=1, le=1000)


class LoanQueries:
    """Answers the library's queries from the live version of the loans projection."""

    def __init__(self, store, runner):
        self._store, self._runner = store, runner

    def list_loans(self, query: ListLoans) -> list[dict[str, Any]]:
        table = self._runner.live_table("loans", "loans")
        cur = self._store.cursor().execute(
            f'SELECT * FROM "{table}" WHERE (NOT ? OR returned_on IS NULL) AND (? IS NULL OR member_id = ?) '
            "ORDER BY lent_on DESC, id LIMIT ?", [query.open_only, query.member_id, query.member_id, query.limit])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
