"""The condition language's meaning, in Python: what a condition says about one state (a JSON-like dict).

This is the reference the SQL translation (:mod:`esengine.conditions.sql`) is held equal to by property tests,
and what breakpoints in time travel use on the states the page shows. The rules:

- a field that is missing, or reached through something that is not an object, is ``null``;
- ``len(x)`` is the length of a list, a text or an object, and ``null`` for anything else;
- ``==`` holds when both sides are of the same kind (null, true/false, number, text) and equal: ``1 == 1.0``,
  but ``true != 1`` and ``"1" != 1``; lists and objects equal nothing; ``!=`` is its opposite;
- ``<``, ``<=``, ``>``, ``>=`` hold only between two numbers or two texts (texts by code point); anything else
  is simply false, never an error.
"""
from __future__ import annotations

from typing import Any

from esengine.conditions.syntax import (
    Compare,
    Field,
    Length,
    Literal,
    Logic,
    Node,
    Not,
    Operand,
)

_ORDER = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def kind(value: Any) -> str:
    """``null``, ``bool``, ``number``, ``text`` or ``other`` (a list or an object)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "text" if isinstance(value, str) else "other"


def value_of(operand: Operand, state: Any) -> Any:
    if isinstance(operand, Literal):
        return operand.value
    if isinstance(operand, Length):
        inner = value_of(operand.field, state)
        return len(inner) if isinstance(inner, (list, str, dict)) else None
    current = state
    for part in operand.path:
        current = current.get(part) if isinstance(current, dict) else None
    return current


def _equal(a: Any, b: Any) -> bool:
    k = kind(a)
    return k == kind(b) and k != "other" and a == b


def holds(node: Node, state: Any) -> bool:
    """Whether the condition ``node`` (from :func:`esengine.conditions.syntax.parse`) holds for ``state``."""
    if isinstance(node, Logic):
        parts = (holds(p, state) for p in node.operands)
        return all(parts) if node.op == "and" else any(parts)
    if isinstance(node, Not):
        return not holds(node.operand, state)
    a, b = value_of(node.left, state), value_of(node.right, state)
    if node.op == "==":
        return _equal(a, b)
    if node.op == "!=":
        return not _equal(a, b)
    k = kind(a)
    return k == kind(b) and k in ("number", "text") and _ORDER[node.op](a, b)


__all__ = ["Compare", "Field", "holds", "kind", "value_of"]
