"""Analytics figures equal the same counts made with pandas over the stored events."""
from __future__ import annotations

import shutil

import pytest

from esengine import Engine
from esengine.analytics import command_outcomes, hour_of_week, stream_lengths, top_streams, volume
from esengine.store.filters import EventFilter


@pytest.fixture(scope="module")
def store_and_events(demo_db, tmp_path_factory):
    """The demo store (a private copy) with its events and command log read independently."""
    copy = tmp_path_factory.mktemp("analytics") / "demo.duckdb"
    shutil.copy(demo_db, copy)
    with Engine(copy) as engine:
        events = engine.store.cursor().execute(
            "SELECT stream_id, stream_type, event_type, occurred_at FROM events").df()
        commands = engine.store.cursor().execute("SELECT outcome, occurred_at FROM command_log").df()
        yield engine.store, events, commands


def test_volume_per_day_and_event_type_equals_pandas(store_and_events):
    store, events, _ = store_and_events
    v = volume(store, bin="day")
    ours = v.frame.set_index(["bucket", "key"])["events"].sort_index()
    theirs = events.groupby([events["occurred_at"].dt.floor("D").rename("bucket"),
                             events["event_type"].rename("key")]).size().sort_index()
    assert list(ours.index) == list(theirs.index) and list(ours) == list(theirs)


def test_volume_by_stream_type_respects_the_filter(store_and_events):
    store, events, _ = store_and_events
    v = volume(store, EventFilter(event_types=("OrderShipped",)), by="stream_type")
    assert set(v.frame["key"]) == {"order"}
    assert v.frame["events"].sum() == (events["event_type"] == "OrderShipped").sum()


def test_top_streams_and_stream_lengths_equal_pandas(store_and_events):
    store, events, _ = store_and_events
    sizes = events.groupby("stream_id").size()
    top = top_streams(store, limit=5)
    assert list(top["events"]) == sorted(sizes, reverse=True)[:5]
    lengths = stream_lengths(store).set_index("length")["streams"]
    assert lengths.to_dict() == sizes.value_counts().sort_index().to_dict()


def test_commands_accepted_and_refused_per_bin_equal_the_command_log(store_and_events):
    store, _, commands = store_and_events
    outcomes = command_outcomes(store, bin="week")
    ours = outcomes.frame.groupby("key")["commands"].sum().to_dict()
    assert ours == commands["outcome"].value_counts().to_dict()
    assert ours.get("refused", 0) > 0


def test_the_hour_of_week_grid_counts_every_event_once(store_and_events):
    store, events, _ = store_and_events
    grid = hour_of_week(store)
    assert grid.shape == (7, 24) and grid.index[0] == "Monday"
    assert int(grid.to_numpy().sum()) == len(events)
    monday_9 = ((events["occurred_at"].dt.dayofweek == 0) & (events["occurred_at"].dt.hour == 9)).sum()
    assert grid.loc["Monday", 9] == monday_9
