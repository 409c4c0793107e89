"""The order read model built set-based in SQL: the same rows the handlers give, at scan speed.

The handlers read the catalogue as it was when each order event was applied; here an ASOF join on
position gives the same view. Totals are folded with the same rounding, item by item. The rows are
equal to the handlers' (tests compare both on the demo and on random histories), for histories made
of well-formed events; :func:`has_malformed_events` finds the ones a handler would stop at, and the
runner then takes the handler path so the poison event is reported as usual.
"""
from __future__ import annotations

from typing import Callable

import duckdb

CATALOGUE_STATES = """
cust_ev AS (
    SELECT stream_id AS id, position, event_type, data->>'name' AS name, data->>'email' AS email
    FROM events WHERE event_type IN ('CustomerRegistered', 'CustomerEmailChanged') AND position <= $upto),
cust_states AS (  -- the customer row after each of its events; a change before any registration is ignored
    SELECT * FROM (
        SELECT id, position, email,
               last_value(CASE WHEN event_type = 'CustomerRegistered' THEN name END IGNORE NULLS) OVER w AS name,
               max(CASE WHEN event_type = 'CustomerRegistered' THEN position END) OVER w AS registered_at
        FROM cust_ev WINDOW w AS (PARTITION BY id ORDER BY position ROWS UNBOUNDED PRECEDING))
    WHERE registered_at IS NOT NULL),
prod_ev AS (
    SELECT stream_id AS id, position, event_type, data->>'name' AS name,
           CAST(CASE WHEN event_type = 'ProductAdded' THEN data->>'price'
                     WHEN json_exists(data, '$.new_price') THEN data->>'new_price' ELSE data->>'price' END AS DOUBLE)
               AS price
    FROM events WHERE event_type IN ('ProductAdded', 'ProductPriceChanged') AND position <= $upto),
prod_states AS (
    SELECT * FROM (
        SELECT id, position, price,
               last_value(CASE WHEN event_type = 'ProductAdded' THEN name END IGNORE NULLS) OVER w AS name,
               max(CASE WHEN event_type = 'ProductAdded' THEN position END) OVER w AS added_at
        FROM prod_ev WINDOW w AS (PARTITION BY id ORDER BY position ROWS UNBOUNDED PRECEDING))
    WHERE added_at IS NOT NULL)"""

ORDERS = """
created AS (  -- a second OrderCreated on a stream replaces the row, as the handler's put does
    SELECT stream_id AS id, position, data->>'customer_id' AS customer_id, CAST(data->>'total' AS DOUBLE) AS total,
           occurred_at, json_extract(data, '$.items[*]') AS items
    FROM events WHERE event_type = 'OrderCreated' AND position <= $upto
    QUALIFY row_number() OVER (PARTITION BY stream_id ORDER BY position DESC) = 1),
later AS (  -- the order's events the handlers apply after its creation
    SELECT e.stream_id AS id, e.position, e.event_type, e.data, e.occurred_at
    FROM events e JOIN created c ON e.stream_id = c.id AND e.position > c.position
    WHERE e.event_type IN ('OrderItemAdded', 'OrderConfirmed', 'PaymentReceived', 'OrderShipped', 'OrderCancelled')
      AND e.position <= $upto),
lines AS (
    SELECT id, position, ord, item->>'product_id' AS product_id, item->'quantity' AS quantity,
           item->'unit_price' AS unit_price, FALSE AS added
    FROM (SELECT id, position, unnest(items) AS item, generate_subscripts(items, 1) AS ord FROM created)
    UNION ALL
    SELECT id, position, 0, data->>'product_id', data->'quantity', data->'unit_price', TRUE
    FROM later WHERE event_type = 'OrderItemAdded'),
named_lines AS (
    SELECT l.*, p.name AS product_name,
           round(CAST(l.quantity AS BIGINT) * CAST(l.unit_price AS DOUBLE), 2) AS subtotal
    FROM lines l ASOF LEFT JOIN prod_states p ON l.product_id = p.id AND l.position > p.position),
items AS (
    SELECT id,
           to_json(list(json_object('product_id', product_id, 'product_name', product_name, 'quantity', quantity,
                                    'unit_price', unit_price, 'subtotal', subtotal) ORDER BY position, ord)) AS items,
           list(subtotal ORDER BY position) FILTER (WHERE added) AS added_subtotals,
           sum(CAST(quantity AS BIGINT)) AS item_count
    FROM named_lines GROUP BY id),
progress AS (
    SELECT id,
           arg_max(event_type, position) FILTER (WHERE event_type <> 'OrderItemAdded') AS last_status,
           arg_max(data->>'tracking_number', position) FILTER (WHERE event_type = 'OrderShipped') AS tracking,
           arg_max(data->>'reason', position) FILTER (WHERE event_type = 'OrderCancelled') AS cancel_reason,
           arg_max(occurred_at, position) AS updated_at
    FROM later GROUP BY id)
SELECT c.id, c.customer_id, s.name AS customer_name, s.email AS customer_email, coalesce(i.items, json('[]')) AS items,
       CASE WHEN i.added_subtotals IS NULL THEN c.total
            ELSE list_reduce(list_prepend(c.total, i.added_subtotals), lambda acc, x: round(acc + x, 2)) END AS total,
       CASE g.last_status WHEN 'OrderConfirmed' THEN 'confirmed' WHEN 'PaymentReceived' THEN 'paid'
            WHEN 'OrderShipped' THEN 'shipped' WHEN 'OrderCancelled' THEN 'cancelled' ELSE 'pending' END AS status,
       CASE g.last_status WHEN 'OrderConfirmed' THEN 'Confirmed' WHEN 'PaymentReceived' THEN 'Paid'
            WHEN 'OrderShipped' THEN {shipped_label} WHEN 'OrderCancelled' THEN 'Cancelled'
            ELSE 'Pending' END AS status_label,
       g.tracking AS tracking_number, c.occurred_at AS created_at, coalesce(g.updated_at, c.occurred_at) AS updated_at
       {extra_columns}
FROM created c
ASOF LEFT JOIN cust_states s ON c.customer_id = s.id AND c.position > s.position
LEFT JOIN items i ON i.id = c.id
LEFT JOIN progress g ON g.id = c.id"""

# A handler stops at these (a required field missing); the set-based path must not paper over them.
MALFORMED = """
SELECT count(*) FROM events WHERE position <= $upto AND (
    (event_type = 'CustomerRegistered' AND (NOT json_exists(data, '$.name') OR NOT json_exists(data, '$.email')))
 OR (event_type = 'CustomerEmailChanged' AND NOT json_exists(data, '$.email'))
 OR (event_type = 'ProductAdded' AND (NOT json_exists(data, '$.name') OR NOT json_exists(data, '$.price')))
 OR (event_type = 'OrderCreated' AND (NOT json_exists(data, '$.customer_id') OR NOT json_exists(data, '$.total')
     OR json_type(data, '$.items') IS DISTINCT FROM 'ARRAY'
     OR len(list_filter(json_extract(data, '$.items[*]'), lambda i: NOT json_exists(i, '$.product_id')
         OR NOT json_exists(i, '$.quantity') OR NOT json_exists(i, '$.unit_price'))) > 0))
 OR (event_type = 'OrderItemAdded' AND (NOT json_exists(data, '$.product_id') OR NOT json_exists(data, '$.quantity')
     OR NOT json_exists(data, '$.unit_price')))
 OR (event_type = 'OrderShipped' AND NOT json_exists(data, '$.tracking_number'))
 OR (event_type = 'OrderCancelled' AND NOT json_exists(data, '$.reason')))"""


def has_malformed_events(cur: duckdb.DuckDBPyConnection, upto: int) -> bool:
    """True when an event up to ``upto`` lacks a field the order handlers need (a poison event)."""
    return cur.execute(MALFORMED, {"upto": upto}).fetchall()[0][0] > 0


def build_orders(cur: duckdb.DuckDBPyConnection, physical: Callable[[str], str], upto: int,
                 shipped_label: str, extra_columns: str = "") -> bool:
    """Fill the customers, products and orders tables of one order-projection version from the events.

    Returns False, having written nothing, when the history holds an event a handler would stop at.
    """
    params = {"upto": upto}
    if has_malformed_events(cur, upto):
        return False
    cur.execute(f'INSERT INTO "{physical("customers")}" WITH {CATALOGUE_STATES} '
                "SELECT id, name, email FROM cust_states QUALIFY row_number() OVER "
                "(PARTITION BY id ORDER BY position DESC) = 1", params)
    cur.execute(f'INSERT INTO "{physical("products")}" WITH {CATALOGUE_STATES} '
                "SELECT id, name, price FROM prod_states QUALIFY row_number() OVER "
                "(PARTITION BY id ORDER BY position DESC) = 1", params)
    orders = ORDERS.format(shipped_label=shipped_label, extra_columns=extra_columns)
    cur.execute(f'INSERT INTO "{physical("orders")}" WITH {CATALOGUE_STATES}, {orders}', params)
    return True
