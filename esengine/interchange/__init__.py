"""Moving event histories in and out of the store: readers, column mapping, importer and exporters.

Formats: CSV, JSON lines, JSON (a CloudEvents batch), Parquet, XES (``.xes``, ``.xes.gz``) and, to import,
the SQLite database of the Python ``eventsourcing`` library.

- :func:`import_file` ``(engine, file, fmt=None, mapping=None, stream_type=None, on_existing="refuse")``
- :func:`preview_file` ``(file)``: columns, first rows and the recognised or guessed mapping
- :func:`export_events` ``(store, where, fmt, out) -> int`` and :func:`export_bytes`
"""
from esengine.interchange.export import FORMATS, export_bytes, export_events
from esengine.interchange.importer import ImportResult, Preview, import_file, preview_file
from esengine.interchange.mapping import ColumnMapping

__all__ = ["FORMATS", "ColumnMapping", "ImportResult", "Preview", "export_bytes", "export_events", "import_file",
           "preview_file"]
