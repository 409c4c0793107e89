"""The history of one field: every value it took, in a stream or across every stream of a type, and when."""
from __future__ import annotations

import json

import duckdb
import pandas as pd

from esengine.errors import EsEngineError, ValidationError
from esengine.store.event_store import EventStore
from esengine.store.filters import EventFilter
from esengine.temporal.clocks import query_frame

_HISTORY_SQL = """
SELECT position, stream_id, stream_type, version, event_type, occurred_at, value,
       lag(value) OVER (PARTITION BY stream_id ORDER BY version) AS previous_value
FROM (SELECT position, stream_id, stream_type, version, event_type, occurred_at,
             coalesce({values}) AS value
      FROM events WHERE {where} AND ({present}))
{keep}
ORDER BY stream_id, version
LIMIT ?
"""


def json_path(field: str) -> str:
    """The JSON path of a field name; dots go into nested objects (``address.city``)."""
    parts = [p for p in field.strip().split(".") if p]
    if not parts:
        raise ValidationError("No field was named.", {"field": "name a field of the events' data, like 'price' "
                                                                 "or 'address.city'"})
    return "$." + ".".join(json.dumps(p) for p in parts)


def field_history(store: EventStore, fields: str | list[str] | tuple[str, ...], stream_id: str | None = None,
                  stream_type: str | None = None, changes_only: bool = True, limit: int = 100_000) -> pd.DataFrame:
    """Every value ``fields`` took in one stream or across a stream type, in version order.

    ``fields`` may name several alternatives (``["price", "new_price"]``): each event gives the first
    one it carries. Columns: ``position, stream_id, stream_type, version, event_type, occurred_at,
    value, previous_value`` (values as text). With ``changes_only``, events that repeat the previous
    value are left out.
    """
    names = [fields] if isinstance(fields, str) else list(fields)
    names = [n.strip() for name in names for n in name.split(",") if n.strip()]
    paths = [json_path(n) for n in names] if names else [json_path("")]
    flt = EventFilter(stream_id=stream_id or None, stream_types=(stream_type,) if stream_type else ())
    clause, params = flt.where()
    values = ", ".join("json_extract_string(data, ?)" for _ in paths)
    present = " OR ".join("json_exists(data, ?)" for _ in paths)
    keep = "QUALIFY previous_value IS DISTINCT FROM value OR previous_value IS NULL" if changes_only else ""
    sql = _HISTORY_SQL.format(values=values, where=clause, present=present, keep=keep)
    try:
        return query_frame(store, sql, paths + params + paths + [limit])
    except duckdb.Error as e:
        raise EsEngineError(f"The history of '{', '.join(names)}' could not be read: {e}") from e


def fields_of(store: EventStore, stream_type: str | None = None, stream_id: str | None = None) -> list[str]:
    """The top-level data fields that the events (of a type or one stream) carry, alphabetically."""
    clause, params = EventFilter(stream_id=stream_id or None,
                                 stream_types=(stream_type,) if stream_type else ()).where()
    rows = store.cursor().execute(
        f"SELECT DISTINCT unnest(json_keys(data)) AS k FROM events WHERE {clause} ORDER BY k", params).fetchall()
    return [r[0] for r in rows]
