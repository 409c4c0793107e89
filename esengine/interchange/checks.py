"""Checking candidate events before anything is written; each check refuses the first fault in file order.

* :func:`check_events`: what every event needs (stream id, type, a time the import understands, ...);
* :func:`check_finite`: numbers standard JSON cannot hold (NaN, Infinity, ``1e400``; see :mod:`.finite`);
* :func:`check_text`: control characters, by the same rule as every command's text fields;
* :func:`check_ids`: ids given twice, events already in the store, streams that already exist.
"""
from __future__ import annotations

import json

import duckdb

from esengine.core.text import ESCAPED_CONTROL_SQL, RAW_CONTROL_SQL, control_characters
from esengine.errors import ImportRejected
from esengine.interchange.finite import SUSPECT, dotted, first_non_finite
from esengine.interchange.mapping import ColumnMapping
from esengine.interchange.readers import ROW
from esengine.interchange.staging import EVENTS, KEYS, RAW, Staged, q

_BAD_TIME = ("'{}' is not a time this import understands; write times in ISO 8601, e.g. 2024-05-01T10:00:00+02:00 "
             "(without an offset, UTC is assumed).")


def check_events(cur: duckdb.DuckDBPyConnection, mapping: ColumnMapping, staged: Staged) -> None:
    """Refuse the first row (in file order) that lacks what an event needs, in one scan."""
    checks = [  # (condition, column at fault, text shown, message)
        ("stream_id IS NULL OR trim(stream_id) = ''", mapping.stream_id, None,
         "This row has no stream id: every event needs one."),
        ("event_type IS NULL OR trim(event_type) = ''", mapping.event_type, None,
         "This row has no event type: every event needs one."),
        ("time_text IS NULL OR trim(time_text) = ''", mapping.time, None,
         "This row has no time: every event needs one."),
        ("occurred_at IS NULL", mapping.time, "time_text", _BAD_TIME),
    ]
    if mapping.data_object and not staged.json:
        checks.append(("data_text IS NOT NULL AND TRY_CAST(data_text AS JSON) IS NULL", mapping.data_object,
                       "data_text", "The data {!r} is not JSON."))
    if mapping.event_id and mapping.kind != "xes":  # an XES event without identity:id gets a derived id
        checks.append(("id_text IS NULL OR trim(id_text) = ''", mapping.event_id, None,
                       "This row has no event id."))
    if mapping.schema_version:
        checks.append(("schema_text IS NOT NULL AND TRY_CAST(schema_text AS INTEGER) IS NULL",
                       mapping.schema_version, "schema_text", "The schema version '{}' is not a whole number."))
    if mapping.recorded_time:
        checks.append(("recorded_text IS NOT NULL AND trim(recorded_text) <> '' AND recorded_at IS NULL",
                       mapping.recorded_time, "recorded_text", "The recorded time " + _BAD_TIME))
    firsts = cur.execute("SELECT " + ", ".join(f"min(file_row) FILTER (WHERE {c})" for c, *_ in checks)
                         + f" FROM {EVENTS}").fetchall()[0]
    found = [(line, i) for i, line in enumerate(firsts) if line is not None]
    if not found:
        return
    line, i = min(found)
    _, column, shown, message = checks[i]
    if shown:
        text = cur.execute(f"SELECT {shown} FROM {EVENTS} WHERE file_row = ?", [line]).fetchall()[0][0]
        message = message.format(text[:80])
    raise ImportRejected(message, line=line, column=column)


def check_finite(cur: duckdb.DuckDBPyConnection, mapping: ColumnMapping, staged: Staged) -> None:
    """Refuse the first row whose data or metadata holds NaN, Infinity or a number beyond a double."""
    columns = staged.columns
    sides = ["data"] + (["metadata"] if mapping.metadata or mapping.metadata_object else [])  # else: ours only
    rows = cur.execute(  # candidates only, almost always none; each is confirmed in Python
        f"SELECT file_row, data::VARCHAR, metadata::VARCHAR FROM {EVENTS} WHERE "
        + " OR ".join(f"regexp_matches({side}::VARCHAR, $suspect, 'i')" for side in sides) + " ORDER BY file_row",
        {"suspect": SUSPECT}).fetchall()
    whole_line = staged.json and mapping.data is None and mapping.data_object is None
    data_pairs = set(columns if whole_line else mapping.data_columns(columns))
    for line, data, metadata in rows:
        for side, text, pairs, whole in (("data", data, data_pairs, mapping.data_object),
                                         ("metadata", metadata, set(mapping.metadata), mapping.metadata_object)):
            found = first_non_finite(text or "")
            if found:
                path, literal = found
                column = path[0] if path and path[0] in pairs else whole
                _refuse_non_finite(cur, staged, line, side, path, literal, column)


def _refuse_non_finite(cur: duckdb.DuckDBPyConnection, staged: Staged, line: int, side: str, path: list,
                       literal: str, column: str | None) -> None:
    """``column``: the file's column the value came from (a data or metadata column, or a JSON object's)."""
    if len(path) == 1 and column is not None and column == path[0] and not staged.json:  # the cell as the file writes it
        literal = cur.execute(f"SELECT CAST({q(column)} AS VARCHAR) FROM {RAW} WHERE {ROW} = ?",
                              [line]).fetchall()[0][0]
    raise ImportRejected(
        f"{literal} (at {dotted([side] + path)}) is not a finite number: events are stored as standard JSON, "
        "which has no NaN or Infinity and no numbers beyond ±1.8e308. Write the value as text in quotes, "
        "or leave it out.", line=line, column=column)


def check_text(cur: duckdb.DuckDBPyConnection, mapping: ColumnMapping) -> None:
    """Refuse the first row with a control character in its stream, type or text values: the same rule
    (:mod:`esengine.core.text`) as for every command's text fields."""
    names = {"stream_id": mapping.stream_id, "stream_type": mapping.stream_type, "event_type": mapping.event_type}
    rows = cur.execute(
        f"SELECT file_row, stream_id, stream_type, event_type, data::VARCHAR, metadata::VARCHAR FROM {EVENTS} "
        "WHERE regexp_matches(stream_id, $raw) OR regexp_matches(coalesce(stream_type, ''), $raw) "
        "OR regexp_matches(event_type, $raw) OR regexp_matches(data::VARCHAR, $escaped) "
        "OR regexp_matches(coalesce(metadata::VARCHAR, ''), $escaped) ORDER BY file_row LIMIT 1000",
        {"raw": RAW_CONTROL_SQL, "escaped": ESCAPED_CONTROL_SQL}).fetchall()
    for line, stream_id, stream_type, event_type, data, metadata in rows:
        values = {"stream_id": stream_id, "stream_type": stream_type, "event_type": event_type,
                  "data": json.loads(data) if data else None, "metadata": json.loads(metadata) if metadata else None}
        for path, problem in control_characters(values):
            field = path[0]
            column = names.get(field) if field in names else (
                path[1] if len(path) > 1 and isinstance(path[1], str) else None)
            raise ImportRejected(f"The value at {'.'.join(str(p) for p in path)} {problem}; events keep no "
                                 "control characters (no tabs or line breaks either), as commands don't.",
                                 line=line, column=column)


def check_ids(cur: duckdb.DuckDBPyConnection, mapping: ColumnMapping, appended: int, on_existing: str) -> None:
    """Refuse ids given twice, events already stored, and (unless appending) streams that already exist."""
    where = f" (column '{mapping.event_id}')" if mapping.event_id else ""
    if mapping.event_id:  # derived ids differ by construction (stream id and place in it)
        twice = cur.execute(f"""SELECT CAST(event_id AS VARCHAR), list(file_row ORDER BY file_row) FROM {KEYS}
            GROUP BY event_id HAVING count(*) > 1 ORDER BY min(file_row) LIMIT 1""").fetchall()
        if twice:
            event_id, lines = twice[0]
            raise ImportRejected(f"The event id {event_id}{where} appears twice in the file (first at line "
                                 f"{lines[0]}): event ids must be unique.", line=lines[1], column=mapping.event_id)
    if mapping.event_id or appended:  # a derived id can only be stored already in an existing stream
        stored = cur.execute(f"""SELECT r.file_row, CAST(r.event_id AS VARCHAR), count(*) OVER ()
            FROM {KEYS} r JOIN events e ON e.event_id = r.event_id ORDER BY r.file_row LIMIT 1""").fetchall()
        if stored:
            line, event_id, n = stored[0]
            raise ImportRejected(f"{n:,} events of this file are already in the store (the first is {event_id}):"
                                 " it was probably imported before. Nothing was written.", line=line,
                                 column=mapping.event_id)
    if appended and on_existing == "refuse":
        names = [r[0] for r in cur.execute(
            f"SELECT DISTINCT stream_id FROM {EVENTS} WHERE stream_id IN (SELECT stream_id FROM events) "
            "ORDER BY stream_id LIMIT 5").fetchall()]
        raise ImportRejected(
            f"{appended:,} streams of this file already exist in the store "
            f"({', '.join(repr(n) for n in names)}{', ...' if appended > 5 else ''}). Nothing was written. "
            "To add the file's events after each stream's current version, import with "
            "'append to existing streams' (command line: --append).")
