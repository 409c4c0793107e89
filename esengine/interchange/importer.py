"""Importing event histories: all or nothing, with versions assigned per stream in time order.

How a file becomes events:

* the file is read in batches (:mod:`.readers`) into a temporary staging table, inside ONE
  transaction of the writer (:meth:`GroupCommitWriter.bulk_load`); any refusal rolls it all back,
  so a malformed file leaves the store exactly as it was;
* columns are mapped (:mod:`.mapping`): XES logs, esengine exports and CloudEvents are recognised;
* times with a UTC offset are normalised to UTC; times without one are taken as UTC;
* empty cells are absent values (the key is left out of the data), never the text "nan"; any
  other text, such as the literal ``EMPTY`` some logs use, is kept as it is;
* CSV columns whose every value is a number become numbers (not ones with leading zeros);
* numbers JSON cannot hold (NaN, Infinity, beyond ±1.8e308 such as ``1e400``) are refused with their
  line and column, so the stored data stays standard JSON (:mod:`.finite`);
* in esengine's own CSV export, the quote put before cells a spreadsheet would run is taken off again;
* each stream's versions follow its times (file order breaks ties; a ``version`` column, as in
  esengine's own exports, comes first), and positions follow the times across streams;
* events without an id get one derived from their stream, their place in it, their type and time,
  so importing the same file twice is refused as "already imported"; ids that are not UUIDs
  (allowed in CloudEvents) are turned into UUIDs by hashing them.

Streams that already exist are refused by default (``on_existing="refuse"``) with their names;
with ``on_existing="append"`` the file's events are added after each stream's current version,
whatever their times. After the import every registered projection catches up.
"""
from __future__ import annotations

import json

import time as clock
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

import duckdb

from esengine.core.events import utcnow
from esengine.core.text import ESCAPED_CONTROL_SQL, RAW_CONTROL_SQL, control_characters
from esengine.errors import EsEngineError, ImportRejected
from esengine.interchange.finite import SUSPECT, dotted, first_non_finite
from esengine.interchange.mapping import ColumnMapping, guess, recognise
from esengine.interchange.readers import LINE, ROW, Source, columns_of, open_source, preview, read_batches

ON_EXISTING = ("refuse", "append")
RAW, EVENTS, KEYS = "_import_raw", "_import_events", "_import_keys"
_INT = r"-?(0|[1-9][0-9]{0,17})"
_FLOAT = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?|-?0?\.[0-9]+"
_HAS_OFFSET = r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$"

Progress = Callable[[float, str], None]


@dataclass
class ImportResult:
    """What an import wrote."""

    source: str
    fmt: str
    layout: str
    events: int
    streams: int
    event_types: int
    appended_streams: int
    first_position: int
    last_position: int
    seconds: float
    stream_types: list[str]
    sample_stream: str | None  # the stream with the most events, to open in time travel

    def summary(self) -> str:
        text = (f"Imported {self.events:,} events in {self.streams:,} streams ({self.event_types:,} event types) "
                f"from {self.source} [{self.layout} {self.fmt}] in {self.seconds:.1f} s")
        if self.appended_streams:
            text += f"; {self.appended_streams:,} streams already existed and were extended"
        return text + f"; positions {self.first_position:,} to {self.last_position:,}."


@dataclass
class Preview:
    """The first rows of a file, its columns and the mapping proposed for it (for the import page)."""

    source: Source
    columns: list[str]
    rows: Any  # a pandas DataFrame
    mapping: ColumnMapping | None


def preview_file(file: Any, fmt: str | None = None, name: str | None = None, rows: int = 20) -> Preview:
    """Read the head of a file: its columns, some rows, and the mapping recognised or guessed."""
    source = open_source(file, fmt, name)
    columns = columns_of(source)
    return Preview(source, columns, preview(source, rows), guess(columns))


def import_file(engine, file: Any, fmt: str | None = None, mapping: ColumnMapping | None = None,
                stream_type: str | None = None, on_existing: str = "refuse", name: str | None = None,
                progress: Progress | None = None) -> ImportResult:
    """Import a CSV, JSON lines, JSON (CloudEvents batch) or Parquet file into ``engine``'s store.

    ``file`` is a path, bytes or a binary file object (``name`` then gives its file name, from which
    the format is told unless ``fmt`` says it). ``mapping`` is needed only for layouts that are not
    recognised. ``stream_type`` is the type of streams whose file gives none (default: the file's
    stem). Raises :class:`ImportRejected` (with the line and column at fault) and writes nothing
    when the file is refused. ``progress(fraction, message)`` reports long work.
    """
    if on_existing not in ON_EXISTING:
        raise ImportRejected(f"on_existing must be one of {', '.join(ON_EXISTING)}, not '{on_existing}'.")
    started = clock.perf_counter()
    report = progress or (lambda fraction, message: None)
    source = open_source(file, fmt, name)
    job = _Import(source, mapping, stream_type or source.stem, on_existing, report)
    try:
        written = engine.writer.bulk_load(job.run)
    except duckdb.Error as e:
        raise EsEngineError(f"The import failed in the database ({type(e).__name__}: {e}); nothing was written.") \
            from e
    names = list(engine.projections.registered)
    for i, projection in enumerate(names):
        share = 0.1 / len(names)
        engine.projections.catch_up(projection, progress=lambda done, total, i=i, name=projection, share=share: report(
            0.9 + share * (i + done / max(total, 1)), f"Updating projection {name}"))
    report(1.0, "Done")
    return ImportResult(source.name, source.fmt, job.layout, written, job.streams, job.event_types,
                        job.appended, job.first, job.first + written - 1, clock.perf_counter() - started,
                        job.stream_types, job.sample_stream)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Import:
    """One import's work inside the writer's transaction (see the module docstring)."""

    def __init__(self, source: Source, mapping: ColumnMapping | None, stream_type: str, on_existing: str,
                 progress: Progress):
        self.source, self.mapping, self.stream_type = source, mapping, stream_type
        self.on_existing, self.progress = on_existing, progress
        self.layout, self.streams, self.event_types, self.appended, self.first = "custom", 0, 0, 0, 0
        self.stream_types: list[str] = []
        self.sample_stream: str | None = None
        self.quoted: set[str] = set()  # columns of our own CSV export, where a leading quote is ours

    def run(self, cur: duckdb.DuckDBPyConnection, first_position: int) -> int:
        self.cur, self.first = cur, first_position
        rows = self._stage()
        if rows == 0:
            raise ImportRejected(f"The file '{self.source.name}' holds no events (only a header, or blank).",
                                 line=2 if self.source.fmt == "csv" else 1)
        self.progress(0.6, "Checking the events")
        columns = self._columns()
        mapping = self.mapping or recognise(columns)
        if mapping is None:
            raise ImportRejected(
                "The columns of this file are not a known layout (XES, CloudEvents or an esengine export): "
                "say which columns hold the stream id, the event type and the time (a column mapping). "
                f"Its columns are: {', '.join(repr(c) for c in columns)}.")
        mapping.check(columns)
        self.layout = mapping.kind
        self._prepare(mapping, columns)
        self._check_events(mapping)
        self._check_finite(mapping, columns)
        self._check_text(mapping)
        self._assign_versions()
        self._check_ids(mapping)
        self.progress(0.8, "Writing the events")
        written = self._insert()
        for table in (RAW, EVENTS, KEYS):  # on a refusal, the rollback removes them
            cur.execute(f"DROP TABLE {table}")
        return written

    # -- staging ----------------------------------------------------------------------------------
    def _stage(self) -> int:
        rows = 0
        size = max(self.source.size, 1)
        for batch in read_batches(self.source, lambda done, total: self.progress(0.6 * done / size,
                                                                                  "Reading the file")):
            self.cur.register("_import_batch", batch)
            try:
                if rows == 0:
                    self.cur.execute(f"CREATE OR REPLACE TEMP TABLE {RAW} AS SELECT * FROM _import_batch LIMIT 0")
                self.cur.execute(f"INSERT INTO {RAW} BY NAME SELECT * FROM _import_batch")
            except duckdb.Error as e:
                line = batch.column(ROW)[0].as_py()
                raise ImportRejected(f"The rows from line {line} on do not fit the ones before them ({e}).",
                                     line=line) from e
            finally:
                self.cur.unregister("_import_batch")
            rows += batch.num_rows
        return rows

    def _columns(self) -> list[str]:
        described = self.cur.execute(f"DESCRIBE {RAW}").fetchall()
        self.types = {r[0]: r[1] for r in described}
        self.json = LINE in self.types
        if not self.json:
            return [r[0] for r in described if r[0] != ROW]
        bad = self.cur.execute(f"SELECT {ROW}, {LINE} FROM {RAW} WHERE NOT json_valid({LINE}) "
                               f"ORDER BY {ROW} LIMIT 1").fetchall()
        if not bad:
            bad = self.cur.execute(f"SELECT {ROW}, {LINE} FROM {RAW} WHERE json_type({LINE}::JSON) <> 'OBJECT' "
                                   f"ORDER BY {ROW} LIMIT 1").fetchall()
        if bad:
            raise ImportRejected(f"This line is not a JSON object: {bad[0][1][:120]!r}. Each line (or each item "
                                 "of a JSON array) must be one event as a JSON object.", line=bad[0][0])
        return [r[0] for r in self.cur.execute(
            f"SELECT k FROM (SELECT unnest(json_keys({LINE}::JSON)) AS k, {ROW} FROM {RAW}) "
            "GROUP BY k ORDER BY min(" + ROW + ")").fetchall()]

    # -- column expressions -----------------------------------------------------------------------
    def _text(self, column: str) -> str:
        """The column as text (stream ids, event types, times)."""
        if self.json:
            return f"json_extract_string({LINE}, {_lit(_json_path(column))})"
        if column in self.quoted:  # our CSV export put a quote before cells a spreadsheet would run
            return f"CASE WHEN starts_with({_q(column)}, '''') THEN {_q(column)}[2:] ELSE {_q(column)} END"
        return f"CAST({_q(column)} AS VARCHAR)"

    def _value(self, column: str) -> str:
        """The column as a typed value for the event's data or metadata."""
        if self.json:
            return f"json_extract({LINE}, {_lit(_json_path(column))})"
        return self.typed.get(column, _q(column))

    def _infer_csv_types(self, columns: list[str]) -> None:
        """Which of these text columns of a CSV hold only whole numbers or only numbers (over the whole file)."""
        self.typed: dict[str, str] = {}
        text_columns = [c for c in columns if self.types.get(c) == "VARCHAR"]
        if self.source.fmt != "csv" or not text_columns:
            return
        checks = ", ".join(f"bool_and({_q(c)} IS NULL OR regexp_full_match({_q(c)}, {_lit(_INT)})), "
                           f"bool_and({_q(c)} IS NULL OR regexp_full_match({_q(c)}, {_lit(_FLOAT)}))"
                           for c in text_columns)
        found = self.cur.execute(f"SELECT {checks} FROM {RAW}").fetchall()[0]
        for i, c in enumerate(text_columns):
            if found[2 * i]:
                self.typed[c] = f"CAST({_q(c)} AS BIGINT)"
            elif found[2 * i + 1]:
                self.typed[c] = f"CAST({_q(c)} AS DOUBLE)"

    def _time(self, column: str) -> str:
        kind = "VARCHAR" if self.json else self.types[column]
        if kind.startswith("TIMESTAMP WITH TIME ZONE"):
            return f"timezone('UTC', {_q(column)})"
        if kind.startswith("TIMESTAMP") or kind == "DATE":
            return f"CAST({_q(column)} AS TIMESTAMP)"
        if kind != "VARCHAR":
            raise ImportRejected(f"The time column '{column}' holds {kind} values; it needs times such as "
                                 "2024-05-01T10:00:00+02:00.", column=column)
        text = self._text(column)
        return (f"CASE WHEN regexp_matches({text}, {_lit(_HAS_OFFSET)}) "
                f"THEN timezone('UTC', TRY_CAST({text} AS TIMESTAMPTZ)) ELSE TRY_CAST({text} AS TIMESTAMP) END")

    def _object(self, column: str) -> str:
        """A column holding a whole JSON object (data or metadata); other JSON values are wrapped."""
        value = f"json_extract({LINE}, {_lit(_json_path(column))})" if self.json else f"TRY_CAST({_q(column)} AS JSON)"
        return (f"CASE WHEN {value} IS NULL THEN NULL WHEN json_type({value}) = 'OBJECT' THEN {value} "
                f"ELSE json_object('value', {value}) END")

    def _pairs(self, columns: list[str], mapping: ColumnMapping) -> str:
        """A JSON object of the columns that are present in a row (absent and empty ones left out)."""
        if not columns:
            return "'{}'::JSON"
        pairs = []
        for c in columns:
            value = self._value(c)
            if mapping.kind == "cloudevents" and c == "source":  # esengine's own source says nothing new
                value = f"CASE WHEN starts_with({self._text(c)}, '/esengine/') THEN NULL ELSE {value} END"
            pairs.append(f"{_lit(c)}, {value}")
        return f"json_merge_patch('{{}}', json_object({', '.join(pairs)}))"

    def _data(self, mapping: ColumnMapping, columns: list[str]) -> str:
        if self.json and mapping.data is None and mapping.data_object is None:
            # Everything but the mapped keys, nested values untouched.
            removed = ", ".join(f"{_lit(c)}, NULL" for c in mapping.used() + list(mapping.metadata) +
                                list(mapping.ignore))
            return f"json_merge_patch({LINE}::JSON, json_object({removed}))"
        pairs = self._pairs(mapping.data_columns(columns), mapping)
        if mapping.data_object:
            return f"json_merge_patch(coalesce({self._object(mapping.data_object)}, '{{}}'::JSON), {pairs})"
        return pairs

    def _metadata(self, mapping: ColumnMapping) -> str:
        pairs = self._pairs(list(mapping.metadata), mapping)
        if mapping.metadata_object:
            base = f"coalesce({self._object(mapping.metadata_object)}, '{{}}'::JSON)"
            return f"CASE WHEN {pairs}::VARCHAR = '{{}}' THEN {base} ELSE json_merge_patch({base}, {pairs}) END"
        origin = f"json_object('command', 'Import', 'source_file', {_lit(self.source.name)})"
        return f"json_merge_patch({origin}, {pairs})"

    # -- preparing and checking -------------------------------------------------------------------
    def _prepare(self, mapping: ColumnMapping, columns: list[str]) -> None:
        self._infer_csv_types(mapping.data_columns(columns) + list(mapping.metadata))
        if self.source.fmt == "csv" and mapping.kind == "esengine":
            self.quoted = {c for c in (mapping.stream_id, mapping.stream_type, mapping.event_type) if c}
        stream_type = _lit(self.stream_type)
        if mapping.stream_type:
            stream_type = f"coalesce(nullif({self._text(mapping.stream_type)}, ''), {stream_type})"
        optional = {
            "id_text": self._text(mapping.event_id) if mapping.event_id else "NULL::VARCHAR",
            "version_hint": f"TRY_CAST({self._text(mapping.version)} AS BIGINT)" if mapping.version else "NULL::BIGINT",
            "schema_text": self._text(mapping.schema_version) if mapping.schema_version else "NULL::VARCHAR",
            "data_text": (f"{self._text(mapping.data_object)}" if mapping.data_object and not self.json
                          else "NULL::VARCHAR"),
        }
        blank = ""
        if self.source.fmt == "csv":  # blank lines: every cell empty
            blank = "WHERE coalesce(" + ", ".join(_q(c) for c in columns) + ") IS NOT NULL"
        self.cur.execute(f"""CREATE OR REPLACE TEMP TABLE {EVENTS} AS SELECT
            {ROW} AS file_row, {self._text(mapping.stream_id)} AS stream_id, {stream_type} AS stream_type,
            {self._text(mapping.event_type)} AS event_type, {self._text(mapping.time)} AS time_text,
            {self._time(mapping.time)} AS occurred_at,
            {', '.join(f'{expr} AS {name}' for name, expr in optional.items())},
            coalesce(TRY_CAST(id_text AS UUID), md5(id_text)::UUID) AS given_id,
            coalesce(TRY_CAST(schema_text AS INTEGER), 1) AS schema_version,
            {self._data(mapping, columns)} AS data, {self._metadata(mapping)} AS metadata
            FROM {RAW} {blank}""")

    def _check_events(self, mapping: ColumnMapping) -> None:
        """Refuse the first row (in file order) that lacks what an event needs, in one scan."""
        checks = [  # (condition, column at fault, text shown, message)
            ("stream_id IS NULL OR trim(stream_id) = ''", mapping.stream_id, None,
             "This row has no stream id: every event needs one."),
            ("event_type IS NULL OR trim(event_type) = ''", mapping.event_type, None,
             "This row has no event type: every event needs one."),
            ("time_text IS NULL OR trim(time_text) = ''", mapping.time, None,
             "This row has no time: every event needs one."),
            ("occurred_at IS NULL", mapping.time, "time_text",
             ("'{}' is not a time this import understands; write times in ISO 8601, e.g. 2024-05-01T10:00:00+02:00 "
              "(without an offset, UTC is assumed).")),
        ]
        if mapping.data_object and not self.json:
            checks.append(("data_text IS NOT NULL AND TRY_CAST(data_text AS JSON) IS NULL", mapping.data_object,
                           "data_text", "The data {!r} is not JSON."))
        if mapping.event_id:
            checks.append(("id_text IS NULL OR trim(id_text) = ''", mapping.event_id, None,
                           "This row has no event id."))
        if mapping.schema_version:
            checks.append(("schema_text IS NOT NULL AND TRY_CAST(schema_text AS INTEGER) IS NULL",
                           mapping.schema_version, "schema_text", "The schema version '{}' is not a whole number."))
        firsts = self.cur.execute("SELECT " + ", ".join(f"min(file_row) FILTER (WHERE {c})" for c, *_ in checks)
                                  + f" FROM {EVENTS}").fetchall()[0]
        found = [(line, i) for i, line in enumerate(firsts) if line is not None]
        if not found:
            return
        line, i = min(found)
        _, column, shown, message = checks[i]
        if shown:
            text = self.cur.execute(f"SELECT {shown} FROM {EVENTS} WHERE file_row = ?", [line]).fetchall()[0][0]
            message = message.format(text[:80])
        raise ImportRejected(message, line=line, column=column)

    def _check_finite(self, mapping: ColumnMapping, columns: list[str]) -> None:
        """Refuse the first row whose data or metadata holds NaN, Infinity or a number beyond a double."""
        sides = ["data"] + (["metadata"] if mapping.metadata or mapping.metadata_object else [])  # else: ours only
        rows = self.cur.execute(  # candidates only, almost always none; each is confirmed in Python
            f"SELECT file_row, data::VARCHAR, metadata::VARCHAR FROM {EVENTS} WHERE "
            + " OR ".join(f"regexp_matches({side}::VARCHAR, $suspect, 'i')" for side in sides) + " ORDER BY file_row",
            {"suspect": SUSPECT}).fetchall()
        whole_line = self.json and mapping.data is None and mapping.data_object is None
        data_pairs = set(columns if whole_line else mapping.data_columns(columns))
        for line, data, metadata in rows:
            for side, text, pairs, whole in (("data", data, data_pairs, mapping.data_object),
                                             ("metadata", metadata, set(mapping.metadata), mapping.metadata_object)):
                found = first_non_finite(text or "")
                if found:
                    path, literal = found
                    column = path[0] if path and path[0] in pairs else whole
                    self._refuse_non_finite(line, side, path, literal, column)

    def _check_text(self, mapping: ColumnMapping) -> None:
        """Refuse the first row with a control character in its stream, type or text values: the same rule
        (:mod:`esengine.core.text`) as for every command's text fields."""
        names = {"stream_id": mapping.stream_id, "stream_type": mapping.stream_type, "event_type": mapping.event_type}
        rows = self.cur.execute(
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

    def _refuse_non_finite(self, line: int, side: str, path: list, literal: str, column: str | None) -> None:
        """``column``: the file's column the value came from (a data or metadata column, or a JSON object's)."""
        if len(path) == 1 and column is not None and column == path[0] and not self.json:  # the cell as the file writes it
            literal = self.cur.execute(f"SELECT CAST({_q(column)} AS VARCHAR) FROM {RAW} WHERE {ROW} = ?",
                                       [line]).fetchall()[0][0]
        raise ImportRejected(
            f"{literal} (at {dotted([side] + path)}) is not a finite number: events are stored as standard JSON, "
            "which has no NaN or Infinity and no numbers beyond ±1.8e308. Write the value as text in quotes, "
            "or leave it out.", line=line, column=column)

    def _assign_versions(self) -> None:
        """A narrow table of keys per row: version, event id and place in the log (``seq``).

        Kept apart from the wide rows (data, metadata) so that the sorts of the window functions
        move a few columns only; the insert joins the two.
        """
        self.cur.execute(f"""CREATE OR REPLACE TEMP TABLE {KEYS} AS
            WITH existing AS (
                SELECT stream_id, max(version) AS current, any_value(stream_type) AS current_type FROM events
                WHERE stream_id IN (SELECT DISTINCT stream_id FROM {EVENTS}) GROUP BY stream_id),
            placed AS (
                SELECT i.file_row, i.stream_id, i.occurred_at, i.event_type, i.given_id,
                    coalesce(x.current, 0) AS current, x.current_type,
                    row_number() OVER (PARTITION BY i.stream_id ORDER BY i.version_hint NULLS LAST, i.occurred_at,
                                       i.file_row) AS nth
                FROM {EVENTS} i LEFT JOIN existing x USING (stream_id)),
            ordered AS (
                -- positions follow the times, but never put a stream's version before an earlier one
                SELECT *, max(occurred_at) OVER w AS sort_time, max(file_row) OVER w AS sort_row FROM placed
                WINDOW w AS (PARTITION BY stream_id ORDER BY nth ROWS UNBOUNDED PRECEDING))
            SELECT file_row, current, current_type, nth, current + nth AS version,
                row_number() OVER (ORDER BY sort_time, sort_row, stream_id, nth) AS seq,
                -- the file's own id, else one derived from the stream, the place in it, the type and the time
                coalesce(given_id, md5(concat_ws(chr(31), stream_id, nth, event_type,
                    strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%f')))::UUID) AS event_id
            FROM ordered""")
        self.streams, self.event_types, self.stream_types = self.cur.execute(
            f"SELECT count(DISTINCT stream_id), count(DISTINCT event_type), list(DISTINCT stream_type) "
            f"FROM {EVENTS}").fetchall()[0]
        self.appended = self.cur.execute(
            f"SELECT count(DISTINCT stream_id) FROM events WHERE stream_id IN (SELECT DISTINCT stream_id FROM {EVENTS})"
        ).fetchall()[0][0]
        if self.appended:  # an existing stream keeps its type
            self.stream_types = [t for (t,) in self.cur.execute(
                f"SELECT DISTINCT coalesce(k.current_type, e.stream_type) FROM {EVENTS} e JOIN {KEYS} k "
                "USING (file_row)").fetchall()]
        self.stream_types = sorted(self.stream_types)
        self.sample_stream = self.cur.execute(
            f"SELECT stream_id FROM {EVENTS} GROUP BY stream_id ORDER BY count(*) DESC, stream_id LIMIT 1"
        ).fetchall()[0][0]

    def _check_ids(self, mapping: ColumnMapping) -> None:
        where = f" (column '{mapping.event_id}')" if mapping.event_id else ""
        if mapping.event_id:  # derived ids differ by construction (stream id and place in it)
            twice = self.cur.execute(f"""SELECT CAST(event_id AS VARCHAR), list(file_row ORDER BY file_row) FROM {KEYS}
                GROUP BY event_id HAVING count(*) > 1 ORDER BY min(file_row) LIMIT 1""").fetchall()
            if twice:
                event_id, lines = twice[0]
                raise ImportRejected(f"The event id {event_id}{where} appears twice in the file (first at line "
                                     f"{lines[0]}): event ids must be unique.", line=lines[1], column=mapping.event_id)
        if mapping.event_id or self.appended:  # a derived id can only be stored already in an existing stream
            stored = self.cur.execute(f"""SELECT r.file_row, CAST(r.event_id AS VARCHAR), count(*) OVER ()
                FROM {KEYS} r JOIN events e ON e.event_id = r.event_id ORDER BY r.file_row LIMIT 1""").fetchall()
            if stored:
                line, event_id, n = stored[0]
                raise ImportRejected(f"{n:,} events of this file are already in the store (the first is {event_id}):"
                                     " it was probably imported before. Nothing was written.", line=line,
                                     column=mapping.event_id)
        if self.appended and self.on_existing == "refuse":
            names = [r[0] for r in self.cur.execute(
                f"SELECT DISTINCT stream_id FROM {EVENTS} WHERE stream_id IN (SELECT stream_id FROM events) "
                "ORDER BY stream_id LIMIT 5").fetchall()]
            raise ImportRejected(
                f"{self.appended:,} streams of this file already exist in the store "
                f"({', '.join(repr(n) for n in names)}{', ...' if self.appended > 5 else ''}). Nothing was written. "
                "To add the file's events after each stream's current version, import with "
                "'append to existing streams' (command line: --append).")

    def _insert(self) -> int:
        # Written in position order, so later reads by position range skip whole row groups.
        return self.cur.execute(f"""INSERT INTO events
            SELECT ? - 1 + k.seq, k.event_id, e.stream_id, coalesce(k.current_type, e.stream_type), k.version,
                e.event_type, e.schema_version, e.data, e.metadata, e.occurred_at, ?::TIMESTAMP, NULL
            FROM {EVENTS} e JOIN {KEYS} k USING (file_row)
            ORDER BY k.seq""", [self.first, utcnow()]).fetchall()[0][0]


def _json_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


__all__ = ["import_file", "preview_file", "ImportResult", "Preview", "ON_EXISTING"]
