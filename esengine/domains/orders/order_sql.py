"""The order read model built set-based in SQL: the same rows the handlers give, at scan speed.

The events (up to a position, and up to a moment for a read model as it was) are read once into a few
temporary tables (one per kind of fact), then each read-model
table is one ``INSERT ... SELECT``. The handlers see the catalogue as it was when each order event was
applied; here that is a join on the stream with a position condition. Totals are folded with the same
rounding, item by item. Tests compare both paths on the demo and on random histories.

It covers the histories commands produce: each customer, product and order created once, every field a
handler needs present. For anything else :func:`build_orders` declines, writing nothing, and the
runner applies the handlers instead (which also name a poison event properly).
"""
from __future__ import annotations

from datetime import datetime
from collections.abc import Callable

import duckdb

from esengine.core.events import as_utc_naive

STAGING = {
    "_rmb_customers": """
        SELECT stream_id AS id, position, data->>'name' AS name, data->>'email' AS email
        FROM _rmb_events WHERE event_type = 'CustomerRegistered'""",
    "_rmb_emails": """
        SELECT e.stream_id AS id, e.position, e.data->>'email' AS email
        FROM _rmb_events e JOIN _rmb_customers c ON c.id = e.stream_id AND e.position > c.position
        WHERE e.event_type = 'CustomerEmailChanged'""",
    "_rmb_products": """
        SELECT stream_id AS id, position, data->>'name' AS name, CAST(data->>'price' AS DOUBLE) AS price
        FROM _rmb_events WHERE event_type = 'ProductAdded'""",
    "_rmb_prices": """
        SELECT e.stream_id AS id, e.position,
               CAST(CASE WHEN json_exists(e.data, '$.new_price') THEN e.data->>'new_price'
                         ELSE e.data->>'price' END AS DOUBLE) AS price
        FROM _rmb_events e JOIN _rmb_products p ON p.id = e.stream_id AND e.position > p.position
        WHERE e.event_type = 'ProductPriceChanged'""",
    "_rmb_orders": """
        SELECT stream_id AS id, position, occurred_at, f.customer_id, f.total, f.items
        FROM (SELECT stream_id, position, occurred_at, from_json(data, '{"customer_id": "VARCHAR", "total": "DOUBLE",
                     "items": [{"product_id": "VARCHAR", "quantity": "JSON", "unit_price": "JSON"}]}') AS f
              FROM _rmb_events WHERE event_type = 'OrderCreated')""",
    "_rmb_later": """
        SELECT id, position, event_type, occurred_at, f.tracking_number AS tracking, f.reason, f.product_id, f.quantity,
               f.unit_price
        FROM (SELECT e.stream_id AS id, e.position, e.event_type, e.occurred_at,
                     CASE WHEN e.event_type IN ('OrderShipped', 'OrderCancelled', 'OrderItemAdded')  -- others: no data
                          THEN from_json(e.data, '{"tracking_number": "VARCHAR", "reason": "VARCHAR",
                               "product_id": "VARCHAR", "quantity": "JSON", "unit_price": "JSON"}') END AS f
              FROM _rmb_events e JOIN _rmb_orders o ON o.id = e.stream_id AND e.position > o.position
              WHERE e.event_type IN ('OrderItemAdded', 'OrderConfirmed', 'PaymentReceived', 'OrderShipped',
                                     'OrderCancelled'))""",
    "_rmb_lines": """
        SELECT id, position, ord, item.product_id, item.quantity, item.unit_price, FALSE AS added
        FROM (SELECT id, position, unnest(items) AS item, generate_subscripts(items, 1) AS ord FROM _rmb_orders)
        UNION ALL
        SELECT id, position, 0, product_id, quantity, unit_price, TRUE FROM _rmb_later WHERE event_type = 'OrderItemAdded'""",
}

# Histories the set-based build does not cover: a second creation of a stream, or a field a handler needs missing.
UNSUPPORTED = """SELECT
    (SELECT count(*) - count(DISTINCT id) FROM _rmb_customers) + (SELECT count(*) - count(DISTINCT id) FROM _rmb_products)
  + (SELECT count(*) - count(DISTINCT id) FROM _rmb_orders)
  + (SELECT count(*) FROM _rmb_customers WHERE name IS NULL OR email IS NULL)
  + (SELECT count(*) FROM _rmb_emails WHERE email IS NULL)
  + (SELECT count(*) FROM _rmb_products WHERE name IS NULL OR price IS NULL)
  + (SELECT count(*) FROM _rmb_prices WHERE price IS NULL)
  + (SELECT count(*) FROM _rmb_orders WHERE customer_id IS NULL OR total IS NULL OR items IS NULL)
  + (SELECT count(*) FROM _rmb_lines WHERE product_id IS NULL OR quantity IS NULL OR unit_price IS NULL)
  + (SELECT count(*) FROM _rmb_later WHERE (event_type = 'OrderShipped' AND tracking IS NULL)
                                        OR (event_type = 'OrderCancelled' AND reason IS NULL))"""

CUSTOMERS = """
SELECT c.id, c.name, coalesce(e.email, c.email)
FROM _rmb_customers c LEFT JOIN (SELECT id, arg_max(email, position) AS email FROM _rmb_emails GROUP BY id) e USING (id)"""

PRODUCTS = """
SELECT p.id, p.name, coalesce(c.price, p.price)
FROM _rmb_products p LEFT JOIN (SELECT id, arg_max(price, position) AS price FROM _rmb_prices GROUP BY id) c USING (id)"""

ORDERS = """
WITH items AS (
    SELECT l.id,
           to_json(list_transform(list_sort(list({{'p': l.position, 'o': l.ord, 'item': {{
               'product_id': l.product_id, 'product_name': CASE WHEN p.position < l.position THEN p.name END,
               'quantity': l.quantity, 'unit_price': l.unit_price,
               'subtotal': round(CAST(l.quantity AS BIGINT) * CAST(l.unit_price AS DOUBLE), 2)}}}})),
               lambda x: x.item)) AS items,  -- sorted by (position, line): faster than an ordered aggregate
           list_transform(list_sort(list({{'p': l.position,
               's': round(CAST(l.quantity AS BIGINT) * CAST(l.unit_price AS DOUBLE), 2)}}) FILTER (WHERE l.added)),
               lambda x: x.s) AS added_subtotals,
           sum(CAST(l.quantity AS BIGINT)) AS item_count
    FROM _rmb_lines l LEFT JOIN _rmb_products p ON p.id = l.product_id
    GROUP BY l.id),
progress AS (
    SELECT id,
           arg_max(event_type, position) FILTER (WHERE event_type <> 'OrderItemAdded') AS last_status,
           arg_max(tracking, position) FILTER (WHERE event_type = 'OrderShipped') AS tracking,
           arg_max(reason, position) FILTER (WHERE event_type = 'OrderCancelled') AS cancel_reason,
           arg_max(occurred_at, position) AS updated_at
    FROM _rmb_later GROUP BY id),
email_then AS (  -- the customer's email when the order was created, where it changed since registering
    SELECT o.id, arg_max(e.email, e.position) AS email
    FROM _rmb_orders o JOIN _rmb_emails e ON e.id = o.customer_id AND e.position < o.position
    GROUP BY o.id)
SELECT o.id, o.customer_id,
       CASE WHEN c.position < o.position THEN c.name END AS customer_name,
       CASE WHEN c.position < o.position THEN coalesce(m.email, c.email) END AS customer_email,
       coalesce(i.items, json('[]')) AS items,
       CASE WHEN len(i.added_subtotals) > 0
            THEN list_reduce(list_prepend(o.total, i.added_subtotals), lambda acc, x: round(acc + x, 2))
            ELSE o.total END AS total,
       CASE g.last_status WHEN 'OrderConfirmed' THEN 'confirmed' WHEN 'PaymentReceived' THEN 'paid'
            WHEN 'OrderShipped' THEN 'shipped' WHEN 'OrderCancelled' THEN 'cancelled' ELSE 'pending' END AS status,
       CASE g.last_status WHEN 'OrderConfirmed' THEN 'Confirmed' WHEN 'PaymentReceived' THEN 'Paid'
            WHEN 'OrderShipped' THEN {shipped_label} WHEN 'OrderCancelled' THEN 'Cancelled'
            ELSE 'Pending' END AS status_label,
       g.tracking AS tracking_number, o.occurred_at AS created_at, coalesce(g.updated_at, o.occurred_at) AS updated_at
       {extra_columns}
FROM _rmb_orders o
LEFT JOIN _rmb_customers c ON c.id = o.customer_id
LEFT JOIN email_then m ON m.id = o.id
LEFT JOIN items i ON i.id = o.id
LEFT JOIN progress g ON g.id = o.id"""


def build_orders(cur: duckdb.DuckDBPyConnection, physical: Callable[[str], str], upto: int,
                 shipped_label: str, extra_columns: str = "", until: datetime | None = None,
                 clock: str = "occurred_at") -> bool:
    """Fill the customers, products and orders tables of one order-projection version from the events up to
    position ``upto`` (and, with ``until``, that happened by then on ``clock``: the read model as it was).

    Returns False, having written nothing to them, when the history is one it does not cover.
    """
    if clock not in ("occurred_at", "recorded_at"):
        raise ValueError(f"unknown clock {clock!r}")
    moment = f" AND {clock} <= TIMESTAMP '{as_utc_naive(until).isoformat(sep=' ')}'" if until is not None else ""
    cur.execute(f"CREATE OR REPLACE TEMP VIEW _rmb_events AS SELECT * FROM events WHERE position <= {int(upto)}{moment}")
    for name, query in STAGING.items():
        cur.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}")
    covered = not cur.execute(UNSUPPORTED).fetchall()[0][0]
    if covered:
        cur.execute(f'INSERT INTO "{physical("customers")}" {CUSTOMERS}')
        cur.execute(f'INSERT INTO "{physical("products")}" {PRODUCTS}')
        cur.execute(f'INSERT INTO "{physical("orders")}" '
                    + ORDERS.format(shipped_label=shipped_label, extra_columns=extra_columns))
    for name in STAGING:  # (if a statement failed, the caller's rollback removes them)
        cur.execute(f"DROP TABLE {name}")
    cur.execute("DROP VIEW _rmb_events")
    return covered
