"""The console's worker process: a sealed, capped, in-memory DuckDB fed the store's tables as Arrow.

Started by :mod:`esengine.console.sandbox` as ``python worker.py MEMORY_MB THREADS``. It imports nothing
from esengine, so the app's state (its connection, its open file) is not in this process at all. It
reads one JSON request per line on stdin and answers each on stdout with one JSON line, followed, for a
result, by an Arrow IPC stream of ``size`` bytes. It exits when stdin closes or its parent dies.

Its limits: DuckDB's ``memory_limit`` (half the cap, so DuckDB's own error usually comes first), the OS
limit on the process's private memory (``RLIMIT_DATA``, the whole cap), no file may be written
(``RLIMIT_FSIZE`` 0, no spilling), no file or network access from SQL, settings locked.
"""
from __future__ import annotations

import io
import json
import os
import resource
import signal
import sys
import threading
import time

import duckdb
import pyarrow as pa
from pyarrow import ipc

BATCH_ROWS = 2048


def main() -> None:
    memory_mb, threads = int(sys.argv[1]), int(sys.argv[2])
    _die_with_parent()
    con = duckdb.connect(config={
        "memory_limit": f"{max(memory_mb // 2, 64)}MB", "threads": threads, "temp_directory": "",
        "autoinstall_known_extensions": False, "autoload_known_extensions": False,
        "allow_persistent_secrets": False})
    con.execute("SET enable_external_access = false")  # after temp_directory, which it would freeze
    con.execute("SET lock_configuration = true")
    cap = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing us
    out = sys.stdout.buffer
    loaded: dict[str, tuple[str, ...]] = {}
    _send(out, {"ready": True})
    for line in sys.stdin.buffer:
        request = json.loads(line)
        try:
            _load(con, loaded, request["tables"])
            header, body = _answer(con, request["sql"], request["max_rows"], request["max_bytes"])
        except Exception as e:  # noqa: BLE001 - every failure goes back to the parent, which words it for the reader
            header, body = {"ok": False, "error": type(e).__name__, "message": str(e)}, b""
        header["peak_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        _send(out, header, body)


def _load(con: duckdb.DuckDBPyConnection, loaded: dict[str, tuple[str, ...]], tables: dict[str, list[str]]) -> None:
    """Register each table from its Arrow files (memory-mapped: the pages are the files', not ours)."""
    for name in set(loaded) - set(tables):
        con.unregister(name)
        del loaded[name]
    for name, paths in tables.items():
        if loaded.get(name) != tuple(paths):
            parts = [ipc.open_file(pa.memory_map(p)).read_all() for p in paths]
            con.register(name, pa.concat_tables(parts) if len(parts) > 1 else parts[0])
            loaded[name] = tuple(paths)


def _answer(con: duckdb.DuckDBPyConnection, sql: str, max_rows: int, max_bytes: int) -> tuple[dict, bytes]:
    """The query's first rows, at most ``max_rows`` of them and ``max_bytes`` of Arrow data."""
    reader = con.sql(sql).limit(max_rows + 1).to_arrow_reader(BATCH_ROWS)
    batches, rows, size, cut = [], 0, 0, None
    for batch in reader:
        if rows + batch.num_rows > max_rows:
            batch, cut = batch.slice(0, max_rows - rows), "rows"
        if size + batch.nbytes > max_bytes:
            batch, cut = _fit(batch, max_bytes - size), "bytes"
        batches.append(batch)
        rows, size = rows + batch.num_rows, size + batch.nbytes
        if cut:
            break
    sink = io.BytesIO()
    with ipc.new_stream(sink, reader.schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
    body = sink.getvalue()
    return {"ok": True, "rows": rows, "bytes": size, "cut": cut, "size": len(body)}, body


def _fit(batch: pa.RecordBatch, room: int) -> pa.RecordBatch:
    """The longest head of ``batch`` that takes at most ``room`` bytes."""
    low, high = 0, batch.num_rows
    while low < high:
        mid = (low + high + 1) // 2
        if batch.slice(0, mid).nbytes <= room:
            low = mid
        else:
            high = mid - 1
    return batch.slice(0, low)


def _send(out, header: dict, body: bytes = b"") -> None:
    out.write(json.dumps(header).encode() + b"\n" + body)
    out.flush()


def _die_with_parent() -> None:
    """No orphan keeps running a query: exit as soon as the parent is gone (DuckDB frees the GIL while
    it works, so this thread runs). Not PR_SET_PDEATHSIG, which fires when the parent's *thread* ends."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


if __name__ == "__main__":
    main()
