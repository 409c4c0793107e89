"""The library's command handlers: load, act, save. Lending and returning change a book and a member in one
command, so both streams are written in one transaction or neither is."""
from __future__ import annotations

from datetime import date, timedelta

from esengine.application.buses import CommandScope
from esengine.application.fields import load_for_command as _load
from esengine.core.events import utcnow
from esengine.domains.library import commands as c
from esengine.domains.library.aggregates import Book, Member


def _today(scope: CommandScope) -> date:
    return (scope.context.occurred_at or utcnow()).date()


def register_book(cmd: c.RegisterBook, scope: CommandScope) -> str:
    book = Book.register(scope.context.new_stream_id("book"), cmd.book_title, cmd.author)
    scope.save(book)
    return book.id


def join_library(cmd: c.JoinLibrary, scope: CommandScope) -> str:
    member = Member.join(scope.context.new_stream_id("member"), cmd.name)
    scope.save(member)
    return member.id


def lend_book(cmd: c.LendBook, scope: CommandScope) -> str:
    book, member = _load(scope, "book", cmd.book_id), _load(scope, "member", cmd.member_id)
    today = _today(scope)
    due = today + timedelta(days=cmd.days)
    book.lend(member.id, today, due)
    member.borrow(book.id, due)
    scope.save(book)
    scope.save(member)
    return book.id


def return_book(cmd: c.ReturnBook, scope: CommandScope) -> str:
    book = _load(scope, "book", cmd.book_id, cmd.expected_version)
    returned = book.give_back(_today(scope))
    member = _load(scope, "member", returned.member_id)
    member.bring_back(book.id, returned.fine)
    scope.save(book)
    scope.save(member)
    return book.id


def renew_loan(cmd: c.RenewLoan, scope: CommandScope) -> str:
    book = _load(scope, "book", cmd.book_id, cmd.expected_version)
    book.renew(_today(scope))
    scope.save(book)
    return book.id


def pay_fine(cmd: c.PayFine, scope: CommandScope) -> str:
    member = _load(scope, "member", cmd.member_id, cmd.expected_version)
    member.pay(cmd.amount)
    scope.save(member)
    return member.id


HANDLERS = {c.RegisterBook: register_book, c.JoinLibrary: join_library, c.LendBook: lend_book,
            c.ReturnBook: return_book, c.RenewLoan: renew_loan, c.PayFine: pay_fine}
