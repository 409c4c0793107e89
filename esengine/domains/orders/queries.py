"""Queries against the order read model: GetOrder and ListOrders."""
from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, Field

from esengine.application.messages import Query


class GetOrder(Query):
    order_id: str = Field(min_length=1, max_length=64)


class ListOrders(Query):
    status: Literal["pending", "confirmed", "paid", "shipped", "cancelled"] | None = None
    customer_id: str | None = Field(default=None, max_length=64)
    limit: int = Field(default=50, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class OrderPage(BaseModel):
    rows: list[dict[str, Any]]
    total_count: int


class OrderQueries:
    """Answers the order queries from the live version of the order projection."""

    def __init__(self, store, runner):
        self._store, self._runner = store, runner

    def _table(self) -> str:
        return self._runner.live_table("orders", "orders")

    def get_order(self, query: GetOrder) -> dict[str, Any] | None:
        rows = _dicts(self._store.cursor().sql(f'SELECT * FROM "{self._table()}" WHERE id = ?', params=[query.order_id]))
        return rows[0] if rows else None

    def list_orders(self, query: ListOrders) -> OrderPage:
        clauses: list[str] = []
        params: list[Any] = []
        if query.status:
            clauses.append("status = ?")
            params.append(query.status)
        if query.customer_id:
            clauses.append("customer_id = ?")
            params.append(query.customer_id)
        where = " AND ".join(clauses) or "TRUE"
        cur = self._store.cursor()
        total = cur.execute(f'SELECT count(*) FROM "{self._table()}" WHERE {where}', params).fetchall()[0][0]
        rows = _dicts(cur.sql(f'SELECT * FROM "{self._table()}" WHERE {where} '
                              'ORDER BY updated_at DESC, id LIMIT ? OFFSET ?', params=params + [query.limit, query.offset]))
        return OrderPage(rows=rows, total_count=total)


def _dicts(relation) -> list[dict[str, Any]]:
    rows = relation.to_arrow_table().to_pylist()
    for row in rows:
        if isinstance(row.get("items"), str):
            row["items"] = json.loads(row["items"])
    return rows
