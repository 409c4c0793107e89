"""The condition language's grammar: text in, a small tree out, by recursive descent (nothing is evaluated).

    condition  := either ("or" either)*
    either     := negation ("and" negation)*           # named for what binds tighter than "or"
    negation   := "not" negation | comparison
    comparison := operand ("==" | "!=" | "<" | "<=" | ">" | ">=") operand | "(" condition ")"
    operand    := number | "string" | true | false | null | field | len(field) | "-" number
    field      := name ("." name)*                     # name: letters, digits and _, not starting with a digit

``=`` is read as ``==``; ``True``/``False``/``None`` as ``true``/``false``/``null``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from esengine.errors import ConditionError

MAX_LENGTH = 2_000
MAX_DEPTH = 50
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"\d+(\.\d+)?([eE][+-]?\d+)?")
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "=")
_WORDS = {"true": True, "True": True, "false": False, "False": False, "null": None, "None": None}
KEYWORDS = {"and", "or", "not", "len", *_WORDS}


@dataclass(frozen=True)
class Field:
    path: tuple[str, ...]

    def __str__(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Length:
    field: Field


@dataclass(frozen=True)
class Literal:
    value: float | int | str | bool | None


Operand = Field | Length | Literal


@dataclass(frozen=True)
class Compare:
    op: str
    left: Operand
    right: Operand


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Logic:
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


Node = Compare | Not | Logic


@dataclass(frozen=True)
class Token:
    kind: str  # name, number, string, op, ( ) , end
    text: str
    position: int
    value: object = None


def tokens(text: str) -> list[Token]:
    """The condition's tokens; ``ConditionError`` at the first character that is none."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append(Token(ch, ch, i))
            i += 1
        elif ch in "\"'":
            i = _string(text, i, out)
        elif m := _NUMBER.match(text, i):
            value = float(m.group()) if m.group(1) or m.group(2) else int(m.group())
            out.append(Token("number", m.group(), i, value))
            i = m.end()
        elif m := NAME.match(text, i):
            out.append(Token("name", m.group(), i))
            i = m.end()
        elif op := next((o for o in _OPERATORS if text.startswith(o, i)), None):
            out.append(Token("op", "==" if op == "=" else op, i))
            i += len(op)
        elif ch in ".-":
            out.append(Token(ch, ch, i))
            i += 1
        else:
            hint = " (write `and`, `or`, `not`)" if ch in "&|!" else ""
            raise ConditionError(f"'{ch}' is not part of the condition language{hint}", text, i)
    out.append(Token("end", "", len(text)))
    return out


def _string(text: str, start: int, out: list[Token]) -> int:
    quote, i, chars = text[start], start + 1, []
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "\\\"'":
            chars.append(text[i + 1])
            i += 2
        elif ch == quote:
            out.append(Token("string", text[start:i + 1], start, "".join(chars)))
            return i + 1
        else:
            chars.append(ch)
            i += 1
    raise ConditionError(f"the text starting here has no closing {quote}", text, start)


class _Parser:
    def __init__(self, text: str):
        self.text, self.items, self.at, self.depth = text, tokens(text), 0, 0

    @property
    def token(self) -> Token:
        return self.items[self.at]

    def fail(self, message: str, token: Token | None = None) -> ConditionError:
        token = token or self.token
        found = "the end of the condition" if token.kind == "end" else f"'{token.text}'"
        return ConditionError(message.replace("{found}", found), self.text, token.position)

    def take(self, kind: str, text: str | None = None) -> Token | None:
        t = self.token
        if t.kind == kind and (text is None or t.text == text):
            self.at += 1
            return t
        return None

    def condition(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"the condition nests deeper than {MAX_DEPTH} levels")
        parts = [self.either()]
        while self.take("name", "or"):
            parts.append(self.either())
        self.depth -= 1
        return parts[0] if len(parts) == 1 else Logic("or", tuple(parts))

    def either(self) -> Node:
        parts = [self.negation()]
        while self.take("name", "and"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else Logic("and", tuple(parts))

    def negation(self) -> Node:
        if self.take("name", "not"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.fail(f"the condition nests deeper than {MAX_DEPTH} levels")
            inner = self.negation()
            self.depth -= 1
            return Not(inner)
        return self.comparison()

    def comparison(self) -> Node:
        if self.take("("):
            inner = self.condition()
            if not self.take(")"):
                raise self.fail("expected ')' to close the '(' here, found {found}")
            return inner
        left = self.operand()
        op = self.take("op")
        if op is None:
            raise self.fail("expected a comparison (==, !=, <, <=, >, >=) after the value, found {found}; "
                            "a condition compares, e.g. `paid == true`")
        return Compare(op.text, left, self.operand())

    def operand(self) -> Operand:
        t = self.token
        if self.take("number"):
            return Literal(t.value)  # type: ignore[arg-type]
        if self.take("-"):
            number = self.take("number")
            if number is None:
                raise self.fail("expected a number after '-', found {found}")
            return Literal(-number.value)  # type: ignore[operator]
        if self.take("string"):
            return Literal(t.value)  # type: ignore[arg-type]
        if t.kind == "name" and t.text in _WORDS:
            self.at += 1
            return Literal(_WORDS[t.text])
        if t.kind == "name" and t.text == "len":
            self.at += 1
            if not self.take("("):
                raise self.fail("expected '(' after len, as in len(items), found {found}")
            inner = self.field()
            if not self.take(")"):
                raise self.fail("expected ')' to close len(, found {found}")
            return Length(inner)
        return self.field()

    def field(self) -> Field:
        t = self.token
        if t.kind != "name" or t.text in KEYWORDS:
            raise self.fail("expected a field name, a number, a \"text\", true, false or null, found {found}")
        path = [t.text]
        self.at += 1
        while self.take("."):
            part = self.token
            if part.kind != "name":
                raise self.fail("expected a field name after '.', found {found}")
            path.append(part.text)
            self.at += 1
        return Field(tuple(path))


def parse(text: str) -> Node:
    """The tree of ``text``; ``ConditionError`` (with the position) for anything the language does not have."""
    if not text or not text.strip():
        raise ConditionError("the condition is empty; write one such as total < 0", text or "", 0)
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"the condition is {len(text):,} characters long; at most {MAX_LENGTH:,}", text,
                             MAX_LENGTH)
    parser = _Parser(text)
    node = parser.condition()
    if parser.token.kind != "end":
        raise parser.fail("expected `and`, `or` or the end of the condition, found {found}")
    return node


def fields_of(node: Node | Operand) -> list[Field]:
    """Every field the tree reads, in order of first appearance."""
    if isinstance(node, Field):
        return [node]
    if isinstance(node, Length):
        return [node.field]
    if isinstance(node, Compare):
        found = fields_of(node.left) + fields_of(node.right)
    elif isinstance(node, Not):
        found = fields_of(node.operand)
    elif isinstance(node, Logic):
        found = [f for part in node.operands for f in fields_of(part)]
    else:
        found = []
    return list(dict.fromkeys(found))
