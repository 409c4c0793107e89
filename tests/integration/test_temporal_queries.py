"""Temporal queries: the generic fold as of a moment, read models as they were, plain messages for bad input."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pandas as pd
import pytest

from esengine.core.events import NewEvent
from esengine.errors import NotFound, ValidationError
from esengine.store.writer import ANY_VERSION
from esengine.temporal import changes_between, field_history, read_model_as_of, streams_as_of
from esengine.temporal.as_of import expand_states
from esengine.temporal.read_model_as_of import _read_model_built_in_sql
from esengine.timetravel.generic_fold import fold_data

T0 = datetime(2026, 1, 1)


def append(engine, stream_id: str, *datas, start: datetime = T0, stream_type: str = "thing") -> None:
    events = [NewEvent(f"Step{i}", d, occurred_at=start + timedelta(hours=i)) for i, d in enumerate(datas)]
    engine.store.append(stream_id, events, ANY_VERSION, stream_type=stream_type)


def _price(data: dict) -> float | None:
    return data.get("price", data.get("new_price"))


def test_the_generic_fold_as_of_a_moment_is_the_time_travel_fold(engine):
    datas = [{"a": 1, "address": {"city": "Ghent", "zip": "9000"}, "tags": ["x"]},
             {"a": None, "address": {"city": "Leuven"}, "tags": ["y"]},
             {"b": "two", "we.ird\"key": 3},
             {}]
    append(engine, "thing-1", *datas)
    append(engine, "thing-2", {"only": True})
    for hours, upto in ((0, 1), (1, 2), (2, 3), (10, 4)):
        frame = streams_as_of(engine.store, T0 + timedelta(hours=hours), stream_type="thing").set_index("stream_id")
        assert json.loads(frame.loc["thing-1", "state"]) == fold_data(datas[:upto])
        assert frame.loc["thing-1", "version"] == upto
    assert json.loads(frame.loc["thing-1", "state"]) == {
        "a": None, "address": {"city": "Leuven", "zip": "9000"}, "tags": ["y"], "b": "two", "we.ird\"key": 3}
    assert json.loads(frame.loc["thing-2", "state"]) == {"only": True}


def test_streams_created_after_the_moment_are_not_in_the_state(engine):
    append(engine, "thing-early", {"n": 1})
    append(engine, "thing-late", {"n": 2}, start=T0 + timedelta(days=2))
    frame = streams_as_of(engine.store, T0 + timedelta(days=1))
    assert list(frame["stream_id"]) == ["thing-early"]


def test_the_state_can_be_read_on_the_recording_clock(engine):
    append(engine, "thing-1", {"n": 1}, start=datetime(2000, 1, 1))
    recorded = engine.store.get_events("thing-1")[0].recorded_at
    assert len(streams_as_of(engine.store, recorded, by="recorded_at")) == 1
    with pytest.raises(ValidationError):
        streams_as_of(engine.store, recorded - timedelta(seconds=1), by="recorded_at")


def test_expanded_states_put_each_field_in_its_own_column(engine):
    append(engine, "thing-1", {"price": 3.5, "items": [1, 2]})
    table = expand_states(streams_as_of(engine.store, T0 + timedelta(days=1)))
    assert table.loc[0, "state.price"] == 3.5 and table.loc[0, "state.items"] == "[1, 2]"


def test_a_moment_before_the_history_or_an_empty_store_gets_a_plain_message(engine):
    with pytest.raises(NotFound, match="no events"):
        streams_as_of(engine.store, T0)
    append(engine, "thing-1", {"n": 1})
    with pytest.raises(ValidationError, match="before the history starts"):
        streams_as_of(engine.store, T0 - timedelta(days=1))
    with pytest.raises(ValidationError, match="must come after"):
        changes_between(engine.store, T0, T0 - timedelta(days=1))
    with pytest.raises(ValidationError, match="Unknown clock"):
        streams_as_of(engine.store, T0, by="position")


def test_the_orders_read_model_as_of_the_end_equals_the_live_read_model(demo_engine):
    end = demo_engine.store.cursor().execute("SELECT max(occurred_at) FROM events").fetchall()[0][0]
    replayed = read_model_as_of(demo_engine, "orders", end)
    for table in ("orders", "customers", "products"):
        live = demo_engine.store.cursor().execute(
            f'SELECT * FROM "{demo_engine.projections.live_table("orders", table)}" ORDER BY id').df()
        pd.testing.assert_frame_equal(replayed[table].reset_index(drop=True), live, check_dtype=False)


@pytest.mark.parametrize("by", ["occurred_at", "recorded_at"])
def test_the_read_model_as_it_was_is_the_same_built_in_sql_or_replayed(demo_engine, by):
    """Built set-based in SQL (in a transaction rolled back) or replayed by the handlers: the same rows, for
    both versions of the order read model, at several moments; and nothing is left in the database."""
    cur = demo_engine.store.cursor()
    first, last = cur.execute(f"SELECT min({by}), max({by}) FROM events").fetchall()[0]
    for version in (1, 2):
        if version == 2:
            demo_engine.projections.rebuild("orders", 2)
            demo_engine.projections.promote("orders", 2)
        tables = cur.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
        for fraction in (0.05, 0.4, 0.77):
            at = first + (last - first) * fraction
            in_sql = _read_model_built_in_sql(demo_engine.store, demo_engine.projections.projection("orders"), at, by)
            assert in_sql is not None, "the demo's history is one the set-based build covers"
            replayed = read_model_as_of(demo_engine, "orders", at, by=by, set_based=False)
            assert set(in_sql) == set(replayed) == {"orders", "customers", "products"}
            for table, frame in replayed.items():
                pd.testing.assert_frame_equal(in_sql[table], frame)
            assert len(in_sql["orders"]) or fraction < 0.1
        assert ("cancel_reason" in in_sql["orders"].columns) == (version == 2)
        assert cur.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall() == tables


def test_the_orders_read_model_as_it_was_matches_each_orders_last_event(demo_engine):
    cur = demo_engine.store.cursor()
    middle = cur.execute("SELECT quantile_disc(occurred_at, 0.5) FROM events").fetchall()[0][0]
    orders = read_model_as_of(demo_engine, "orders", middle)["orders"].set_index("id")
    streams = streams_as_of(demo_engine.store, middle, stream_type="order").set_index("stream_id")
    assert sorted(orders.index) == sorted(streams.index)
    status = {"OrderCreated": "pending", "OrderItemAdded": "pending", "OrderConfirmed": "confirmed",
              "PaymentReceived": "paid", "OrderShipped": "shipped", "OrderCancelled": "cancelled"}
    assert (orders["status"] == streams["last_event_type"].map(status)[orders.index]).all()
    assert (orders["updated_at"] <= middle).all()


def test_every_price_a_product_had_is_listed_with_its_moment(demo_engine):
    history = field_history(demo_engine.store, ["price", "new_price"], stream_type="product")
    events = demo_engine.store.cursor().execute(
        "SELECT stream_id, version, CAST(data AS VARCHAR) AS data FROM events WHERE stream_type = 'product' "
        "ORDER BY stream_id, version").df()
    prices = events["data"].map(lambda d: _price(json.loads(d)))
    events = events[prices.notna()].assign(price=prices[prices.notna()])
    changed = events[events.groupby("stream_id")["price"].shift() != events["price"]]
    assert list(zip(history["stream_id"], history["version"])) == list(zip(changed["stream_id"], changed["version"]))
    assert [float(v) for v in history["value"]] == list(changed["price"])
    assert history.groupby("stream_id")["version"].count().max() > 1  # some product did change its price
