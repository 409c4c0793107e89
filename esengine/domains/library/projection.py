"""The library's read model of loans (inline): every book with where it is, every member with what they owe,
and every loan from lending to return, with its fine."""
from __future__ import annotations

from typing import Any
from collections.abc import Iterable

from esengine.core.events import StoredEvent
from esengine.projections.base import Projection, ReadModelTable, RowSet, handles

BOOKS = ReadModelTable("books", "id", (
    ("id", "VARCHAR"), ("title", "VARCHAR"), ("author", "VARCHAR"), ("status", "VARCHAR"), ("member_id", "VARCHAR"),
    ("due_on", "DATE"), ("loan", "VARCHAR"), ("times_lent", "BIGINT")))
MEMBERS = ReadModelTable("members", "id", (
    ("id", "VARCHAR"), ("name", "VARCHAR"), ("books_at_home", "BIGINT"), ("fines_due", "DOUBLE"),
    ("fines_paid", "DOUBLE")))
LOANS = ReadModelTable("loans", "id", (
    ("id", "VARCHAR"), ("book_id", "VARCHAR"), ("title", "VARCHAR"), ("member_id", "VARCHAR"),
    ("member_name", "VARCHAR"), ("lent_on", "DATE"), ("due_on", "DATE"), ("renewals", "BIGINT"),
    ("returned_on", "DATE"), ("days_late", "BIGINT"), ("fine", "DOUBLE")))


def loan_id(event: StoredEvent) -> str:
    """A loan is named by its book and the version of the book's ``BookLent`` event."""
    return f"{event.stream_id}@{event.version}"


class LoansProjection(Projection):
    """Books, members and loans, kept in the command's own transaction."""

    name = "loans"
    version = 1
    description = "Where each book is, what each member owes, and every loan with its due date and fine."
    tables = (BOOKS, MEMBERS, LOANS)

    def keys(self, event: StoredEvent) -> dict[str, Iterable[Any]]:
        d = event.data
        if event.stream_type == "member":
            return {"members": [event.stream_id]}
        keys: dict[str, Iterable[Any]] = {"books": [event.stream_id]}
        if event.event_type == "BookLent":
            keys |= {"members": [d["member_id"]], "loans": [loan_id(event)]}
        return keys

    @handles("BookRegistered")
    def _registered(self, e: StoredEvent, rows: RowSet) -> None:
        rows.put("books", {"id": e.stream_id, "title": e.data["title"], "author": e.data["author"],
                           "status": "on the shelf", "member_id": None, "due_on": None, "loan": None, "times_lent": 0})

    @handles("MemberJoined")
    def _joined(self, e: StoredEvent, rows: RowSet) -> None:
        rows.put("members", {"id": e.stream_id, "name": e.data["name"], "books_at_home": 0, "fines_due": 0.0,
                             "fines_paid": 0.0})

    @handles("BookLent")
    def _lent(self, e: StoredEvent, rows: RowSet) -> None:
        book, member = rows.get("books", e.stream_id) or {}, rows.get("members", e.data["member_id"]) or {}
        rows.put("books", {**book, "status": "on loan", "member_id": e.data["member_id"], "due_on": e.data["due_on"],
                           "loan": loan_id(e), "times_lent": (book.get("times_lent") or 0) + 1})
        rows.put("loans", {"id": loan_id(e), "book_id": e.stream_id, "title": book.get("title"),
                           "member_id": e.data["member_id"], "member_name": member.get("name"),
                           "lent_on": e.data["lent_on"], "due_on": e.data["due_on"], "renewals": 0,
                           "returned_on": None, "days_late": None, "fine": None})

    @handles("LoanRenewed")
    def _renewed(self, e: StoredEvent, rows: RowSet) -> None:
        book = rows.get("books", e.stream_id) or {}
        rows.put("books", {**book, "due_on": e.data["due_on"]})
        if loan := rows.get("loans", book.get("loan")):
            rows.put("loans", {**loan, "due_on": e.data["due_on"], "renewals": loan["renewals"] + 1})

    @handles("BookReturned")
    def _returned(self, e: StoredEvent, rows: RowSet) -> None:
        book = rows.get("books", e.stream_id) or {}
        rows.put("books", {**book, "status": "on the shelf", "member_id": None, "due_on": None, "loan": None})
        if loan := rows.get("loans", book.get("loan")):
            rows.put("loans", {**loan, "returned_on": e.data["returned_on"], "days_late": e.data["days_late"],
                               "fine": e.data["fine"]})

    @handles("BookBorrowed")
    @handles("BookBroughtBack")
    @handles("FinePaid")
    def _member(self, e: StoredEvent, rows: RowSet) -> None:
        member = rows.get("members", e.stream_id) or {"id": e.stream_id, "books_at_home": 0, "fines_due": 0.0,
                                                      "fines_paid": 0.0}
        home, due, paid = member["books_at_home"], member["fines_due"], member["fines_paid"]
        if e.event_type == "BookBorrowed":
            home += 1
        elif e.event_type == "BookBroughtBack":
            home, due = home - 1, round(due + e.data["fine"], 2)
        else:
            due, paid = round(due - e.data["amount"], 2), round(paid + e.data["amount"], 2)
        rows.put("members", {**member, "books_at_home": home, "fines_due": due, "fines_paid": paid})
