"""esengine: a small CQRS and event-sourcing engine whose event store is a DuckDB database.

Start with :class:`esengine.engine.Engine`; ``python -m esengine --help`` lists the command line.
Everything a domain needs (see ``docs/your-own-domain.md``, ``esengine/domains/library`` and
``esengine/domains/orders``) is importable from here: events, aggregates, commands, handlers' helpers,
queries, projections, snapshots, rule checks for what-if, form hints and the errors.
"""
from esengine.application.buses import CommandScope
from esengine.application.context import CommandContext
from esengine.application.fields import ExpectedVersion, StreamRef, load_for_command
from esengine.application.messages import Command, Query, rounded
from esengine.core.aggregate import Aggregate, applies
from esengine.core.events import DomainEvent, NewEvent, StoredEvent
from esengine.core.snapshots import SnapshotPolicy
from esengine.engine import Engine, default_db_path, default_domains, load_domain
from esengine.errors import (ConcurrencyError, DomainRuleViolation, EsEngineError, NotFound, QueryRejected,
                             StoreUnavailable, UnknownDomain, ValidationError, WrongStreamType)
from esengine.projections.base import Projection, ReadModelTable, RowSet, handles
from esengine.forms.hints import FormHints, StreamPicker
from esengine.projections.runner import ASYNC, INLINE
from esengine.timetravel.rules import RuleBook, RuleCheck

__all__ = ["Engine", "default_db_path", "default_domains", "load_domain",
           "Aggregate", "applies", "DomainEvent", "NewEvent", "StoredEvent", "SnapshotPolicy",
           "Command", "Query", "CommandScope", "CommandContext", "rounded", "StreamRef", "ExpectedVersion",
           "load_for_command", "RuleBook", "RuleCheck", "FormHints", "StreamPicker",
           "Projection", "ReadModelTable", "RowSet", "handles", "INLINE", "ASYNC",
           "EsEngineError", "ConcurrencyError", "DomainRuleViolation", "ValidationError", "NotFound",
           "WrongStreamType", "QueryRejected", "StoreUnavailable", "UnknownDomain"]
