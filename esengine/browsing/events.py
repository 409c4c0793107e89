"""Pages of events newest first (keyset paging by position), one event in detail, and the live tail."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from esengine.core.events import StoredEvent
from esengine.store.event_store import EVENT_COLUMNS
from esengine.store.filters import EventFilter

RECENT_WINDOW = 100_000  # positions a text search reads before it goes further back


@dataclass(frozen=True)
class EventPage:
    """Events of one page, newest first. ``next_before`` continues the listing (None on the last page)."""

    rows: pd.DataFrame
    next_before: int | None

    @property
    def empty(self) -> bool:
        return self.rows.empty


def event_page(store, where: EventFilter | None = None, before: int | None = None, size: int = 50,
               recent_window: int = RECENT_WINDOW) -> EventPage:
    """Up to ``size`` matching events with a position below ``before``, newest first.

    Paging by position rather than OFFSET keeps every page as fast as the first on millions of events.
    A text filter reads every event's JSON, so it looks at the newest ``recent_window`` positions first
    and reads further back only when they do not fill the page.
    """
    flt = where or EventFilter()
    if before is not None:
        upper = before - 1 if flt.to_position is None else min(flt.to_position, before - 1)
        flt = flt.with_(to_position=upper)
    if flt.text:
        rows = _newest_first_in_windows(store, flt, size + 1, recent_window)
    else:
        rows = store.read_frame(flt, limit=size + 1, descending=True)
    more = len(rows) > size
    rows = rows.head(size).reset_index(drop=True)
    return EventPage(rows, int(rows["position"].iloc[-1]) if more else None)


def _newest_first_in_windows(store, flt: EventFilter, limit: int, window: int) -> pd.DataFrame:
    upper = flt.to_position if flt.to_position is not None else store.last_position()
    floor = flt.after_position or 0
    start = max(floor, upper - window)
    recent = _newest_with_text(store, flt.with_(after_position=start, to_position=upper), limit)
    if len(recent) >= limit or start <= floor:
        return recent
    older = _newest_with_text(store, flt.with_(after_position=floor or None, to_position=start), limit - len(recent))
    parts = [frame for frame in (recent, older) if not frame.empty]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else (parts[0] if parts else recent)


def count_matching(store, where: EventFilter | None = None) -> int:
    """How many events match (``store.count``, with the text filter's cheap first check)."""
    clause, params = _where_with_text_hint(where or EventFilter())
    return store.cursor().execute(f"SELECT count(*) FROM events WHERE {clause}", params).fetchall()[0][0]


def _newest_with_text(store, flt: EventFilter, limit: int) -> pd.DataFrame:
    clause, params = _where_with_text_hint(flt)
    return store.cursor().execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE {clause} ORDER BY position DESC LIMIT ?",
                                  params + [limit]).df()


def _where_with_text_hint(flt: EventFilter) -> tuple[str, list]:
    """The filter's WHERE clause, led by a cheap necessary condition when it filters by text."""
    clause, params = flt.where()
    hint = case_free_run(flt.text or "")
    if hint:  # DuckDB checks the conditions in order; a case-sensitive contains() is several times cheaper
        clause, params = f"contains(CAST(data AS VARCHAR), ?) AND {clause}", [hint, *params]
    return clause, params


def case_free_run(text: str, shortest: int = 3) -> str | None:
    """The longest run of ASCII digits, punctuation and spaces in ``text`` (``-1234`` in ``TRK-1234``).

    Lower-casing neither changes these characters nor produces them from others, so an event whose
    JSON lacks the run cannot match the case-insensitive text filter.
    """
    runs = re.findall(r"[\x20-\x40\x5b-\x60\x7b-\x7e]+", text)
    best = max(runs, key=len, default="")
    return best if len(best) >= shortest else None


@dataclass(frozen=True)
class EventDetail:
    """One event and what surrounds it: its stream's version now and the command that produced it."""

    event: StoredEvent
    stream_version: int
    command: dict[str, Any] | None  # the command_log row (type, payload, user, outcome), if it was logged


def event_detail(store, position: int) -> EventDetail:
    """The event at ``position`` with its stream's version and its command; ``NotFound`` if none."""
    event = store.get_event(position=position)
    command = None
    command_id = event.metadata.get("command_id")
    if command_id:
        cur = store.cursor().execute(
            "SELECT command_type, CAST(payload AS VARCHAR) AS payload, user_id, outcome, occurred_at "
            "FROM command_log WHERE command_id = ? AND outcome = 'accepted'", [command_id])
        names = [d[0] for d in cur.description]
        found = cur.fetchall()
        command = dict(zip(names, found[0])) if found else None
    return EventDetail(event, store.current_version(event.stream_id), command)


def events_after(store, position: int, limit: int = 100) -> list[StoredEvent]:
    """Events after ``position`` in commit order, at most ``limit`` (the live tail's query)."""
    return store.read_all(after_position=position, limit=limit)
