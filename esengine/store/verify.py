"""Checking a store's invariants: what ``python -m esengine verify`` reports.

* positions run 1, 2, 3, ... without a gap;
* each stream's versions run 1, 2, 3, ... in position order;
* every event's data is a JSON object, and every event whose type has a registered class can be
  read as that class (upcast to its current schema); other types fold generically;
* every event belongs to its stream's type: a stream keeps one type, a stream of an aggregate type holds
  only the events that aggregate applies, and an event type of a known aggregate appears in no stream of
  another type (imported stream types may hold any types but those);
* the hash chain holds: each event's stored hash equals the one its content and its predecessor give
  (:mod:`esengine.store.chain`), so an edit behind the engine's back is named.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable

from esengine.core.events import StoredEvent
from esengine.errors import EsEngineError
from esengine.store import chain

SHOWN = 10  # problems listed per check; the count says how many there are in all


@dataclass
class Problem:
    check: str
    message: str


@dataclass
class VerifyReport:
    events: int = 0
    streams: int = 0
    checked_by_type: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_store(engine, progress: Callable[[int, int], None] | None = None) -> VerifyReport:
    """Check the store (see the module docstring); ``progress(done, total)`` while reading events."""
    cur = engine.store.cursor()
    report = VerifyReport()
    report.events, report.streams, first, last = cur.execute(
        "SELECT count(*), count(DISTINCT stream_id), min(position), max(position) FROM events").fetchall()[0]
    if report.events and (first != 1 or last != report.events):
        gaps = cur.execute("""SELECT position, next FROM (
                SELECT position, lead(position) OVER (ORDER BY position) AS next FROM events)
            WHERE next - position > 1 ORDER BY position LIMIT ?""", [SHOWN]).fetchall()
        text = ", ".join(f"after {p} comes {n}" for p, n in gaps)
        if first != 1:
            text = f"the first position is {first}, not 1" + (f"; {text}" if text else "")
        report.problems.append(Problem("positions", f"Positions are not gap-free ({report.events:,} events, "
                                                    f"last position {last:,}): {text}."))
    broken = cur.execute("""SELECT stream_id, position, version, expected, count(*) OVER () FROM (
            SELECT stream_id, position, version,
                row_number() OVER (PARTITION BY stream_id ORDER BY position) AS expected FROM events)
        WHERE version <> expected ORDER BY stream_id, position LIMIT ?""", [SHOWN]).fetchall()
    for stream_id, position, version, expected, n in broken:
        report.problems.append(Problem("versions", f"Stream '{stream_id}': the event at position {position} has "
                                                   f"version {version}, expected {expected} ({n:,} such events)."))
    not_objects = cur.execute("""SELECT position, event_type, count(*) OVER () FROM events
        WHERE data IS NULL OR json_type(data) <> 'OBJECT' ORDER BY position LIMIT ?""", [SHOWN]).fetchall()
    for position, event_type, n in not_objects:
        report.problems.append(Problem("data", f"The event at position {position} ({event_type}) has data that is "
                                               f"not a JSON object ({n:,} such events)."))
    _check_stream_types(engine, report)
    _check_chain(engine, report)
    _check_readable(engine, report, progress)
    return report


def _check_stream_types(engine, report: VerifyReport) -> None:
    cur = engine.store.cursor()
    mixed = cur.execute("""SELECT stream_id, list(DISTINCT stream_type ORDER BY stream_type), count(*) OVER ()
        FROM events GROUP BY stream_id HAVING count(DISTINCT stream_type) > 1 ORDER BY stream_id LIMIT ?""",
                        [SHOWN]).fetchall()
    for stream_id, kinds, n in mixed:
        report.problems.append(Problem("stream types", f"Stream '{stream_id}' has events stored under several "
                                                       f"stream types ({', '.join(kinds)}); {n:,} such streams."))
    owners = {event_type: kind for kind, repo in engine.repositories.items()
              for event_type in repo.aggregate_cls.event_types()}
    if not owners:
        return
    foreign = cur.execute("""SELECT position, stream_id, stream_type, event_type, count(*) OVER () FROM events
        WHERE (list_contains(?, stream_type) AND NOT list_contains(map_extract(?::MAP(VARCHAR, VARCHAR[]),
                                                                              stream_type)[1], event_type))
           OR (NOT list_contains(?, stream_type) AND list_contains(?, event_type))
        ORDER BY position LIMIT ?""", [
        list(engine.repositories),
        {kind: sorted(repo.aggregate_cls.event_types()) for kind, repo in engine.repositories.items()},
        list(engine.repositories), list(owners), SHOWN]).fetchall()
    for position, stream_id, stream_type, event_type, n in foreign:
        owner = owners.get(event_type)
        belongs = f"{event_type} belongs to {owner} streams" if owner else f"{stream_type} streams do not take it"
        report.problems.append(Problem("foreign events", (
            f"The event at position {position:,} ({event_type}) is in {stream_type} stream '{stream_id}', but "
            f"{belongs} ({n:,} such events).")))


def _check_chain(engine, report: VerifyReport) -> None:
    broken, _ = chain.first_break(engine.store.cursor())
    if broken is not None:
        report.problems.append(Problem("hash chain", broken.describe()))


def _check_readable(engine, report: VerifyReport, progress) -> None:
    types = [t for (t,) in engine.store.cursor().execute("SELECT DISTINCT event_type FROM events").fetchall()
             if engine.registry.knows(t)]
    if not types:
        return
    marks = ", ".join("?" * len(types))
    total = engine.store.cursor().execute(f"SELECT count(*) FROM events WHERE event_type IN ({marks})",
                                          types).fetchall()[0][0]
    from esengine.store.event_store import EVENT_COLUMNS
    reader = engine.store.cursor().cursor().sql(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE event_type IN ({marks}) ORDER BY position",
        params=types).to_arrow_reader(50_000)
    failures = 0
    for batch in reader:
        for row in batch.to_pylist():
            try:
                engine.registry.to_domain(StoredEvent.from_row(row))
            except (EsEngineError, ValueError, TypeError) as e:
                failures += 1
                if failures <= SHOWN:
                    report.problems.append(Problem("readable", f"The event at position {row['position']} "
                                                               f"({row['event_type']}) cannot be read: {e}"))
        report.checked_by_type += batch.num_rows
        if progress:
            progress(report.checked_by_type, total)
    if failures > SHOWN:
        report.problems.append(Problem("readable", f"... {failures:,} unreadable events in all."))
