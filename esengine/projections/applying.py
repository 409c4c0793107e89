"""Applying a batch of events to one projection version together with its checkpoint (in the caller's
transaction); a poison event stops that version, with the event and the error recorded."""
from __future__ import annotations

import logging

import duckdb

from esengine.core.events import StoredEvent
from esengine.projections import checkpoints as cp
from esengine.projections.base import Projection, ProjectionHandlerFailed, RowCache

log = logging.getLogger(__name__)


def apply_events(cur: duckdb.DuckDBPyConnection, p: Projection, version: int, events: list[StoredEvent],
                 upto: int | None = None, cache: RowCache | None = None) -> bool:
    """Apply ``events`` and move the checkpoint to ``upto`` (default: the last event's position); on a poison
    event apply those before it and stop there (returns False)."""
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
