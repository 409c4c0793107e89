"""Reading the stored events of the Python ``eventsourcing`` library from its SQLite database, as they are.

The library keeps each aggregate's events in a table ``stored_events`` (``originator_id``,
``originator_version``, ``topic``, ``state``): ``topic`` names the event's class (``module:Dog.Registered``)
and ``state`` is the event's attributes, JSON-encoded by its ``JSONTranscoder``, where values JSON has no
type for are objects ``{"_type_": name, "_data_": value}`` (``uuid_hex``, ``decimal_str``, ``datetime_iso``).

Each stored event becomes one row (see :func:`esengine.interchange.mapping.recognise`):

* the stream is the originator id, the version its originator version;
* the event type is the class name (``Registered``), the stream type the aggregate's class (``Dog``: the
  topic's class path without the event's name; for an event class not nested in its aggregate, the
  ``originator_topic`` the stream's first event records); the full topic is kept in the metadata;
* the data is the decoded state without the library's bookkeeping: ``timestamp`` becomes the time,
  ``originator_topic`` goes to the metadata, ``class_version`` becomes the schema version. UUIDs are
  written as text, decimals as text (exact), datetimes as ISO text; a value of a type the library's
  application registered itself is kept as its ``{"_type_", "_data_"}`` object.

Refused, plainly: a database without the table; events whose state is not UTF-8 JSON, which is what
an application configured with a compressor (``COMPRESSOR_TOPIC``) or a cipher (``CIPHER_KEY``) stores.
"""
from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from esengine.errors import ImportRejected

SQLITE_MAGIC = b"SQLite format 3\x00"
TABLE = "stored_events"
COLUMNS = ("originator_id", "originator_version", "topic", "state")
# The row's keys, recognised as this layout by mapping.recognise.
STREAM, VERSION, TOPIC, TYPE, STREAM_TYPE, TIME, SCHEMA, DATA, META = (
    "originator_id", "originator_version", "topic", "event_type", "stream_type", "timestamp", "class_version",
    "state", "metadata")


def is_sqlite(head: bytes) -> bool:
    return head.startswith(SQLITE_MAGIC)


def _connect(path: Path | None, data: bytes | None) -> sqlite3.Connection:
    try:
        if path is not None:  # read-only, so the library's database is never changed
            return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        con = sqlite3.connect(":memory:")
        raw = data or b""
        if raw[18:20] == b"\x02\x02":  # a database in WAL mode: in memory it is read as a rollback-journal one
            raw = raw[:18] + b"\x01\x01" + raw[20:]
        con.deserialize(raw)
        return con
    except sqlite3.Error as e:
        raise ImportRejected(f"The SQLite database cannot be opened: {e}.") from e


def _table(con: sqlite3.Connection) -> str:
    """``stored_events``, else the one table with the library's four columns (a named application's table)."""
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    except sqlite3.DatabaseError as e:
        raise ImportRejected(f"The SQLite database cannot be read: {e}.") from e
    if TABLE in tables:
        return TABLE
    fitting = [t for t in tables if "snapshot" not in t.lower()
               and set(COLUMNS) <= {r[1] for r in con.execute("SELECT * FROM pragma_table_info(?)", [t])}]
    if len(fitting) == 1:
        return fitting[0]
    listed = ", ".join(tables) or "none"
    if fitting:
        raise ImportRejected(f"This SQLite database holds several tables of stored events ({', '.join(fitting)}); "
                             "copy the one to import into a database of its own as stored_events.")
    raise ImportRejected(f"This SQLite database has no table '{TABLE}', where the eventsourcing library keeps its "
                         f"events (originator_id, originator_version, topic, state). Its tables: {listed}.")


def _plain(value: Any) -> Any:
    """A transcoded value as plain JSON: UUIDs, decimals and datetimes as text; others kept as they are."""
    if isinstance(value, dict):
        if set(value) == {"_type_", "_data_"}:
            kind, data = value["_type_"], value["_data_"]
            if kind == "uuid_hex" and isinstance(data, str):
                try:
                    return str(uuid.UUID(data))
                except ValueError:
                    return data
            if kind in ("decimal_str", "datetime_iso"):
                return data
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _class_path(topic: str) -> tuple[str, str | None]:
    """``module:Dog.Registered`` -> (``Registered``, ``Dog``); ``module:DogRegistered`` -> (``DogRegistered``, None)."""
    path = topic.rsplit(":", 1)[-1]
    owner, _, name = path.rpartition(".")
    return name, owner or None


def _row(originator_id: Any, version: Any, topic: Any, state: Any, stream_type: str | None) -> dict[str, Any]:
    where = f"originator {originator_id} version {version} (topic {topic})"
    raw = state if isinstance(state, bytes) else str(state).encode("utf-8")
    try:
        decoded = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        compressed = raw[:1] == b"\x78" or raw[:3] == b"BZh" or raw[:4] == b"\x28\xb5\x2f\xfd"
        raise ImportRejected(
            f"The stored state of {where} is not JSON text: it looks "
            f"{'compressed' if compressed else 'encrypted or compressed'}. Events of an application with a "
            "compressor (COMPRESSOR_TOPIC) or a cipher (CIPHER_KEY) cannot be read as they are: export them "
            "from the application without compression and encryption first. Nothing was written.") from None
    if not isinstance(decoded, dict):
        raise ImportRejected(f"The stored state of {where} is JSON but not an object of the event's attributes.")
    state_dict: dict[str, Any] = _plain(decoded)
    timestamp = state_dict.pop("timestamp", None)
    metadata: dict[str, Any] = {"command": "Import", "topic": topic}
    if "originator_topic" in state_dict:
        metadata["originator_topic"] = state_dict.pop("originator_topic")
    event_type, _ = _class_path(str(topic))
    row = {STREAM: str(originator_id), VERSION: version, TOPIC: topic, TYPE: event_type, TIME: timestamp,
           STREAM_TYPE: stream_type, DATA: state_dict, META: metadata}
    if "class_version" in state_dict:
        row[SCHEMA] = state_dict.pop("class_version")
    return row


def _stream_type(topic: str, state: Any) -> str | None:
    """The aggregate's class name from an event's topic, else from the ``originator_topic`` in its state."""
    _, owner = _class_path(topic)
    if owner:
        return owner
    try:
        decoded = json.loads(state)
        origin = decoded.get("originator_topic") if isinstance(decoded, dict) else None
    except (ValueError, TypeError):
        return None
    return _class_path(origin)[0] if isinstance(origin, str) else None


def eventsourcing_batches(path: Path | None, data: bytes | None, size: int, progress: Callable[[int, int], None],
                          batch_rows: int, to_table: Callable[[list[int], list[str]], pa.Table]
                          ) -> Iterator[pa.Table]:
    """The stored events as tables of (row number, JSON row), a stream's events together, in version order."""
    con = _connect(path, data)
    try:
        table = _table(con)
        quoted = '"' + table.replace('"', '""') + '"'
        total = con.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
        rows: list[int] = []
        lines: list[str] = []
        stream: Any = object()
        stream_type: str | None = None
        for n, (originator_id, version, topic, state) in enumerate(con.execute(
                f"SELECT originator_id, originator_version, topic, state FROM {quoted} "
                "ORDER BY originator_id, originator_version"), start=1):
            if originator_id != stream:  # the stream's type is told by its first event
                stream, stream_type = originator_id, _stream_type(str(topic), state)
            rows.append(n)
            lines.append(json.dumps(_row(originator_id, version, topic, state, stream_type), ensure_ascii=False))
            if len(lines) >= batch_rows:
                yield to_table(rows, lines)
                progress(size * n // max(total, 1), size)
                rows, lines = [], []
        if lines:
            yield to_table(rows, lines)
        progress(size, size)
    except sqlite3.DatabaseError as e:
        raise ImportRejected(f"The SQLite database cannot be read: {e}.") from e
    finally:
        con.close()
