"""The projection runner: checkpoints, resuming, poison events, promote and drop, async lag, comparisons."""
import threading
import time

import pytest

from esengine.domains.orders import commands as c
from esengine.domains.orders.queries import GetOrder
from esengine.errors import EsEngineError
from esengine.projections.base import Projection, ReadModelTable, handles
from esengine.projections.runner import Side


def status_of(engine, name, version):
    return engine.projections.status().set_index(["projection", "version"]).loc[(name, version)]


def sales_totals(engine, scratch=None):
    p = engine.projections.projection("daily_sales")
    return engine.store.cursor().execute(
        f'SELECT count(*), sum(units), round(sum(revenue), 2) FROM "{p.table_name("product_days", scratch=scratch)}"'
    ).fetchall()[0]


class _Stop(Exception):
    pass


def test_a_runner_stopped_between_batches_resumes_without_loss_or_double_application(demo_engine):
    runner = demo_engine.projections
    assert status_of(demo_engine, "daily_sales", 1)["lag_events"] == 0
    runner.replay("daily_sales", 1, "expected")
    demo_engine.writer.run(lambda cur: (cur.execute("DELETE FROM rm_daily_sales_v1_product_days"),
                                        cur.execute("DELETE FROM rm_daily_sales_v1_products"),
                                        cur.execute("UPDATE checkpoints SET position = 0 WHERE projection = 'daily_sales'")))
    seen = []

    def crash_after_two_batches(done, target):
        seen.append(done)
        if len(seen) == 2:
            raise _Stop()
    with pytest.raises(_Stop):
        runner.catch_up("daily_sales", batch_size=3000, progress=crash_after_two_batches)
    assert status_of(demo_engine, "daily_sales", 1)["checkpoint"] == seen[-1] > 3000
    runner.catch_up("daily_sales", batch_size=3000)
    assert sales_totals(demo_engine) == sales_totals(demo_engine, "expected")


def test_a_batch_that_fails_while_writing_leaves_the_checkpoint_where_it_was(demo_engine, monkeypatch):
    runner = demo_engine.projections
    before = sales_totals(demo_engine)
    engine = demo_engine
    customer = engine.store.stream_ids("customer", limit=1)[0]
    product = engine.store.stream_ids("product", limit=1)[0]
    engine.commands.dispatch(c.CreateOrder(customer_id=customer, items=[c.OrderLine(product_id=product, quantity=2)]))
    checkpoint = status_of(engine, "daily_sales", 1)["checkpoint"]
    from esengine.projections import base

    def broken_store(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(base, "_store", broken_store)
    with pytest.raises(RuntimeError):
        runner.catch_up("daily_sales")
    assert status_of(engine, "daily_sales", 1)["checkpoint"] == checkpoint
    monkeypatch.undo()
    runner.catch_up("daily_sales")
    assert sales_totals(engine)[1] == before[1] + 2


class Fragile(Projection):
    """A test projection whose handler raises on orders of customer 'poison' until fixed."""

    name, version, broken = "fragile", 1, True
    tables = (ReadModelTable("seen", "id", (("id", "VARCHAR"),)),)

    def keys(self, event):
        return {"seen": [event.stream_id]}

    @handles("CustomerRegistered")
    def _seen(self, e, rows):
        if e.data["name"] == "Poison" and Fragile.broken:
            raise ValueError("cannot handle this customer")
        rows.put("seen", {"id": e.stream_id})


@pytest.fixture
def fragile(engine):
    Fragile.broken = True
    engine.projections.register(Fragile())
    yield engine
    Fragile.broken = True


def _register(engine, name):
    return engine.commands.dispatch(c.RegisterCustomer(name=name, email=f"{name.lower()}@example.com")).value


def test_a_poison_event_stops_only_its_projection_and_records_the_event_and_error(fragile):
    engine = fragile
    _register(engine, "Ana")
    poison = _register(engine, "Poison")  # the command is accepted: the write side does not depend on it
    _register(engine, "Ben")
    st = status_of(engine, "fragile", 1)
    assert st["status"] == "stopped"
    assert engine.store.get_event(position=int(st["error_position"])).stream_id == poison
    assert "cannot handle this customer" in st["error"] and st["checkpoint"] == 1
    assert status_of(engine, "orders", 1)["status"] == "running"
    assert status_of(engine, "orders", 1)["checkpoint"] == 3  # other projections go on


def test_retrying_a_poison_event_after_the_fix_applies_it_and_goes_on(fragile):
    engine = fragile
    for name in ("Ana", "Poison", "Ben"):
        _register(engine, name)
    engine.projections.retry("fragile", 1)
    assert status_of(engine, "fragile", 1)["status"] == "stopped"  # still broken: stopped again
    Fragile.broken = False
    engine.projections.retry("fragile", 1)
    st = status_of(engine, "fragile", 1)
    assert st["status"] == "running" and st["checkpoint"] == 3
    assert engine.store.cursor().execute("SELECT count(*) FROM rm_fragile_v1_seen").fetchall()[0][0] == 3


def test_skipping_a_poison_event_steps_over_it_and_notes_it(fragile):
    engine = fragile
    for name in ("Ana", "Poison", "Ben"):
        _register(engine, name)
    engine.projections.skip("fragile", 1)
    st = status_of(engine, "fragile", 1)
    assert st["status"] == "running" and st["checkpoint"] == 3
    assert st["error"].startswith("Skipped by hand") and st["error_position"] == 2
    assert engine.store.cursor().execute("SELECT count(*) FROM rm_fragile_v1_seen").fetchall()[0][0] == 2
    with pytest.raises(EsEngineError, match="not stopped"):
        engine.projections.skip("fragile", 1)


def test_promote_switches_the_queries_to_the_new_version_and_drop_removes_the_old(demo_engine):
    runner = demo_engine.projections
    order_id = demo_engine.store.stream_ids("order", limit=1)[0]
    with pytest.raises(EsEngineError, match="not been built"):
        runner.promote("orders", 2)
    runner.rebuild("orders", 2)
    runner.promote("orders", 2)
    assert runner.live_table("orders", "orders") == "rm_orders_v2_orders"
    assert "item_count" in demo_engine.queries.ask(GetOrder(order_id=order_id))
    with pytest.raises(EsEngineError, match="is live"):
        runner.drop("orders", 2)
    runner.drop("orders", 1)
    assert status_of(demo_engine, "orders", 1)["status"] == "new"
    assert not demo_engine.store.cursor().execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'rm_orders_v1_orders'").fetchall()[0][0]


def test_a_promoted_version_keeps_up_with_new_commands(demo_engine):
    runner = demo_engine.projections
    runner.rebuild("orders", 2)
    runner.promote("orders", 2)
    customer = demo_engine.store.stream_ids("customer", limit=1)[0]
    product = demo_engine.store.stream_ids("product", limit=1)[0]
    oid = demo_engine.commands.dispatch(c.CreateOrder(customer_id=customer,
                                                      items=[c.OrderLine(product_id=product, quantity=3)])).value
    assert demo_engine.queries.ask(GetOrder(order_id=oid))["item_count"] == 3
    assert runner.compare("orders", "orders", Side(2), Side(2, "replay")).identical


def test_a_version_that_has_not_caught_up_is_not_promoted(demo_engine):
    runner = demo_engine.projections

    def interrupt(done, target):
        raise _Stop()
    with pytest.raises(_Stop):
        runner.rebuild("orders", 2, set_based=False, batch_size=2000, progress=interrupt)
    with pytest.raises(EsEngineError, match="has not caught up"):
        runner.promote("orders", 2)
    runner.catch_up("orders", 2)  # resumes the interrupted rebuild
    runner.promote("orders", 2)
    assert runner.live_version("orders") == 2


def test_the_live_version_is_not_rebuilt_in_place(demo_engine):
    with pytest.raises(EsEngineError, match="is live"):
        demo_engine.projections.rebuild("orders", 1)


def test_a_rebuild_while_commands_arrive_ends_up_complete_and_in_step(demo_engine):
    engine = demo_engine
    customer = engine.store.stream_ids("customer", limit=1)[0]
    product = engine.store.stream_ids("product", limit=1)[0]
    stop = threading.Event()
    sent = []

    def shop():
        while not stop.is_set() and len(sent) < 200:
            sent.append(engine.commands.dispatch(c.CreateOrder(
                customer_id=customer, items=[c.OrderLine(product_id=product, quantity=1)])).value)
    worker = threading.Thread(target=shop)
    worker.start()
    try:
        engine.projections.rebuild("orders", 2, set_based=False, batch_size=1000)
    finally:
        stop.set()
        worker.join()
    st = status_of(engine, "orders", 2)
    assert st["status"] == "running" and st["lag_events"] == 0
    assert engine.projections.compare("orders", "orders", Side(2), Side(2, "replay")).identical
    assert sent


def test_two_rebuilds_of_the_same_version_at_once_are_refused(demo_engine):
    runner = demo_engine.projections
    with runner._exclusive("orders", 2, "rebuild it"), pytest.raises(EsEngineError, match="busy"):
        runner.rebuild("orders", 2)


def test_the_read_model_matches_a_replay_of_the_events(demo_engine):
    result = demo_engine.projections.compare("orders", "orders", Side(1), Side(1, "replay"))
    assert result.identical and result.left_rows > 1000


def test_the_read_model_now_differs_from_the_read_model_as_of_an_earlier_moment(demo_engine):
    first, last = demo_engine.store.cursor().execute("SELECT min(occurred_at), max(occurred_at) FROM events").fetchall()[0]
    middle = first + (last - first) / 2
    result = demo_engine.projections.compare("orders", "orders", Side(1, "as_of", middle), Side(1))
    assert result.only_right_count > 0 and result.only_left_count == 0
    assert result.changed_rows_count > 0  # orders that moved on since then


def test_an_async_projection_lags_until_caught_up(demo_engine):
    engine = demo_engine
    customer = engine.store.stream_ids("customer", limit=1)[0]
    product = engine.store.stream_ids("product", limit=1)[0]
    engine.commands.dispatch(c.CreateOrder(customer_id=customer, items=[c.OrderLine(product_id=product, quantity=1)]))
    assert status_of(engine, "daily_sales", 1)["lag_events"] == 1
    assert status_of(engine, "orders", 1)["lag_events"] == 0
    engine.projections.catch_up_async()
    assert status_of(engine, "daily_sales", 1)["lag_events"] == 0


def test_the_background_worker_catches_up_the_async_projections(demo_engine):
    engine = demo_engine
    customer = engine.store.stream_ids("customer", limit=1)[0]
    product = engine.store.stream_ids("product", limit=1)[0]
    engine.projections.worker.configure(interval=0.1, batch_size=1)
    engine.projections.worker.start()
    for _ in range(3):
        engine.commands.dispatch(c.CreateOrder(customer_id=customer, items=[c.OrderLine(product_id=product, quantity=1)]))
    deadline = time.monotonic() + 30
    while status_of(engine, "daily_sales", 1)["lag_events"] and time.monotonic() < deadline:
        time.sleep(0.05)  # polling a condition the worker thread brings about
    assert status_of(engine, "daily_sales", 1)["lag_events"] == 0
    assert engine.projections.worker.rounds >= 3
    engine.projections.close()
    assert not engine.projections.worker.running


def test_a_replay_as_of_a_moment_holds_exactly_the_orders_created_by_then(engine):
    from esengine.demo import generate_bulk
    generate_bulk(engine, events=3000, catch_up=True)  # order times are spread at random over the positions
    cur = engine.store.cursor()
    first, last = cur.execute("SELECT min(occurred_at), max(occurred_at) FROM events "
                              "WHERE event_type = 'OrderCreated'").fetchall()[0]
    moment = first + (last - first) / 3
    engine.projections.replay("orders", 1, "then", at=moment)
    created = cur.execute("SELECT count(*) FROM events WHERE event_type = 'OrderCreated' AND occurred_at <= ?",
                          [moment]).fetchall()[0][0]
    rows = cur.execute("SELECT count(*), max(created_at) FROM rm_orders_v1_then_orders").fetchall()[0]
    assert rows[0] == created > 0 and rows[1] <= moment


def test_an_idle_worker_round_reads_nothing_until_an_event_is_written(engine, monkeypatch):
    from esengine.projections import checkpoints
    engine.commands.submit("RegisterCustomer", {"name": "Ana", "email": "ana@example.com"})
    engine.projections.catch_up_async()
    engine.projections.catch_up_async()  # nothing new: this round finds nothing to do
    reads = []
    real = checkpoints.read_all
    monkeypatch.setattr(checkpoints, "read_all", lambda cur: reads.append(1) or real(cur))
    assert engine.projections.catch_up_async() == 0 and reads == []  # skipped: nothing moved since
    engine.commands.submit("AddProduct", {"name": "Tea", "price": 2.5})
    assert engine.projections.catch_up_async() > 0 and reads  # a new event: the round runs again
    status = engine.projections.status().set_index("projection")
    assert (status.loc[["daily_sales", "stream_states"], "lag_events"] == 0).all()


def test_a_round_after_a_few_commands_reads_their_events_once_for_every_async_projection(engine, monkeypatch):
    from esengine.projections import checkpoints
    engine.commands.submit("RegisterCustomer", {"name": "Ana", "email": "ana@example.com"})
    engine.projections.catch_up_async()
    engine.commands.submit("AddProduct", {"name": "Tea", "price": 2.5})
    engine.commands.submit("AddProduct", {"name": "Rice", "price": 3})
    reads, real = [], checkpoints.read_events
    monkeypatch.setattr(checkpoints, "read_events", lambda *a, **k: reads.append(a[1:3]) or real(*a, **k))
    assert engine.projections.catch_up_async() >= 2
    head = engine.store.last_position()
    assert len(reads) == 1 and reads[0][1] == head  # stream_states and daily_sales: one read of the new events
    status = engine.projections.status().set_index("projection")
    assert (status.loc[["daily_sales", "stream_states"], "lag_events"] == 0).all()
    assert (status.loc[["daily_sales", "stream_states"], "checkpoint"] == head).all()
    monkeypatch.setattr(checkpoints, "read_all", lambda cur: pytest.fail("a round or a panel read the checkpoints"))
    assert engine.projections.catch_up_async() == 0 and len(reads) == 1  # all at the head: the next round idles
    assert engine.projections.catching_up() == []
