"""The existing customers, products and orders a form offers, read from the order read model."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from esengine.errors import NotFound

_TABLES = {"customer": "customers", "product": "products", "order": "orders"}
_LABEL_SQL = {  # every label holds the id, so searching the labels searches the ids too
    "customer": ("name || ' <' || email || '> · ' || id", "name, id"),
    "product": ("name || ' (' || printf('%.2f', price) || ' €) · ' || id", "name, id"),
    "order": ("id || ' · ' || coalesce(customer_name, '?') || ' · ' || status || ' · ' || printf('%.2f', total) || ' €'",
              "updated_at DESC, id"),
}


@dataclass(frozen=True)
class Option:
    """One choice of a select box: the stream id and what a person reads."""

    id: str
    label: str


def _table(engine, kind: str) -> str:
    if kind not in _TABLES:
        raise NotFound(f"Forms know customers, products and orders, not '{kind}'.")
    return engine.projections.live_table("orders", _TABLES[kind])


def reference_options(engine, kind: str, limit: int = 1000, search: str | None = None) -> list[Option]:
    """Existing customers (by name), products (by name) or orders (latest first), at most ``limit``; with
    ``search``, only those whose label or id contains it (any case)."""
    table = _table(engine, kind)
    label, order = _LABEL_SQL[kind]
    sql = (f'SELECT id, {label} AS label FROM "{table}" WHERE ? = \'\' OR contains(lower({label}), lower(?)) '
           f"ORDER BY {order} LIMIT ?")
    text = (search or "").strip()
    rows = engine.store.cursor().execute(sql, [text, text, limit]).fetchall()
    return [Option(r[0], r[1]) for r in rows]


def read_model_row(engine, kind: str, stream_id: str) -> dict[str, Any] | None:
    """The read-model row of one customer, product or order as it is now (None if it has none)."""
    cur = engine.store.cursor().execute(f'SELECT * FROM "{_table(engine, kind)}" WHERE id = ?', [stream_id])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    if not rows:
        return None
    row = dict(zip(names, rows[0]))
    if isinstance(row.get("items"), str):  # a JSON column
        row["items"] = json.loads(row["items"])
    return row
