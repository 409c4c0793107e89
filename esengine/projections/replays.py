"""Replays of a projection version into scratch tables, and row-by-row comparisons of two versions' tables."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import duckdb

from esengine.errors import EsEngineError
from esengine.projections import checkpoints as cp
from esengine.projections.base import Projection, ProjectionHandlerFailed
from esengine.projections.catch_up import CatchUp, Progress
from esengine.projections.compare import Comparison, compare_tables
from esengine.store.event_store import EventStore
from esengine.store.writer import GroupCommitWriter

SideKind = Literal["table", "replay", "as_of"]


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a version's tables, a fresh replay of it, or a replay up to a moment."""

    version: int
    kind: SideKind = "table"
    at: datetime | None = None

    def label(self) -> str:
        if self.kind == "replay":
            return f"v{self.version} replayed from the events"
        if self.kind == "as_of":
            return f"v{self.version} as of {self.at:%Y-%m-%d %H:%M:%S} UTC"
        return f"v{self.version} (tables)"


class Replays:
    """Replays into scratch tables (never kept up to date) and comparisons built on them."""

    def __init__(self, store: EventStore, writer: GroupCommitWriter, catch_up: CatchUp,
                 projection: Callable[[str, int], Projection]):
        self._store, self._writer, self._catch_up, self._projection = store, writer, catch_up, projection

    def replay(self, name: str, version: int, scratch: str = "replay", upto: int | None = None,
               at: datetime | None = None, set_based: bool = False, progress: Progress | None = None,
               batch_size: int = 20_000) -> None:
        """See :meth:`esengine.projections.runner.ProjectionRunner.replay`."""
        p = self._projection(name, version)
        target = self._writer.last_position if upto is None else upto

        def reset(cur: duckdb.DuckDBPyConnection) -> None:
            p.drop_tables(cur, version, scratch)
            p.create_tables(cur, version, scratch)
        self._writer.run(reset)

        def physical(table: str) -> str:
            return p.table_name(table, version, scratch)
        position = self._catch_up.build_set_based(p, physical, target) if set_based and at is None else 0
        while position < target:
            def step(cur: duckdb.DuckDBPyConnection, after: int = position) -> int:
                events = cp.read_events(cur, after, target, batch_size, p.event_types, until=at)
                p.apply_batch(cur, events, version, scratch)
                return events[-1].position if len(events) == batch_size else target
            try:
                position = self._writer.run(step)
            except ProjectionHandlerFailed as failed:
                raise EsEngineError(f"The replay of '{name}' v{version} stopped: {failed}") from failed
            if progress:
                progress(position, target)

    def compare(self, name: str, table: str, left: Side, right: Side, limit: int = 500) -> Comparison:
        """Compare one read-model table of two sides row by row (building replays into scratch tables first)."""
        physical = [self._side_table(name, table, side, tag) for side, tag in ((left, "l"), (right, "r"))]
        key = self._projection(name, left.version).table(table).key
        if self._projection(name, right.version).table(table).key != key:
            raise EsEngineError(f"The two versions key '{table}' differently; they cannot be compared row by row.")
        result = compare_tables(self._store.cursor(), physical[0], physical[1], key, limit)
        result.left, result.right = left.label(), right.label()
        return result

    def _side_table(self, name: str, table: str, side: Side, tag: str) -> str:
        p = self._projection(name, side.version)
        p.table(table)  # says clearly when that version has no such table
        if side.kind == "table":
            state = cp.read(self._store.cursor(), name, side.version)
            if state is None or state.status == cp.NEW:
                raise EsEngineError(f"Version {side.version} of '{name}' has not been built: rebuild it first, or "
                                    "compare against a replay of it.")
            return p.table_name(table)
        scratch = f"{side.kind}_{tag}"
        if side.kind == "as_of":
            if side.at is None:
                raise EsEngineError("Choose the moment to replay up to.")
            self.replay(name, side.version, scratch, at=side.at)
        else:
            self.replay(name, side.version, scratch)
        return p.table_name(table, scratch=scratch)
