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

    def rolled_back(self) -> None:
        """The append's transaction failed: what :meth:`apply_in_transaction` remembered is void."""
        self._states = None
        self._row_caches = {}
