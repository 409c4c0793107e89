"""Exporting events: a stream, a filter or the whole store, as CloudEvents JSON lines, CSV or Parquet.

All three formats carry everything needed to import the events again unchanged (see
:mod:`esengine.interchange.importer`): event id, stream id and type, version, event type, schema
version, data, metadata and both times. Times are UTC. In CSV and Parquet, ``data`` and ``metadata``
are JSON text, so nested values survive the round trip. CSV cells a spreadsheet would run as a formula
get a leading quote (OWASP's advice), which the importer takes off again (see ``_RISKY`` below).

JSON lines are CloudEvents 1.0 in structured mode, one event per line::

    {"specversion": "1.0", "id": <event_id>, "source": "/esengine/<stream_type>", "type": <event_type>,
     "subject": <stream_id>, "time": "2026-05-31T10:00:00.000000Z", "datacontenttype": "application/json",
     "data": {...}, "streamtype": ..., "streamversion": <version>, "schemaversion": ...,
     "recordedtime": "...Z", "esmetadata": {...}}

The SQL connection is sealed (no file access), so rows are read as Arrow and written from Python,
batch by batch, so a large store never has to fit in memory at once.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import IO, Literal
from collections.abc import Callable

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from esengine.errors import EsEngineError, ValidationError
from esengine.store.filters import EventFilter

Format = Literal["jsonl", "csv", "parquet"]
FORMATS: tuple[str, ...] = ("jsonl", "csv", "parquet")
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
BATCH_ROWS = 100_000

_ISO = "'%Y-%m-%dT%H:%M:%S.%fZ'"
_CLOUDEVENT_SQL = f"""json_object(
    'specversion', '1.0', 'id', CAST(event_id AS VARCHAR), 'source', '/esengine/' || stream_type,
    'type', event_type, 'subject', stream_id, 'time', strftime(occurred_at, {_ISO}),
    'datacontenttype', 'application/json', 'data', coalesce(data, '{{}}'::JSON),
    'streamtype', stream_type, 'streamversion', version, 'schemaversion', schema_version,
    'recordedtime', strftime(recorded_at, {_ISO}), 'esmetadata', coalesce(metadata, '{{}}'::JSON)
)::VARCHAR AS line"""
_TABLE_SQL = ("CAST(event_id AS VARCHAR) AS event_id, stream_id, stream_type, version, event_type, schema_version, "
              "occurred_at, CAST(data AS VARCHAR) AS data, CAST(metadata AS VARCHAR) AS metadata, recorded_at, "
              "position")
# A text cell a spreadsheet would run as a formula (=, +, @, tab, carriage return, or - before anything but a
# plain number) gets a leading quote, as OWASP recommends; so does a cell that already starts with a quote, so
# the importer takes exactly one quote off every quoted cell of our CSV and the round trip is exact. Only the
# three free-text columns need it: ids, times and numbers never start so, data and metadata start with "{".
_RISKY = (r"regexp_matches({0}, '^[=+@\t\r'']') OR (starts_with({0}, '-') AND "
          r"NOT regexp_full_match({0}, '-[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?'))")


def _neutralised(column: str) -> str:
    return f"CASE WHEN {_RISKY.format(column)} THEN concat(chr(39), {column}) ELSE {column} END AS {column}"


_CSV_SQL = (f"CAST(event_id AS VARCHAR) AS event_id, {_neutralised('stream_id')}, {_neutralised('stream_type')}, "
            f"version, {_neutralised('event_type')}, schema_version, "
            f"strftime(occurred_at, {_ISO}) AS occurred_at, CAST(data AS VARCHAR) AS data, "
            f"CAST(metadata AS VARCHAR) AS metadata, strftime(recorded_at, {_ISO}) AS recorded_at, position")

Out = str | Path | IO[bytes]


def export_events(store, where: EventFilter | None = None, fmt: Format = "jsonl", out: Out | None = None,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Write the events matching ``where`` (all when None) to ``out`` in position order; returns how many.

    ``fmt`` is ``"jsonl"`` (CloudEvents JSON lines), ``"csv"`` or ``"parquet"``. ``out`` is a file path
    or a binary file object (e.g. ``io.BytesIO`` for a download button). ``progress(done, total)`` is
    called after each batch. Accepts an :class:`~esengine.engine.Engine` or its ``EventStore``.
    """
    store = getattr(store, "store", store)
    if fmt not in FORMATS:
        raise ValidationError(f"Unknown export format '{fmt}': choose one of {', '.join(FORMATS)}.",
                              {"format": f"one of {', '.join(FORMATS)}"})
    if out is None:
        raise ValidationError("Say where to write the export (a file path or a binary file object).",
                              {"out": "required"})
    clause, params = (where or EventFilter()).where()
    total = store.count(where)
    select = {"jsonl": _CLOUDEVENT_SQL, "csv": _CSV_SQL, "parquet": _TABLE_SQL}[fmt]
    # A cursor of its own: the result is read to the end batch by batch while the caller's cursor stays free.
    cur = store.cursor().cursor()
    try:
        reader = cur.sql(f"SELECT {select} FROM events WHERE {clause} ORDER BY position",
                         params=params).to_arrow_reader(BATCH_ROWS)
        target, close = _open(out)
        try:
            written = _WRITERS[fmt](reader, target, total, progress)
        finally:
            if close:
                target.close()
    except OSError as e:
        raise EsEngineError(f"The export could not be written to {out}: {e}. Check the path and free space.") from e
    finally:
        cur.close()
    return written


def export_bytes(store, where: EventFilter | None = None, fmt: Format = "jsonl") -> bytes:
    """The export as bytes in memory (for a download button; prefer a path for large exports)."""
    buffer = io.BytesIO()
    export_events(store, where, fmt, buffer)
    return buffer.getvalue()


def _open(out: Out) -> tuple[IO[bytes], bool]:
    if isinstance(out, (str, Path)):
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        return open(out, "wb"), True
    return out, False


def _write_jsonl(reader: pa.RecordBatchReader, out: IO[bytes], total: int, progress) -> int:
    done = 0
    for batch in reader:
        lines = batch.column(0).to_pylist()
        if lines:
            out.write(("\n".join(lines) + "\n").encode("utf-8"))
        done += batch.num_rows
        if progress:
            progress(done, total)
    return done


def _write_csv(reader: pa.RecordBatchReader, out: IO[bytes], total: int, progress) -> int:
    done = 0
    with pacsv.CSVWriter(out, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
            done += batch.num_rows
            if progress:
                progress(done, total)
    return done


def _write_parquet(reader: pa.RecordBatchReader, out: IO[bytes], total: int, progress) -> int:
    # Times are UTC: say so in the file, so other tools do not read them as local times.
    schema = reader.schema
    for name in ("occurred_at", "recorded_at"):
        i = schema.get_field_index(name)
        schema = schema.set(i, pa.field(name, pa.timestamp("us", tz="UTC")))
    done = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for batch in reader:
            writer.write_table(pa.Table.from_batches([batch]).cast(schema))
            done += batch.num_rows
            if progress:
                progress(done, total)
    return done


_WRITERS = {"jsonl": _write_jsonl, "csv": _write_csv, "parquet": _write_parquet}
