"""A small library's book loans: books and members, due dates, renewals, fines for late returns.

The second built-in example domain (``ESENGINE_DOMAINS=library`` or ``orders,library``), small and unlike
Orders: a loan changes two streams (the book and the member) in one command, and time matters (due dates).
"""
from __future__ import annotations

from esengine.core.snapshots import SnapshotPolicy
from esengine.domains.library import events
from esengine.domains.library.aggregates import Book, Member
from esengine.domains.library.demo import write_library_demo
from esengine.domains.library.forms import register_hints
from esengine.domains.library.handlers import HANDLERS
from esengine.domains.library.projection import LoansProjection
from esengine.domains.library.queries import ListLoans, LoanQueries
from esengine.domains.library.rules import register_rules


def register(engine) -> None:
    """Wire the library into an engine: events, aggregates, handlers, the loans read model, a query, the rules
    for what-if, the form hints and a demo history."""
    engine.registry.register(*events.ALL_EVENTS)
    engine.add_aggregate(Book, SnapshotPolicy(50))
    engine.add_aggregate(Member, SnapshotPolicy(50))
    for command_cls, handler in HANDLERS.items():
        engine.commands.register(command_cls, handler)
    engine.projections.register(LoansProjection())
    engine.queries.register(ListLoans, LoanQueries(engine.store, engine.projections).list_loans)
    register_rules(engine.rules)
    register_hints(engine.forms)
    engine.add_demo("library", write_library_demo)
