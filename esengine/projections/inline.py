"""Inline projections: brought up to date inside each append's transaction (a hook of the writer)."""
from __future__ import annotations

from dataclasses import replace

import duckdb

from esengine.core.events import StoredEvent
from esengine.projections import checkpoints as cp
from esengine.projections.applying import apply_events
from esengine.projections.base import RowCache
from esengine.projections.registry import INLINE, Registered


class InlineProjections:
    """Applies an append's events to every running version of the inline projections, in its transaction."""

    def __init__(self, registered: dict[str, Registered]):
        self._registered = registered
        self._states: dict[tuple[str, int], cp.Checkpoint] | None = None
        self._generation = -1
        self._row_caches: dict[tuple[str, int], RowCache] = {}

    def apply_in_transaction(self, cur: duckdb.DuckDBPyConnection, events: list[StoredEvent]) -> None:
        """Bring every running version of the inline projections up to ``events`` (the append's own)."""
        # The checkpoints are read once and then kept: this method is their only writer between other
        # checkpoint writes (which change cp.generation()) and failed commits (which call rolled_back()).
        states = self._states if self._generation == cp.generation() else None
        if states is None:
            states = cp.read_all(cur)
            self._row_caches = {}  # what they remembered may be stale now
        for reg in self._registered.values():
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
                if not apply_events(cur, p, version, [e for e in todo if e.position > state.position],
                                    events[-1].position, cache):
                    self._states = None
                    return
                states[(reg.name, version)] = replace(state, position=events[-1].position)
        self._states, self._generation = states, cp.generation()

    def failed(self, cur: duckdb.DuckDBPyConnection, events: list[StoredEvent], error: BaseException) -> None:
        """Writing ``events`` through :meth:`apply_in_transaction` failed (and was rolled back) although the events
        themselves are stored: stop every running inline version before them, with the error, as at a poison
        event (the Projections page shows it; a rebuild brings the version back)."""
        self.rolled_back()
        for (name, version), state in cp.read_all(cur).items():
            reg = self._registered.get(name)
            if reg is None or reg.mode != INLINE or state.status != cp.RUNNING:
                continue
            cp.update(cur, name, version, status=cp.STOPPED, position=min(state.position, events[0].position - 1),
                      error=f"Its rows for the events from position {events[0].position} could not be written "
                            f"({type(error).__name__}: {error}).", error_position=events[0].position)

    def rolled_back(self) -> None:
        """The append's transaction failed: what :meth:`apply_in_transaction` remembered is void."""
        self._states = None
        self._row_caches = {}
