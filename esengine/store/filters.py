"""One description of "which events", turned into a SQL WHERE clause with bound parameters.

The event browser, exports, analytics and the CLI all filter the log the same way through this.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from esengine.core.events import as_utc_naive


def _stream_search(column: str, text: str) -> tuple[str, str]:
    """A stream-id search: ``*`` and ``?`` are wildcards; without any, the text is a prefix.

    The cheapest predicate that does the job: ``starts_with`` for a prefix, LIKE without ESCAPE unless
    the text holds LIKE's own special characters (ESCAPE doubles the cost in DuckDB).
    """
    if "*" not in text and "?" not in text:
        return f"starts_with({column}, ?)", text
    if any(ch in text for ch in "%_\\"):
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"{column} LIKE ? ESCAPE '\\'", escaped.replace("*", "%").replace("?", "_")
    return f"{column} LIKE ?", text.replace("*", "%").replace("?", "_")


@dataclass(frozen=True)
class EventFilter:
    """Which events to read. Empty fields do not filter. Times are UTC (aware times are converted)."""

    stream_id: str | None = None
    stream_search: str | None = None
    stream_types: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    after_position: int | None = None
    to_position: int | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None
    correlation_id: str | None = None
    text: str | None = None

    def with_(self, **changes: Any) -> EventFilter:
        return replace(self, **changes)

    def where(self, alias: str = "") -> tuple[str, list[Any]]:
        """The WHERE clause (``TRUE`` when nothing filters) and its parameters."""
        a = f"{alias}." if alias else ""
        clauses: list[str] = []
        params: list[Any] = []
        if self.stream_id:
            clauses.append(f"{a}stream_id = ?"); params.append(self.stream_id)
        if self.stream_search:
            clause, pattern = _stream_search(f"{a}stream_id", self.stream_search)
            clauses.append(clause); params.append(pattern)
        if self.stream_types:
            clauses.append(f"{a}stream_type IN ({', '.join('?' * len(self.stream_types))})")
            params.extend(self.stream_types)
        if self.event_types:
            clauses.append(f"{a}event_type IN ({', '.join('?' * len(self.event_types))})")
            params.extend(self.event_types)
        if self.after_position is not None:
            clauses.append(f"{a}position > ?"); params.append(self.after_position)
        if self.to_position is not None:
            clauses.append(f"{a}position <= ?"); params.append(self.to_position)
        for column, bound, op in (("occurred_at", self.occurred_from, ">="), ("occurred_at", self.occurred_to, "<"),
                                  ("recorded_at", self.recorded_from, ">="), ("recorded_at", self.recorded_to, "<")):
            if bound is not None:
                clauses.append(f"{a}{column} {op} ?"); params.append(as_utc_naive(bound))
        if self.correlation_id:
            clauses.append(f"json_extract_string({a}metadata, '$.correlation_id') = ?")
            params.append(self.correlation_id)
        if self.text:
            # case-insensitive RE2 match of the escaped text: twice as fast as contains(lower(...))
            clauses.append(f"regexp_matches(CAST({a}data AS VARCHAR), ?, 'i')"); params.append(re.escape(self.text))
        return (" AND ".join(clauses) or "TRUE"), params
