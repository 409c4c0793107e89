"""Runs projections: inline in the append's transaction, or behind it, catching up from a checkpoint.

Each batch writes the read model and the checkpoint in one transaction, so a crash between
batches neither loses nor applies an event twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import duckdb
import pandas as pd

from esengine.core.events import StoredEvent, utcnow
from esengine.errors import NotFound
from esengine.projections.base import Projection
from esengine.store.event_store import EVENT_COLUMNS, EventStore
from esengine.store.writer import GroupCommitWriter

INLINE, ASYNC = "inline", "async"


@dataclass
class Registered:
    projection: Projection
    mode: str


class ProjectionRunner:
    """Keeps every registered projection's read model and checkpoint."""

    def __init__(self, store: EventStore, writer: GroupCommitWriter):
        self._store, self._writer = store, writer
        self.registered: dict[str, Registered] = {}
        writer.hooks.append(self)

    def register(self, projection: Projection, mode: str = INLINE) -> None:
        """Create the projection's tables and checkpoint if new, and bring it up to date."""
        self.registered[projection.name] = Registered(projection, mode)

        def setup(cur):
            projection.create_tables(cur)
            exists = cur.execute("SELECT count(*) FROM checkpoints WHERE projection = ? AND version = ?",
                                 [projection.name, projection.version]).fetchall()[0][0]
            if not exists:
                live = cur.execute("SELECT count(*) FROM checkpoints WHERE projection = ? AND live",
                                   [projection.name]).fetchall()[0][0] == 0
                cur.execute("INSERT INTO checkpoints VALUES (?, ?, 0, 'running', ?, NULL, NULL, ?)",
                            [projection.name, projection.version, live, utcnow()])
        self._writer.run(setup)
        self.catch_up(projection.name)

    def projection(self, name: str) -> Projection:
        try:
            return self.registered[name].projection
        except KeyError:
            raise NotFound(f"There is no projection '{name}'. Known: {', '.join(self.registered)}.") from None

    # -- inline: called by the writer inside the append's transaction ---------------------------------
    def apply_in_transaction(self, cur: duckdb.DuckDBPyConnection, events: list[StoredEvent]) -> None:
        for reg in self.registered.values():
            if reg.mode != INLINE:
                continue
            p = reg.projection
            checkpoint = _checkpoint(cur, p.name, p.version)
            if checkpoint < events[0].position - 1:  # behind (e.g. after a bulk load): fill the gap first
                gap = _read_events(cur, checkpoint, events[0].position - 1)
                p.apply_batch(cur, gap)
            p.apply_batch(cur, [e for e in events if e.position > checkpoint])
            _set_checkpoint(cur, p.name, p.version, events[-1].position)

    # -- catching up --------------------------------------------------------------------------------
    def catch_up(self, name: str, version: int | None = None, batch_size: int = 20_000,
                 progress: Callable[[int, int], None] | None = None) -> int:
        """Apply every event after the checkpoint, batch by batch; returns how many were read."""
        p = self.projection(name)
        version = version or p.version
        target = self._store.last_position()
        done = 0
        while True:
            def step(cur):
                checkpoint = _checkpoint(cur, p.name, version)
                events = _read_events(cur, checkpoint, target, batch_size)
                if events:
                    p.apply_batch(cur, events, version)
                    _set_checkpoint(cur, p.name, version, events[-1].position)
                return len(events), checkpoint
            n, checkpoint = self._writer.run(step)
            done += n
            if progress:
                progress(checkpoint + n, target)
            if n < batch_size:
                return done

    def status(self) -> pd.DataFrame:
        """Every projection version with its checkpoint, status and lag (events and seconds)."""
        return self._store.cursor().execute("""
            SELECT c.projection, c.version, c.live, c.status, c.position AS checkpoint,
                   (SELECT coalesce(max(position), 0) FROM events) - c.position AS lag_events,
                   coalesce(date_diff('second', (SELECT e.recorded_at FROM events e WHERE e.position = c.position + 1),
                                      now()::TIMESTAMP), 0) AS lag_seconds,
                   c.error, c.error_position, c.updated_at
            FROM checkpoints c ORDER BY c.projection, c.version""").df()

    def live_table(self, name: str, table: str) -> str:
        """The physical name of the live version's table (for queries)."""
        p = self.projection(name)
        rows = self._store.cursor().execute(
            "SELECT version FROM checkpoints WHERE projection = ? AND live", [name]).fetchall()
        return p.table_name(table, rows[0][0] if rows else p.version)


def _checkpoint(cur, name: str, version: int) -> int:
    rows = cur.execute("SELECT position FROM checkpoints WHERE projection = ? AND version = ?",
                       [name, version]).fetchall()
    return rows[0][0] if rows else 0


def _set_checkpoint(cur, name: str, version: int, position: int) -> None:
    cur.execute("UPDATE checkpoints SET position = ?, updated_at = ? WHERE projection = ? AND version = ?",
                [position, utcnow(), name, version])


def _read_events(cur, after: int, upto: int, limit: int | None = None) -> list[StoredEvent]:
    sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE position > ? AND position <= ? ORDER BY position"
    params: list[Any] = [after, upto]
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    rel = cur.execute(sql, params)
    names = [d[0] for d in rel.description]
    return [StoredEvent.from_row(dict(zip(names, r))) for r in rel.fetchall()]
