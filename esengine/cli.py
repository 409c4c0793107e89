"""The command line: ``python -m esengine <command> --db PATH``; every engine capability without a browser.

Exit codes (scripts can rely on them):
  0  done;
  1  refused or failed: a file refused by import, a query rejected, a stream not found,
     or ``verify`` found problems;
  2  usage error: unknown command or option, a missing or malformed argument;
  3  the database is unavailable: held by the running app (waited for ``--wait`` seconds; stop it or
     work on a copy), missing, unreadable, damaged, or of a newer schema. Never a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TextIO
from collections.abc import Iterator

import duckdb

from esengine.errors import EsEngineError, StoreUnavailable
from esengine.store.connection import damaged, unreadable

OK, FAILED, USAGE, UNAVAILABLE = 0, 1, 2, 3

EXIT_CODES = """exit codes:
  0  done
  1  refused or failed (file refused, query rejected, stream not found, verify found problems)
  2  usage error (unknown command or option, malformed argument)
  3  database unavailable (held by the running app: stop it or work on a copy; missing; unreadable; damaged)"""


class _Parser(argparse.ArgumentParser):
    """argparse, with the exit codes shown under every command's --help."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("epilog", EXIT_CODES)
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)


# -- progress ----------------------------------------------------------------------------------------
class Progress:
    """A one-line progress bar on stderr when it is a terminal; silent otherwise (logs stay clean)."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False):
        self.stream = stream or sys.stderr
        self.enabled = not quiet and self.stream.isatty()
        self._last = 0.0

    def fraction(self, fraction: float, message: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if fraction < 1 and now - self._last < 0.1:
            return
        self._last = now
        filled = int(30 * max(0.0, min(fraction, 1.0)))
        self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%} {message[:40]:<40}")
        self.stream.flush()

    def count(self, message: str):
        return lambda done, total: self.fraction(done / total if total else 1.0, f"{message} {done:,}/{total:,}")

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 80 + "\r")
            self.stream.flush()


# -- opening the database ------------------------------------------------------------------------------
@contextmanager
def _engine(args, create: bool = False) -> Iterator:
    from esengine.engine import Engine
    from esengine.store.postgres import is_url
    path = args.db if is_url(args.db) else Path(args.db)  # a postgresql:// URL names a server's database
    if not create and isinstance(path, Path) and not path.exists():
        raise StoreUnavailable(f"There is no database at {path}. Check --db, or create one with "
                               f"'python -m esengine demo --db {path}'.")
    with Engine(path, domains=tuple(args.domain) if args.domain else None, wait=args.wait) as engine:
        yield engine


# -- commands ------------------------------------------------------------------------------------------
def cmd_demo(args, out: TextIO, progress: Progress) -> int:
    from esengine.demo import generate_bulk
    with _engine(args, create=True) as engine:
        before = engine.store.last_position()
        seed = args.seed if args.seed is not None else 7 + before  # extending: new ids, still reproducible
        if args.bulk:
            written = generate_bulk(engine, events=args.events, seed=seed, days=args.days,
                                    progress=progress.count("Writing events"))
        else:
            engine.write_demo(events=args.events, seed=seed, days=args.days)  # every wired domain's demo
            written = engine.store.last_position() - before
        progress.done()
        print(f"{'Created' if before == 0 else 'Extended'} the demo history in {args.db}: {written:,} events "
              f"written (seed {seed}); the store now holds {engine.store.last_position():,} events.", file=out)
    return OK


def cmd_import(args, out: TextIO, progress: Progress) -> int:
    from esengine.interchange.importer import import_file
    from esengine.interchange.mapping import ColumnMapping
    mapping = None
    roles = (args.stream_column, args.type_column, args.time_column)
    if any(roles):
        if not all(roles):
            raise _UsageError("give --stream-column, --type-column and --time-column together")
        mapping = ColumnMapping(*roles, data=_names(args.data_columns), metadata=_names(args.metadata_columns) or (),
                                event_id=args.id_column)
    new = not Path(args.db).exists()
    try:
        with _engine(args, create=True) as engine:
            result = import_file(engine, args.file, fmt=args.format, mapping=mapping, stream_type=args.stream_type,
                                 on_existing="append" if args.append else "refuse", progress=progress.fraction)
    except (EsEngineError, KeyboardInterrupt) as e:
        if new and not isinstance(e, StoreUnavailable):  # the database this import made holds nothing: no trace
            _remove_new_database(Path(args.db))
        raise
    progress.done()
    print(result.summary(), file=out)
    return OK


def _remove_new_database(path: Path) -> None:
    """Remove a database file the refused import created (and its write-ahead log, journal and lock file)."""
    lock = Path(os.path.realpath(path) + ".lock")
    for leftover in (path, Path(str(path) + ".wal"), Path(str(path) + ".journal"), lock):
        leftover.unlink(missing_ok=True)


def cmd_export(args, out: TextIO, progress: Progress) -> int:
    from esengine.interchange.export import export_events
    where = _filter(args)
    with _engine(args) as engine:
        n = export_events(engine, where, args.format, args.out, progress=progress.count("Exporting"))
        progress.done()
        print(f"Exported {n:,} events to {args.out} ({args.format}).", file=out)
    return OK


def cmd_replay(args, out: TextIO, progress: Progress) -> int:
    from esengine.timetravel import state_at
    if args.version is not None and args.at is not None:
        raise _UsageError("give --version or --at, not both")
    with _engine(args) as engine:
        if args.until:
            return _replay_until(engine, args, out)
        state = state_at(engine, args.stream, version=args.version, at=args.at, by=args.by)
        _print_state(state, out)
    return OK


def _print_state(state, out: TextIO, **extra) -> None:
    payload = {"stream_id": state.stream_id, "stream_type": state.stream_type, "version": state.version,
               "latest_version": getattr(state, "latest_version", None), "fold": getattr(state, "fold", None),
               **extra, "state": state.state}
    if getattr(state, "warnings", None):
        payload["warnings"] = state.warnings
    json.dump(payload, out, indent=2, default=str, ensure_ascii=False)
    out.write("\n")


def _replay_until(engine, args, out: TextIO) -> int:
    """``replay --until``: run from --version (or --at; default 0) to where the condition becomes true."""
    from esengine.timetravel import event_to_dict, state_at
    from esengine.timetravel.breakpoints import run_until
    start = state_at(engine, args.stream, version=args.version, at=args.at, by=args.by).version \
        if args.version is not None or args.at is not None else 0
    stop = run_until(engine, args.stream, args.until, start, "previous" if args.backward else "next")
    if not stop.found:
        print(stop.describe().replace("`", "'"), file=sys.stderr)
        return FAILED
    state = state_at(engine, args.stream, version=stop.version)
    _print_state(state, out, until={"condition": stop.condition.text, "from_version": start,
                                    "made_true_by": event_to_dict(stop.event) if stop.event else None})
    return OK


def cmd_scan(args, out: TextIO, progress: Progress) -> int:
    from esengine.conditions import condition
    from esengine.projections.stream_states import NAME as STATES
    from esengine.scans import scan
    condition(args.condition)  # a condition that cannot be read is refused before the database is opened
    with _engine(args) as engine:
        engine.projections.catch_up(STATES)  # this process may be the first to see the newest events
        found = scan(engine.store, args.type, args.condition)
    frame = found.by_day if args.by_day else found.hits
    _print_frame(frame, args.format, out)
    print(f"{len(found.hits):,} {args.type or 'stream'}{'s' if len(found.hits) != 1 else ''} where "
          f"'{found.condition.text}' held after some event (scanned up to position {found.position:,}).",
          file=sys.stderr)
    return OK


def cmd_send(args, out: TextIO, progress: Progress) -> int:
    from esengine.application.context import CommandContext
    try:
        payload = json.loads(args.payload)
    except ValueError as e:
        raise _UsageError(f"the payload is not JSON ({e}); write it like '{{\"name\": \"Ada\"}}'") from None
    with _engine(args) as engine:
        result = engine.commands.submit(args.command_type, payload, CommandContext(user_id=args.user))
    print(f"Accepted: {args.command_type} stored {len(result.events)} event(s); stream {result.stream_id} is now at "
          f"version {result.new_version}.", file=out)
    return OK


def cmd_query(args, out: TextIO, progress: Progress) -> int:
    from esengine.console import run_query
    with _engine(args) as engine:
        frame = run_query(engine, args.sql, max_rows=args.max_rows, timeout_s=args.timeout)
    _print_frame(frame, args.format, out)
    if frame.attrs.get("cut_by") == "bytes":
        print(f"({frame.attrs['cut_message']})", file=sys.stderr)
    elif frame.attrs.get("truncated"):
        print(f"(only the first {args.max_rows:,} rows are shown; raise --max-rows for more)", file=sys.stderr)
    return OK


def _print_frame(frame, fmt: str, out: TextIO) -> None:
    if fmt == "csv":
        frame.to_csv(out, index=False)
    elif fmt == "json":
        out.write(frame.to_json(orient="records", date_format="iso", force_ascii=False) + "\n")
    else:
        out.write((frame.to_string(index=False) if len(frame) else "(no rows)") + "\n")


def cmd_verify(args, out: TextIO, progress: Progress) -> int:
    from esengine.store.verify import verify_store
    with _engine(args) as engine:
        report = verify_store(engine, progress=progress.count("Reading events"))
    progress.done()
    print(f"Checked {report.events:,} events in {report.streams:,} streams "
          f"({report.checked_by_type:,} read through their event class).", file=out)
    if report.ok:
        print("OK: positions are gap-free, versions are contiguous per stream, every event is readable.", file=out)
        return OK
    print(f"{len(report.problems)} problem(s) found:", file=out)
    for problem in report.problems:
        print(f"  [{problem.check}] {problem.message}", file=out)
    return FAILED


# -- arguments -----------------------------------------------------------------------------------------
class _UsageError(Exception):
    pass


def _names(text: str | None) -> tuple[str, ...] | None:
    return tuple(n.strip() for n in text.split(",") if n.strip()) if text else None


def _moment(text: str) -> datetime:
    from esengine.timetravel import parse_moment
    try:
        return parse_moment(text)
    except EsEngineError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if seconds < 0:
        raise argparse.ArgumentTypeError("the wait cannot be negative")
    return seconds


def _filter(args):
    from esengine.store.filters import EventFilter
    return EventFilter(stream_id=args.stream, stream_search=args.stream_search,
                       stream_types=tuple(t for group in args.stream_type or () for t in _names(group) or ()),
                       event_types=tuple(t for group in args.event_type or () for t in _names(group) or ()),
                       occurred_from=args.from_, occurred_to=args.to, correlation_id=args.correlation,
                       text=args.text)


def build_parser() -> argparse.ArgumentParser:
    from esengine.engine import default_db_path
    common = _Parser(add_help=False)
    common.add_argument("--db", default=str(default_db_path()), metavar="PATH",
                        help="the DuckDB database file, or a postgresql://user@host:port/dbname URL "
                             "(default: $ESENGINE_DB or data/explorer.duckdb)")
    common.add_argument("--quiet", action="store_true", help="no progress bar")
    common.add_argument("--domain", action="append", metavar="NAME", default=None,
                        help="a domain to wire: a built-in name (orders, library) or an import path; repeat for several "
                             "(default: $ESENGINE_DOMAINS or orders)")
    common.add_argument("--wait", type=_seconds, metavar="SECONDS",
                        help="how long to wait for a database another process holds "
                             "(default: $ESENGINE_LOCK_WAIT or 3)")
    parser = _Parser(prog="python -m esengine",
                     description="The esengine event store from the command line. "
                                 "Run 'python -m esengine <command> --help' for a command's options.")
    commands = parser.add_subparsers(dest="command", metavar="<command>", parser_class=_Parser)
    commands.required = True

    p = commands.add_parser("demo", parents=[common], help="create or extend a demo history",
                            description="Create the database with a demo history of every wired domain that has one "
                                        "(orders: a shop), or add more to it.")
    p.add_argument("--events", type=int, default=20_000, help="about how many events to write (default 20000)")
    p.add_argument("--seed", type=int, help="random seed (default: 7, or 7 + the events already stored)")
    p.add_argument("--days", type=int, default=90, help="how many days the history spans (default 90)")
    p.add_argument("--bulk", action="store_true",
                   help="write prepared events directly (fast, for a million events) instead of sending commands")
    p.set_defaults(run=cmd_demo)

    p = commands.add_parser(
        "import", parents=[common],
        help="import events from CSV, JSON lines, JSON, Parquet, XES or an eventsourcing SQLite database",
        description="Import a file, all or nothing. XES logs (.xes, .xes.gz, or CSV with the columns "
                    "case:concept:name, concept:name, time:timestamp), CloudEvents, esengine exports and the "
                    "SQLite database of the Python eventsourcing library (told by its content) are recognised; "
                    "other layouts need the three --*-column options. Streams that already exist are refused "
                    "unless --append is given. A refused import into a new --db leaves no file behind.")
    p.add_argument("file", help="the file to import (.csv, .jsonl/.ndjson, .json, .parquet, .xes, .xes.gz, "
                                "an eventsourcing .sqlite database)")
    p.add_argument("--format", choices=("csv", "jsonl", "json", "parquet", "xes", "sqlite"),
                   help="the format, if the name and the content do not say")
    p.add_argument("--stream-type", help="the stream type of streams the file gives none (default: the file's stem)")
    p.add_argument("--append", action="store_true",
                   help="add events to streams that already exist, after their current version")
    p.add_argument("--stream-column", help="the column holding the stream id")
    p.add_argument("--type-column", help="the column holding the event type")
    p.add_argument("--time-column", help="the column holding the time (ISO 8601; without an offset it is UTC)")
    p.add_argument("--id-column", help="the column holding the event id (default: derived from the content)")
    p.add_argument("--data-columns", help="comma-separated columns for the data (default: all others)")
    p.add_argument("--metadata-columns", help="comma-separated columns for the metadata")
    p.set_defaults(run=cmd_import)

    p = commands.add_parser("export", parents=[common], help="export events as JSON lines, Parquet, CSV or XES",
                            description="Export the events matching the filters (all events without any), "
                                        "in position order. jsonl is CloudEvents JSON lines; xes is an XES "
                                        "event log for process-mining tools (one trace per stream).")
    p.add_argument("--format", required=True, choices=("jsonl", "parquet", "csv", "xes"))
    p.add_argument("--out", required=True, help="the file to write (xes: a name ending in .gz is compressed)")
    p.add_argument("--stream", help="one stream id")
    p.add_argument("--stream-search", help="stream ids starting with this text, or with * and ? wildcards")
    p.add_argument("--stream-type", action="append", help="stream type(s), comma-separated or repeated")
    p.add_argument("--event-type", action="append", help="event type(s), comma-separated or repeated")
    p.add_argument("--from", dest="from_", type=_moment, help="occurred at or after (ISO 8601, UTC if no offset)")
    p.add_argument("--to", type=_moment, help="occurred before (ISO 8601, UTC if no offset)")
    p.add_argument("--correlation", help="metadata correlation id")
    p.add_argument("--text", help="text contained in the event data")
    p.set_defaults(run=cmd_export)

    p = commands.add_parser("replay", parents=[common], help="a stream's state at a version or moment, as JSON",
                            description="Fold a stream up to a version or a moment and print its state as JSON, "
                                        "with the version reached. Without --version or --at: the latest state.")
    p.add_argument("--stream", required=True, help="the stream id")
    p.add_argument("--version", type=int, help="the version to stop at (0 = before the first event)")
    p.add_argument("--at", help="the moment (ISO 8601, UTC if no offset)")
    p.add_argument("--by", choices=("occurred_at", "recorded_at"), default="occurred_at",
                   help="which time --at refers to (default occurred_at)")
    p.add_argument("--until", metavar="CONDITION",
                   help='run from --version or --at (default: the start) until a condition on the state becomes '
                        'true, e.g. "paid_amount > total", and print the state there with the event that made it true')
    p.add_argument("--backward", action="store_true", help="with --until: the last time it became true before")
    p.set_defaults(run=cmd_replay)

    p = commands.add_parser("send", parents=[common], help="send one command of a wired domain",
                            description="Validate and run one command through the command bus, as a form would; "
                                        "a refusal says why and exits 1. Example: send JoinLibrary '{\"name\": "
                                        "\"Ada\"}' --domain library")
    p.add_argument("command_type", help="the command's type name (RegisterCustomer, LendBook, ...)")
    p.add_argument("payload", nargs="?", default="{}", help="its fields as a JSON object (default: {})")
    p.add_argument("--user", default="cli", help="the user id that goes into the events' metadata (default: cli)")
    p.set_defaults(run=cmd_send)

    p = commands.add_parser("scan", parents=[common], help="every stream where a condition on its state ever held",
                            description="Scan every history of a stream type for a condition on the state "
                                        '(e.g. "total > 300 and len(items) >= 3"): each stream where it ever held, '
                                        "the first version, the event that made it true and its times.")
    p.add_argument("condition", help="the condition, in quotes")
    p.add_argument("--type", help="the stream type (default: every type)")
    p.add_argument("--by-day", action="store_true", help="print how many streams first met it on each day instead")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.set_defaults(run=cmd_scan)

    p = commands.add_parser("query", parents=[common], help="run one read-only SQL query",
                            description="Run one read-only SELECT on the store (the SQL of the temporal queries "
                                        "page); writing statements and file access are rejected.")
    p.add_argument("sql", help="the SELECT query, in quotes")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument("--max-rows", type=int, default=10_000, help="at most this many rows (default 10000)")
    p.add_argument("--timeout", type=float, default=30.0, help="stop the query after this many seconds (default 30)")
    p.set_defaults(run=cmd_query)

    p = commands.add_parser("verify", parents=[common], help="check the store's invariants",
                            description="Check that positions are gap-free, versions are contiguous per stream "
                                        "and every event is readable by its type. Exits 1 if anything is wrong.")
    p.set_defaults(run=cmd_verify)
    return parser


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    """Run one command; returns its exit code (see the module docstring)."""
    out = out or sys.stdout
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on usage errors and 0 after --help
        return int(e.code or 0)
    progress = Progress(quiet=args.quiet)
    try:
        return args.run(args, out, progress)
    except _UsageError as e:
        progress.done()
        print(f"python -m esengine {args.command}: error: {e}", file=sys.stderr)
        return USAGE
    except StoreUnavailable as e:
        progress.done()
        print(f"Database unavailable: {e}", file=sys.stderr)
        return UNAVAILABLE
    except EsEngineError as e:
        progress.done()
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        return FAILED
    except KeyboardInterrupt:
        progress.done()
        print("Interrupted; an import in progress was rolled back.", file=sys.stderr)
        return FAILED
    except Exception as e:  # noqa: BLE001 - the last resort: one plain line and an exit code, never a traceback
        progress.done()
        if isinstance(e, duckdb.Error) and damaged(e):  # a damaged file found after the first reads
            print(f"Database unavailable: {unreadable(Path(args.db), e)}", file=sys.stderr)
            return UNAVAILABLE
        print(f"Failed unexpectedly ({type(e).__name__}: {e}). Please report this with the command you ran.",
              file=sys.stderr)  # a bug; still one plain line, never a traceback
        return FAILED
