"""The registered projections: each name with its versions and how it runs, and a version's first setup."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import duckdb

from esengine.projections import checkpoints as cp
from esengine.projections.base import Projection

INLINE, ASYNC = "inline", "async"
log = logging.getLogger(__name__)


@dataclass
class Registered:
    """A projection name with its registered versions and how it runs (inline or async)."""

    name: str
    mode: str
    versions: dict[int, Projection] = field(default_factory=dict)


def set_up_version(cur: duckdb.DuckDBPyConnection, projection: Projection) -> cp.Checkpoint | None:
    """Give a newly registered version its checkpoint (and, for the first version of a name, its tables, live);
    tables built by a release whose read model had other columns are built again from the events."""
    state = cp.read(cur, projection.name, projection.version)
    if state is None:
        first = cp.live_version(cur, projection.name) is None
        if first:
            projection.create_tables(cur)
        cp.create(cur, projection.name, projection.version, cp.RUNNING if first else cp.NEW, first)
    elif state.status != cp.NEW and not projection.tables_match(cur):
        log.warning("projection %s v%s: its tables changed shape; rebuilding them", projection.name,
                    projection.version)
        projection.drop_tables(cur)
        projection.create_tables(cur)
        cp.update(cur, projection.name, projection.version, position=0, error=None, error_position=None,
                  status=cp.RUNNING if state.live else cp.NEW)
    return cp.read(cur, projection.name, projection.version)
