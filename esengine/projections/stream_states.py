"""The generic state of every stream after every event, kept as a read model (``stream_states``).

One row per event: the generic fold (``esengine.timetravel.generic_fold``) of its stream's data up to and
including that event. Each row also says, per clock, from when to when it *is* its stream's state, so "the
state of every stream as of T" is a plain filter over this table, no window and no fold at query time
(``esengine.temporal.as_of`` reads it when its checkpoint covers the moment):

- from ``updated_at`` (``occurred_at`` clock) or ``recorded_until`` (``recorded_at`` clock): the latest time among
  the stream's events up to this one, i.e. the moment by which all of them had happened;
- until ``next_occurred_at`` / ``next_recorded_at``: the earliest time among the stream's *later* events (NULL
  while there are none).

So the row of version v is the state as of T exactly when ``from <= T < until``. For a stream whose times run in
version order that is one row for every T since its first event. A stream with an event timed before an earlier
version's (a sloppy imported log) can have, for some T, a set of events "by T" that is not a prefix of its
versions; no row holds that fold, so such streams are listed in the ``disordered`` table and folded at query
time when no row matched. ``created_at`` is the stream's earliest ``occurred_at`` so far.

Every event of every stream counts, typed or imported, so this projection has no handler per type: its
``event_types`` is None (read everything) and its own :meth:`apply_batch` folds each event onto the previous
row of its stream (key ``<stream>#<version - 1>``) and closes the earlier rows' validity. A missing previous
row is refolded from the events, so a gap costs speed, never correctness. The set-based build reads the
history in ranges of stream ids, in (stream, version) order, and folds it in one Python loop, passing the other
columns through as Arrow. Its rows are stored in stream order, so an as-of filter returns them sorted by
stream id at no cost; once many rows were appended event by event since, a catch-up sorts the table again
(:meth:`after_catch_up`).
"""
from __future__ import annotations

import itertools
import json
import math
from datetime import datetime
from typing import Any
from collections.abc import Callable, Iterable

import duckdb
import pyarrow as pa

from esengine.core.events import StoredEvent
from esengine.projections.base import Projection, ProjectionHandlerFailed, ReadModelTable, RowCache
from esengine.timetravel.generic_fold import fold_data, merge_data, merge_parsed

NAME = "stream_states"
STATES = ReadModelTable("states", "key", (
    ("key", "VARCHAR"), ("stream_id", "VARCHAR"), ("stream_type", "VARCHAR"), ("version", "INTEGER"),
    ("event_type", "VARCHAR"), ("occurred_at", "TIMESTAMP"), ("recorded_at", "TIMESTAMP"), ("position", "BIGINT"),
    ("created_at", "TIMESTAMP"), ("updated_at", "TIMESTAMP"), ("recorded_until", "TIMESTAMP"),
    ("next_occurred_at", "TIMESTAMP"), ("next_recorded_at", "TIMESTAMP"), ("state", "JSON"),
))
DISORDERED = ReadModelTable("disordered", "stream_id", (("stream_id", "VARCHAR"), ("stream_type", "VARCHAR")))
COLUMNS = tuple(c for c, _ in STATES.columns)
CLOCKS = {  # clock -> (the row is the state from, until)
    "occurred_at": ("updated_at", "next_occurred_at"),
    "recorded_at": ("recorded_until", "next_recorded_at"),
}
SMALL_BATCH = 50  # up to this many rows (one command's events) go in as one INSERT ... VALUES
PARTITION_EVENTS = 500_000  # the set-based build folds about this many events per pass (memory stays small)
RESORT_MIN_ROWS = 2_000  # rows appended after the ones in stream order before the table is sorted again ...
RESORT_SHARE = 50  # ... and at least 1/50 of the table (sorting 10M rows takes seconds under the write lock)

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def state_key(stream_id: str, version: int) -> str:
    return f"{stream_id}#{version}"


def dump_state(state: dict[str, Any]) -> str:
    """A state as stored: minified JSON text, the same on both build paths."""
    return _encode(state)


def fold_rows(stream_ids: list[str], datas: list[str | None]) -> list[str]:
    """The folded state after each event, for events sorted by (stream, version), every stream from version 1.

    ``merge_parsed(state, json.loads(data))`` per event: this loop is the build's hot path.
    """
    out: list[str] = []
    append, loads, encode, merge = out.append, json.loads, _encode, merge_parsed
    current: str | None = None
    state: dict[str, Any] = {}
    for sid, text in zip(stream_ids, datas):
        if sid != current:
            current, state = sid, {}
        if text is not None:
            merge(state, loads(text))
        append(encode(state))
    return out


def _earlier(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a


class StreamStatesProjection(Projection):
    """The folded state of every stream after each of its events, for "every stream as of T" queries."""

    name = NAME
    version = 1
    description = ("The generic state (merged event data) of every stream after each of its events, all streams "
                   "and types: 'every stream as of T' reads it instead of folding the history at query time.")
    tables = (STATES, DISORDERED)

    @property
    def event_types(self) -> None:  # type: ignore[override]
        return None  # every event: the runner reads them all

    def keys(self, event: StoredEvent) -> dict[str, Iterable[Any]]:
        return {"states": [state_key(event.stream_id, event.version - 1)] if event.version > 1 else [],
                "disordered": [event.stream_id]}

    # -- event by event (inline appends, catch-up, replays) -------------------------------------------
    def apply_batch(self, cur: duckdb.DuckDBPyConnection, events: list[StoredEvent],
                    version: int | None = None, scratch: str | None = None, cache: RowCache | None = None) -> None:
        """As :meth:`Projection.apply_batch`; ``cache`` is not used (each stream's last row is read here)."""
        if not events:
            return
        physical = self.table_name("states", version, scratch)
        previous = self._previous_rows(cur, physical, events)  # stream -> its last row in the table
        in_table = {sid: (row["rowid"], row["updated_at"], row["recorded_until"]) for sid, row in previous.items()}
        first_versions = {sid: row["version"] + 1 for sid, row in previous.items()}
        rows: list[dict[str, Any]] = []
        disordered: dict[str, str] = {}
        for e in events:
            try:
                prev = previous.get(e.stream_id)
                if e.version > 1 and (prev is None or prev["version"] != e.version - 1):
                    prev = self._refold(cur, e)  # not in the table (a gap): fold the stream's events instead
                    first_versions.setdefault(e.stream_id, e.version)
                if prev is None or e.version == 1:
                    row: dict[str, Any] = {"created_at": e.occurred_at, "updated_at": e.occurred_at,
                           "recorded_until": e.recorded_at, "state": {}}
                else:
                    if e.occurred_at < prev["updated_at"] or e.recorded_at < prev["recorded_until"]:
                        disordered[e.stream_id] = e.stream_type
                    row = {"created_at": min(prev["created_at"], e.occurred_at),
                           "updated_at": max(prev["updated_at"], e.occurred_at),
                           "recorded_until": max(prev["recorded_until"], e.recorded_at), "state": prev["state"]}
                if isinstance(e.data, dict):
                    # in place: the previous row's state is already dumped; merge_data copies what it keeps of
                    # the event's data, so the stored event stays untouched
                    merge_data(row["state"], e.data)
                row["version"] = e.version
                previous[e.stream_id] = row
                rows.append({"key": state_key(e.stream_id, e.version), "stream_id": e.stream_id,
                             "stream_type": e.stream_type, "version": e.version, "event_type": e.event_type,
                             "occurred_at": e.occurred_at, "recorded_at": e.recorded_at, "position": e.position,
                             "created_at": row["created_at"], "updated_at": row["updated_at"],
                             "recorded_until": row["recorded_until"], "next_occurred_at": None,
                             "next_recorded_at": None, "state": dump_state(row["state"])})
            except Exception as error:  # named as the poison event; nothing written yet
                raise ProjectionHandlerFailed(e, error) from error
        # each row is its stream's state until the earliest of the stream's later events
        later: dict[str, tuple[datetime | None, datetime | None]] = {}
        for r in reversed(rows):
            occurred, recorded = later.get(r["stream_id"], (None, None))
            r["next_occurred_at"], r["next_recorded_at"] = occurred, recorded
            later[r["stream_id"]] = (_earlier(occurred, r["occurred_at"]), _earlier(recorded, r["recorded_at"]))
        self._close_earlier_rows(cur, physical, later, first_versions, in_table)
        if disordered:
            self._note_disordered(cur, self.table_name("disordered", version, scratch), disordered)
        if len(rows) <= SMALL_BATCH:  # one plain statement: cheaper than registering an Arrow table
            values = ", ".join(["(" + ", ".join("?" * len(COLUMNS)) + ")"] * len(rows))
            cur.execute(f'INSERT INTO "{physical}" VALUES {values}', [r[c] for r in rows for c in COLUMNS])
        else:
            _insert(cur, physical, pa.Table.from_pylist(rows, schema=STATES.arrow_schema()))

    @staticmethod
    def _previous_rows(cur, physical: str, events: list[StoredEvent]) -> dict[str, dict[str, Any]]:
        """The table's row just before each stream's first event in the batch (streams that have one)."""
        wanted, seen = [], set()
        for e in events:
            if e.stream_id not in seen:
                seen.add(e.stream_id)
                if e.version > 1:
                    wanted.append(state_key(e.stream_id, e.version - 1))
        if not wanted:
            return {}
        params: list[Any]
        if len(wanted) <= SMALL_BATCH:  # constants: DuckDB skips the row groups whose stream ids are out of range
            marks = ", ".join("?" * len(wanted))
            match = f"stream_id IN ({marks}) AND key IN ({marks})"
            params = [k.rsplit("#", 1)[0] for k in wanted] + wanted
        else:
            match, params = "key IN (SELECT unnest(?))", [wanted]
        rel = cur.execute(f'SELECT rowid, stream_id, version, created_at, updated_at, recorded_until, '
                          f'CAST(state AS VARCHAR) FROM "{physical}" WHERE {match}', params)
        return {sid: {"rowid": rowid, "version": v, "created_at": created, "updated_at": updated,
                      "recorded_until": until, "state": json.loads(state)}
                for rowid, sid, v, created, updated, until, state in rel.fetchall()}

    @staticmethod
    def _close_earlier_rows(cur, physical: str, later: dict[str, tuple[Any, Any]], first_versions: dict[str, int],
                            in_table: dict[str, tuple[int, datetime, datetime]]) -> None:
        """End the validity of the table's rows of each stream at the earliest of its new events (per clock).

        When the new events are timed at or after the stream's earlier ones, that is only the stream's last row
        (still open), found by its rowid; a new event timed before earlier ones also shortens the rows it now
        precedes, found by stream.
        """
        last_only = [sid for sid in later if sid in in_table
                     and later[sid][0] >= in_table[sid][1] and later[sid][1] >= in_table[sid][2]]
        if last_only:
            cur.execute(f'UPDATE "{physical}" AS t SET next_occurred_at = u.occurred, next_recorded_at = u.recorded '
                        "FROM (SELECT unnest(?) AS row, unnest(?::TIMESTAMP[]) AS occurred, "
                        "unnest(?::TIMESTAMP[]) AS recorded) AS u WHERE t.rowid = u.row",
                        [[in_table[s][0] for s in last_only], [later[s][0] for s in last_only],
                         [later[s][1] for s in last_only]])
        closed = set(last_only)
        streams = [sid for sid in later if sid in first_versions and sid not in closed]
        if not streams:
            return
        cur.execute(f"""
            UPDATE "{physical}" AS t
            SET next_occurred_at = CASE WHEN t.next_occurred_at IS NULL OR u.occurred < t.next_occurred_at
                                        THEN u.occurred ELSE t.next_occurred_at END,
                next_recorded_at = CASE WHEN t.next_recorded_at IS NULL OR u.recorded < t.next_recorded_at
                                        THEN u.recorded ELSE t.next_recorded_at END
            FROM (SELECT unnest(?) AS stream_id, unnest(?) AS before, unnest(?::TIMESTAMP[]) AS occurred,
                         unnest(?::TIMESTAMP[]) AS recorded) AS u
            WHERE t.stream_id = u.stream_id AND t.version < u.before
              AND (t.next_occurred_at IS NULL OR u.occurred < t.next_occurred_at
                   OR t.next_recorded_at IS NULL OR u.recorded < t.next_recorded_at)""",
                    [streams, [first_versions[s] for s in streams], [later[s][0] for s in streams],
                     [later[s][1] for s in streams]])

    @staticmethod
    def _note_disordered(cur, physical: str, streams: dict[str, str]) -> None:
        cur.execute(f'INSERT INTO "{physical}" SELECT * FROM (SELECT unnest(?) AS stream_id, unnest(?) AS stream_type) '
                    f'WHERE stream_id NOT IN (SELECT stream_id FROM "{physical}")',
                    [list(streams), list(streams.values())])

    def _refold(self, cur, e: StoredEvent) -> dict[str, Any] | None:
        rel = cur.execute("SELECT CAST(data AS VARCHAR), occurred_at, recorded_at FROM events "
                          "WHERE stream_id = ? AND version < ? ORDER BY version", [e.stream_id, e.version])
        rows = rel.fetchall()
        if not rows:
            return None
        return {"version": e.version - 1, "created_at": min(r[1] for r in rows), "updated_at": max(r[1] for r in rows),
                "recorded_until": max(r[2] for r in rows), "state": fold_data(r[0] for r in rows)}

    # -- set-based build (catch-up from nothing, rebuilds) --------------------------------------------
    def build_set_based(self, cur: duckdb.DuckDBPyConnection, physical: Callable[[str], str], upto: int,
                        until: datetime | None = None, clock: str = "occurred_at") -> bool:
        if until is not None:
            return False  # every row is already the state as of its own event: as of a moment, filter the table
        table = physical("states")
        total = cur.execute("SELECT count(*) FROM events WHERE position <= ?", [upto]).fetchall()[0][0]
        parts = max(1, math.ceil(total / PARTITION_EVENTS))
        bounds: list[str | None] = [None, None]
        if parts > 1:  # ranges of stream ids holding about PARTITION_EVENTS events each, in order
            cuts = cur.execute("SELECT quantile_disc(stream_id, ?) FROM events WHERE position <= ?",
                               [[k / parts for k in range(1, parts)], upto]).fetchall()[0][0]
            bounds = [None, *sorted(set(cuts)), None]
        for low, high in itertools.pairwise(bounds):
            source = cur.sql("""
                SELECT stream_id || '#' || version AS key, stream_id, stream_type, version, event_type, occurred_at,
                       recorded_at, position,
                       min(occurred_at) OVER upto_here AS created_at, max(occurred_at) OVER upto_here AS updated_at,
                       max(recorded_at) OVER upto_here AS recorded_until,
                       min(occurred_at) OVER after_here AS next_occurred_at,
                       min(recorded_at) OVER after_here AS next_recorded_at, CAST(data AS VARCHAR) AS data
                FROM events
                WHERE position <= $upto AND ($low IS NULL OR stream_id > $low) AND ($high IS NULL OR stream_id <= $high)
                WINDOW upto_here AS (PARTITION BY stream_id ORDER BY version ROWS UNBOUNDED PRECEDING),
                       after_here AS (PARTITION BY stream_id ORDER BY version
                                      ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
                ORDER BY stream_id, version""", params={"upto": upto, "low": low, "high": high}).to_arrow_table()
            if not source.num_rows:
                continue
            states = fold_rows(source.column("stream_id").to_pylist(), source.column("data").to_pylist())
            rows = source.drop_columns(["data"]).append_column("state", pa.array(states, pa.string()))
            _insert(cur, table, rows.cast(STATES.arrow_schema()))
        cur.execute(f'INSERT INTO "{physical("disordered")}" SELECT DISTINCT stream_id, stream_type FROM "{table}" '
                    "WHERE updated_at > occurred_at OR recorded_until > recorded_at ORDER BY stream_id")
        _mark_sorted(cur, table)
        return True

    def after_catch_up(self, cur: duckdb.DuckDBPyConnection, version: int, applied: int) -> None:
        """Once many rows were appended event by event since the table was last in stream order (an import, or
        commands over time), store it in stream order again, so as-of results come out sorted by stream id
        without sorting them."""
        table = self.table_name("states", version)
        total = cur.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
        if total - sorted_rows(cur, table) >= max(RESORT_MIN_ROWS, total // RESORT_SHARE):
            cur.execute(f'CREATE TABLE "{table}_sorted" AS SELECT * FROM "{table}" ORDER BY stream_id, version')
            cur.execute(f'DROP TABLE "{table}"')
            cur.execute(f'ALTER TABLE "{table}_sorted" RENAME TO "{table}"')
            _mark_sorted(cur, table, total)


def sorted_rows(cur, table: str) -> int:
    """How many of the table's first rows are in stream order (kept in the table's comment; rows are only ever
    appended after them)."""
    found = cur.execute("SELECT comment FROM duckdb_tables() WHERE table_name = ?", [table]).fetchall()
    comment = found[0][0] if found else None
    return int(comment.removeprefix(_SORTED)) if comment and comment.startswith(_SORTED) else 0


_SORTED = "rows in stream order: "


def _mark_sorted(cur, table: str, rows: int | None = None) -> None:
    if rows is None:
        rows = cur.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
    cur.execute(f"COMMENT ON TABLE \"{table}\" IS '{_SORTED}{rows}'")


def _insert(cur, physical: str, rows: pa.Table) -> None:
    cur.register("_stream_states_rows", rows)
    try:
        cur.execute(f'INSERT INTO "{physical}" SELECT {", ".join(COLUMNS)} FROM _stream_states_rows')
    finally:
        cur.unregister("_stream_states_rows")
