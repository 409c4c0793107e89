"""The store contract (esengine/store/contract.py), run against every store: a DuckDB file and PostgreSQL.

One suite, as the ``eventsourcing`` library runs one test case per recorder interface: whatever a store
is, appends conflict, retry, order and roll back the same way, and reads give the same answers.
"""
from __future__ import annotations

import pickle
import re
import threading
import uuid
import time
from datetime import datetime, timedelta, timezone, UTC

import pytest

from esengine.core.events import NewEvent
from esengine.engine import Engine
from esengine.errors import ConcurrencyError, EsEngineError, ValidationError
from esengine.projections.base import Projection, ReadModelTable, RowSet, handles
from esengine.projections.runner import INLINE
from esengine.store.contract import EventLog, StoreWriter
from esengine.store.filters import EventFilter
from esengine.store.writer import ANY_VERSION, StreamAppend

COUNTS = ReadModelTable("counts", "id", (("id", "VARCHAR"), ("n", "BIGINT")))


class CountingProjection(Projection):
    """An inline read model: how many ``Noted`` events each stream has."""

    name = "counting"
    version = 1
    tables = (COUNTS,)

    def keys(self, event):
        return {"counts": [event.stream_id]}

    @handles("Noted")
    def _noted(self, e, rows: RowSet) -> None:
        row = rows.get("counts", e.stream_id) or {"id": e.stream_id, "n": 0}
        rows.put("counts", {**row, "n": row["n"] + 1})


def noted(n: int = 1, **data) -> list[NewEvent]:
    return [NewEvent("Noted", {"i": i, **data}) for i in range(n)]


def wait_for(condition, timeout: float = 10.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_both_stores_keep_the_contract(engine):
    assert isinstance(engine.store, EventLog) and isinstance(engine.writer, StoreWriter)


def test_a_stream_that_moved_on_is_refused_and_nothing_is_written(engine):
    store = engine.store
    store.append("note-1", noted(2), 0)
    with pytest.raises(ConcurrencyError) as refused:
        store.append("note-1", noted(1), 1)
    assert "2" in str(refused.value) and "1" in str(refused.value)
    assert store.current_version("note-1") == 2 and store.last_position() == 2
    # two streams in one commit: one conflict sinks both
    with pytest.raises(ConcurrencyError):
        engine.writer.commit([StreamAppend("note-2", "note", noted(1), 0), StreamAppend("note-1", "note", noted(1), 0)])
    assert store.current_version("note-2") == 0 and store.last_position() == 2


def test_a_retried_append_is_a_no_op(engine):
    store = engine.store
    events = noted(3)
    first = store.append("note-1", events, 0)
    again = store.append("note-1", events, 0)  # the same command sent twice: same event ids
    assert [e.version for e in first.events] == [1, 2, 3]
    assert again.duplicate and store.count() == 3
    assert store.append("note-1", noted(1), ANY_VERSION).version == 4


def test_event_ids_a_caller_gives_are_checked_before_the_commit_is_acknowledged(target):
    """An id given by a caller (an import, a client's own id) may be stored already: it is skipped as a retry is,
    in any spelling of the UUID; one id on two events of a commit is refused. The store keeps accepting commits,
    and it opens again with everything acknowledged (a DuckDB file's journal could not be written otherwise)."""
    given = str(uuid.uuid4())
    with Engine(target, domains=()) as engine:
        store = engine.store
        store.append("note-1", [NewEvent("Noted", {"i": 1}, event_id=given)], 0)
        again = store.append("note-2", [NewEvent("Noted", {"i": 2}, event_id=given.upper())], 0)
        assert again.duplicate and store.current_version("note-2") == 0
        twice = str(uuid.uuid4())
        with pytest.raises(ValidationError, match="same id"):
            store.append("note-3", [NewEvent("Noted", {"i": 3}, event_id=twice)] * 2, 0)
        with pytest.raises(ValidationError, match="not a UUID"):
            NewEvent("Noted", {}, event_id="order-42")
        assert store.append("note-3", noted(2), 0).version == 2  # the store still takes commits
        sent = noted(1)  # an event queued by a client (pickled) and sent again once it was stored
        store.append("note-4", sent, 0)
        assert store.append("note-4", pickle.loads(pickle.dumps(sent)), ANY_VERSION).duplicate
    with Engine(target, domains=()) as engine:
        assert engine.store.current_version("note-4") == 1
        assert (engine.store.get_event(position=1).stream_id, engine.store.get_event(position=1).event_id) == ("note-1", given)
        assert engine.store.count() == 4 and engine.store.current_version("note-3") == 2


@pytest.mark.parametrize("stream, data, said", [
    ("note-1", {"text": "half a pair \ud83d"}, "The data of a Noted event for 'note-1' holds half of a UTF-16"),
    ("note-\udc00", {"text": "fine"}, "The stream id 'note-\\udc00' is not text"),
])
def test_text_that_is_not_text_is_refused_before_anything_is_written(engine, stream, data, said):
    """Half of a UTF-16 surrogate pair (what a broken client or a bad decode leaves) cannot be stored as UTF-8:
    refused in words, nothing written, and the store goes on. Whole pairs (emoji) are text."""
    with pytest.raises(ValidationError, match=re.escape(said)):
        engine.store.append(stream, [NewEvent("Noted", data)], 0)
    with pytest.raises(ValidationError, match="schema version of a Noted event must be a whole number"):
        engine.store.append("note-1", [NewEvent("Noted", {}, schema_version=2 ** 31)], 0)
    assert engine.store.count() == 0
    assert engine.store.append("note-2", [NewEvent("Noted", {"text": "🙂 Köln"})], 0).version == 1
    assert engine.store.read_all()[0].data == {"text": "🙂 Köln"}


def test_positions_are_gap_free_and_versions_count_per_stream(engine):
    store = engine.store
    for i in range(6):
        stream = f"note-{i % 2}"
        store.append(stream, noted(2, round=i), ANY_VERSION)
    every = store.read_all()
    assert [e.position for e in every] == list(range(1, 13))
    assert [e.version for e in every if e.stream_id == "note-1"] == list(range(1, 7))
    assert store.get_event(position=5).event_id == every[4].event_id
    assert store.get_event(event_id=every[7].event_id).position == 8
    assert [e.version for e in store.get_events("note-0", after_version=2, to_version=4)] == [3, 4]
    assert [e.position for e in store.read_all(after_position=10)] == [11, 12]


def test_eight_writers_and_a_tailing_reader_miss_nothing(target):
    per_writer, writers_n = 15, 8
    with Engine(target, domains=()) as reader_engine:
        engines = [reader_engine] if not target.startswith("postgresql") else \
            [Engine(target, domains=()) for _ in range(writers_n)]  # one connection per writer on a server
        try:
            seen: list[int] = []
            stop = threading.Event()

            def tail():
                while not stop.is_set() or len(seen) < per_writer * writers_n:
                    batch = reader_engine.store.read_all(after_position=seen[-1] if seen else 0, limit=50)
                    seen.extend(e.position for e in batch)
                    if not batch:
                        time.sleep(0.005)

            def write(w: int):
                store = engines[w % len(engines)].store
                for i in range(per_writer):
                    store.append(f"note-{w}", noted(1, w=w), i)

            reader = threading.Thread(target=tail)
            reader.start()
            threads = [threading.Thread(target=write, args=(w,)) for w in range(writers_n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            stop.set()
            reader.join(timeout=20)
            assert not reader.is_alive(), "the reader never saw every event"
            assert seen == list(range(1, per_writer * writers_n + 1))  # in order, no hole, none twice
            for w in range(writers_n):
                assert [e.version for e in reader_engine.store.get_events(f"note-{w}")] == list(range(1, per_writer + 1))
        finally:
            for e in engines:
                if e is not reader_engine:
                    e.close()


def test_a_failed_append_leaves_no_projection_rows(engine):
    engine.projections.register(CountingProjection(), mode=INLINE)
    table = engine.projections.live_table("counting", "counts")
    engine.store.append("note-1", noted(2), 0)

    def counts():
        return dict(engine.store.cursor().execute(f'SELECT id, n FROM "{table}"').fetchall())
    assert counts() == {"note-1": 2}
    with pytest.raises(ConcurrencyError):
        engine.store.append("note-1", noted(1), 0)
    with pytest.raises(EsEngineError):  # an extra row the store cannot take sinks the whole append
        engine.store.append("note-2", noted(1), 0, rows={"no_such_table": [{"x": 1}]})
    assert counts() == {"note-1": 2}
    assert engine.store.count() == 2 and engine.store.current_version("note-2") == 0
    engine.store.append("note-2", noted(1), 0)  # and the store goes on
    assert counts() == {"note-1": 2, "note-2": 1}


def test_json_and_time_zones_round_trip(engine):
    data = {"text": "Grüße, 東京 \u2014 \"quoted\"", "n": 12345678901234, "x": 0.1, "none": None,
            "nested": {"list": [1, "two", {"three": 3.5}], "empty": {}}, "flag": True}
    berlin = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    engine.store.append("note-1", [NewEvent("Noted", data, metadata={"user_id": "ann", "correlation_id": "c-1"},
                                            occurred_at=berlin)], 0)
    got = engine.store.get_events("note-1")[0]
    assert got.data == data and got.metadata == {"user_id": "ann", "correlation_id": "c-1"}
    assert got.occurred_at == datetime(2026, 3, 29, 1, 30)  # stored as UTC
    assert engine.store.version_at("note-1", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) == 1
    assert engine.store.version_at("note-1", datetime(2026, 3, 29, 3, 29, tzinfo=timezone(timedelta(hours=2)))) == 0


def test_filters_select_the_same_events(engine):
    day = datetime(2026, 1, 1)
    for i in range(6):
        kind = "note" if i % 2 else "memo"
        engine.store.append(f"{kind}-{i}", [NewEvent("Noted" if i < 4 else "Struck", {"word": f"apple{i}"},
                                                     metadata={"correlation_id": f"c-{i % 3}"},
                                                     occurred_at=day + timedelta(days=i))], 0)

    def positions(**f):
        return [e.position for e in engine.store.read_all(where=EventFilter(**f))]
    assert positions(stream_types=("note",)) == [2, 4, 6]
    assert positions(event_types=("Struck",)) == [5, 6]
    assert positions(correlation_id="c-1") == [2, 5]
    assert positions(text="APPLE3") == [4]
    assert positions(stream_search="memo-*") == [1, 3, 5]
    assert positions(occurred_from=day + timedelta(days=1), occurred_to=day + timedelta(days=3)) == [2, 3]
    assert engine.store.count(EventFilter(stream_types=("memo",), event_types=("Noted",))) == 2


def test_version_at_follows_either_clock(engine):
    start = datetime(2026, 5, 1, 12, 0)
    for i in range(4):
        engine.store.append("note-1", [NewEvent("Noted", {"i": i}, occurred_at=start + timedelta(hours=i))], i)
    assert engine.store.version_at("note-1", start + timedelta(hours=2, minutes=30)) == 3
    assert engine.store.version_at("note-1", start - timedelta(seconds=1)) == 0
    recorded = engine.store.get_events("note-1")[1].recorded_at
    assert engine.store.version_at("note-1", recorded, by="recorded_at") >= 2


def test_the_read_side_keeps_snapshots_and_checkpoints(engine):
    engine.store.append("note-1", noted(3), 0)
    engine.snapshots.save("note-1", "note", 3, 1, {"n": 3})
    snap, stale = engine.snapshots.latest("note-1", None, 1)
    assert snap is not None and snap.version == 3 and snap.state == {"n": 3} and not stale
    engine.projections.register(CountingProjection(), mode=INLINE)  # caught up from its checkpoint
    table = engine.projections.live_table("counting", "counts")
    assert engine.store.cursor().execute(f'SELECT n FROM "{table}"').fetchall() == [(3,)]
    engine.store.append("note-1", noted(1), 3)
    assert engine.store.cursor().execute(f'SELECT n FROM "{table}"').fetchall() == [(4,)]


def test_a_bulk_load_is_all_or_nothing_and_keeps_the_chain(engine):
    import pyarrow as pa

    from esengine.store.writer import EVENT_SCHEMA
    engine.store.append("note-1", noted(2), 0)
    now = datetime(2026, 2, 1)
    table = pa.table({"event_id": [str(uuid.uuid4()) for _ in range(3)], "stream_id": ["memo-1"] * 3,
                      "stream_type": ["memo"] * 3, "version": [1, 2, 3], "event_type": ["Noted"] * 3,
                      "schema_version": [1] * 3, "data": ['{"i":1}', '{"i":2}', '{"i":3}'], "metadata": ["{}"] * 3,
                      "occurred_at": [now] * 3},
                     schema=pa.schema([f for f in EVENT_SCHEMA if f.name not in ("position", "recorded_at", "hash")]))

    def half_then_fail(cur, start):
        cur.execute("INSERT INTO events (position, event_id, stream_id, stream_type, version, event_type, "
                    "schema_version, data, metadata, occurred_at, recorded_at) "
                    "VALUES (?, uuid(), 'memo-9', 'memo', 1, 'Noted', 1, '{}', '{}', now(), now())", [start])
        raise EsEngineError("the file's third row is bad")
    with pytest.raises(EsEngineError, match="third row"):
        engine.writer.bulk_load(half_then_fail)
    assert engine.store.count() == 2 and engine.store.current_version("memo-9") == 0
    assert engine.writer.bulk_insert(table) == 3
    assert [e.position for e in engine.store.read_all()] == [1, 2, 3, 4, 5]
    assert engine.store.chain_break() is None
    engine.store.append("note-1", noted(1), 2)  # appends go on after the bulk load, on the chain
    assert engine.store.last_position() == 6 and engine.store.chain_break() is None
