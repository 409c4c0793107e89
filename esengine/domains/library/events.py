"""The library's events (past tense): books lent and returned, members who borrow, late fines and their payment."""
from __future__ import annotations

from datetime import date

from esengine.core.events import DomainEvent


class BookRegistered(DomainEvent):
    book_id: str
    title: str
    author: str


class BookLent(DomainEvent):
    book_id: str
    member_id: str
    lent_on: date
    due_on: date


class LoanRenewed(DomainEvent):
    book_id: str
    renewed_on: date
    due_on: date


class BookReturned(DomainEvent):
    book_id: str
    member_id: str
    returned_on: date
    days_late: int
    fine: float


class MemberJoined(DomainEvent):
    member_id: str
    name: str


class BookBorrowed(DomainEvent):
    """On the member's stream: the member took a book home (its ``BookLent`` is on the book's stream)."""

    member_id: str
    book_id: str
    due_on: date


class BookBroughtBack(DomainEvent):
    """On the member's stream: a book came back, with the fine it earned (0 when on time)."""

    member_id: str
    book_id: str
    fine: float


class FinePaid(DomainEvent):
    member_id: str
    amount: float


ALL_EVENTS = (BookRegistered, BookLent, LoanRenewed, BookReturned, MemberJoined, BookBorrowed, BookBroughtBack,
              FinePaid)
