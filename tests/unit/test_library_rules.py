"""The library's rules, on its aggregates alone: what a desk would refuse, and the fines it charges."""
from datetime import date, timedelta

import pytest

from esengine import DomainRuleViolation
from esengine.domains.library.aggregates import FINE_LIMIT, FINE_PER_DAY, MAX_LOANS, Book, Member

MONDAY = date(2026, 3, 2)


def a_book() -> Book:
    book = Book.register("book-1", "Emma", "Jane Austen")
    book.clear_uncommitted_events()
    return book


def a_member(name: str = "Ada") -> Member:
    member = Member.join("member-1", name)
    member.clear_uncommitted_events()
    return member


def test_a_book_already_on_loan_cannot_be_lent():
    book = a_book()
    book.lend("member-1", MONDAY, MONDAY + timedelta(days=14))
    with pytest.raises(DomainRuleViolation) as refused:
        book.lend("member-2", MONDAY, MONDAY + timedelta(days=14))
    assert refused.value.rule == "a book on loan cannot be lent"
    assert "Emma" in str(refused.value) and "returned" in str(refused.value)


def test_a_late_return_is_fined_per_day_and_an_early_one_is_not():
    book = a_book()
    book.lend("member-1", MONDAY, MONDAY + timedelta(days=14))
    assert book.give_back(MONDAY + timedelta(days=10)).fine == 0
    book.lend("member-1", MONDAY, MONDAY + timedelta(days=14))
    late = book.give_back(MONDAY + timedelta(days=17))
    assert (late.days_late, late.fine) == (3, 3 * FINE_PER_DAY)
    assert book.state.member_id is None


def test_a_book_on_the_shelf_cannot_be_returned_or_renewed():
    book = a_book()
    for action in (lambda: book.give_back(MONDAY), lambda: book.renew(MONDAY)):
        with pytest.raises(DomainRuleViolation, match="on the shelf"):
            action()


def test_a_loan_is_renewed_twice_at_most_and_never_when_late():
    book = a_book()
    book.lend("member-1", MONDAY, MONDAY + timedelta(days=14))
    book.renew(MONDAY + timedelta(days=1))
    book.renew(MONDAY + timedelta(days=2))
    assert book.state.due_on == MONDAY + timedelta(days=42)
    with pytest.raises(DomainRuleViolation, match="renewed 2 times"):
        book.renew(MONDAY + timedelta(days=3))
    late = a_book()
    late.lend("member-1", MONDAY, MONDAY + timedelta(days=14))
    with pytest.raises(DomainRuleViolation, match="late book cannot be renewed"):
        late.renew(MONDAY + timedelta(days=15))


def test_a_member_owing_more_than_the_limit_borrows_nothing_until_they_pay():
    member = a_member()
    member.borrow("book-1", MONDAY)
    member.bring_back("book-1", FINE_LIMIT + 0.5)
    with pytest.raises(DomainRuleViolation, match="pay the fines first"):
        member.borrow("book-2", MONDAY)
    member.pay(1.0)
    member.borrow("book-2", MONDAY)
    assert member.state.books == ["book-2"] and member.state.fines_due == FINE_LIMIT - 0.5


def test_a_member_holds_a_limited_number_of_books():
    member = a_member()
    for i in range(MAX_LOANS):
        member.borrow(f"book-{i}", MONDAY)
    with pytest.raises(DomainRuleViolation, match=f"already has {MAX_LOANS} books"):
        member.borrow("book-9", MONDAY)


def test_nobody_pays_more_than_is_due_or_what_is_not_due():
    member = a_member()
    with pytest.raises(DomainRuleViolation, match="owes nothing"):
        member.pay(1.0)
    member.bring_back("book-1", 2.0)
    with pytest.raises(DomainRuleViolation, match="owes 2.00 €, less than 3.00 €"):
        member.pay(3.0)
