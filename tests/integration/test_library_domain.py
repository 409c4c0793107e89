"""The library domain through the real engine: loans over two streams in one command, fines in the read model,
refusals by its rules, what-if with its own rules, and its demo beside the Orders one."""
from datetime import datetime, timedelta

import pytest

from esengine import DomainRuleViolation, Engine
from esengine.application.context import CommandContext
from esengine.domains.library.aggregates import FINE_PER_DAY
from esengine.domains.library.queries import ListLoans
from esengine.forms import reference_options, stream_summary
from esengine.timetravel import state_at, what_if

START = datetime(2026, 3, 2, 10)


@pytest.fixture
def library(tmp_path):
    with Engine(tmp_path / "library.duckdb", domains=("library",)) as engine:
        yield engine


def send(engine, command: str, day: int = 0, **payload):
    return engine.commands.submit(command, payload, CommandContext(user_id="desk",
                                                                   occurred_at=START + timedelta(days=day)))


def test_a_late_return_fines_the_member_and_the_read_model_shows_the_loan(library):
    book = send(library, "RegisterBook", book_title="Emma", author="Jane Austen").value
    member = send(library, "JoinLibrary", name="Ada Quist").value
    lent = send(library, "LendBook", book_id=book, member_id=member, days=14)
    assert {e.stream_id for e in lent.events} == {book, member}  # one command, two streams
    send(library, "ReturnBook", 20, book_id=book)
    loans = library.queries.ask(ListLoans(member_id=member))
    assert [(r["title"], r["days_late"], r["fine"]) for r in loans] == [("Emma", 6, 6 * FINE_PER_DAY)]
    assert "owes 3.00 €" in next(o.label for o in reference_options(library, "member") if o.id == member)
    assert "on the shelf" in stream_summary(library, "book", book).sentence


def test_a_book_on_loan_is_refused_to_another_member_and_nothing_is_written(library):
    book = send(library, "RegisterBook", book_title="Solaris", author="Stanisław Lem").value
    ada, ben = (send(library, "JoinLibrary", name=n).value for n in ("Ada", "Ben"))
    send(library, "LendBook", book_id=book, member_id=ada)
    before = library.store.last_position()
    with pytest.raises(DomainRuleViolation, match="on loan until"):
        send(library, "LendBook", 1, book_id=book, member_id=ben)
    assert library.store.last_position() == before
    assert state_at(library, ben).state["books"] == []


def test_what_if_the_fine_had_not_been_paid_the_next_loan_is_refused(library):
    books = [send(library, "RegisterBook", book_title=t, author="A").value for t in ("One", "Two")]
    member = send(library, "JoinLibrary", name="Finn").value
    send(library, "LendBook", book_id=books[0], member_id=member, days=7)
    send(library, "ReturnBook", 20, book_id=books[0])  # 13 days late: 6.50 € owed, above the limit
    send(library, "PayFine", 20, member_id=member, amount=6.5)
    send(library, "LendBook", 21, book_id=books[1], member_id=member)
    paid = next(v for v, e in enumerate(library.store.get_events(member), 1) if e.event_type == "FinePaid")
    result = what_if(library, member, skip=[paid])
    assert result.rules_checked
    assert [(b.event_type, b.rule) for b in result.breaks] == [
        ("BookBorrowed", "a member owing more than 5.00 € borrows nothing")]
    assert result.alternative["fines_due"] == 6.5 and result.alternative["books"] == []


def test_orders_and_library_side_by_side_each_write_their_demo(tmp_path):
    with Engine(tmp_path / "both.duckdb", domains=("orders", "library")) as engine:
        engine.write_demo(events=400, seed=3, days=10, end=datetime(2026, 6, 1))
        types = set(engine.store.cursor().execute("SELECT DISTINCT stream_type FROM events").fetchall())
        assert {("order",), ("book",), ("member",)} <= types
        assert {"orders", "daily_sales", "loans"} <= set(engine.projections.registered)
