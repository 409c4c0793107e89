"""Processes taking turns on one database file through the engine's open and close: commits kept and lost.

    .venv/bin/python bench/bench_handoff.py [--processes 8] [--rounds 250] [--runs 3] [--no-lock] [--folder DIR]

Each of ``--processes`` processes, ``--rounds`` times: open the file as the engine does
(:class:`esengine.store.connection.Database`), insert one row, close; the row counts as acknowledged
once ``close()`` has returned. Afterwards the acknowledged rows missing from the file are counted.
``--no-lock`` replaces the OS lock with nothing (DuckDB's own lock alone, waited for as the engine
waits for it): the state before the fix. The raw-DuckDB baseline is docs/duckdb-handoff-repro.py.
tests/integration/test_handoff.py runs the same harness with the lock.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_WORKER = """
import sys, types
package = sys.modules["esengine"] = types.ModuleType("esengine")  # skip esengine/__init__ (pandas & co):
package.__path__ = ["esengine"]                                   # a faster start, the same connection module
import esengine.store.connection as connection
from esengine.store.connection import Database
path, worker, rounds, lock = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "lock"
if not lock:
    connection._flock_by = lambda *args: None  # the state before the fix: DuckDB's own lock only
print("ready", flush=True)
sys.stdin.readline()  # start together, so that every handoff is contended
for r in range(rounds):
    db = Database(path, wait=120)
    db.connection.execute("INSERT INTO handoffs VALUES (?, ?)", [worker, r])
    db.close()
    print(r, flush=True)  # acknowledged: close() has returned
"""


@dataclass
class Handoffs:
    acknowledged: int
    present: int
    lost: int
    seconds: float


def take_turns(path: Path, processes: int, rounds: int, lock: bool = True) -> Handoffs:
    """Run the processes on a new file at ``path``; count acknowledged rows and the ones missing."""
    from esengine.store.connection import Database
    db = Database(path)
    db.connection.execute("CREATE TABLE handoffs (worker INTEGER, round INTEGER)")
    db.close()
    started = time.perf_counter()
    workers = [subprocess.Popen([sys.executable, "-c", _WORKER, str(path), str(i), str(rounds),
                                 "lock" if lock else "no-lock"], cwd=ROOT, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True) for i in range(processes)]
    try:
        for w in workers:
            if w.stdout.readline().strip() != "ready":
                raise RuntimeError("a handoff worker did not start; run it by hand to see why")
        for w in workers:
            w.stdin.write("go\n")
            w.stdin.flush()
        acknowledged = {(i, int(line)) for i, w in enumerate(workers) for line in w.stdout}
    finally:
        for w in workers:
            w.wait(600)
    if any(w.returncode for w in workers):
        raise RuntimeError("a handoff worker failed; its error is above")
    seconds = time.perf_counter() - started
    db = Database(path, read_only=True)
    present = set(db.connection.execute("SELECT worker, round FROM handoffs").fetchall())
    db.close()
    return Handoffs(len(acknowledged), len(present), len(acknowledged - present), seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=250)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-lock", action="store_true", help="without the OS lock (the state before the fix)")
    parser.add_argument("--folder", help="where to put the database (default: a temporary folder)")
    args = parser.parse_args()
    import duckdb
    print(f"duckdb {duckdb.__version__}; {args.processes} processes x {args.rounds} rounds, "
          f"{'without' if args.no_lock else 'with'} the engine's OS lock")
    tried = lost = losing = 0
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(dir=args.folder) as folder:
            result = take_turns(Path(folder) / "handoff.duckdb", args.processes, args.rounds, lock=not args.no_lock)
        tried, lost, losing = tried + result.acknowledged, lost + result.lost, losing + (result.lost > 0)
        print(f"run {run}: {result.acknowledged} handoffs acknowledged, {result.present} rows present, "
              f"{result.lost} lost ({result.seconds:.1f} s)", flush=True)
    print(f"total: {tried} handoffs, {lost} commits lost, in {losing} of {args.runs} runs")


if __name__ == "__main__":
    main()
