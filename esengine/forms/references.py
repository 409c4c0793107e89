"""The existing streams a form offers in a picker: read from the read model a domain named for them
(:class:`esengine.forms.hints.StreamPicker`), else the stream ids of that type from the event store."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from esengine.application.flow import read_rows
from esengine.browsing.streams import search_streams
from esengine.forms.hints import StreamPicker


@dataclass(frozen=True)
class Option:
    """One choice of a select box: the stream id and what a person reads."""

    id: str
    label: str


def reference_options(engine, kind: str, limit: int = 1000, search: str | None = None) -> list[Option]:
    """Existing streams of type ``kind`` in the order the domain's picker gives (else the most recently changed
    first), at most ``limit``; with ``search``, only those whose label or id contains it (any case)."""
    text = (search or "").strip()
    picker = engine.forms.pickers.get(kind)
    if picker is None:
        page = search_streams(engine.store, f"*{text}*" if text else None, (kind,), limit)
        return [Option(i, i) for i in page.rows["stream_id"]]
    table, label = _table(engine, picker), picker.label
    sql = (f'SELECT "{picker.id_column}", {label} AS label FROM "{table}" '
           f"WHERE ? = '' OR contains(lower({label}), lower(?)) ORDER BY {picker.order_by} LIMIT ?")
    rows = engine.store.cursor().execute(sql, [text, text, limit]).fetchall()
    return [Option(r[0], r[1]) for r in rows]


def option_label(engine, kind: str, stream_id: str) -> str | None:
    """How a picker labels one stream (None when its read model has no row for it)."""
    picker = engine.forms.pickers.get(kind)
    if picker is None:
        return stream_id
    rows = engine.store.cursor().execute(f'SELECT {picker.label} FROM "{_table(engine, picker)}" '
                                         f'WHERE "{picker.id_column}" = ?', [stream_id]).fetchall()
    return rows[0][0] if rows else None


def read_model_row(engine, kind: str, stream_id: str) -> dict[str, Any] | None:
    """The picker's read-model row of one stream as it is now (None if it has none; JSON columns decoded)."""
    picker = engine.forms.pickers.get(kind)
    if picker is None:
        return None
    projection = engine.projections.projection(picker.projection)
    return read_rows(engine, projection, picker.table, [stream_id]).get(stream_id)


def _table(engine, picker: StreamPicker) -> str:
    return engine.projections.live_table(picker.projection, picker.table)
