"""The library's form hints: pickers of books and members from the loans read model, each stream's state in
words, and what a colleague does next to a book (the conflict demonstration)."""
from __future__ import annotations

from typing import Any

from esengine.domains.library.aggregates import BookState, MemberState
from esengine.forms.hints import FormHints, StreamPicker
from esengine.forms.references import reference_options

PICKERS = (
    StreamPicker("book", "loans", "books", "title || ' · ' || author || ' · ' || status || ' · ' || id", "title, id",
                 search_hint="part of a title, an author, a status or an id: Austen, on loan, book-3"),
    StreamPicker("member", "loans", "members", "name || ' · owes ' || printf('%.2f', fines_due) || ' € · ' || id",
                 "name, id", search_hint="part of a name or an id"),
)


def book_phrase(state: BookState) -> str:
    where = f"**on loan** to `{state.member_id}` until **{state.due_on}**" if state.member_id else "**on the shelf**"
    return f"“{state.title}”, {where}"


def member_phrase(state: MemberState) -> str:
    return f"{state.name}, with **{len(state.books)}** book(s) at home, owing **{state.fines_due:.2f} €**"


def next_step(engine, book_id: str) -> tuple[str, dict[str, Any]]:
    """A colleague at the desk: a book on the shelf is lent to the first member, a book on loan is renewed."""
    state = engine.repository("book").load(book_id).state
    if state.member_id:
        return "RenewLoan", {"book_id": book_id}
    members = reference_options(engine, "member", limit=1)
    return "LendBook", {"book_id": book_id, "member_id": members[0].id if members else ""}


def register_hints(hints: FormHints) -> None:
    for picker in PICKERS:
        hints.pick(picker)
    hints.phrase("book", book_phrase)
    hints.phrase("member", member_phrase)
    hints.next_step("book", next_step)
