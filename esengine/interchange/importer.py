"""Importing event histories: all or nothing, with versions assigned per stream in time order.

How a file becomes events, each step a module of its own, all inside ONE transaction of the writer
(:meth:`GroupCommitWriter.bulk_load`), so any refusal rolls it all back and a malformed file leaves the
store exactly as it was:

1. :mod:`.readers` read the file in batches, :mod:`.staging` puts them in a temporary table;
2. :mod:`.mapping` says which column is what: XES logs (CSV or XES files), esengine exports, CloudEvents
   and the ``eventsourcing`` library's stored events are recognised;
3. :mod:`.expressions` turns each row into a candidate event, :mod:`.checks` refuses the first fault;
4. :mod:`.placing` gives each event its version, id and position, and inserts them all at once.

What that means for a file:

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
  (allowed in CloudEvents) are turned into UUIDs by hashing them;
* events are recorded at the time of the import, unless the file says when they were recorded (the
  ``recorded_at`` column or ``recordedtime`` extension of esengine's own exports).

Streams that already exist are refused by default (``on_existing="refuse"``) with their names;
with ``on_existing="append"`` the file's events are added after each stream's current version,
whatever their times. After the import every registered projection catches up.
"""
from __future__ import annotations

import time as clock
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from esengine.errors import EsEngineError, ImportRejected
from esengine.interchange.checks import (
    check_events,
    check_finite,
    check_ids,
    check_text,
)
from esengine.interchange.expressions import build_events
from esengine.interchange.mapping import ColumnMapping, guess, recognise, xes_mapping
from esengine.interchange.placing import Placed, insert, place
from esengine.interchange.readers import Source, columns_of, open_source, preview
from esengine.interchange.staging import EVENTS, KEYS, RAW, stage, staged_columns

ON_EXISTING = ("refuse", "append")

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
    placed = job.placed
    return ImportResult(source.name, source.fmt, job.layout, written, placed.streams, placed.event_types,
                        placed.appended, job.first, job.first + written - 1, clock.perf_counter() - started,
                        placed.stream_types, placed.sample_stream)


class _Import:
    """One import's work inside the writer's transaction: stage, map, build, check, place, insert."""

    def __init__(self, source: Source, mapping: ColumnMapping | None, stream_type: str, on_existing: str,
                 progress: Progress):
        self.source, self.mapping, self.stream_type = source, mapping, stream_type
        self.on_existing, self.progress = on_existing, progress
        self.layout, self.first = "custom", 0
        self.placed = Placed()

    def run(self, cur: duckdb.DuckDBPyConnection, first_position: int) -> int:
        self.first = first_position
        stage(cur, self.source, self.progress)
        self.progress(0.6, "Checking the events")
        staged = staged_columns(cur)
        mapping = self._mapping(staged.columns)
        build_events(cur, self.source, staged, mapping, self.stream_type)
        check_events(cur, mapping, staged)
        check_finite(cur, mapping, staged)
        check_text(cur, mapping)
        self.placed = place(cur)
        check_ids(cur, mapping, self.placed.appended, self.on_existing)
        self.progress(0.8, "Writing the events")
        written = insert(cur, first_position)
        for table in (RAW, EVENTS, KEYS):  # on a refusal, the rollback removes them
            cur.execute(f"DROP TABLE {table}")
        return written

    def _mapping(self, columns: list[str]) -> ColumnMapping:
        mapping = self.mapping or recognise(columns)
        if mapping is None and self.source.fmt == "xes":  # events that lack a name are refused by their line
            return xes_mapping(columns)
        if mapping is None:
            raise ImportRejected(
                "The columns of this file are not a known layout (XES, CloudEvents or an esengine export): "
                "say which columns hold the stream id, the event type and the time (a column mapping). "
                f"Its columns are: {', '.join(repr(c) for c in columns)}.")
        mapping.check(columns)
        self.layout = mapping.kind
        return mapping


__all__ = ["ON_EXISTING", "ImportResult", "Preview", "import_file", "preview_file"]
