"""The stream_states read model: the generic fold after every event, and "every stream as of T" read from it.

Both paths of ``streams_as_of`` (the read model, and the fold at query time) must give the same states,
on the demo history and on imported real logs, on both clocks, at several moments; the inline handler,
the set-based build and a replay must store the same rows.
"""
from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from esengine import Engine
from esengine.core.events import NewEvent
from esengine.interchange import import_file
from esengine.projections import checkpoints as cp
from esengine.projections.compare import compare_tables
from esengine.projections.runner import Side
from esengine.projections.stream_states import NAME, StreamStatesProjection
from esengine.store.filters import EventFilter
from esengine.temporal import streams_as_of
from esengine.temporal.as_of import history_span, states_table
from esengine.timetravel.generic_fold import fold_data
from tests.conftest import DATASETS

FRACTIONS = (0.0, 0.1, 0.37, 0.5, 0.82, 1.0)
CLOCKS = ("occurred_at", "recorded_at")


def moments(store, by: str, stream_type: str | None = None) -> list[datetime]:
    first, last = history_span(store, stream_type, by)
    return [first + (last - first) * f for f in FRACTIONS]


def assert_same(store, at: datetime, by: str, stream_type: str | None = None, expect_read_model: bool = True,
                where: EventFilter | None = None) -> int:
    """Both paths give the same rows (states compared as JSON values); returns the number of streams."""
    if expect_read_model:
        assert states_table(store, at, by) is not None, "the read model should cover this moment"
    fast = streams_as_of(store, at, stream_type, by=by, where=where)
    slow = streams_as_of(store, at, stream_type, by=by, where=where, read_model=False)
    assert list(fast.columns) == list(slow.columns)
    assert fast.drop(columns="state").equals(slow.drop(columns="state")), (at, by)
    assert [json.loads(s) for s in fast["state"]] == [json.loads(s) for s in slow["state"]], (at, by)
    unsorted = streams_as_of(store, at, stream_type, by=by, where=where, sort=False)
    unsorted = unsorted.sort_values("stream_id", ignore_index=True)
    assert unsorted.drop(columns="state").equals(fast.drop(columns="state"))
    # (the query-time fold writes a state's keys in no fixed order: compared as JSON values)
    assert [json.loads(s) for s in unsorted["state"]] == [json.loads(s) for s in fast["state"]]
    return len(fast)


@pytest.mark.parametrize("by", CLOCKS)
def test_demo_history_both_paths_agree(demo_engine, by):
    store = demo_engine.store
    counts = [assert_same(store, at, by) for at in moments(store, by)]
    assert counts[-1] > counts[0] > 0
    for stream_type in ("order", "customer"):
        for at in moments(store, by, stream_type)[1::2]:
            assert_same(store, at, by, stream_type)


def test_demo_read_model_matches_a_replay_and_the_set_based_build(demo_engine):
    """The read model of the demo equals a replay by the handlers and one by the set-based build."""
    runner = demo_engine.projections
    result = runner.compare(NAME, "states", Side(1), Side(1, "replay"))
    runner.replay(NAME, 1, "setbased", set_based=True)
    p = runner.projection(NAME)
    cur = demo_engine.store.cursor()
    same = compare_tables(cur, p.table_name("states"), p.table_name("states", scratch="setbased"), "key", 50)
    rows = cur.execute(f'SELECT count(*) FROM "{p.table_name("states")}"').fetchall()[0][0]
    assert rows == demo_engine.store.count()
    _assert_no_difference(result)
    _assert_no_difference(same)


def _assert_no_difference(comparison) -> None:
    assert comparison.left_rows == comparison.right_rows > 0
    assert (comparison.only_left_count, comparison.only_right_count, comparison.changed_rows_count) == (0, 0, 0), (
        comparison.only_left, comparison.only_right, comparison.changed)
    assert not comparison.columns_only_left and not comparison.columns_only_right


@pytest.fixture(scope="module", params=["running-example.csv", "receipt.csv"])
def imported(request, tmp_path_factory):
    with Engine(tmp_path_factory.mktemp("states") / "log.duckdb") as engine:
        import_file(engine, DATASETS / request.param)
        yield engine


@pytest.mark.parametrize("by", CLOCKS)
def test_imported_log_both_paths_agree(imported, by):
    store = imported.store
    state = cp.read(store.cursor(), NAME, 1)
    assert state.position == store.last_position() and state.status == cp.RUNNING
    counts = [assert_same(store, at, by) for at in moments(store, by)]
    assert counts[-1] > 0
    # a filter on whole streams still reads the read model; one on single events folds now, with the same result
    at = moments(store, by)[3]
    some = store.cursor().execute("SELECT min(stream_id) FROM events").fetchall()[0][0]
    assert assert_same(store, at, by, where=EventFilter(stream_id=some)) <= 1
    kinds = [r[0] for r in store.cursor().execute("SELECT DISTINCT event_type FROM events ORDER BY 1 LIMIT 2").fetchall()]
    assert_same(store, at, by, where=EventFilter(event_types=tuple(kinds)), expect_read_model=False)


def test_imported_log_rows_equal_the_fold_of_each_prefix(imported):
    """Every row is the generic fold of its stream's events up to and including its version."""
    cur = imported.store.cursor()
    table = StreamStatesProjection().table_name("states")
    events = cur.execute("SELECT stream_id, version, CAST(data AS VARCHAR) FROM events ORDER BY stream_id, version").fetchall()
    rows = dict(cur.execute(f'SELECT key, CAST(state AS VARCHAR) FROM "{table}"').fetchall())
    assert len(rows) == len(events)
    current, history = None, []
    for sid, version, data in events[:3000]:
        if sid != current:
            current, history = sid, []
        history.append(data)
        assert json.loads(rows[f"{sid}#{version}"]) == fold_data(history), (sid, version)


def test_nested_merge_null_and_lists_on_both_build_paths(engine):
    """Set-based build and handlers keep the fold's rules: nested objects merge key by key, lists and values
    replace, a later null wins; the handlers go on from rows the set-based build wrote."""
    t0 = datetime(2026, 1, 1)
    datas = [{"a": 1, "address": {"city": "Ghent", "zip": "9000"}, "tags": ["x", "y"]},
             {"address": {"city": "Leuven"}, "tags": ["z"], "b": None},
             {"a": None, "address": {"street": {"name": "Main", "no": 1}}},
             {"address": {"street": {"no": 2}}, "b": 3},
             {"address": "gone"},
             {"address": {"city": "Bruges"}}]
    runner = engine.projections
    for i, data in enumerate(datas):
        engine.store.append("thing-1", [NewEvent("Thing", data, occurred_at=t0 + timedelta(hours=i))], i, "thing")
        engine.store.append("thing-2", [NewEvent("Other", {"n": i, "deep": {"k": {"v": i}}},
                                                 occurred_at=t0 + timedelta(hours=i, minutes=30))], i, "thing")
        if i == 2:
            runner.catch_up(NAME)  # from nothing: the set-based build; the later events go through the handlers
    runner.catch_up(NAME)
    assert runner.registered[NAME].mode == "async"
    cur = engine.store.cursor()
    p = runner.projection(NAME)
    got = [json.loads(s) for (s,) in cur.execute(
        f"SELECT CAST(state AS VARCHAR) FROM \"{p.table_name('states')}\" WHERE stream_id = 'thing-1' "
        "ORDER BY version").fetchall()]
    assert got == [fold_data(datas[:n + 1]) for n in range(len(datas))]
    assert got[2]["a"] is None and got[1]["b"] is None and "b" in got[1]
    assert got[3]["address"]["street"] == {"name": "Main", "no": 2}
    assert datas[0]["address"] == {"city": "Ghent", "zip": "9000"}  # the events' data was not changed
    for by in CLOCKS:
        for at in moments(engine.store, by):
            assert_same(engine.store, at, by)
    runner.replay(NAME, 1, "handlers")
    runner.replay(NAME, 1, "setbased", set_based=True)
    for scratch in ("handlers", "setbased"):
        _assert_no_difference(compare_tables(cur, p.table_name("states"), p.table_name("states", scratch=scratch),
                                             "key", 50))


def test_falls_back_when_behind_or_out_of_order(engine):
    """A checkpoint that does not cover the moment, or times out of version order, fold now: same result."""
    t0 = datetime(2026, 1, 1)
    for i in range(4):
        engine.store.append("thing-1", [NewEvent("Thing", {"n": i, "o": {str(i): i}},
                                                 occurred_at=t0 + timedelta(hours=i))], i, "thing")
    # thing-2's second event happened before its first (as an import of a sloppy log could have it)
    engine.store.append("thing-2", [NewEvent("Thing", {"n": 0}, occurred_at=t0 + timedelta(hours=5))], 0, "thing")
    engine.store.append("thing-2", [NewEvent("Thing", {"n": 1}, occurred_at=t0 + timedelta(hours=1))], 1, "thing")
    engine.projections.catch_up(NAME)
    at = t0 + timedelta(hours=2)
    assert states_table(engine.store, at) is not None  # the read model, with thing-2 folded now
    assert_same(engine.store, at, "occurred_at")  # thing-2: only its 2nd event by then
    frame = streams_as_of(engine.store, at)
    assert json.loads(frame.set_index("stream_id").loc["thing-2", "state"]) == {"n": 1}
    # asynchronous: a new event is not folded yet; moments before it still read the read model
    engine.store.append("thing-1", [NewEvent("Thing", {"n": 9}, occurred_at=t0 + timedelta(hours=4))], 4, "thing")
    assert states_table(engine.store, t0 + timedelta(hours=3)) is not None
    assert states_table(engine.store, t0 + timedelta(hours=4)) is None
    for when in (t0, t0 + timedelta(hours=3)):
        assert_same(engine.store, when, "occurred_at")
    for when in (t0 + timedelta(hours=4), t0 + timedelta(hours=6)):
        assert_same(engine.store, when, "occurred_at", expect_read_model=False)
    engine.projections.catch_up(NAME)
    assert states_table(engine.store, t0 + timedelta(hours=4)) is not None
    assert_same(engine.store, t0 + timedelta(hours=4), "occurred_at")


def _disordered(engine, scratch: str | None = None) -> list[str]:
    table = StreamStatesProjection().table_name("disordered", scratch=scratch)
    return [sid for (sid,) in engine.store.cursor().execute(f'SELECT stream_id FROM "{table}" ORDER BY 1').fetchall()]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), events=st.integers(1, 30), catch_ups=st.integers(0, 4))
def test_random_histories_with_times_out_of_order(seed, events, catch_ups):
    """Streams whose events are timed out of version order, caught up now and then (the first catch-up builds
    set-based, later ones go event by event): the rows equal a set-based rebuild, the disordered streams are
    the ones with an event timed before an earlier one, and the state as of every moment equals the fold."""
    rnd = random.Random(seed)
    t0 = datetime(2026, 1, 1)
    stops = set(rnd.sample(range(events), min(catch_ups, events)))
    with tempfile.TemporaryDirectory() as tmp, Engine(Path(tmp) / "s.duckdb", domains=()) as engine:
        versions: dict[str, int] = {}
        times: dict[str, list[datetime]] = {}
        for i in range(events):
            sid = f"s-{rnd.randrange(4)}"
            at = t0 + timedelta(hours=rnd.randrange(12))
            engine.store.append(sid, [NewEvent("Step", {"k": rnd.randrange(3), f"f{i % 3}": i},
                                               occurred_at=at)], versions.get(sid, 0), "thing")
            versions[sid] = versions.get(sid, 0) + 1
            times.setdefault(sid, []).append(at)
            if i in stops:
                engine.projections.catch_up(NAME)
        engine.projections.catch_up(NAME)
        engine.projections.replay(NAME, 1, "setbased", set_based=True)
        p, cur = engine.projections.projection(NAME), engine.store.cursor()
        for table, key in (("states", "key"), ("disordered", "stream_id")):
            comparison = compare_tables(cur, p.table_name(table), p.table_name(table, scratch="setbased"), key, 50)
            assert (comparison.only_left_count, comparison.only_right_count, comparison.changed_rows_count) == (
                0, 0, 0), (table, comparison.only_left, comparison.only_right, comparison.changed)
        expected = sorted(s for s, ts in times.items()
                          if any(later < max(ts[:n + 1]) for n, later in enumerate(ts[1:])))
        assert _disordered(engine) == expected
        for hour in range(13):
            moment = t0 + timedelta(hours=hour, minutes=rnd.choice((0, 30)))
            if moment >= min(min(ts) for ts in times.values()):
                assert_same(engine.store, moment, "occurred_at")


def _stored_order(engine) -> list[str]:
    table = StreamStatesProjection().table_name("states")
    return [k for (k,) in engine.store.cursor().execute(f'SELECT key FROM "{table}" ORDER BY rowid').fetchall()]


def _append_round(engine, streams: int | list[int], hour: int) -> None:
    for n in (range(streams) if isinstance(streams, int) else streams):
        sid = f"s-{n:03d}"
        engine.store.append(sid, [NewEvent("Step", {"n": n, "hour": hour}, occurred_at=datetime(2026, 1, 1, hour))],
                            engine.store.current_version(sid), "thing")


def test_the_table_is_kept_in_stream_order_for_sorted_results(engine, monkeypatch):
    """The set-based build stores rows by (stream, version); rows appended since stay at the end (results are
    still sorted: a few rows put in place, many sorted), until enough of them make a catch-up sort the table."""
    from esengine.projections import stream_states
    from esengine.temporal import states_table as as_of
    monkeypatch.setattr(stream_states, "RESORT_MIN_ROWS", 45)
    in_order = lambda keys: keys == sorted(keys, key=lambda k: (k.split("#")[0], int(k.split("#")[1])))  # noqa: E731
    _append_round(engine, 30, 0)
    _append_round(engine, 30, 1)
    engine.projections.catch_up(NAME)  # from nothing: set-based
    assert in_order(_stored_order(engine)) and len(_stored_order(engine)) == 60
    rounds = {2: list(range(28, -1, -2)), 3: [29, 0, 17, 3, 9]}  # some streams, out of order
    for hour, streams in rounds.items():
        _append_round(engine, streams, hour)
        engine.projections.catch_up(NAME)  # by the handlers: appended at the end
        assert not in_order(_stored_order(engine))
    expected = [f"s-{n:03d}" for n in range(30)]
    for limit in (1000, 5):  # the appended rows put in place, or the whole result sorted
        monkeypatch.setattr(as_of, "MERGE_LIMIT", limit)
        for hour in (1, 2, 3):
            frame = streams_as_of(engine.store, datetime(2026, 1, 1, hour))
            assert list(frame["stream_id"]) == expected
            assert list(frame["version"]) == [2 + sum(n in rounds[h] for h in rounds if h <= hour) for n in range(30)]
            assert_same(engine.store, datetime(2026, 1, 1, hour, 30), "occurred_at")
    _append_round(engine, 30, 4)
    engine.projections.catch_up(NAME)  # 20 + 30 rows since the table was sorted: sorted again
    assert in_order(_stored_order(engine)) and len(_stored_order(engine)) == 110
    assert_same(engine.store, datetime(2026, 1, 1, 3, 30), "occurred_at")


def test_a_read_model_of_another_shape_is_rebuilt_when_the_engine_opens(tmp_path):
    """A database whose stream_states was built by a release with other columns gets it rebuilt at open."""
    path = tmp_path / "old.duckdb"
    with Engine(path, domains=()) as engine:
        _append_round(engine, 5, 0)
        _append_round(engine, 5, 1)
        engine.projections.catch_up(NAME)
        p = engine.projections.projection(NAME)

        def make_it_old(cur):
            cur.execute(f'ALTER TABLE "{p.table_name("states")}" DROP COLUMN next_occurred_at')
            cur.execute(f'DROP TABLE "{p.table_name("disordered")}"')
        engine.writer.run(make_it_old)
        assert not p.tables_match(engine.store.cursor())
    with Engine(path, domains=()) as engine:
        p = engine.projections.projection(NAME)
        assert p.tables_match(engine.store.cursor())
        assert cp.read(engine.store.cursor(), NAME, 1).position == 0  # the open does not wait for the rebuild
        engine.projections.catch_up_async()  # what the app's worker does in the background
        assert cp.read(engine.store.cursor(), NAME, 1).position == engine.store.last_position()
        assert len(_stored_order(engine)) == 10
        assert_same(engine.store, datetime(2026, 1, 1, 0, 30), "occurred_at")
