"""The sealed, read-only SQL console over the store: ``events`` and the read-model tables.

A query never runs on the app's own connection. It is checked (:mod:`esengine.console.checks`: one
SELECT, no function that touches files, state, settings or paths, by DuckDB's own parser), then run in a
worker process (:mod:`esengine.console.worker`) on an in-memory DuckDB that holds only Arrow copies of
the tables it names (:mod:`esengine.console.tables`), with no file or network access, locked settings,
a memory cap enforced by the OS and a time limit enforced by killing the process, so that even one long
operator (a 2 GB string, a huge join) cannot hold the app's memory or time. Its result is capped in rows
and in bytes. The same function serves the Temporal queries page and ``python -m esengine query``.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import partial

import pandas as pd
import pyarrow as pa
from pyarrow import ipc

from esengine.console.as_of import STREAMS, AsOf, Rewritten, build, check_tables, rewrite
from esengine.console.checks import check_query, checked, first_line
from esengine.console.sandbox import Answer, Stopped, sandbox_for
from esengine.errors import QueryRejected

__all__ = ["EXAMPLES", "run_query", "check_query"]

MAX_BYTES = 16 << 20
"""The largest result the console returns, in bytes of Arrow data (about what the table will hold)."""
MEMORY_MB = 1024
"""The memory a console query may use (its worker process's private memory), in MB."""
_OUT_OF_MEMORY = ("OutOfMemoryException", "MemoryError")

_A_MONTH_AGO = (date.today() - timedelta(days=30)).isoformat()  # inside the demo's 90 days, whenever it was made
EXAMPLES: dict[str, str] = {
    "Events per type": "SELECT event_type, count(*) AS events\nFROM events\nGROUP BY event_type\nORDER BY events DESC",
    "Events per day": ("SELECT date_trunc('day', occurred_at) AS day, count(*) AS events\nFROM events\n"
                       "GROUP BY day\nORDER BY day"),
    "Latest event of every stream as of a moment": (
        "-- the moment: halfway through the history (or write TIMESTAMP '2026-03-01 12:00:00')\n"
        "SELECT stream_id, stream_type, version, event_type, occurred_at\nFROM events\n"
        "WHERE occurred_at <= (SELECT min(occurred_at) + (max(occurred_at) - min(occurred_at)) / 2 FROM events)\n"
        "QUALIFY row_number() OVER (PARTITION BY stream_id ORDER BY version DESC) = 1\nORDER BY stream_id"),
    "Streams created in the last 30 days of the history": (
        "SELECT stream_id, stream_type, occurred_at AS created_at\nFROM events\n"
        "WHERE version = 1\n  AND occurred_at > (SELECT max(occurred_at) - INTERVAL 30 DAY FROM events)\n"
        "ORDER BY occurred_at"),
    "Every price a product had": (
        "SELECT stream_id, occurred_at, event_type,\n"
        "       coalesce(data->>'new_price', data->>'price') AS price\nFROM events\n"
        "WHERE stream_type = 'product' AND event_type IN ('ProductAdded', 'ProductPriceChanged')\n"
        "ORDER BY stream_id, version"),
    "Longest streams": ("SELECT stream_id, stream_type, max(version) AS events\nFROM events\n"
                        "GROUP BY ALL\nORDER BY events DESC\nLIMIT 20"),
    "Commands refused, by reason": (
        "SELECT command_type, error_kind, count(*) AS refused\nFROM command_log\n"
        "WHERE outcome = 'refused'\nGROUP BY ALL\nORDER BY refused DESC"),
    "Orders as they were, joined with every stream's state then (AS OF)": (
        "-- FOR VALID_TIME AS OF: what had happened by then; FOR SYSTEM_TIME AS OF: what the store had recorded\n"
        "SELECT o.status, count(*) AS orders, round(avg((s.state->>'total')::DOUBLE), 2) AS average_total\n"
        f"FROM orders FOR VALID_TIME AS OF '{_A_MONTH_AGO}' AS o\n"
        f"JOIN streams FOR VALID_TIME AS OF '{_A_MONTH_AGO}' AS s ON s.stream_id = o.id\n"
        "GROUP BY o.status\nORDER BY orders DESC"),
    "Tables you can query": "SHOW TABLES",
}
"""Example queries for the questions the Temporal queries page answers (name -> SQL)."""


def run_query(engine, sql: str, max_rows: int = 10_000, timeout_s: float = 10.0, *,
              max_bytes: int = MAX_BYTES, memory_mb: int = MEMORY_MB) -> pd.DataFrame:
    """Run one read-only SELECT on the store and return at most ``max_rows`` rows and ``max_bytes`` bytes.

    ``result.attrs["truncated"]`` is True when the result was cut, ``attrs["cut_by"]`` says whether by
    ``"rows"`` or ``"bytes"`` (None if whole) and ``attrs["cut_message"]`` says so in words;
    ``attrs["peak_memory_mb"]`` (or the error's ``peak_memory_mb``) is the worker's peak resident memory.
    Raises :class:`~esengine.errors.QueryRejected` with a plain message when the query is not a single
    SELECT, calls a forbidden function, fails, needs more than ``memory_mb`` MB, or runs longer than
    ``timeout_s`` seconds; the store is unchanged in every case, and so is the app's memory.
    """
    rewritten = rewrite(sql)  # FOR SYSTEM_TIME / VALID_TIME AS OF: refused here when malformed, before anything
    query = checked(rewritten.sql)
    check_tables(engine, rewritten)
    box = sandbox_for(engine)
    files = box.tables.files(set(query.tables))
    files.update(_as_of_files(engine, box, rewritten, query.tables - set(files)))
    request = {"sql": query.text, "tables": files, "max_rows": max_rows, "max_bytes": max_bytes}
    try:
        worker = box.worker(memory_mb)
    except (Stopped, OSError) as e:
        raise QueryRejected("The console could not start the process that runs queries (the machine may be "
                            "short of memory or busy). Try again in a moment.") from e
    try:
        answer = worker.ask(request, timeout_s)
    except Stopped as stop:
        box.replace(memory_mb)
        raise _peak(_stopped(stop, timeout_s, memory_mb), stop.peak_kb) from stop
    if _out_of_memory_answer(answer.header):
        worker.kill()  # its allocator may be in a poor state; the next query gets a fresh one
        box.replace(memory_mb)
    else:
        box.give_back(worker)
    try:
        frame = _frame(answer, max_rows, max_bytes, memory_mb)
    except QueryRejected as e:
        raise _peak(e, answer.header["peak_kb"]) from None
    frame.attrs["peak_memory_mb"] = answer.header["peak_kb"] / 1024
    return frame


def _as_of_files(engine, box, rewritten: Rewritten, unknown: frozenset[str] | set[str]) -> dict[str, list[str]]:
    """The files of the query's as-of relations, and of ``streams`` (every stream as of now) when the query names
    it bare (``unknown``: the names it reads that are no table of the store)."""
    wanted = [a for a in rewritten.as_of if a.table != "events"]
    if STREAMS in unknown:
        wanted.append(AsOf(STREAMS, "recorded_at", None))
    mark = engine.store.last_position()
    return {(STREAMS if a.moment is None else a.relation): box.tables.derived(a.relation, mark, partial(build, engine, a))
            for a in wanted}


def _peak(error: QueryRejected, peak_kb: int) -> QueryRejected:
    error.peak_memory_mb = peak_kb / 1024  # the worker's peak resident memory, for benchmarks and tests
    return error


def _frame(answer: Answer, max_rows: int, max_bytes: int, memory_mb: int) -> pd.DataFrame:
    header = answer.header
    if not header["ok"]:
        raise _rejection(header, memory_mb)
    table = ipc.open_stream(pa.py_buffer(answer.body)).read_all()
    frame = table.to_pandas()
    frame.attrs["truncated"] = header["cut"] is not None
    frame.attrs["cut_by"] = header["cut"]
    frame.attrs["cut_message"] = _cut_message(header, max_rows, max_bytes)
    return frame


def _cut_message(header: dict, max_rows: int, max_bytes: int) -> str | None:
    if header["cut"] == "rows":
        return (f"The result was cut at {max_rows:,} rows, the console's row limit. "
                "Add a WHERE, a LIMIT or an aggregation.")
    if header["cut"] == "bytes":
        return (f"The result was cut at {header['rows']:,} rows: it reached {max_bytes / 2**20:g} MB, the "
                "console's size limit. Select fewer or shorter columns (not the whole `data`), "
                "or add a WHERE, a LIMIT or an aggregation.")
    return None


def _stopped(stop: Stopped, timeout_s: float, memory_mb: int) -> QueryRejected:
    if stop.reason == "time":
        return QueryRejected(f"The query was stopped after {timeout_s:g} seconds, its time limit. "
                             "Narrow it down (a WHERE on occurred_at or stream_type, a LIMIT) and try again.")
    return _out_of_memory(memory_mb)


def _out_of_memory(memory_mb: int) -> QueryRejected:
    return QueryRejected(f"The query was stopped: it needed more than {memory_mb:,} MB, the console's memory "
                         "limit. Narrow it down (a WHERE, fewer columns, a LIMIT before a join or a sort).")


def _out_of_memory_answer(header: dict) -> bool:
    # DuckDB's own limit raises OutOfMemoryException; the OS limit can surface as another error type
    # (an allocation failing inside an Arrow conversion), so the message counts too.
    return not header["ok"] and (header["error"] in _OUT_OF_MEMORY or "out of memory" in header["message"].lower())


def _rejection(header: dict, memory_mb: int) -> QueryRejected:
    kind = header["error"]
    message = first_line(Exception(header["message"])) if header["message"] else kind
    if _out_of_memory_answer(header):
        return _out_of_memory(memory_mb)
    if kind == "PermissionException":
        return QueryRejected("The console cannot read or write files or reach the network. "
                             "Query the tables instead; to load a file, use the Import & export page.")
    if kind == "CatalogException":
        return QueryRejected(f"{message.rstrip('!.')}. Run SHOW TABLES or DESCRIBE events to see what can be queried.")
    return QueryRejected(f"The query failed: {message}")
