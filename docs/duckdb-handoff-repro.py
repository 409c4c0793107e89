"""A minimal reproduction, with raw DuckDB and nothing else, of commits lost when processes take turns.

Each of N processes does, ROUNDS times: open the database file (retrying while another process holds
DuckDB's lock), insert one row, close. Only after ``close()`` returned does it record the row as
acknowledged, in its own file, fsynced. At the end the parent counts the acknowledged rows that are
missing from the table. See docs/duckdb-handoff-loss.md for what we saw with duckdb 2.0.1.

    python docs/duckdb-handoff-repro.py                 # 4 runs of 8 processes x 40 rounds, no lock of our own
    python docs/duckdb-handoff-repro.py --runs 20 --flock   # the same, each open-to-close inside an OS lock

``--flock`` takes ``fcntl.flock`` on a sibling file (``<db>.lock``) before ``duckdb.connect`` and
releases it after ``close()``: the workaround esengine uses (esengine/store/connection.py).
Needs only ``pip install duckdb``; Linux or macOS.
"""
from __future__ import annotations

import argparse
import fcntl
import multiprocessing as mp
import os
import tempfile
import time
from pathlib import Path

import duckdb


def worker(db: str, ack_path: str, worker_id: int, rounds: int, use_flock: bool) -> None:
    with open(ack_path, "a") as acks:
        for r in range(rounds):
            lock = open(db + ".lock", "a") if use_flock else None  # noqa: SIM115 - held across the round
            if lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
            while True:
                try:
                    con = duckdb.connect(db)
                    break
                except duckdb.IOException as e:  # "Could not set lock on file": another process has it
                    if "lock" not in str(e).lower():
                        raise
                    time.sleep(0.001)
            con.execute("INSERT INTO t VALUES (?, ?)", [worker_id, r])
            con.close()
            if lock:
                fcntl.flock(lock, fcntl.LOCK_UN)
                lock.close()
            acks.write(f"{worker_id} {r}\n")  # acknowledged only once close() has returned
            acks.flush()
            os.fsync(acks.fileno())


def one_run(folder: Path, processes: int, rounds: int, use_flock: bool) -> tuple[int, int, set]:
    """(acknowledged, present, the (worker, round) pairs lost) for one run on a fresh file."""
    db = str(folder / "handoff.duckdb")
    con = duckdb.connect(db)
    con.execute("CREATE TABLE t (worker INTEGER, round INTEGER)")
    con.close()
    ctx = mp.get_context("spawn")
    acks = [str(folder / f"acks-{i}.txt") for i in range(processes)]
    procs = [ctx.Process(target=worker, args=(db, acks[i], i, rounds, use_flock)) for i in range(processes)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a worker failed (exit code {p.exitcode})")
    acknowledged = {tuple(map(int, line.split())) for a in acks for line in Path(a).read_text().splitlines()}
    con = duckdb.connect(db, read_only=True)
    present = set(con.execute("SELECT worker, round FROM t").fetchall())
    con.close()
    return len(acknowledged), len(present), acknowledged - present


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--flock", action="store_true", help="hold fcntl.flock on <db>.lock from open to close")
    args = parser.parse_args()
    print(f"duckdb {duckdb.__version__}, {args.processes} processes x {args.rounds} rounds, "
          f"{'with' if args.flock else 'without'} an OS lock around open-to-close")
    total_tried = total_lost = runs_losing = 0
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            acknowledged, present, lost = one_run(Path(folder), args.processes, args.rounds, args.flock)
        total_tried += acknowledged
        total_lost += len(lost)
        runs_losing += bool(lost)
        print(f"run {run}: {acknowledged} acknowledged, {present} present, {len(lost)} lost "
              f"{sorted(lost) if lost else ''} ({time.perf_counter() - started:.1f} s)", flush=True)
    print(f"total: {total_tried} handoffs, {total_lost} commits lost, in {runs_losing} of {args.runs} runs")


if __name__ == "__main__":
    main()
