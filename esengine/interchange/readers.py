"""Reading files to import: CSV, JSON lines, a JSON array (CloudEvents batch), Parquet, XES logs (:mod:`.xes`)
and the ``eventsourcing`` library's SQLite database (:mod:`.eventsourcing_db`).

Each reader streams its file in batches of Arrow rows, each row tagged with ``_row``, where it sits
in the file (the line for CSV and JSON lines, the row for Parquet, the item for a JSON array), so
that a refusal can say where the fault is. CSV cells arrive as text (empty cells as null) and are
typed later over the whole file; JSON rows arrive as one JSON text per row (``_line``), and so do the
events of an XES log (tagged with the line of their ``<event>``) and the library's stored events.

The format is told by the file's name, else by its first bytes (gzip, XML, SQLite).

The database connection cannot read files (it is sealed), so all file access is here, in Python.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from esengine.errors import ImportRejected
from esengine.interchange.eventsourcing_db import eventsourcing_batches, is_sqlite
from esengine.interchange.xes import is_gzip, open_text, xes_batches

FORMATS = ("csv", "jsonl", "json", "parquet", "xes", "sqlite")
_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
             ".json": "json", ".parquet": "parquet", ".pq": "parquet", ".xes": "xes", ".xes.gz": "xes"}
BATCH_ROWS = 200_000
_BLOCK = 16 << 20
ROW, LINE = "_row", "_line"  # the file position of a row; the JSON text of a row
UNNAMED = "_unnamed"  # prefix of a CSV column with an empty header; such columns are not imported


@dataclass
class Source:
    """A file to import: its name, its format and a way to open it (again) as binary."""

    name: str
    fmt: str
    opener: Callable[[], IO[bytes]]
    size: int
    path: Path | None = None  # the file on disk, if it is one (SQLite reads it in place)

    @property
    def stem(self) -> str:
        name = Path(self.name)
        return Path(name.stem).stem if name.suffix.lower() == ".gz" else name.stem


def open_source(file: Any, fmt: str | None = None, name: str | None = None) -> Source:
    """A :class:`Source` for a path, bytes, or a binary file object (e.g. a Streamlit upload)."""
    path: Path | None = None
    if isinstance(file, (str, Path)):
        path = Path(file)
        if not path.is_file():
            raise ImportRejected(f"There is no file {path}. Check the path.")
        name = name or path.name
        opener: Callable[[], IO[bytes]] = lambda: open(path, "rb")  # noqa: E731, SIM115 - opened by the reader, in a with
        size = path.stat().st_size
    else:
        data = file if isinstance(file, (bytes, bytearray)) else file.getvalue() if hasattr(file, "getvalue") \
            else file.read()
        name = name or getattr(file, "name", None) or "upload"
        opener = lambda: io.BytesIO(data)  # noqa: E731
        size = len(data)
    if size == 0:
        raise ImportRejected(f"The file '{name}' is empty: there are no events to import.", line=1)
    fmt = fmt or _by_name(name) or _by_content(opener)
    if fmt not in FORMATS:
        raise ImportRejected(f"Cannot tell the format of '{name}' from its name or its first bytes: choose one of "
                             f"{', '.join(FORMATS)} (files ending in .csv, .jsonl, .json, .parquet, .xes or .xes.gz "
                             "are known, and so are an eventsourcing SQLite database and gzip-compressed XES).")
    return Source(name, fmt, opener, size, path)


def _by_name(name: str) -> str | None:
    suffixes = [s.lower() for s in Path(name).suffixes]
    return _SUFFIXES.get("".join(suffixes[-2:])) or (_SUFFIXES.get(suffixes[-1]) if suffixes else None)


def _by_content(opener: Callable[[], IO[bytes]]) -> str | None:
    """XES (also gzip-compressed) and SQLite by their first bytes; a DuckDB file is refused plainly."""
    with opener() as raw:
        head = raw.read(16)
        if is_gzip(head):
            raw.seek(0)
            try:
                head = open_text(raw).read(512)
            except (OSError, EOFError):
                return None
    if is_sqlite(head):
        return "sqlite"
    if head[8:12] == b"DUCK":
        raise ImportRejected("This is a DuckDB database, not a file of events: open it as the store "
                             "(--db or ESENGINE_DB), or export its events from the app that wrote it.")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"<?xml", b"<log")):
        return "xes"
    return None


# -- batches -------------------------------------------------------------------------------------
def read_batches(source: Source, progress: Callable[[int, int], None] | None = None,
                 batch_rows: int | None = None) -> Iterator[pa.Table]:
    """The file's rows in batches (see the module docstring); ``progress(bytes_done, bytes_total)``.

    ``batch_rows`` bounds the rows of an XES or SQLite batch (the preview reads only the first few)."""
    report = progress or (lambda done, total: None)
    rows = batch_rows or BATCH_ROWS
    if source.fmt == "xes":
        with source.opener() as raw:
            yield from xes_batches(raw, source.size, report, rows, _lines_table)
        return
    if source.fmt == "sqlite":
        data = None if source.path is not None else source.opener().read()
        yield from eventsourcing_batches(source.path, data, source.size, report, rows, _lines_table)
        return
    reader = {"csv": _csv_batches, "jsonl": _jsonl_batches, "json": _json_batches,
              "parquet": _parquet_batches}[source.fmt]
    yield from reader(source, report)


def csv_header(source: Source) -> tuple[list[str], str]:
    """The column names of a CSV file and its delimiter (comma, semicolon, tab or bar)."""
    with source.opener() as f:
        first = f.readline(1 << 20)
    try:
        text = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as e:
        raise ImportRejected(f"The file is not UTF-8 text ({e.reason} at byte {e.start}); save it as UTF-8.",
                             line=1) from e
    if not text.strip():
        raise ImportRejected("The file has no header line: the first line must name the columns.", line=1)
    delimiter = max((",", ";", "\t", "|"), key=text.count)
    names = next(csv.reader([text], delimiter=delimiter))
    # An unnamed column (a saved pandas index) gets a name so the reader accepts it; it is ignored later.
    names = [n if n else f"{UNNAMED}{i}" for i, n in enumerate(names)]
    seen = set()
    for name in names:
        if name in seen and name:
            raise ImportRejected(f"The column name '{name}' appears twice in the header.", line=1, column=name)
        seen.add(name)
    return names, delimiter


def _csv_options(source: Source, use_threads: bool = True, handler=None):
    columns, delimiter = csv_header(source)
    read = pacsv.ReadOptions(column_names=columns, skip_rows=1, block_size=_BLOCK, use_threads=use_threads)
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False,
                               invalid_row_handler=handler)
    convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in columns}, null_values=[""],
                                   strings_can_be_null=True, quoted_strings_can_be_null=True)
    return columns, read, parse, convert


def _csv_batches(source: Source, progress) -> Iterator[pa.Table]:
    ragged: list[Any] = []

    def on_ragged(row) -> str:
        ragged.append(row)
        return "error"

    _columns, read, parse, convert = _csv_options(source, handler=on_ragged)
    row = 2  # line 1 is the header
    with source.opener() as f:
        try:
            reader = pacsv.open_csv(f, read_options=read, parse_options=parse, convert_options=convert)
            for batch in reader:
                n = batch.num_rows
                table = pa.Table.from_batches([batch]).append_column(ROW, pa.array(range(row, row + n), pa.int64()))
                row += n
                progress(f.tell(), source.size)
                yield table
        except pa.ArrowInvalid as e:
            if ragged:
                _refuse_ragged(source, ragged[0])
            if "UTF8" in str(e) or "utf8" in str(e).lower():
                _refuse_encoding(source)
            raise ImportRejected(f"The CSV file cannot be read: {e}") from e


def _refuse_ragged(source: Source, row) -> None:
    number = row.number
    if number is None:  # the parallel reader does not know line numbers; find it again in one thread
        found: list[Any] = []

        def note(ragged_row: Any) -> str:
            found.append(ragged_row)
            return "error"
        _, read, parse, convert = _csv_options(source, use_threads=False, handler=note)
        with source.opener() as f:
            try:
                pacsv.open_csv(f, read_options=read, parse_options=parse, convert_options=convert).read_all()
            except pa.ArrowInvalid:
                pass
        number = found[0].number if found else None
    raise ImportRejected(f"This row has {row.actual_columns} values but the header names {row.expected_columns} "
                         f"columns: {row.text[:120]!r}. Every row needs one value per column.", line=number)


def _refuse_encoding(source: Source) -> None:
    with source.opener() as f:
        for number, raw in enumerate(f, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as e:
                cells = next(csv.reader([raw.decode("utf-8", "replace")]), [])
                names, _ = csv_header(source)
                column = next((names[i] for i, c in enumerate(cells) if "\ufffd" in c and i < len(names)), None)
                raise ImportRejected(f"The file is not UTF-8 text (byte {raw[e.start:e.start + 1]!r} cannot be "
                                     "read). Save it as UTF-8 and import it again.", line=number, column=column)
    raise ImportRejected("The file is not UTF-8 text. Save it as UTF-8 and import it again.")


def _jsonl_batches(source: Source, progress) -> Iterator[pa.Table]:
    rows: list[int] = []
    lines: list[str] = []
    done = 0
    with source.opener() as f:
        for number, raw in enumerate(f, start=1):
            done += len(raw)
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8").strip()
            except UnicodeDecodeError as e:
                raise ImportRejected(f"The file is not UTF-8 text (byte {raw[e.start:e.start + 1]!r} cannot be "
                                     "read). Save it as UTF-8 and import it again.", line=number) from e
            if not text:
                continue
            rows.append(number)
            lines.append(text)
            if len(lines) >= BATCH_ROWS:
                yield _lines_table(rows, lines)
                progress(done, source.size)
                rows, lines = [], []
    if lines:
        yield _lines_table(rows, lines)
    progress(source.size, source.size)


def _json_batches(source: Source, progress) -> Iterator[pa.Table]:
    """A JSON array of objects (a CloudEvents batch), one object, or, failing that, JSON lines."""
    with source.opener() as f:
        raw = f.read()
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        yield from _jsonl_batches(source, progress)  # reports the line at fault
        return
    except json.JSONDecodeError as e:
        if e.msg == "Extra data":  # several documents, one per line: JSON lines under a .json name
            yield from _jsonl_batches(source, progress)
            return
        raise ImportRejected(f"The file is not valid JSON: {e.msg} (column {e.colno}).", line=e.lineno) from e
    items = document if isinstance(document, list) else [document]
    for start in range(0, len(items), BATCH_ROWS):
        chunk = items[start:start + BATCH_ROWS]
        yield _lines_table(list(range(start + 1, start + 1 + len(chunk))),
                           [json.dumps(item, ensure_ascii=False) for item in chunk])
    progress(source.size, source.size)


def _lines_table(rows: list[int], lines: list[str]) -> pa.Table:
    return pa.table({ROW: pa.array(rows, pa.int64()), LINE: pa.array(lines, pa.string())})


def _parquet_batches(source: Source, progress) -> Iterator[pa.Table]:
    with source.opener() as f:
        try:
            parquet = pq.ParquetFile(f)
        except (pa.ArrowInvalid, OSError) as e:
            raise ImportRejected(f"The file is not a readable Parquet file: {e}") from e
        total = parquet.metadata.num_rows
        row = 1
        try:
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
                n = batch.num_rows
                yield pa.Table.from_batches([batch]).append_column(ROW, pa.array(range(row, row + n), pa.int64()))
                row += n
                progress(int(source.size * (row - 1) / max(total, 1)), source.size)
        except (pa.ArrowInvalid, OSError) as e:
            raise ImportRejected(f"The Parquet file is damaged near row {row}: {e}", line=row) from e


# -- preview -------------------------------------------------------------------------------------
def preview(source: Source, rows: int = 20) -> pd.DataFrame:
    """The first ``rows`` rows of the file as a table, columns as the file names them (for the page)."""
    batch = next(read_batches(_head(source), batch_rows=max(rows, 1000)), None)
    if batch is None:
        return pd.DataFrame()
    batch = batch.slice(0, rows)
    if LINE in batch.column_names:
        records = []
        for text in batch.column(LINE).to_pylist():
            try:
                item = json.loads(text)
            except json.JSONDecodeError:
                item = {"(not JSON)": text}
            records.append({k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in
                            (item.items() if isinstance(item, dict) else {"(value)": item}.items())})
        frame = pd.DataFrame.from_records(records)
        return frame.astype(object).where(frame.notna(), "")  # a key a row lacks shows empty, not "None"
    frame = batch.drop_columns([ROW]).to_pandas()
    return frame.astype(object).where(frame.notna(), "")  # an empty cell shows empty, not "None"


def _head(source: Source, limit: int = 1 << 20) -> Source:
    """The first megabyte of a text file (whole lines only), for a quick preview."""
    if source.fmt in ("parquet", "json", "xes", "sqlite") or source.size <= limit:
        return source
    with source.opener() as f:
        head = f.read(limit)
    head = head[:head.rfind(b"\n") + 1] or head
    return Source(source.name, source.fmt, lambda: io.BytesIO(head), len(head))


def columns_of(source: Source) -> list[str]:
    """The column names of the file (for JSON, the keys of the first rows, in order of appearance)."""
    if source.fmt == "csv":
        return csv_header(source)[0]
    if source.fmt == "parquet":
        with source.opener() as f:
            return pq.ParquetFile(f).schema_arrow.names
    return list(preview(source, rows=1000).columns)
