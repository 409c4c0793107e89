"""The checkpoints table: how far each projection version has read, its status and its last error.

Every function takes the cursor of the caller's transaction, so a checkpoint always moves together
with the read-model rows it vouches for.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from esengine.core.events import StoredEvent, as_utc_naive, utcnow
from esengine.store.event_store import EVENT_COLUMNS

NEW, REBUILDING, RUNNING, STOPPED = "new", "rebuilding", "running", "stopped"
"""Statuses: never built; being (re)built; kept up to date; stopped at a poison event."""


@dataclass(frozen=True)
class Checkpoint:
    projection: str
    version: int
    position: int
    status: str
    live: bool
    error: str | None
    error_position: int | None


def read(cur, name: str, version: int) -> Checkpoint | None:
    rows = cur.execute("SELECT projection, version, position, status, live, error, error_position "
                       "FROM checkpoints WHERE projection = ? AND version = ?", [name, version]).fetchall()
    return Checkpoint(*rows[0]) if rows else None


def read_all(cur) -> dict[tuple[str, int], Checkpoint]:
    rows = cur.execute("SELECT projection, version, position, status, live, error, error_position "
                       "FROM checkpoints").fetchall()
    return {(r[0], r[1]): Checkpoint(*r) for r in rows}


def live_version(cur, name: str) -> int | None:
    rows = cur.execute("SELECT version FROM checkpoints WHERE projection = ? AND live", [name]).fetchall()
    return rows[0][0] if rows else None


_generation = 0


def generation() -> int:
    """A number that changes with every checkpoint write in this process (for caches of checkpoints)."""
    return _generation


def _changed() -> None:
    global _generation
    _generation += 1


def create(cur, name: str, version: int, status: str, live: bool) -> None:
    _changed()
    cur.execute("INSERT INTO checkpoints VALUES (?, ?, 0, ?, ?, NULL, NULL, ?)", [name, version, status, live, utcnow()])


def update(cur, name: str, version: int, **values: Any) -> None:
    """Set some columns of one checkpoint row (``position``, ``status``, ``live``, ``error``...)."""
    _changed()
    values["updated_at"] = utcnow()
    sets = ", ".join(f'"{k}" = ?' for k in values)
    cur.execute(f"UPDATE checkpoints SET {sets} WHERE projection = ? AND version = ?",
                [*values.values(), name, version])


def set_live(cur, name: str, version: int) -> None:
    """Make ``version`` the live one of projection ``name`` (and no other)."""
    _changed()
    cur.execute("UPDATE checkpoints SET live = (version = ?) WHERE projection = ?", [version, name])


def delete(cur, name: str, version: int) -> None:
    _changed()
    cur.execute("DELETE FROM checkpoints WHERE projection = ? AND version = ?", [name, version])


def read_events(cur, after: int, upto: int, limit: int | None = None,
                event_types: tuple[str, ...] | None = None, until: datetime | None = None) -> list[StoredEvent]:
    """Events with ``after < position <= upto`` in position order, at most ``limit``, of ``event_types`` if given,
    and that happened (``occurred_at``) by ``until`` if given."""
    sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE position > ? AND position <= ?"
    params: list[Any] = [after, upto]
    if until is not None:
        sql += " AND occurred_at <= ?"
        params.append(as_utc_naive(until))
    if event_types is not None:  # a projection reads only what it handles: a foreign log costs one scan
        sql += " AND event_type IN (SELECT unnest(?))"
        params.append(list(event_types))
    sql += " ORDER BY position"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    rel = cur.execute(sql, params)
    names = [d[0] for d in rel.description]
    return [StoredEvent.from_row(dict(zip(names, r))) for r in rel.fetchall()]


def head(cur) -> int:
    return cur.execute("SELECT coalesce(max(position), 0) FROM events").fetchall()[0][0]
