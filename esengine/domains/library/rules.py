"""The library's rules for what-if replay: the command method that decides each event, again."""
from __future__ import annotations

from esengine.domains.library.aggregates import Book, Member
from esengine.timetravel.rules import RuleBook


def register_rules(rules: RuleBook) -> None:
    """Tell what-if which command method raises each decided event of books and members."""
    rules.register(Book, "BookLent", lambda b, e: b.lend(e.member_id, e.lent_on, e.due_on))
    rules.register(Book, "LoanRenewed", lambda b, e: b.renew(e.renewed_on))
    rules.register(Book, "BookReturned", lambda b, e: b.give_back(e.returned_on))
    rules.register(Member, "BookBorrowed", lambda m, e: m.borrow(e.book_id, e.due_on))
    rules.register(Member, "FinePaid", lambda m, e: m.pay(e.amount))
