"""A condition as DuckDB SQL over a JSON column, with every value and JSON path a parameter.

Each operand is seen four ways (from its JSON text, read once per field), each SQL NULL where the operand is not of that kind: is it null, its number,
its text, its truth value. A comparison then only compares like with like, which is the meaning
:mod:`esengine.conditions.evaluate` gives it in Python, and is never NULL (always true or false), so ``not``
and ``or`` behave as they do there. Field names are checked against a strict pattern by the parser; they reach
DuckDB only inside a JSON path passed as a parameter (``$.paid_amount``), never as SQL text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
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

_PLAIN = re.compile(r"[ !#-.0-\[\]-~]*")  # printable ASCII but for " / and \\
_SQL_OPS = {"==": "=", "!=": "=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass
class SqlCondition:
    """``where`` is a boolean SQL expression; ``params`` its named parameters (``$c0`` ...)."""

    where: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Views:
    null: str  # a boolean expression (never NULL)
    number: str | None
    text: str | None
    truth: str | None


class _Compiler:
    def __init__(self, column: str, prefix: str):
        self.column, self.prefix, self.params = column, prefix, {}  # type: ignore[var-annotated]
        self.paths: dict[tuple[str, ...], str] = {}

    def param(self, value: Any) -> str:
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def path_of(self, f: Field) -> str:
        if f.path not in self.paths:
            self.paths[f.path] = self.param("$." + ".".join(f.path))
        return self.paths[f.path]

    def json_of(self, f: Field) -> str:
        """The field's JSON text (``12``, ``"shipped"``, ``true``, ``[...]``; SQL NULL when missing): one JSON
        read of the state, its kind then told by the text itself."""
        return f"CAST(json_extract({self.column}, {self.path_of(f)}) AS VARCHAR)"

    def typed(self, f: Field, json_type: str, then: str) -> str:
        """``then`` (a JSON function over the state at the field's path) where the field is of ``json_type``.
        DuckDB does not share a repeated sub-expression, and two functions over the state and a path cost
        about what one does, where the field's text read twice costs twice."""
        path = self.path_of(f)
        return f"(CASE WHEN json_type({self.column}, {path}) = '{json_type}' THEN {then.format(self.column, path)} END)"

    def views(self, operand: Operand) -> _Views:
        if isinstance(operand, Literal):
            v = operand.value
            if v is None:
                return _Views("true", None, None, None)
            if isinstance(v, bool):
                return _Views("false", None, None, "true" if v else "false")
            if isinstance(v, str):
                return _Views("false", None, f"CAST({self.param(v)} AS VARCHAR)", None)
            return _Views("false", f"CAST({self.param(float(v))} AS DOUBLE)", None, None)
        if isinstance(operand, Length):
            c, p = self.column, self.path_of(operand.field)
            n = (f"(CASE json_type({c}, {p}) WHEN 'ARRAY' THEN json_array_length({c}, {p}) "
                 f"WHEN 'OBJECT' THEN len(json_keys({c}, {p})) "
                 f"WHEN 'VARCHAR' THEN length(json_extract_string({c}, {p})) END)")
            return _Views(f"({n} IS NULL)", f"CAST({n} AS DOUBLE)", None, None)
        j = self.json_of(operand)
        # a JSON number's text casts to DOUBLE; a text ("..."), true, false, null, a list or an object does not
        return _Views(f"coalesce({j} = 'null', true)", f"TRY_CAST({j} AS DOUBLE)",
                      self.typed(operand, "VARCHAR", "json_extract_string({}, {})"),
                      f"(CASE {j} WHEN 'true' THEN true WHEN 'false' THEN false END)")

    def node(self, n: Node) -> str:
        if isinstance(n, Logic):
            return "(" + f" {n.op.upper()} ".join(self.node(p) for p in n.operands) + ")"
        if isinstance(n, Not):
            return f"(NOT {self.node(n.operand)})"
        return self.compare(n)

    def compare(self, n: Compare) -> str:
        plain = self.plain_text_equality(n)
        if plain is not None:
            return plain
        a, b = self.views(n.left), self.views(n.right)
        op = _SQL_OPS[n.op]
        kinds = [("number", a.number, b.number), ("text", a.text, b.text)]
        if n.op in ("==", "!="):
            kinds.append(("truth", a.truth, b.truth))
        # each comparison is NULL unless both sides are of its kind, so the first that is not NULL is the answer;
        # COALESCE only evaluates the next one for the rows still NULL (a number pair never reads the state as text)
        same_kind = [f"{x} {op} {y}" for _, x, y in kinds if x is not None and y is not None]
        terms = [f"coalesce({', '.join(same_kind)}, false)"] if same_kind else []
        if n.op in ("==", "!=") and "false" not in (a.null, b.null):
            terms.append(a.null if b.null == "true" else b.null if a.null == "true" else f"({a.null} AND {b.null})")
        test = "(" + " OR ".join(terms) + ")" if terms else "false"
        return f"(NOT {test})" if n.op == "!=" else test


    def plain_text_equality(self, n: Compare) -> str | None:
        """``field == "shipped"`` as one comparison of the field's JSON text with the quoted literal, when the
        literal is printable ASCII that every JSON writer leaves as it is (no quote, backslash or slash)."""
        if n.op not in ("==", "!="):
            return None
        field, literal = (n.left, n.right) if isinstance(n.right, Literal) else (n.right, n.left)
        if not (isinstance(field, Field) and isinstance(literal, Literal) and isinstance(literal.value, str)
                and _PLAIN.fullmatch(literal.value)):
            return None
        test = f"coalesce({self.json_of(field)} = {self.param(chr(34) + literal.value + chr(34))}, false)"
        return f"(NOT {test})" if n.op == "!=" else test


def to_sql(node: Node, column: str = "state", prefix: str = "c") -> SqlCondition:
    """``node`` as a WHERE expression over the JSON column ``column`` (an identifier the caller chose)."""
    compiler = _Compiler(column, prefix)
    where = compiler.node(node)
    # a literal compared with something of another kind drops out of the SQL: so does its parameter
    used = {k: v for k, v in compiler.params.items() if re.search(rf"\${k}\b", where)}
    return SqlCondition(where, used)
