"""The commit journal: where a command's commit becomes durable before DuckDB holds it.

A DuckDB commit costs a millisecond or more per statement on this kind of machine, so one command (its
events, its read-model rows, its command-log row, a checkpoint) cannot commit faster than about 200 a
second in DuckDB. The journal is a plain append-only file beside the database (``<db>.journal``): a commit
is one framed record written with ``os.write`` and made durable with ``os.fdatasync`` (a fraction of a
millisecond), and only then acknowledged. A background applier (:mod:`esengine.store.journaled_writer`)
writes the records into DuckDB in groups, each group in one transaction together with the number of the
last record it holds (table ``journal_applied``), so after a crash the next open knows exactly which records
to write again.

A record is ``[length: 4 bytes][crc32: 4 bytes][payload]``; the payload is JSON text (never pickle: the
file is data, not code). A record cut short by a crash was never acknowledged (its ``fdatasync`` had not
returned) and is dropped when the journal is read; a damaged record *followed by* good ones is not a torn
tail, and the journal is then refused rather than guessed at.
"""
from __future__ import annotations

import json
import os
import struct
import threading
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from esengine.core.events import StoredEvent
from esengine.errors import StoreUnavailable

HEADER = struct.Struct(">II")
RESET_SIZE = 4 * 1024 * 1024
"""Bytes after which a fully applied journal is emptied (so it never grows without bound)."""


@dataclass
class Record:
    """One acknowledged commit: the journal's name (the database's, see ``journal_applied``), the record's number,
    its events (with their chained hashes) and its other rows."""

    journal: str
    seq: int
    events: list[StoredEvent]
    hashes: list[str]
    rows: dict[str, list[dict[str, Any]]]


def merged(records: list[Record]) -> tuple[list[StoredEvent], list[str], dict[str, list[dict[str, Any]]]]:
    """The events, hashes and extra rows (table by table) of several records, in order: one write of them all."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        for table, items in r.rows.items():
            rows.setdefault(table, []).extend(items)
    return [e for r in records for e in r.events], [h for r in records for h in r.hashes], rows


def _tagged(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$t": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    return str(value)  # UUIDs, decimals: DuckDB casts the text back into the column's type


def _untagged(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$t" in obj:
            return datetime.fromisoformat(obj["$t"])
        if "$d" in obj:
            return date.fromisoformat(obj["$d"])
    return obj


def _json_text(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


def encode(record: Record) -> bytes:
    """The record's payload. Row values that are dicts or lists are stored as JSON text (as the tables hold
    them), so the only objects left in the payload are the record's own structure and tagged times."""
    rows = {table: [{k: (_json_text(v) if isinstance(v, (dict, list)) else v) for k, v in row.items()}
                     for row in items] for table, items in record.rows.items()}
    events = [[e.position, e.event_id, e.stream_id, e.stream_type, e.version, e.event_type, e.schema_version,
               _json_text(e.data), _json_text(e.metadata), e.occurred_at, e.recorded_at] for e in record.events]
    return json.dumps({"journal": record.journal, "seq": record.seq, "events": events, "hashes": record.hashes, "rows": rows},
                      default=_tagged, separators=(",", ":")).encode()


def decode(payload: bytes) -> Record:
    body = json.loads(payload, object_hook=_untagged)
    events = [StoredEvent(p, eid, sid, stype, v, etype, sv, json.loads(data), json.loads(meta), occurred, recorded)
              for p, eid, sid, stype, v, etype, sv, data, meta, occurred, recorded in body["events"]]
    return Record(body["journal"], body["seq"], events, body["hashes"], body["rows"])


def frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload), zlib.crc32(payload)) + payload


class Journal:
    """The journal file of one database (see the module docstring). Appends are serialised by the caller
    (the writer's lock); :meth:`reset` may come from the applier thread, so both take the file's own lock."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
        except OSError as e:
            raise StoreUnavailable(f"The commit journal {path} cannot be opened: {e.strerror}. esengine writes it "
                                   "beside the database; check the folder's permissions.") from e
        self._lock = threading.Lock()
        self.size = os.fstat(self._fd).st_size
        self.last_seq = 0  # the number of the last record written (set by read() and append())

    def reopen(self) -> None:
        """Open the file at :attr:`path` again (after the old one was moved aside): a new, empty journal."""
        with self._lock:
            os.close(self._fd)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
            self.size = os.fstat(self._fd).st_size
            self.last_seq = 0

    def read(self) -> list[Record]:
        """Every whole record in the file, in order. A torn last record is cut off the file."""
        with self._lock:
            data = os.pread(self._fd, self.size, 0) if self.size else b""
            records, offset = [], 0
            while offset < len(data):
                end = offset + HEADER.size
                if end > len(data):
                    break
                length, crc = HEADER.unpack_from(data, offset)
                payload = data[end:end + length]
                if len(payload) < length or zlib.crc32(payload) != crc:
                    if self._whole_record_after(data, end + length):
                        raise StoreUnavailable(
                            f"The commit journal {self.path} is damaged at byte {offset}, before records that are "
                            "whole: it was changed outside esengine. Restore the database and its journal from a "
                            "copy, or move the journal aside to open the database without those commits.")
                    break
                try:
                    records.append(decode(payload))
                except (ValueError, KeyError, TypeError) as e:
                    raise StoreUnavailable(f"The commit journal {self.path} holds a record that cannot be read "
                                           f"({e}). Restore the database and its journal from a copy.") from e
                offset = end + length
                self.last_seq = records[-1].seq
            if offset < self.size:  # a commit cut short by a crash: never acknowledged, so dropped
                os.ftruncate(self._fd, offset)
                self.size = offset
            return records

    @staticmethod
    def _whole_record_after(data: bytes, offset: int) -> bool:
        if offset + HEADER.size > len(data):
            return False
        length, crc = HEADER.unpack_from(data, offset)
        payload = data[offset + HEADER.size:offset + HEADER.size + length]
        return len(payload) == length and zlib.crc32(payload) == crc

    def append(self, seq: int, payload: bytes) -> None:
        """Write record number ``seq`` and make it durable; on failure the file is cut back to where it was."""
        with self._lock:
            if self._fd < 0:
                raise OSError(9, "the journal is closed (the database was closed)")
            before = self.size
            record = frame(payload)
            try:
                written = os.write(self._fd, record)
                if written != len(record):
                    raise OSError(28, "short write (is the disk full?)")
                os.fdatasync(self._fd)
            except OSError:
                try:
                    os.ftruncate(self._fd, before)
                except OSError:
                    pass
                raise
            self.size = before + len(record)
            self.last_seq = seq

    def reset(self, applied_seq: int) -> bool:
        """Empty the file if its last record is ``applied_seq`` (so every record in it is in DuckDB)."""
        with self._lock:
            if self._fd < 0 or self.size == 0 or self.last_seq != applied_seq:
                return False
            os.ftruncate(self._fd, 0)
            os.fdatasync(self._fd)
            self.size = 0
            return True

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
