"""Runs projections: inline in the append's transaction, or behind it, catching up from a checkpoint.

Each batch writes the read model and the checkpoint in one transaction, so a crash between
batches neither loses nor applies an event twice. A projection has one live version (the one
queries read); other versions are rebuilt beside it, compared, promoted or dropped. A handler that
raises stops only its own projection version, with the event and the error recorded.
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal
from collections.abc import Callable, Iterator

import duckdb
import pandas as pd

from esengine.core.events import StoredEvent
from esengine.errors import EsEngineError, NotFound
from esengine.projections import checkpoints as cp
from esengine.projections.base import Projection, ProjectionHandlerFailed, RowCache
from esengine.projections.compare import Comparison, compare_tables
from esengine.projections.worker import ProjectionWorker
from esengine.store.event_store import EventStore
from esengine.store.writer import GroupCommitWriter

INLINE, ASYNC = "inline", "async"
PROMOTE_CATCH_UP_LIMIT = 100_000
log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


@dataclass
class Registered:
    """A projection name with its registered versions and how it runs (inline or async)."""

    name: str
    mode: str
    versions: dict[int, Projection] = field(default_factory=dict)


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


FAR_BEHIND = 50_000
"""A lag (events) past which the worker catches a projection up in one go instead of by its paced rounds."""


class ProjectionRunner:
    """Keeps every registered projection version's read model and checkpoint."""

    def __init__(self, store: EventStore, writer: GroupCommitWriter):
        self._store, self._writer = store, writer
        self.registered: dict[str, Registered] = {}
        self._locks: dict[tuple[str, int], threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self.worker = ProjectionWorker(self)
        self._inline_states: dict | None = None
        self._row_caches: dict[tuple[str, int], RowCache] = {}
        self._idle_at: tuple[int, int] | None = None  # (last position, checkpoint generation) of an idle round
        self._inline_generation = -1
        writer.hooks.append(self)

    # -- registry -------------------------------------------------------------------------------------
    def register(self, projection: Projection, mode: str = INLINE) -> None:
        """Register a projection version. The first version of a name becomes live and is brought up to date;
        later versions start as 'new' and are built on request (:meth:`rebuild`)."""
        reg = self.registered.setdefault(projection.name, Registered(projection.name, mode))
        if reg.mode != mode:
            raise EsEngineError(f"Projection '{projection.name}' is {reg.mode}; all its versions must be.")
        reg.versions[projection.version] = projection

        def setup(cur):
            state = cp.read(cur, projection.name, projection.version)
            if state is None:
                first = cp.live_version(cur, projection.name) is None
                if first:
                    projection.create_tables(cur)
                cp.create(cur, projection.name, projection.version, cp.RUNNING if first else cp.NEW, first)
            elif state.status != cp.NEW and not projection.tables_match(cur):
                # built by a release whose read model had other columns: build it again from the events
                log.warning("projection %s v%s: its tables changed shape; rebuilding them", projection.name,
                            projection.version)
                projection.drop_tables(cur)
                projection.create_tables(cur)
                cp.update(cur, projection.name, projection.version, position=0, error=None, error_position=None,
                          status=cp.RUNNING if state.live else cp.NEW)
            return cp.read(cur, projection.name, projection.version)
        if self._writer.run(setup).status == cp.RUNNING and mode == INLINE:
            self.catch_up(projection.name, projection.version)
        # an asynchronous one is caught up by the worker (or catch_up_async), so opening a large store that
        # lags behind is immediate; its readers fall back to the events until it has caught up

    def projection(self, name: str, version: int | None = None) -> Projection:
        """The registered projection ``name`` at ``version`` (default: the live version)."""
        reg = self.registered.get(name)
        if reg is None:
            raise NotFound(f"There is no projection '{name}'. Known: {', '.join(self.registered)}.")
        version = version or self.live_version(name)
        if version not in reg.versions:
            raise NotFound(f"Projection '{name}' has no version {version}; registered: "
                           f"{', '.join(map(str, sorted(reg.versions)))}.")
        return reg.versions[version]

    def live_version(self, name: str) -> int:
        live = cp.live_version(self._store.cursor(), name)
        return live if live is not None else min(self.registered[name].versions)

    def live_table(self, name: str, table: str) -> str:
        """The physical name of the live version's table (for queries)."""
        return self.projection(name).table_name(table)

    # -- inline: called by the writer inside the append's transaction ---------------------------------
    def apply_in_transaction(self, cur: duckdb.DuckDBPyConnection, events: list[StoredEvent]) -> None:
        """Bring every running version of the inline projections up to ``events`` (the append's own)."""
        # The checkpoints are read once and then kept: this method is their only writer between other
        # checkpoint writes (which change cp.generation()) and failed commits (which call rolled_back()).
        states = self._inline_states if self._inline_generation == cp.generation() else None
        if states is None:
            states = cp.read_all(cur)
            self._row_caches = {}  # what they remembered may be stale now
        for reg in self.registered.values():
            if reg.mode != INLINE:
                continue
            for version, p in reg.versions.items():
                state = states.get((reg.name, version))
                if state is None or state.status != cp.RUNNING:
                    continue
                todo = events
                if state.position < events[0].position - 1:  # behind (e.g. after a bulk load): fill the gap first
                    todo = cp.read_events(cur, state.position, events[0].position - 1, None, p.event_types) + events
                cache = self._row_caches.setdefault((reg.name, version), RowCache())
                if not self._apply(cur, p, version, [e for e in todo if e.position > state.position],
                                   events[-1].position, cache):
                    self._inline_states = None
                    return
                states[(reg.name, version)] = replace(state, position=events[-1].position)
        self._inline_states, self._inline_generation = states, cp.generation()

    def rolled_back(self) -> None:
        """The append's transaction failed: what :meth:`apply_in_transaction` remembered is void."""
        self._inline_states = None
        self._row_caches = {}

    def _apply(self, cur, p: Projection, version: int, events: list[StoredEvent], upto: int | None = None,
               cache: RowCache | None = None) -> bool:
        """Apply ``events`` and move the checkpoint to ``upto`` (default: the last event's position); on a poison
        event apply those before it and stop there."""
        if not events:
            if upto:
                cp.update(cur, p.name, version, position=upto)
            return True
        try:
            p.apply_batch(cur, events, version, cache=cache) if cache is not None else p.apply_batch(cur, events, version)
        except ProjectionHandlerFailed as failed:
            bad = failed.event.position
            p.apply_batch(cur, [e for e in events if e.position < bad], version)
            cp.update(cur, p.name, version, position=bad - 1, status=cp.STOPPED, error=str(failed), error_position=bad)
            log.warning("projection %s v%s stopped: %s", p.name, version, failed)
            return False
        cp.update(cur, p.name, version, position=upto or events[-1].position)
        return True

    # -- catching up and rebuilding -------------------------------------------------------------------
    @contextmanager
    def _exclusive(self, name: str, version: int, doing: str, wait: bool = False) -> Iterator[None]:
        """One operation at a time per version: wait for the other one, or refuse with a message."""
        with self._locks_lock:
            lock = self._locks.setdefault((name, version), threading.Lock())
        if not lock.acquire(blocking=wait):
            raise EsEngineError(f"Projection '{name}' v{version} is busy (another session is rebuilding or "
                                f"catching it up); wait for that to finish before you {doing}.")
        try:
            yield
        finally:
            lock.release()

    def is_busy(self, name: str, version: int) -> bool:
        lock = self._locks.get((name, version))
        return lock is not None and lock.locked()

    def catch_up(self, name: str, version: int | None = None, batch_size: int = 20_000,
                 progress: Progress | None = None, limit: int | None = None, wait: bool = True) -> int:
        """Apply every event after the checkpoint, batch by batch (at most ``limit``); returns how many were read.

        Works for running versions and resumes an interrupted rebuild; a stopped version stays stopped.
        If another operation holds the version, waits for it (or, with ``wait=False``, refuses).
        """
        p = self.projection(name, version)
        with self._exclusive(p.name, p.version, "catch it up", wait):
            return self._catch_up(p, batch_size, progress, limit)

    def _catch_up(self, p: Projection, batch_size: int, progress: Progress | None, limit: int | None = None,
                  set_based: bool = True) -> int:
        done = built = self._build_from_scratch(p) if set_based and not limit else 0
        if progress and done:
            progress(done, done)
        done = self._catch_up_by_handlers(p, batch_size, progress, limit, done)
        if done > built and type(p).after_catch_up is not Projection.after_catch_up:
            self._writer.run(lambda cur: p.after_catch_up(cur, p.version, done - built))
        return done

    def _catch_up_by_handlers(self, p: Projection, batch_size: int, progress: Progress | None, limit: int | None,
                              done: int) -> int:
        while True:
            size = min(batch_size, limit - done) if limit else batch_size

            def step(cur):
                state = cp.read(cur, p.name, p.version)
                if state is None or state.status not in (cp.RUNNING, cp.REBUILDING):
                    return 0, 0, 0, False
                target = self._writer.last_position  # exact under the write lock
                events = cp.read_events(cur, state.position, target, size, p.event_types)
                # a short batch means nothing else it handles up to the target: the checkpoint goes there
                reached = events[-1].position if len(events) == size else target
                ok = self._apply(cur, p, p.version, events, reached if reached > state.position else None)
                if ok and state.status == cp.REBUILDING and reached >= target:
                    cp.update(cur, p.name, p.version, status=cp.RUNNING)  # caught up under the lock: inline from now
                return len(events), reached, target, ok
            n, reached, target, ok = self._writer.run(step)
            done += n
            if progress and target:
                progress(reached, target)
            if n < size or not ok or (limit and done >= limit):
                return done

    def _build_from_scratch(self, p: Projection) -> int:
        """A version that has applied nothing yet is filled set-based when it can be (checkpoint and rows together)."""
        def still_at_zero(cur) -> bool:
            state = cp.read(cur, p.name, p.version)
            return state is not None and state.position == 0 and state.status in (cp.RUNNING, cp.REBUILDING)
        return self._build_set_based(p, p.table_name, precondition=still_at_zero,
                                     then=lambda cur, target: cp.update(cur, p.name, p.version, position=target))

    def rebuild(self, name: str, version: int, progress: Progress | None = None, batch_size: int = 20_000,
                set_based: bool = True) -> int:
        """Rebuild ``version`` from the first event into its own tables, beside the live version.

        Commands may go on meanwhile: the rebuild catches up batch by batch and, once it has reached the
        head under the write lock, the version is kept up to date like the live one. A set-based rebuild
        (when the projection has one) fills the tables in one statement first. Returns events applied.
        """
        p = self.projection(name, version)
        if self.live_version(name) == version:
            raise EsEngineError(f"Version {version} of '{name}' is live: queries read it, so it is not rebuilt in "
                                "place. Rebuild another version, promote it, then rebuild this one; or check it "
                                "with a comparison against a replay.")
        with self._exclusive(name, version, "rebuild it"):
            def reset(cur):
                p.drop_tables(cur)
                p.create_tables(cur)
                if cp.read(cur, name, version) is None:
                    cp.create(cur, name, version, cp.REBUILDING, False)
                cp.update(cur, name, version, position=0, status=cp.REBUILDING, error=None, error_position=None)
            self._writer.run(reset)
            return self._catch_up(p, batch_size, progress, set_based=set_based)

    def _build_set_based(self, p: Projection, physical: Callable[[str], str], upto: int | None = None,
                         precondition: Callable[[duckdb.DuckDBPyConnection], bool] | None = None,
                         then: Callable[[duckdb.DuckDBPyConnection, int], None] | None = None) -> int:
        """Fill empty tables set-based up to ``upto`` (default: the head) in one transaction; returns the position
        reached (0: not done).

        When the projection has no set-based build, or it declines or fails on this history, nothing is
        written and the caller applies the handlers instead (which name a poison event properly).
        """
        if not p.has_set_based_rebuild:
            return 0

        def build(cur):
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

    # -- promote, drop, poison events ------------------------------------------------------------------
    def promote(self, name: str, version: int) -> None:
        """Make ``version`` the live one (queries read it from now on); the old version stays until dropped.

        Refused while the version is new, rebuilding or stopped. A running version a little behind
        (asynchronous) is caught up in the same transaction, so readers never go back in time.
        """
        p = self.projection(name, version)
        with self._exclusive(name, version, "promote it"):
            def flip(cur):
                state = cp.read(cur, name, version)
                self._check_promotable(name, version, state)
                behind = self._writer.last_position - state.position
                if behind > PROMOTE_CATCH_UP_LIMIT:
                    raise EsEngineError(f"Version {version} of '{name}' is {behind:,} events behind; let it catch up "
                                        "(or run Catch up) before promoting it.")
                head = self._writer.last_position
                if not self._apply(cur, p, version, cp.read_events(cur, state.position, head, None, p.event_types),
                                   head if head > state.position else None):
                    return False
                cp.set_live(cur, name, version)
                return True
            if not self._writer.run(flip):
                raise EsEngineError(f"Version {version} of '{name}' stopped at a poison event while catching up to be "
                                    "promoted; it was not promoted. Retry or skip the event, then promote it.")

    @staticmethod
    def _check_promotable(name: str, version: int, state: cp.Checkpoint | None) -> None:
        if state is None or state.status == cp.NEW:
            raise EsEngineError(f"Version {version} of '{name}' has not been built yet: rebuild it, then promote it.")
        if state.live:
            raise EsEngineError(f"Version {version} of '{name}' is already live.")
        if state.status == cp.REBUILDING:
            raise EsEngineError(f"Version {version} of '{name}' has not caught up: its rebuild is at position "
                                f"{state.position:,}. Finish the rebuild (Rebuild or Catch up), then promote it.")
        if state.status == cp.STOPPED:
            raise EsEngineError(f"Version {version} of '{name}' is stopped at the event at position "
                                f"{state.error_position}: retry or skip that event before promoting it.")

    def drop(self, name: str, version: int) -> None:
        """Drop a version's tables and checkpoint; the live version cannot be dropped."""
        p = self.projection(name, version)
        with self._exclusive(name, version, "drop it"):
            def remove(cur):
                state = cp.read(cur, name, version)
                if state is not None and state.live:
                    raise EsEngineError(f"Version {version} of '{name}' is live; promote another version first, "
                                        "then drop this one.")
                p.drop_tables(cur)
                cp.delete(cur, name, version)
                cp.create(cur, name, version, cp.NEW, False)  # still registered: it can be rebuilt later
            self._writer.run(remove)

    def retry(self, name: str, version: int) -> int:
        """Run a stopped version again from its poison event (after the handler was fixed)."""
        return self._resume(name, version, skip=False)

    def skip(self, name: str, version: int) -> int:
        """Step over a stopped version's poison event and go on; the skipped event is noted in the error column."""
        return self._resume(name, version, skip=True)

    def _resume(self, name: str, version: int, skip: bool) -> int:
        p = self.projection(name, version)
        with self._exclusive(name, version, "retry or skip"):
            def clear(cur):
                state = cp.read(cur, name, version)
                if state is None or state.status != cp.STOPPED:
                    raise EsEngineError(f"Version {version} of '{name}' is not stopped; there is nothing to "
                                        f"{'skip' if skip else 'retry'}.")
                if skip:
                    cp.update(cur, name, version, position=state.error_position, status=cp.RUNNING,
                              error=f"Skipped by hand: {state.error}")
                else:
                    cp.update(cur, name, version, status=cp.RUNNING, error=None, error_position=None)
            self._writer.run(clear)
            return self._catch_up(p, 20_000, None, set_based=False)

    # -- asynchronous projections ---------------------------------------------------------------------
    def catch_up_async(self, limit: int | None = None) -> int:
        """One round of the background worker: catch up every running version of the async projections.

        A round after one that found nothing to do is skipped while no event was written and no checkpoint
        changed since (an idle room's worker then reads nothing every two seconds)."""
        if self._idle_at == (self._writer.last_position, cp.generation()):
            return 0
        done = 0
        states = cp.read_all(self._store.cursor())
        for reg in list(self.registered.values()):
            if reg.mode != ASYNC:
                continue
            for version, p in list(reg.versions.items()):
                state = states.get((reg.name, version))
                if state is None or state.status != cp.RUNNING or self.is_busy(reg.name, version):
                    continue
                far_behind = self._writer.last_position - state.position > FAR_BEHIND
                try:  # far behind (a large store opened for the first time): all of it, set-based if it can
                    done += self.catch_up(reg.name, version, batch_size=limit or 20_000,
                                          limit=None if far_behind else limit, wait=False)
                except EsEngineError:  # became busy meanwhile: next round
                    continue
        self._idle_at = (self._writer.last_position, cp.generation()) if done == 0 else None
        return done

    def close(self) -> None:
        """Stop the background worker (before the connection closes)."""
        self.worker.stop()

    def catching_up(self) -> list[tuple[str, int, int]]:
        """The running asynchronous projections that lag behind: (name, checkpoint, head), for a progress bar."""
        head = self._writer.last_position
        states = cp.read_all(self._store.cursor())
        return [(name, state.position, head) for (name, version), state in sorted(states.items())
                if name in self.registered and self.registered[name].mode == ASYNC and state.status == cp.RUNNING
                and state.position < head]

    # -- status -----------------------------------------------------------------------------------------
    def status(self) -> pd.DataFrame:
        """Every projection version with mode, checkpoint, status, lag (events and seconds) and last error."""
        frame = self._store.cursor().execute("""
            SELECT c.projection, c.version, c.live, c.status, c.position AS checkpoint, h.head,
                   h.head - c.position AS lag_events,
                   coalesce(date_diff('second', (SELECT e.recorded_at FROM events e WHERE e.position = c.position + 1),
                                      now()::TIMESTAMP), 0) AS lag_seconds,
                   c.error, c.error_position, c.updated_at
            FROM checkpoints c, (SELECT coalesce(max(position), 0) AS head FROM events) h
            ORDER BY c.projection, c.version""").df()
        frame.loc[frame["status"] == cp.NEW, "lag_seconds"] = None  # never built: "behind since" means nothing
        frame.insert(2, "mode", [self.registered[n].mode if n in self.registered else "not registered"
                                 for n in frame["projection"]])
        frame["description"] = [self.registered[n].versions[v].description
                                if n in self.registered and v in self.registered[n].versions else ""
                                for n, v in zip(frame["projection"], frame["version"])]
        return frame

    # -- replays and comparisons ----------------------------------------------------------------------
    def replay(self, name: str, version: int, scratch: str = "replay", upto: int | None = None,
               at: datetime | None = None, set_based: bool = False, progress: Progress | None = None,
               batch_size: int = 20_000) -> None:
        """Replay ``version`` into scratch tables: every event up to position ``upto`` (default: the head), or,
        with ``at``, the events that happened (``occurred_at``) by then, in position order.

        The scratch tables (``rm_<name>_v<N>_<scratch>_<table>``) are replaced on each replay; they have
        no checkpoint and are never kept up to date. A poison event stops the replay with its error.
        """
        p = self.projection(name, version)
        target = self._writer.last_position if upto is None else upto

        def reset(cur):
            p.drop_tables(cur, version, scratch)
            p.create_tables(cur, version, scratch)
        self._writer.run(reset)
        physical = lambda t: p.table_name(t, version, scratch)  # noqa: E731
        position = self._build_set_based(p, physical, target) if set_based and at is None else 0
        while position < target:
            def step(cur, after=position):
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
        key = self.projection(name, left.version).table(table).key
        if self.projection(name, right.version).table(table).key != key:
            raise EsEngineError(f"The two versions key '{table}' differently; they cannot be compared row by row.")
        result = compare_tables(self._store.cursor(), physical[0], physical[1], key, limit)
        result.left, result.right = left.label(), right.label()
        return result

    def _side_table(self, name: str, table: str, side: Side, tag: str) -> str:
        p = self.projection(name, side.version)
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
