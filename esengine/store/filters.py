"""One description of "which events", turned into a SQL WHERE clause with bound parameters.

The event browser, exports, analytics and the CLI all filter the log the same way through this.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from esengine.core.events import as_utc_naive


def _like_pattern(text: str) -> str:
    """A stream-id search: ``*`` and ``?`` are wildcards; without any, the text is a prefix."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if "*" in text or "?" in text:
        return escaped.replace("*", "%").replace("?", "_")
    return escaped + "%"


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
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def with_(self, **changes: Any) -> "EventFilter":
        return replace(self, **changes)

    def is_empty(self) -> bool:
        return all(not getattr(self, f.name) and getattr(self, f.name) != 0 for f in fields(self)
                   if f.name != "extra")

    def where(self, alias: str = "") -> tuple[str, list[Any]]:
        """The WHERE clause (``TRUE`` when nothing filters) and its parameters."""
        a = f"{alias}." if alias else ""
        clauses: list[str] = []
        params: list[Any] = []
        if self.stream_id:
            clauses.append(f"{a}stream_id = ?"); params.append(self.stream_id)
        if self.stream_search:
            clauses.append(f"{a}stream_id LIKE ? ESCAPE '\\'"); params.append(_like_pattern(self.stream_search))
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
            clauses.append(f"contains(lower(CAST({a}data AS VARCHAR)), ?)"); params.append(self.text.lower())
        return (" AND ".join(clauses) or "TRUE"), params
