"""Conditions on a stream's state: ``total < 0``, ``status == "shipped" and paid_amount < total``, ``len(items) > 10``.

Parsed by a small recursive-descent parser (never evaluated as Python), then either translated into
parameterised DuckDB SQL over a JSON column (scans over every history) or evaluated on one state in Python
(breakpoints in time travel); both give the same answers. Anything the language does not have is a
:class:`~esengine.errors.ConditionError` that says where.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from esengine.conditions.evaluate import holds
from esengine.conditions.sql import SqlCondition, to_sql
from esengine.conditions.syntax import Node, fields_of, parse


@dataclass(frozen=True)
class Condition:
    """A parsed condition: ``text`` as written, ``tree`` as read."""

    text: str
    tree: Node

    def holds(self, state: Any) -> bool:
        """Whether it holds for one state (a dict as folded)."""
        return holds(self.tree, state)

    def sql(self, column: str = "state", prefix: str = "c") -> SqlCondition:
        """A WHERE expression over the JSON column ``column`` and its named parameters."""
        return to_sql(self.tree, column, prefix)

    @property
    def fields(self) -> list[str]:
        return [str(f) for f in fields_of(self.tree)]


def condition(text: str) -> Condition:
    """``text`` parsed; :class:`~esengine.errors.ConditionError` with the position when it cannot be read."""
    return Condition(text.strip(), parse(text))


__all__ = ["Condition", "SqlCondition", "condition"]
