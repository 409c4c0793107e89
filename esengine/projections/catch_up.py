"""Catching a projection version up to the head: set-based from scratch when it can, then batch by batch through
its handlers, each batch written with its checkpoint in one transaction."""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import duckdb

from esengine.projections import checkpoints as cp
from esengine.projections.applying import apply_events
from esengine.projections.base import Projection
from esengine.store.writer import GroupCommitWriter

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


class CatchUp:
    """Brings projection versions up to the writer's head (the caller holds the version's lock)."""

    def __init__(self, writer: GroupCommitWriter):
        self._writer = writer

    def run(self, p: Projection, batch_size: int, progress: Progress | None, limit: int | None = None,
            set_based: bool = True) -> int:
        """Apply every event after the checkpoint (at most ``limit``); returns how many were read."""
        done = built = self._from_scratch(p) if set_based and not limit else 0
        if progress and done:
            progress(done, done)
        done = self._by_handlers(p, batch_size, progress, limit, done)
        if done > built and type(p).after_catch_up is not Projection.after_catch_up:
            self._writer.run(lambda cur: p.after_catch_up(cur, p.version, done - built))
        return done

    def _by_handlers(self, p: Projection, batch_size: int, progress: Progress | None, limit: int | None,
                     done: int) -> int:
        while True:
            size = min(batch_size, limit - done) if limit else batch_size
            n, reached, target, ok = self._writer.run(functools.partial(self._batch, p=p, size=size))
            done += n
            if progress and target:
                progress(reached, target)
            if n < size or not ok or (limit and done >= limit):
                return done

    def _batch(self, cur: duckdb.DuckDBPyConnection, p: Projection, size: int) -> tuple[int, int, int, bool]:
        """One batch of at most ``size`` events: (events read, position reached, head, not stopped)."""
        state = cp.read(cur, p.name, p.version)
        if state is None or state.status not in (cp.RUNNING, cp.REBUILDING):
            return 0, 0, 0, False
        target = self._writer.last_position  # exact under the write lock
        events = cp.read_events(cur, state.position, target, size, p.event_types)
        # a short batch means nothing else it handles up to the target: the checkpoint goes there
        reached = events[-1].position if len(events) == size else target
        ok = apply_events(cur, p, p.version, events, reached if reached > state.position else None)
        if ok and state.status == cp.REBUILDING and reached >= target:
            cp.update(cur, p.name, p.version, status=cp.RUNNING)  # caught up under the lock: inline from now
        return len(events), reached, target, ok

    def _from_scratch(self, p: Projection) -> int:
        """A version that has applied nothing yet is filled set-based when it can be (checkpoint and rows together)."""
        def still_at_zero(cur: duckdb.DuckDBPyConnection) -> bool:
            state = cp.read(cur, p.name, p.version)
            return state is not None and state.position == 0 and state.status in (cp.RUNNING, cp.REBUILDING)
        return self.build_set_based(p, p.table_name, precondition=still_at_zero,
                                    then=lambda cur, target: cp.update(cur, p.name, p.version, position=target))

    def build_set_based(self, p: Projection, physical: Callable[[str], str], upto: int | None = None,
                        precondition: Callable[[duckdb.DuckDBPyConnection], bool] | None = None,
                        then: Callable[[duckdb.DuckDBPyConnection, int], None] | None = None) -> int:
        """Fill empty tables set-based up to ``upto`` (default: the head) in one transaction; returns the position
        reached (0: not done).

        When the projection has no set-based build, or it declines or fails on this history, nothing is
        written and the caller applies the handlers instead (which name a poison event properly).
        """
        if not p.has_set_based_rebuild:
            return 0

        def build(cur: duckdb.DuckDBPyConnection) -> int:
            target = self._writer.last_position if upto is None else upto
            if not target or (precondition and not precondition(cur)) or not p.build_set_based(cur, physical, target):
                return 0
            if then:
                then(cur, target)
            return target
        try:
            return self._writer.run(build)
        except duckdb.Error as e:  # e.g. a value of the wrong type: the handlers will name the event
            log.warning("set-based build of %s v%s failed, applying the handlers instead: %s", p.name, p.version, e)
            return 0
