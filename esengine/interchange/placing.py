"""Placing checked events in the log: each stream's versions, the order of the log, ids, and the insert.

Versions follow each stream's times (file order breaks ties; a version column comes first) after the
stream's current version; positions follow the times across streams but never put a stream's later
version before an earlier one. Events without an id get one derived from their stream, their place in
it, their type and their time, so importing the same file twice is refused as "already imported".
"""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from esengine.core.events import utcnow
from esengine.interchange.staging import EVENTS, KEYS


@dataclass
class Placed:
    """What the placed events hold, for the import's result and its checks."""

    streams: int = 0
    event_types: int = 0
    appended: int = 0  # streams that already existed
    stream_types: list[str] = field(default_factory=list)
    sample_stream: str | None = None  # the stream with the most events, to open in time travel


def place(cur: duckdb.DuckDBPyConnection) -> Placed:
    """Create ``KEYS``, a narrow table of keys per row: version, event id and place in the log (``seq``).

    Kept apart from the wide rows (data, metadata) so that the sorts of the window functions
    move a few columns only; the insert joins the two.
    """
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE {KEYS} AS
        WITH existing AS (
            SELECT stream_id, max(version) AS current, any_value(stream_type) AS current_type FROM events
            WHERE stream_id IN (SELECT DISTINCT stream_id FROM {EVENTS}) GROUP BY stream_id),
        placed AS (
            SELECT i.file_row, i.stream_id, i.occurred_at, i.event_type, i.given_id,
                coalesce(x.current, 0) AS current, x.current_type,
                row_number() OVER (PARTITION BY i.stream_id ORDER BY i.version_hint NULLS LAST, i.occurred_at,
                                   i.file_row) AS nth
            FROM {EVENTS} i LEFT JOIN existing x USING (stream_id)),
        ordered AS (
            -- positions follow the times, but never put a stream's version before an earlier one
            SELECT *, max(occurred_at) OVER w AS sort_time, max(file_row) OVER w AS sort_row FROM placed
            WINDOW w AS (PARTITION BY stream_id ORDER BY nth ROWS UNBOUNDED PRECEDING))
        SELECT file_row, current, current_type, nth, current + nth AS version,
            row_number() OVER (ORDER BY sort_time, sort_row, stream_id, nth) AS seq,
            -- the file's own id, else one derived from the stream, the place in it, the type and the time
            coalesce(given_id, md5(concat_ws(chr(31), stream_id, nth, event_type,
                strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%f')))::UUID) AS event_id
        FROM ordered""")
    placed = Placed()
    placed.streams, placed.event_types, stream_types = cur.execute(
        f"SELECT count(DISTINCT stream_id), count(DISTINCT event_type), list(DISTINCT stream_type) "
        f"FROM {EVENTS}").fetchall()[0]
    placed.appended = cur.execute(
        f"SELECT count(DISTINCT stream_id) FROM events WHERE stream_id IN (SELECT DISTINCT stream_id FROM {EVENTS})"
    ).fetchall()[0][0]
    if placed.appended:  # an existing stream keeps its type
        stream_types = [t for (t,) in cur.execute(
            f"SELECT DISTINCT coalesce(k.current_type, e.stream_type) FROM {EVENTS} e JOIN {KEYS} k "
            "USING (file_row)").fetchall()]
    placed.stream_types = sorted(stream_types)
    placed.sample_stream = cur.execute(
        f"SELECT stream_id FROM {EVENTS} GROUP BY stream_id ORDER BY count(*) DESC, stream_id LIMIT 1"
    ).fetchall()[0][0]
    return placed


def insert(cur: duckdb.DuckDBPyConnection, first_position: int) -> int:
    """Insert the placed events from ``first_position`` on; recorded now unless the file says when."""
    # Written in position order, so later reads by position range skip whole row groups.
    return cur.execute(f"""INSERT INTO events
        SELECT ? - 1 + k.seq, k.event_id, e.stream_id, coalesce(k.current_type, e.stream_type), k.version,
            e.event_type, e.schema_version, e.data, e.metadata, e.occurred_at,
            coalesce(e.recorded_at, ?::TIMESTAMP), NULL
        FROM {EVENTS} e JOIN {KEYS} k USING (file_row)
        ORDER BY k.seq""", [first_position, utcnow()]).fetchall()[0][0]
