"""Runs projections: inline in the append's transaction, or behind it, catching up from a checkpoint.

Each batch writes the read model and the checkpoint in one transaction, so a crash between
batches neither loses nor applies an event twice. A projection has one live version (the one
queries read); other versions are rebuilt beside it, compared, promoted or dropped. A handler that
raises stops only its own projection version, with the event and the error recorded.

The runner is the front: it keeps the registry and each version's lifecycle (catch up, rebuild, promote,
drop, retry or skip a poison event) and hands the work to one part per job: :mod:`.inline` (the writer's
hook), :mod:`.catch_up`, :mod:`.replays` (scratch replays and comparisons), :mod:`.locks` and :mod:`.status`.
"""
from __future__ import annotations

import logging
from contextlib import AbstractContextManager, ExitStack
from datetime import datetime

import duckdb
import pandas as pd

from esengine.errors import EsEngineError, NotFound
from esengine.projections import checkpoints as cp
from esengine.projections.applying import apply_events
from esengine.projections.base import Projection
from esengine.projections.catch_up import CatchUp, Progress
from esengine.projections.compare import Comparison
from esengine.projections.inline import InlineProjections
from esengine.projections.locks import VersionLocks
from esengine.projections.registry import ASYNC, INLINE, Registered, set_up_version
from esengine.projections.replays import Replays, Side, SideKind
from esengine.projections.status import status_frame
from esengine.projections.worker import ProjectionWorker
from esengine.store.event_store import EventStore
from esengine.store.writer import GroupCommitWriter

__all__ = ["ASYNC", "FAR_BEHIND", "INLINE", "PROMOTE_CATCH_UP_LIMIT", "ProjectionRunner", "Registered", "Side",
           "SideKind"]  # Side, SideKind and Registered live beside their job; imported from here as before

PROMOTE_CATCH_UP_LIMIT = 100_000
log = logging.getLogger(__name__)

FAR_BEHIND = 50_000
"""A lag (events) past which the worker catches a projection up in one go instead of by its paced rounds."""


class ProjectionRunner:
    """Keeps every registered projection version's read model and checkpoint."""

    def __init__(self, store: EventStore, writer: GroupCommitWriter):
        self._store, self._writer = store, writer
        self.registered: dict[str, Registered] = {}
        self._locks = VersionLocks()
        self._catch_up_work = CatchUp(writer)
        self._replays = Replays(store, writer, self._catch_up_work, self.projection)
        self.worker = ProjectionWorker(self)
        self._idle_at: tuple[int, int] | None = None  # (last position, checkpoint generation) of an idle round
        writer.hooks.append(InlineProjections(self.registered))

    # -- registry -------------------------------------------------------------------------------------
    def register(self, projection: Projection, mode: str = INLINE) -> None:
        """Register a projection version. The first version of a name becomes live and is brought up to date;
        later versions start as 'new' and are built on request (:meth:`rebuild`)."""
        reg = self.registered.setdefault(projection.name, Registered(projection.name, mode))
        if reg.mode != mode:
            raise EsEngineError(f"Projection '{projection.name}' is {reg.mode}; all its versions must be.")
        reg.versions[projection.version] = projection
        state = self._writer.run(lambda cur: set_up_version(cur, projection))
        if state.status == cp.RUNNING and mode == INLINE:
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

    def live_projections(self, states: dict[tuple[str, int], cp.Checkpoint] | None = None) -> dict[str, Projection]:
        """The live version of every registered projection, by name, from one read of the checkpoints (``states``
        when the caller has read them already)."""
        states = cp.read_all(self._store.cursor()) if states is None else states
        live = {name: version for (name, version), c in states.items() if c.live}
        return {name: self.projection(name, live.get(name) or min(reg.versions)) for name, reg in self.registered.items()}

    def live_table(self, name: str, table: str) -> str:
        """The physical name of the live version's table (for queries)."""
        return self.projection(name).table_name(table)

    # -- catching up and rebuilding -------------------------------------------------------------------
    def _exclusive(self, name: str, version: int, doing: str, wait: bool = False) -> AbstractContextManager[None]:
        """One operation at a time per version: wait for the other one, or refuse with a message."""
        return self._locks.exclusive(name, version, doing, wait)

    def is_busy(self, name: str, version: int) -> bool:
        return self._locks.is_busy(name, version)

    def catch_up(self, name: str, version: int | None = None, batch_size: int = 20_000,
                 progress: Progress | None = None, limit: int | None = None, wait: bool = True) -> int:
        """Apply every event after the checkpoint, batch by batch (at most ``limit``); returns how many were read.

        Works for running versions and resumes an interrupted rebuild; a stopped version stays stopped.
        If another operation holds the version, waits for it (or, with ``wait=False``, refuses).
        """
        p = self.projection(name, version)
        with self._exclusive(p.name, p.version, "catch it up", wait):
            return self._catch_up_work.run(p, batch_size, progress, limit)

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
            def reset(cur: duckdb.DuckDBPyConnection) -> None:
                p.drop_tables(cur)
                p.create_tables(cur)
                if cp.read(cur, name, version) is None:
                    cp.create(cur, name, version, cp.REBUILDING, False)
                cp.update(cur, name, version, position=0, status=cp.REBUILDING, error=None, error_position=None)
            self._writer.run(reset)
            return self._catch_up_work.run(p, batch_size, progress, set_based=set_based)

    # -- promote, drop, poison events ------------------------------------------------------------------
    def promote(self, name: str, version: int) -> None:
        """Make ``version`` the live one (queries read it from now on); the old version stays until dropped.

        Refused while the version is new, rebuilding or stopped. A running version a little behind
        (asynchronous) is caught up in the same transaction, so readers never go back in time.
        """
        p = self.projection(name, version)
        with self._exclusive(name, version, "promote it"):
            def flip(cur):
                state = self._check_promotable(name, version, cp.read(cur, name, version))
                behind = self._writer.last_position - state.position
                if behind > PROMOTE_CATCH_UP_LIMIT:
                    raise EsEngineError(f"Version {version} of '{name}' is {behind:,} events behind; let it catch up "
                                        "(or run Catch up) before promoting it.")
                head = self._writer.last_position
                if not apply_events(cur, p, version, cp.read_events(cur, state.position, head, None, p.event_types),
                                    head if head > state.position else None):
                    return False
                cp.set_live(cur, name, version)
                return True
            if not self._writer.run(flip):
                raise EsEngineError(f"Version {version} of '{name}' stopped at a poison event while catching up to be "
                                    "promoted; it was not promoted. Retry or skip the event, then promote it.")

    @staticmethod
    def _check_promotable(name: str, version: int, state: cp.Checkpoint | None) -> cp.Checkpoint:
        """The version's checkpoint, if it may be promoted; otherwise a refusal that says what to do first."""
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
        return state

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
            return self._catch_up_work.run(p, 20_000, None, set_based=False)

    # -- asynchronous projections ---------------------------------------------------------------------
    def catch_up_async(self, limit: int | None = None) -> int:
        """One round of the background worker: catch up every running version of the async projections.

        When every one is at most ``limit`` events behind (a room's commands since the last round), they are
        caught up together: their events read once, in one transaction. A round is skipped while no event
        was written and no checkpoint changed since a round that left them all at the head (an idle room's
        worker then reads nothing every two seconds)."""
        if self._idle_at == (self._writer.last_position, cp.generation()):
            return 0
        states = cp.read_all(self._store.cursor())
        running = [(reg.name, version, p) for reg in list(self.registered.values()) if reg.mode == ASYNC
                   for version, p in list(reg.versions.items())
                   if (state := states.get((reg.name, version))) is not None and state.status == cp.RUNNING]
        head, size = self._writer.last_position, limit or 20_000
        if all(head - states[(name, version)].position <= size for name, version, _ in running):
            try:
                done, head = self._catch_up_together([p for *_, p in running])
                self._idle_at = (head, cp.generation())
                return done
            except EsEngineError:  # one of them is busy (a rebuild, a catch-up): each on its own below
                pass
        done = 0
        for name, version, _ in running:
            if self.is_busy(name, version):
                continue
            far_behind = self._writer.last_position - states[(name, version)].position > FAR_BEHIND
            try:  # far behind (a large store opened for the first time): all of it, set-based if it can
                done += self.catch_up(name, version, batch_size=size, limit=None if far_behind else limit, wait=False)
            except EsEngineError:  # became busy meanwhile: next round
                continue
        self._idle_at = (self._writer.last_position, cp.generation()) if done == 0 else None
        return done

    def _catch_up_together(self, projections: list[Projection]) -> tuple[int, int]:
        """Catch up versions that lag a little in one transaction, reading the events after the earliest
        checkpoint once: (events applied, the head they all reached). Refuses if one is busy."""
        with ExitStack() as held:
            for p in projections:
                held.enter_context(self._exclusive(p.name, p.version, "catch it up"))

            def apply(cur: duckdb.DuckDBPyConnection) -> tuple[int, int]:
                head = self._writer.last_position  # exact under the write lock
                states = [(p, cp.read(cur, p.name, p.version)) for p in projections]
                behind = [(p, s) for p, s in states if s is not None and s.status == cp.RUNNING and s.position < head]
                if not behind:
                    return 0, head
                types = None if any(p.event_types is None for p, _ in behind) else \
                    tuple(sorted({t for p, _ in behind for t in p.event_types or ()}))
                events = cp.read_events(cur, min(s.position for _, s in behind), head, None, types)
                done = 0
                for p, state in behind:
                    mine = [e for e in events if e.position > state.position
                            and (p.event_types is None or e.event_type in p.event_types)]
                    apply_events(cur, p, p.version, mine, head)  # a poison event stops only this version
                    done += len(mine)
                    if mine and type(p).after_catch_up is not Projection.after_catch_up:
                        p.after_catch_up(cur, p.version, len(mine))
                return done, head
            return self._writer.run(apply)

    def close(self) -> None:
        """Stop the background worker (before the connection closes)."""
        self.worker.stop()

    def catching_up(self) -> list[tuple[str, int, int]]:
        """The running asynchronous projections that lag behind: (name, checkpoint, head), for a progress bar."""
        head = self._writer.last_position
        if self._idle_at == (head, cp.generation()):  # the worker's last round left them all at the head
            return []
        states = cp.read_all(self._store.cursor())
        return [(name, state.position, head) for (name, version), state in sorted(states.items())
                if name in self.registered and self.registered[name].mode == ASYNC and state.status == cp.RUNNING
                and state.position < head]

    # -- status -----------------------------------------------------------------------------------------
    def status(self) -> pd.DataFrame:
        """Every projection version with mode, checkpoint, status, lag (events and seconds) and last error."""
        return status_frame(self._store, self.registered)

    # -- replays and comparisons ----------------------------------------------------------------------
    def replay(self, name: str, version: int, scratch: str = "replay", upto: int | None = None,
               at: datetime | None = None, set_based: bool = False, progress: Progress | None = None,
               batch_size: int = 20_000) -> None:
        """Replay ``version`` into scratch tables: every event up to position ``upto`` (default: the head), or,
        with ``at``, the events that happened (``occurred_at``) by then, in position order.

        The scratch tables (``rm_<name>_v<N>_<scratch>_<table>``) are replaced on each replay; they have
        no checkpoint and are never kept up to date. A poison event stops the replay with its error.
        """
        self._replays.replay(name, version, scratch, upto, at, set_based, progress, batch_size)

    def compare(self, name: str, table: str, left: Side, right: Side, limit: int = 500) -> Comparison:
        """Compare one read-model table of two sides row by row (building replays into scratch tables first)."""
        return self._replays.compare(name, table, left, right, limit)
