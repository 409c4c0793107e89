"""The library's commands (verbs). Field limits and descriptions also drive the app's forms."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field

from esengine.application.fields import ExpectedVersion, StreamRef
from esengine.application.messages import Command, rounded



class RegisterBook(Command):
    title = "Register a book"
    book_title: str = Field(min_length=1, max_length=200, description="The book's title")
    author: str = Field(min_length=1, max_length=100, description="Who wrote it")


class JoinLibrary(Command):
    title = "Join the library"
    name: str = Field(min_length=1, max_length=100, description="The member's full name")


class LendBook(Command):
    title = "Lend a book"
    book_id: StreamRef
    member_id: StreamRef
    days: int = Field(default=14, ge=1, le=28, description="How many days the loan runs, 1 to 28")


class ReturnBook(Command):
    title = "Return a book"
    book_id: StreamRef
    expected_version: ExpectedVersion = None


class RenewLoan(Command):
    title = "Renew a loan"
    book_id: StreamRef
    expected_version: ExpectedVersion = None


class PayFine(Command):
    title = "Pay a fine"
    member_id: StreamRef
    amount: Annotated[float, rounded(2), Field(gt=0, le=1000, description="In euros, at most what is due")]
    expected_version: ExpectedVersion = None


ALL_COMMANDS = (RegisterBook, JoinLibrary, LendBook, ReturnBook, RenewLoan, PayFine)
