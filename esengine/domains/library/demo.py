"""A small library history written through the real command handlers: members join, books are lent, renewed
and returned (some late, earning fines), fines are paid, and some loans are refused by the rules."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, UTC

from esengine.application.context import CommandContext
from esengine.application.messages import Command
from esengine.domains.library import commands as c
from esengine.errors import EsEngineError

TITLES = (("Emma", "Jane Austen"), ("Middlemarch", "George Eliot"), ("The Trial", "Franz Kafka"),
          ("Dubliners", "James Joyce"), ("Beloved", "Toni Morrison"), ("Solaris", "Stanisław Lem"),
          ("Ficciones", "Jorge Luis Borges"), ("Kindred", "Octavia E. Butler"), ("Walden", "Henry David Thoreau"),
          ("Persuasion", "Jane Austen"), ("The Leopard", "Giuseppe Tomasi di Lampedusa"), ("Nana", "Émile Zola"))
NAMES = ("Ada Quist", "Ben Okafor", "Chloé Martin", "Dev Patel", "Eva Rossi", "Finn Berg", "Gul Demir", "Hana Sato")
EVENTS_PER_LOAN = 5  # lent + borrowed, returned + brought back, now and then a renewal or a payment


def write_library_demo(engine, events: int = 2_000, seed: int = 7, days: int = 90,
                       end: datetime | None = None) -> None:
    """About ``events`` events over ``days`` days up to ``end`` (default: midnight UTC today; naive UTC)."""
    rng = random.Random(seed)
    end = end or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    start = end - timedelta(days=days)

    def send(command: Command, day: int) -> str | None:
        context = CommandContext(user_id="librarian", occurred_at=start + timedelta(days=day, hours=rng.uniform(9, 18)))
        try:
            return engine.commands.dispatch(command, context).value
        except EsEngineError:
            return None  # refused by a rule (a member owing too much, a book already lent): logged as refused

    loans = max(1, events // EVENTS_PER_LOAN)
    copies = max(1, round(loans * 15 / (days * len(TITLES))))  # enough books for the loans to happen
    with engine.batch():
        books = [send(c.RegisterBook(book_title=t, author=a), 0) for t, a in TITLES for _ in range(copies)]
        members = [send(c.JoinLibrary(name=n), 0) for n in NAMES for _ in range(copies)]
        _days(engine, send, rng, [b for b in books if b], [m for m in members if m], days, loans)


def _days(engine, send, rng: random.Random, books: list[str], members: list[str], days: int, loans: int) -> None:
    out: dict[str, tuple[str, int]] = {}  # book -> (member, day it comes back)
    per_day = max(1, loans // max(1, days - 1))
    for day in range(1, days):
        for book, (member, back) in list(out.items()):
            if back == day:
                send(c.ReturnBook(book_id=book), day)
                del out[book]
                owed = engine.repository("member").load(member).state.fines_due
                if owed > 0 and rng.random() < 0.6:
                    send(c.PayFine(member_id=member, amount=owed), day)
            elif back > day and rng.random() < 0.02:
                send(c.RenewLoan(book_id=book), day)
        shelf = [b for b in books if b not in out]
        for _ in range(per_day):
            # now and then a book that is out: refused, as a desk would refuse it
            book = rng.choice(books if rng.random() < 0.05 or not shelf else shelf)
            member = rng.choice(members)
            if send(c.LendBook(book_id=book, member_id=member, days=14), day) and book not in out:
                out[book] = (member, day + rng.choice([7, 10, 14, 14, 14, 16, 20, 30]))  # some come back late
                if book in shelf:
                    shelf.remove(book)
