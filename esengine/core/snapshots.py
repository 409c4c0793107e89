"""Snapshots: a stream's state at a version, so loading need not fold every event from the start."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from esengine.core.events import utcnow
from esengine.errors import SnapshotCorrupt


@dataclass(frozen=True)
class SnapshotPolicy:
    """Take a snapshot every ``every`` events (0: never); set per aggregate type."""

    every: int = 100

    def due(self, version_before: int, version_after: int) -> bool:
        return self.every > 0 and version_after // self.every > version_before // self.every


@dataclass(frozen=True)
class Snapshot:
    stream_id: str
    version: int
    state_schema: int
    state: dict[str, Any]


class SnapshotStore:
    """Reads snapshots; writes go through the writer, in the append's transaction (see :meth:`row`)."""

    TABLE = "snapshots"

    def __init__(self, event_store, writer):
        self._store = event_store
        self._writer = writer

    @staticmethod
    def row(stream_id: str, stream_type: str, version: int, state_schema: int, state: dict[str, Any]) -> dict:
        return {"stream_id": stream_id, "stream_type": stream_type, "version": version,
                "state_schema": state_schema, "state": json.dumps(state), "created_at": utcnow()}

    def save(self, stream_id: str, stream_type: str, version: int, state_schema: int, state: dict[str, Any]) -> None:
        """Write one snapshot now (outside an append), replacing any at the same version."""
        def write(cur):
            cur.execute("DELETE FROM snapshots WHERE stream_id = ? AND version = ?", [stream_id, version])
            cur.execute("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?)",
                        [stream_id, stream_type, version, state_schema, json.dumps(state), utcnow()])
        self._writer.run(write)

    def latest(self, stream_id: str, at_or_below: int | None, state_schema: int) -> tuple[Snapshot | None, bool]:
        """The newest snapshot of the current state schema at or below a version.

        Returns ``(snapshot, stale_seen)``; ``stale_seen`` says a newer snapshot of another schema
        version was passed over (the caller replaces it). Raises ``SnapshotCorrupt`` for unreadable JSON.
        """
        sql = "SELECT version, state_schema, CAST(state AS VARCHAR) FROM snapshots WHERE stream_id = ?"
        params: list[Any] = [stream_id]
        if at_or_below is not None:
            sql += " AND version <= ?"
            params.append(at_or_below)
        rows = self._store.cursor().execute(sql + " ORDER BY version DESC LIMIT 8", params).fetchall()
        stale = False
        for version, schema, text in rows:
            if schema != state_schema:
                stale = True
                continue
            try:
                state = json.loads(text)
            except (TypeError, ValueError) as e:
                raise SnapshotCorrupt(f"The snapshot of '{stream_id}' at version {version} is not valid JSON; "
                                      "it is ignored and the state is rebuilt from the events.") from e
            return Snapshot(stream_id, version, schema, state), stale
        return None, stale

    def all_states(self, stream_id: str, state_schema: int) -> dict[int, dict[str, Any]] | None:
        """Every snapshot of the stream by version, or None when any is of another schema or unreadable
        (then the careful path of :meth:`latest` must handle them)."""
        rows = self._store.cursor().execute(
            "SELECT version, state_schema, CAST(state AS VARCHAR) FROM snapshots WHERE stream_id = ?",
            [stream_id]).fetchall()
        states = {}
        for version, schema, text in rows:
            if schema != state_schema:
                return None
            try:
                states[version] = json.loads(text)
            except (TypeError, ValueError):
                return None
        return states

    def versions(self, stream_id: str) -> list[int]:
        """Versions at which the stream has snapshots (any schema), ascending."""
        return [r[0] for r in self._store.cursor().execute(
            "SELECT version FROM snapshots WHERE stream_id = ? ORDER BY version", [stream_id]).fetchall()]

    def drop_other_schemas(self, stream_id: str, state_schema: int) -> None:
        self._writer.run(lambda cur: cur.execute(
            "DELETE FROM snapshots WHERE stream_id = ? AND state_schema <> ?", [stream_id, state_schema]))
