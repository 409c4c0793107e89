"""Helpers the benchmarks share: timing, medians, printing a figure beside its raw-DuckDB baseline."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def median_ms(fn: Callable[[], object], repeat: int = 50) -> float:
    return statistics.median(timed(fn) for _ in range(repeat)) * 1000


def report(name: str, ours: float, raw: float, unit: str, higher_is_better: bool = True) -> None:
    """One line: our figure, the raw-DuckDB baseline from the same run, and the ratio."""
    ratio = (ours / raw) if raw else float("nan")
    note = "of raw" if higher_is_better else "x raw time"
    print(f"{name:<52} {ours:>14,.1f} {unit:<10} raw DuckDB {raw:>14,.1f} {unit:<10} ratio {ratio:6.2f} {note}")


def bulk_database(name: str, events: int, catch_up: bool = True) -> Path:
    """``/tmp/esengine-bench-<name>-<events>.duckdb``: a bulk order history (``generate_bulk``), built once and
    reused by later runs; ``catch_up=False`` leaves its asynchronous read models unbuilt."""
    from esengine import Engine
    from esengine.demo import generate_bulk
    path = Path(f"/tmp/esengine-bench-{name}-{events}.duckdb")
    if not path.exists():
        print(f"building {events:,} events into {path} (once) ...", flush=True)
        started = time.perf_counter()
        with Engine(path, domains=()) as engine:
            generate_bulk(engine, events=events, catch_up=catch_up)
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return path
