"""esengine: a small CQRS and event-sourcing engine whose event store is a DuckDB database.

Start with :class:`esengine.engine.Engine`; ``python -m esengine --help`` lists the command line.
"""
from esengine.engine import Engine, default_db_path
from esengine.errors import (ConcurrencyError, DomainRuleViolation, EsEngineError, NotFound, QueryRejected,
                             ValidationError)

__all__ = ["Engine", "default_db_path", "EsEngineError", "ConcurrencyError", "DomainRuleViolation",
           "ValidationError", "NotFound", "QueryRejected"]
