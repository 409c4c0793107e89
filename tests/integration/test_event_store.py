"""The event store on a real DuckDB file: appends, concurrency, idempotency, reads, schema."""
import threading
from datetime import datetime, timedelta

import duckdb
import pytest

from esengine import Engine
from esengine.core.events import NewEvent
from esengine.errors import ConcurrencyError
from esengine.store.filters import EventFilter
from esengine.store.schema import SCHEMA_VERSION


def ev(n: int, **kw) -> NewEvent:
    return NewEvent("Thing", {"n": n}, metadata={"user_id": "u", "correlation_id": "c1"}, **kw)


def test_a_new_stream_expects_version_zero_and_gets_versions_from_one(engine):
    result = engine.store.append("thing-1", [ev(1), ev(2)], expected_version=0, stream_type="thing")
    assert [e.version for e in result.events] == [1, 2]
    assert engine.store.current_version("thing-1") == 2
    stored = engine.store.get_events("thing-1")
    assert [e.data["n"] for e in stored] == [1, 2]
    assert stored[0].stream_type == "thing" and stored[0].metadata["correlation_id"] == "c1"
    assert stored[0].recorded_at is not None and stored[0].occurred_at is not None


def test_a_stale_expected_version_is_refused_naming_both_versions_and_writes_nothing(engine):
    engine.store.append("thing-1", [ev(1)], 0)
    with pytest.raises(ConcurrencyError) as refused:
        engine.store.append("thing-1", [ev(2), ev(3)], 0)
    assert (refused.value.expected, refused.value.actual) == (0, 1)
    assert "version 1" in str(refused.value) and "expected version 0" in str(refused.value)
    assert engine.store.current_version("thing-1") == 1
    assert engine.store.count() == 1


def test_appending_an_event_id_that_is_already_stored_is_a_no_op(engine):
    first = engine.store.append("thing-1", [ev(1)], 0)
    retry = engine.store.append("thing-1", [NewEvent("Thing", {"n": 1}, event_id=first.events[0].event_id)], 0)
    assert retry.duplicate
    assert engine.store.count() == 1


def test_positions_are_global_gap_free_and_in_commit_order(engine):
    engine.store.append("a", [ev(1), ev(2)], 0)
    engine.store.append("b", [ev(3)], 0)
    engine.store.append("a", [ev(4)], 2)
    log = engine.store.read_all()
    assert [e.position for e in log] == [1, 2, 3, 4]
    assert [(e.stream_id, e.version) for e in log] == [("a", 1), ("a", 2), ("b", 1), ("a", 3)]


def test_get_events_reads_a_version_range(engine):
    engine.store.append("s", [ev(i) for i in range(1, 6)], 0)
    assert [e.version for e in engine.store.get_events("s", after_version=1, to_version=3)] == [2, 3]


def test_the_log_can_be_read_by_position_type_stream_type_time_and_in_pages(engine):
    t0 = datetime(2026, 1, 1)
    engine.store.append("order-1", [NewEvent("A", {}, occurred_at=t0), NewEvent("B", {}, occurred_at=t0 + timedelta(days=1))], 0,
                        stream_type="order")
    engine.store.append("customer-1", [NewEvent("A", {}, occurred_at=t0 + timedelta(days=2))], 0, stream_type="customer")
    store = engine.store
    assert [e.position for e in store.read_all(after_position=1)] == [2, 3]
    assert [e.event_type for e in store.read_all(where=EventFilter(event_types=("A",)))] == ["A", "A"]
    assert [e.stream_id for e in store.read_all(where=EventFilter(stream_types=("customer",)))] == ["customer-1"]
    window = EventFilter(occurred_from=t0 + timedelta(hours=12), occurred_to=t0 + timedelta(days=2))
    assert [e.event_type for e in store.read_all(where=window)] == ["B"]
    assert [e.position for e in store.read_all(limit=2)] == [1, 2]
    assert [e.position for e in store.read_all(after_position=2, limit=2)] == [3]


def test_concurrent_appends_from_many_threads_keep_positions_gap_free_and_streams_contiguous(engine):
    barrier = threading.Barrier(8)
    conflicts = []

    def worker(i):
        barrier.wait()
        for k in range(10):
            engine.store.append(f"own-{i}", [ev(k)], k)
            try:  # everyone also races for one shared stream: exactly one append per version wins
                v = engine.store.current_version("shared")
                engine.store.append("shared", [ev(k)], v)
            except ConcurrencyError:
                conflicts.append(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log = engine.store.read_all(limit=None)
    assert [e.position for e in log] == list(range(1, len(log) + 1))
    shared = engine.store.get_events("shared")
    assert [e.version for e in shared] == list(range(1, len(shared) + 1))
    assert len(shared) + len(conflicts) == 80
    for i in range(8):
        assert [e.version for e in engine.store.get_events(f"own-{i}")] == list(range(1, 11))


def test_a_group_commit_writes_the_good_requests_and_refuses_only_the_stale_one(engine):
    engine.store.append("x", [ev(0)], 0)
    with engine.writer.batch():
        engine.store.append("y", [ev(1)], 0)
        with pytest.raises(ConcurrencyError):
            engine.store.append("x", [ev(2)], 0)
        engine.store.append("x", [ev(3)], 1)
    assert engine.store.current_version("x") == 2
    assert engine.store.current_version("y") == 1


def test_a_race_lost_inside_duckdb_becomes_a_concurrency_error(tmp_path):
    path = tmp_path / "race.duckdb"
    with Engine(path) as first:
        first.store.append("s", [ev(1)], 0)
        assert first.writer.current_version("s") == 1  # cached by this writer
        with Engine(path) as second:  # a second writer in the same process goes around the first one's cache
            second.store.append("s", [ev(2)], 1)
        with pytest.raises(ConcurrencyError):
            first.store.append("s", [ev(3)], 1)
        assert [e.data["n"] for e in first.store.get_events("s")] == [1, 2]


def test_the_schema_is_created_once_and_records_its_version(tmp_path):
    path = tmp_path / "s.duckdb"
    with Engine(path) as e:
        e.store.append("s", [ev(1)], 0)
    with Engine(path) as e:
        assert e.store.count() == 1
        assert e.store.cursor().execute("SELECT max(version) FROM schema_info").fetchall()[0][0] == SCHEMA_VERSION


def test_sql_cannot_reach_files_through_the_engines_connection(engine):
    with pytest.raises(duckdb.Error, match="disabled"):
        engine.store.cursor().execute("SELECT * FROM read_csv('/etc/hostname')").fetchall()
