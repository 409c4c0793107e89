"""esengine: a small CQRS and event-sourcing engine whose event store is a DuckDB database.

Start with :class:`esengine.engine.Engine`; ``python -m esengine --help`` lists the command line.
Everything a domain needs (see ``docs/your-own-domain.md`` and ``esengine/domains/orders``) is importable
from here: events, aggregates, commands, queries, projections, snapshots and the errors.
"""
from esengine.application.buses import CommandScope
from esengine.application.messages import Command, Query, rounded
from esengine.core.aggregate import Aggregate, applies
from esengine.core.events import DomainEvent, NewEvent, StoredEvent
from esengine.core.snapshots import SnapshotPolicy
from esengine.engine import Engine, default_db_path, default_domains, load_domain
from esengine.errors import (ConcurrencyError, DomainRuleViolation, EsEngineError, NotFound, QueryRejected,
                             StoreUnavailable, UnknownDomain, ValidationError, WrongStreamType)
from esengine.projections.base import Projection, ReadModelTable, RowSet, handles
from esengine.projections.runner import ASYNC, INLINE

__all__ = ["Engine", "default_db_path", "default_domains", "load_domain",
           "Aggregate", "applies", "DomainEvent", "NewEvent", "StoredEvent", "SnapshotPolicy",
           "Command", "Query", "CommandScope", "rounded",
           "Projection", "ReadModelTable", "RowSet", "handles", "INLINE", "ASYNC",
           "EsEngineError", "ConcurrencyError", "DomainRuleViolation", "ValidationError", "NotFound",
           "WrongStreamType", "QueryRejected", "StoreUnavailable", "UnknownDomain"]
