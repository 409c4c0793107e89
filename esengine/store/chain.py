"""Tamper evidence: every event carries a hash chained to the previous event's.

``hash(n) = sha256(hash(n-1) + content(n))`` in position order, where ``content`` is the sha256 of the
event's position, id, stream, stream type, version, event type, schema version, data, metadata and both
times, joined by a unit separator. The content digest is computed the same way in Python (for the
writer's small appends) and in DuckDB (vectorised, for bulk paths and ``verify``), so the chain is
extended without reading events back into Python one by one; only the links themselves, 64 bytes each,
are folded in Python.

An edit made behind the engine's back (to any field of any event) changes that event's content, so its
stored hash no longer matches: :func:`first_break` names the first such event.
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from collections.abc import Iterable

import duckdb
import pyarrow as pa

SEPARATOR = "\x1f"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
GENESIS = ""

CONTENT_SQL = ("sha256(concat_ws(chr(31), position::VARCHAR, event_id::VARCHAR, stream_id, stream_type, "
               "version::VARCHAR, event_type, schema_version::VARCHAR, coalesce(CAST(data AS VARCHAR), ''), "
               f"coalesce(CAST(metadata AS VARCHAR), ''), strftime(occurred_at, '{TIME_FORMAT}'), "
               f"strftime(recorded_at, '{TIME_FORMAT}')))")
"""The content digest of an ``events`` row, in DuckDB."""


def content_digest(position: int, event_id: str, stream_id: str, stream_type: str, version: int,
                   event_type: str, schema_version: int, data_text: str | None, metadata_text: str | None,
                   occurred_at: datetime, recorded_at: datetime) -> str:
    """The content digest of one event, in Python; equal to :data:`CONTENT_SQL` for the stored row."""
    text = SEPARATOR.join((str(position), str(uuid.UUID(event_id)), stream_id, stream_type, str(version),
                           event_type, str(schema_version), data_text or "", metadata_text or "",
                           occurred_at.strftime(TIME_FORMAT), recorded_at.strftime(TIME_FORMAT)))
    return hashlib.sha256(text.encode()).hexdigest()


def link(previous: str, content: str) -> str:
    """One link of the chain: the hash of an event whose predecessor's hash is ``previous``."""
    return hashlib.sha256((previous + content).encode()).hexdigest()


def fold(previous: str, contents: Iterable[str]) -> list[str]:
    """The hashes of consecutive events, given the hash before the first of them."""
    sha = hashlib.sha256
    link_bytes = previous.encode()
    out: list[bytes] = []
    append = out.append
    for content in contents:  # bytes throughout: this loop is the chain's whole cost on bulk paths
        link_bytes = sha(link_bytes + content.encode()).hexdigest().encode()
        append(link_bytes)
    return [h.decode() for h in out]


def last_hash(cur: duckdb.DuckDBPyConnection, before_position: int | None = None) -> str:
    """The stored hash of the newest event (or of the one just before ``before_position``)."""
    sql, params = "SELECT hash FROM events", []
    if before_position is not None:
        sql += " WHERE position < ?"
        params.append(before_position)
    rows = cur.execute(sql + " ORDER BY position DESC LIMIT 1", params).fetchall()
    return (rows[0][0] or GENESIS) if rows else GENESIS


def extend(cur: duckdb.DuckDBPyConnection, first_position: int) -> int:
    """Give every event from ``first_position`` on its hash (bulk paths, inside their transaction)."""
    rows = cur.sql(f"SELECT position, {CONTENT_SQL} AS content FROM events WHERE position >= {int(first_position)} "
                   "ORDER BY position").to_arrow_table()
    if not rows.num_rows:
        return 0
    hashes = fold(last_hash(cur, first_position), rows.column("content").to_pylist())
    cur.register("_chain", pa.table({"position": rows.column("position"), "hash": hashes}))
    try:
        cur.execute("UPDATE events SET hash = _chain.hash FROM _chain WHERE events.position = _chain.position")
    finally:
        cur.unregister("_chain")
    return rows.num_rows


@dataclass(frozen=True)
class ChainBreak:
    """The first event whose stored hash is not what its content and predecessor give."""

    position: int
    stored: str | None
    expected: str

    def describe(self) -> str:
        if self.stored is None:
            return f"The event at position {self.position:,} has no hash: the chain ends before it."
        return (f"The event at position {self.position:,} is not as it was recorded: its hash does not match its "
                "content and its predecessor's hash, so the event (or its stored hash) was changed behind the "
                "engine's back. Every event before it is as recorded.")


def first_break(cur: duckdb.DuckDBPyConnection, up_to: int | None = None,
                batch_rows: int = 200_000) -> tuple[ChainBreak | None, int]:
    """Recompute the chain from the first event (up to position ``up_to``).

    Returns the first break (None if the chain holds) and how many events were checked.
    """
    where = f"WHERE position <= {int(up_to)}" if up_to is not None else ""
    reader = cur.sql(f"SELECT position, hash, {CONTENT_SQL} AS content FROM events {where} "
                     "ORDER BY position").to_arrow_reader(batch_rows)
    previous, checked = GENESIS, 0
    sha = hashlib.sha256
    for batch in reader:
        positions = batch.column("position").to_pylist()
        stored = batch.column("hash").to_pylist()
        for i, content in enumerate(batch.column("content").to_pylist()):
            expected = sha((previous + content).encode()).hexdigest()
            if stored[i] != expected:
                return ChainBreak(positions[i], stored[i], expected), checked
            previous = expected
            checked += 1
    return None, checked


def event_digests(events: list[Any], previous: str, json_text) -> list[str]:
    """Hashes for events about to be written by the writer (``StoredEvent``-like objects)."""
    contents = [content_digest(e.position, e.event_id, e.stream_id, e.stream_type, e.version, e.event_type,
                               e.schema_version, json_text(e.data), json_text(e.metadata),
                               e.occurred_at, e.recorded_at) for e in events]
    return fold(previous, contents)
