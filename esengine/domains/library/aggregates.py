"""A library's books and members, with the rules of its loans: a book is lent to one member at a time, a loan
runs ``LOAN_DAYS`` and can be renewed twice unless it is late, a late return costs ``FINE_PER_DAY`` per day,
and a member who owes more than ``FINE_LIMIT`` or holds ``MAX_LOANS`` books borrows nothing more."""
from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel

from esengine.core.aggregate import Aggregate, applies
from esengine.domains.library import events as ev

LOAN_DAYS = 14
MAX_RENEWALS = 2
FINE_PER_DAY = 0.50
FINE_LIMIT = 5.00
MAX_LOANS = 3


class BookState(BaseModel):
    title: str = ""
    author: str = ""
    member_id: str | None = None  # who has it now (None: on the shelf)
    due_on: date | None = None
    renewals: int = 0
    times_lent: int = 0


class Book(Aggregate):
    aggregate_type = "book"
    State = BookState
    state: BookState

    @classmethod
    def register(cls, book_id: str, title: str, author: str) -> Book:
        book = cls(book_id)
        book.raise_event(ev.BookRegistered(book_id=book_id, title=title, author=author))
        return book

    def lend(self, member_id: str, lent_on: date, due_on: date) -> None:
        self.check_rule(self.state.member_id is None, "a book on loan cannot be lent",
                        f"“{self.state.title}” is on loan until {self.state.due_on}: it cannot be lent again before "
                        "it is returned.")
        self.raise_event(ev.BookLent(book_id=self.id, member_id=member_id, lent_on=lent_on, due_on=due_on))

    def renew(self, today: date) -> None:
        self._on_loan("renewed")
        due = self.state.due_on or today
        self.check_rule(today <= due, "a late loan cannot be renewed",
                        f"This loan was due on {due}: a late book cannot be renewed. Return it.")
        self.check_rule(self.state.renewals < MAX_RENEWALS, f"a loan is renewed at most {MAX_RENEWALS} times",
                        f"This loan was renewed {self.state.renewals} times already, the most allowed.")
        self.raise_event(ev.LoanRenewed(book_id=self.id, renewed_on=today, due_on=due + timedelta(days=LOAN_DAYS)))

    def give_back(self, today: date) -> ev.BookReturned:
        """The book comes back ``today``; returns the event, whose fine the member is charged."""
        self._on_loan("returned")
        late = max(0, (today - (self.state.due_on or today)).days)
        returned = ev.BookReturned(book_id=self.id, member_id=self.state.member_id or "", returned_on=today,
                                   days_late=late, fine=round(late * FINE_PER_DAY, 2))
        self.raise_event(returned)
        return returned

    def _on_loan(self, what: str) -> None:
        self.check_rule(self.state.member_id is not None, f"only a book on loan is {what}",
                        f"“{self.state.title}” is on the shelf, not on loan: it cannot be {what}.")

    @applies(ev.BookRegistered)
    def _registered(self, e: ev.BookRegistered) -> None:
        self.state.title, self.state.author = e.title, e.author

    @applies(ev.BookLent)
    def _lent(self, e: ev.BookLent) -> None:
        self.state.member_id, self.state.due_on, self.state.renewals = e.member_id, e.due_on, 0
        self.state.times_lent += 1

    @applies(ev.LoanRenewed)
    def _renewed(self, e: ev.LoanRenewed) -> None:
        self.state.due_on, self.state.renewals = e.due_on, self.state.renewals + 1

    @applies(ev.BookReturned)
    def _returned(self, e: ev.BookReturned) -> None:
        self.state.member_id, self.state.due_on, self.state.renewals = None, None, 0


class MemberState(BaseModel):
    name: str = ""
    books: list[str] = []  # on loan now
    fines_due: float = 0.0


class Member(Aggregate):
    aggregate_type = "member"
    State = MemberState
    state: MemberState

    @classmethod
    def join(cls, member_id: str, name: str) -> Member:
        member = cls(member_id)
        member.raise_event(ev.MemberJoined(member_id=member_id, name=name))
        return member

    def borrow(self, book_id: str, due_on: date) -> None:
        self.check_rule(self.state.fines_due <= FINE_LIMIT, f"a member owing more than {FINE_LIMIT:.2f} € borrows "
                        "nothing", f"{self.state.name} owes {self.state.fines_due:.2f} € in fines, more than "
                        f"{FINE_LIMIT:.2f} €: pay the fines first.")
        self.check_rule(len(self.state.books) < MAX_LOANS, f"a member holds at most {MAX_LOANS} books",
                        f"{self.state.name} already has {len(self.state.books)} books at home, the most allowed.")
        self.raise_event(ev.BookBorrowed(member_id=self.id, book_id=book_id, due_on=due_on))

    def bring_back(self, book_id: str, fine: float) -> None:
        self.raise_event(ev.BookBroughtBack(member_id=self.id, book_id=book_id, fine=fine))

    def pay(self, amount: float) -> None:
        self.check_rule(self.state.fines_due > 0, "only fines that are due are paid",
                        f"{self.state.name} owes nothing.")
        self.check_rule(round(amount, 2) <= round(self.state.fines_due, 2), "nobody pays more than is due",
                        f"{self.state.name} owes {self.state.fines_due:.2f} €, less than {amount:.2f} €.")
        self.raise_event(ev.FinePaid(member_id=self.id, amount=amount))

    @applies(ev.MemberJoined)
    def _joined(self, e: ev.MemberJoined) -> None:
        self.state.name = e.name

    @applies(ev.BookBorrowed)
    def _borrowed(self, e: ev.BookBorrowed) -> None:
        self.state.books = [*self.state.books, e.book_id]

    @applies(ev.BookBroughtBack)
    def _brought_back(self, e: ev.BookBroughtBack) -> None:
        self.state.books = [b for b in self.state.books if b != e.book_id]
        self.state.fines_due = round(self.state.fines_due + e.fine, 2)

    @applies(ev.FinePaid)
    def _paid(self, e: ev.FinePaid) -> None:
        self.state.fines_due = round(self.state.fines_due - e.amount, 2)
