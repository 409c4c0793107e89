"""The consistency demonstration's two figures: the same question asked of an inline and an asynchronous read model."""
from esengine.application.context import CommandContext
from esengine.domains.orders.consistency_demo import append_malformed_event, consistency, place_demo_orders
from esengine.domains.orders.queries import ListOrders


def test_an_item_added_today_to_an_older_order_counts_the_same_in_both(demo_engine):
    engine = demo_engine
    engine.projections.catch_up_async()
    assert consistency(engine).consistent
    older = engine.queries.ask(ListOrders(status="pending", limit=1)).rows[0]  # placed before today (the demo's past)
    product = engine.store.stream_ids("product", 1)[0]
    engine.commands.submit("AddOrderItem", {"order_id": older["id"], "product_id": product, "quantity": 3},
                           CommandContext(user_id="Ana"))
    behind = consistency(engine)
    assert behind.in_orders == behind.in_daily_sales + 3 and behind.lag_events == 1 and not behind.consistent
    engine.projections.catch_up_async()
    caught_up = consistency(engine)
    assert caught_up.consistent and caught_up.in_orders == behind.in_orders and caught_up.lag_events == 0


def test_the_figures_meet_batch_by_batch_as_the_worker_applies_the_lag(demo_engine):
    engine = demo_engine
    engine.projections.catch_up_async()
    place_demo_orders(engine, 3, seed=2)
    lags = [consistency(engine).lag_events]
    while lags[-1]:
        engine.projections.catch_up_async(limit=1)  # the slow pace: one event a round
        lags.append(consistency(engine).lag_events)
    assert lags == [3, 2, 1, 0] and consistency(engine).consistent


def test_a_poison_event_says_which_read_model_stopped(demo_engine):
    engine = demo_engine
    append_malformed_event(engine)
    engine.projections.catch_up_async()
    assert consistency(engine).stopped == ("orders",) and not consistency(engine).consistent
