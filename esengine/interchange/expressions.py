"""From staged rows to candidate events: the SQL that reads each mapped column, and the ``EVENTS`` table.

A CSV cell arrives as text and is typed over the whole file (columns of only whole numbers or only numbers
become numbers); a JSON row is one JSON text whose keys are read with JSON paths. Times with a UTC offset
are normalised to UTC, times without one are taken as UTC.
"""
from __future__ import annotations

import duckdb

from esengine.errors import ImportRejected
from esengine.interchange.mapping import ColumnMapping
from esengine.interchange.readers import LINE, ROW, Source
from esengine.interchange.staging import EVENTS, RAW, Staged, json_path, lit, q

_INT = r"-?(0|[1-9][0-9]{0,17})"
_FLOAT = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?|-?0?\.[0-9]+"
_HAS_OFFSET = r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$"


class Expressions:
    """The SQL expressions that read a mapped column of the staged rows."""

    def __init__(self, source: Source, staged: Staged, typed: dict[str, str], quoted: set[str]):
        self.source, self.types, self.json = source, staged.types, staged.json
        self.typed = typed  # CSV columns read as numbers
        self.quoted = quoted  # columns of our own CSV export, where a leading quote is ours

    def text(self, column: str) -> str:
        """The column as text (stream ids, event types, times)."""
        if self.json:
            return f"json_extract_string({LINE}, {lit(json_path(column))})"
        if column in self.quoted:  # our CSV export put a quote before cells a spreadsheet would run
            return f"CASE WHEN starts_with({q(column)}, '''') THEN {q(column)}[2:] ELSE {q(column)} END"
        return f"CAST({q(column)} AS VARCHAR)"

    def value(self, column: str) -> str:
        """The column as a typed value for the event's data or metadata."""
        if self.json:
            return f"json_extract({LINE}, {lit(json_path(column))})"
        return self.typed.get(column, q(column))

    def time(self, column: str) -> str:
        kind = "VARCHAR" if self.json else self.types[column]
        if kind.startswith("TIMESTAMP WITH TIME ZONE"):
            return f"timezone('UTC', {q(column)})"
        if kind.startswith("TIMESTAMP") or kind == "DATE":
            return f"CAST({q(column)} AS TIMESTAMP)"
        if kind != "VARCHAR":
            raise ImportRejected(f"The time column '{column}' holds {kind} values; it needs times such as "
                                 "2024-05-01T10:00:00+02:00.", column=column)
        text = self.text(column)
        return (f"CASE WHEN regexp_matches({text}, {lit(_HAS_OFFSET)}) "
                f"THEN timezone('UTC', TRY_CAST({text} AS TIMESTAMPTZ)) ELSE TRY_CAST({text} AS TIMESTAMP) END")

    def object(self, column: str, from_text: bool = False) -> str:
        """A column holding a whole JSON object (data or metadata); other JSON values are wrapped.

        ``from_text``: in a JSON row, a string that holds a JSON object is that object (a CloudEvents
        extension value must be a string, so our export writes its metadata as JSON text)."""
        if not self.json:
            value = f"TRY_CAST({q(column)} AS JSON)"
        else:
            value = f"json_extract({LINE}, {lit(json_path(column))})"
            if from_text:
                parsed = f"TRY_CAST(json_extract_string({LINE}, {lit(json_path(column))}) AS JSON)"
                value = (f"(CASE WHEN json_type({value}) = 'VARCHAR' AND json_type({parsed}) = 'OBJECT' "
                         f"THEN {parsed} ELSE {value} END)")
        return (f"CASE WHEN {value} IS NULL THEN NULL WHEN json_type({value}) = 'OBJECT' THEN {value} "
                f"ELSE json_object('value', {value}) END")

    def pairs(self, columns: list[str], mapping: ColumnMapping) -> str:
        """A JSON object of the columns that are present in a row (absent and empty ones left out)."""
        if not columns:
            return "'{}'::JSON"
        pairs = []
        for c in columns:
            value = self.value(c)
            if mapping.kind == "cloudevents" and c == "source":  # esengine's own source says nothing new
                value = f"CASE WHEN starts_with({self.text(c)}, '/esengine/') THEN NULL ELSE {value} END"
            pairs.append(f"{lit(c)}, {value}")
        return f"json_merge_patch('{{}}', json_object({', '.join(pairs)}))"

    def data(self, mapping: ColumnMapping, columns: list[str]) -> str:
        if self.json and mapping.data is None and mapping.data_object is None:
            # Everything but the mapped keys, nested values untouched.
            removed = ", ".join(f"{lit(c)}, NULL" for c in mapping.used() + list(mapping.metadata) +
                                list(mapping.ignore))
            return f"json_merge_patch({LINE}::JSON, json_object({removed}))"
        pairs = self.pairs(mapping.data_columns(columns), mapping)
        if mapping.data_object:
            return f"json_merge_patch(coalesce({self.object(mapping.data_object)}, '{{}}'::JSON), {pairs})"
        return pairs

    def metadata(self, mapping: ColumnMapping) -> str:
        pairs = self.pairs(list(mapping.metadata), mapping)
        if mapping.metadata_object:
            base = f"coalesce({self.object(mapping.metadata_object, from_text=True)}, '{{}}'::JSON)"
            return f"CASE WHEN {pairs}::VARCHAR = '{{}}' THEN {base} ELSE json_merge_patch({base}, {pairs}) END"
        origin = f"json_object('command', 'Import', 'source_file', {lit(self.source.name)})"
        return f"json_merge_patch({origin}, {pairs})"


def csv_types(cur: duckdb.DuckDBPyConnection, source: Source, staged: Staged, columns: list[str]) -> dict[str, str]:
    """Which of these text columns of a CSV hold only whole numbers or only numbers (over the whole file)."""
    typed: dict[str, str] = {}
    text_columns = [c for c in columns if staged.types.get(c) == "VARCHAR"]
    if source.fmt != "csv" or not text_columns:
        return typed
    checks = ", ".join(f"bool_and({q(c)} IS NULL OR regexp_full_match({q(c)}, {lit(_INT)})), "
                       f"bool_and({q(c)} IS NULL OR regexp_full_match({q(c)}, {lit(_FLOAT)}))"
                       for c in text_columns)
    found = cur.execute(f"SELECT {checks} FROM {RAW}").fetchall()[0]
    for i, c in enumerate(text_columns):
        if found[2 * i]:
            typed[c] = f"CAST({q(c)} AS BIGINT)"
        elif found[2 * i + 1]:
            typed[c] = f"CAST({q(c)} AS DOUBLE)"
    return typed


def build_events(cur: duckdb.DuckDBPyConnection, source: Source, staged: Staged, mapping: ColumnMapping,
                 stream_type: str) -> Expressions:
    """Create ``EVENTS``: one candidate event per staged row (blank CSV lines left out), still unchecked."""
    columns = staged.columns
    typed = csv_types(cur, source, staged, mapping.data_columns(columns) + list(mapping.metadata))
    quoted: set[str] = set()
    if source.fmt == "csv" and mapping.kind == "esengine":
        quoted = {c for c in (mapping.stream_id, mapping.stream_type, mapping.event_type) if c}
    x = Expressions(source, staged, typed, quoted)
    default_type = lit(stream_type)
    if mapping.stream_type:
        default_type = f"coalesce(nullif({x.text(mapping.stream_type)}, ''), {default_type})"
    optional = {
        "id_text": x.text(mapping.event_id) if mapping.event_id else "NULL::VARCHAR",
        "version_hint": f"TRY_CAST({x.text(mapping.version)} AS BIGINT)" if mapping.version else "NULL::BIGINT",
        "schema_text": x.text(mapping.schema_version) if mapping.schema_version else "NULL::VARCHAR",
        "data_text": x.text(mapping.data_object) if mapping.data_object and not x.json else "NULL::VARCHAR",
        "recorded_text": x.text(mapping.recorded_time) if mapping.recorded_time else "NULL::VARCHAR",
        "recorded_at": x.time(mapping.recorded_time) if mapping.recorded_time else "NULL::TIMESTAMP",
    }
    blank = ""
    if source.fmt == "csv":  # blank lines: every cell empty
        blank = "WHERE coalesce(" + ", ".join(q(c) for c in columns) + ") IS NOT NULL"
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE {EVENTS} AS SELECT
        {ROW} AS file_row, {x.text(mapping.stream_id)} AS stream_id, {default_type} AS stream_type,
        {x.text(mapping.event_type)} AS event_type, {x.text(mapping.time)} AS time_text,
        {x.time(mapping.time)} AS occurred_at,
        {', '.join(f'{expr} AS {name}' for name, expr in optional.items())},
        coalesce(TRY_CAST(id_text AS UUID), md5(id_text)::UUID) AS given_id,
        coalesce(TRY_CAST(schema_text AS INTEGER), 1) AS schema_version,
        {x.data(mapping, columns)} AS data, {x.metadata(mapping)} AS metadata
        FROM {RAW} {blank}""")
    return x
