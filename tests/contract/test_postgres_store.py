"""What the PostgreSQL store adds to the contract: many instances on one database, and plain refusals when
the server cannot be used (nothing half written, a retry safe)."""
from __future__ import annotations

import io
import json
import socket
import threading
import time

import psycopg
import pytest

from esengine.cli import main as cli
from esengine.engine import Engine
from esengine.errors import StoreUnavailable
from tests.contract.test_store_contract import noted, wait_for


def _events_on_server(url: str) -> int:
    with psycopg.connect(url) as con:
        return con.execute("SELECT count(*) FROM events").fetchall()[0][0]


def test_a_command_in_one_instance_reaches_the_others_tail_within_a_second(pg_url):
    with Engine(pg_url, domains=("orders",)) as one, Engine(pg_url, domains=("orders",)) as other:
        before = other.store.last_position()
        result = one.commands.submit("RegisterCustomer", {"name": "Ann", "email": "ann@example.com"})
        sent = time.monotonic()
        # nobody asks `other` to pull: its listener does, woken by the commit's NOTIFY
        tail = wait_for(lambda: other.store.read_all(after_position=before), timeout=5, what="the other's tail")
        assert time.monotonic() - sent < 1.0
        customer = tail[0].stream_id
        assert [e.event_type for e in tail] == ["CustomerRegistered"]
        # the command log is shared too, and the other instance's commands go on from the stream's version
        wait_for(lambda: other.store.cursor().execute("SELECT count(*) FROM command_log WHERE command_id = ?",
                                                      [result.command_id]).fetchall()[0][0], timeout=5,
                 what="the command's log row")
        other.commands.submit("ChangeCustomerEmail", {"customer_id": customer, "email": "a@example.com"})
        wait_for(lambda: one.store.current_version(customer) == 2, timeout=5, what="the first to see v2")


def test_cli_verify_and_query_work_against_the_url(pg_url):
    with Engine(pg_url, domains=("orders",)) as engine:
        customer = engine.commands.submit("RegisterCustomer", {"name": "Bo", "email": "b@x.org"}).value
    out = io.StringIO()
    assert cli(["verify", "--db", pg_url, "--quiet"], out) == 0
    assert "Checked 1 events in 1 streams" in out.getvalue()
    out = io.StringIO()
    assert cli(["query", "--db", pg_url, "--quiet", "--format", "json",
                "SELECT stream_id, event_type FROM events"], out) == 0
    assert json.loads(out.getvalue()) == [{"stream_id": customer, "event_type": "CustomerRegistered"}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("make_url, says", [
    (lambda url: f"postgresql://esengine@127.0.0.1:{_free_port()}/nothing", "Check that the server runs"),
    (lambda url: url.replace("esengine@", "mallory@"), "Check the user name and password"),
    (lambda url: url.rsplit("/", 1)[0] + "/no_such_database", "createdb"),
])
def test_a_server_that_cannot_be_used_is_a_plain_refusal(pg_url, make_url, says):
    with pytest.raises(StoreUnavailable) as refused:
        Engine(make_url(pg_url), domains=())
    assert says in str(refused.value) and "Traceback" not in str(refused.value)


def test_another_applications_database_is_left_alone(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("CREATE TABLE invoices (id int)")
    with pytest.raises(StoreUnavailable, match="belongs to another application"):
        Engine(pg_url, domains=())
    with psycopg.connect(pg_url) as con:
        assert [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                          "WHERE table_schema = 'public'")] == ["invoices"]


def test_a_stuck_writer_times_out_and_the_retry_is_safe(pg_url, monkeypatch):
    monkeypatch.setenv("ESENGINE_PG_LOCK_TIMEOUT", "0.3")
    with Engine(pg_url, domains=()) as engine:
        events = noted(2)
        with psycopg.connect(pg_url) as stuck:
            stuck.execute("LOCK TABLE events IN EXCLUSIVE MODE")  # another writer that never finishes
            with pytest.raises(StoreUnavailable, match="held the events table"):
                engine.store.append("note-1", events, 0)
            assert engine.store.count() == 0
        engine.store.append("note-1", events, 0)  # sent again: stored once
        engine.store.append("note-1", events, 0)
        assert _events_on_server(pg_url) == 2 and engine.store.count() == 2


def test_the_server_going_away_mid_command_writes_nothing_and_the_retry_is_safe(pg_url):
    with Engine(pg_url, domains=()) as engine:
        engine.store.append("note-1", noted(1), 0)
        events = noted(2)
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("BEGIN")
            admin.execute("LOCK TABLE events IN EXCLUSIVE MODE")  # the append waits inside its transaction...
            failed: list[BaseException] = []

            def send():
                try:
                    engine.store.append("note-1", events, 1)
                except BaseException as e:  # noqa: BLE001 - the test looks at it
                    failed.append(e)
            sender = threading.Thread(target=send)
            sender.start()
            wait_for(lambda: admin.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchall()[0][0],
                     what="the append to wait for the lock")
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE NOT granted")  # ...and is cut off
            admin.execute("ROLLBACK")
            sender.join(timeout=10)
        assert failed and isinstance(failed[0], StoreUnavailable)
        assert _events_on_server(pg_url) == 1 and engine.store.count() == 1
        engine.store.append("note-1", events, 1)  # the same command again, on a new connection
        assert _events_on_server(pg_url) == 3 and engine.store.current_version("note-1") == 3


def test_the_app_names_a_postgresql_store_by_url_and_gives_a_new_one_the_demo(pg_url, monkeypatch):
    from esengine.engine import default_db_path
    from esengine.errors import EsEngineError
    from esengine.room import FacilitatorGate, Room
    monkeypatch.setenv("ESENGINE_DB", pg_url)
    assert default_db_path() == pg_url  # kept as text: a Path would fold its '//'
    room = Room(str(default_db_path()), FacilitatorGate("secret"), demo_events=300)
    try:
        engine = room.engine
        assert engine.url == pg_url and not engine.is_empty()  # the first visit wrote the demo history
        assert engine.replica_status()["lag_events"] == 0
        with pytest.raises(EsEngineError, match="not replaced from here"):
            room.reset("secret")  # a shared store is never replaced by one instance
        assert engine.store.last_position() == _events_on_server(pg_url)
    finally:
        room.close()


def test_an_aggregate_cached_by_one_instance_is_not_served_stale_after_another_process_moved_it(pg_url):
    """Instance A keeps the product's latest state in memory; another process (the CLI) reprices it. A's next
    load and command see the other's price at once, without waiting for a notification."""
    import subprocess
    import sys
    with Engine(pg_url, domains=("orders",)) as engine:
        if engine.writer._listener is not None:
            engine.writer._listener.stop()  # A learns of the other's commit only by asking (head pulls)
            engine.writer._listener = None
        product = engine.commands.submit("AddProduct", {"name": "Tea", "price": 4.0}).value
        assert engine.repository("product").load(product).version == 1  # now kept in memory
        done = subprocess.run([sys.executable, "-m", "esengine", "send", "ChangeProductPrice",
                               json.dumps({"product_id": product, "new_price": 6.5}), "--db", pg_url],
                              check=False, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr + done.stdout
        loaded = engine.repository("product").load(product)
        assert (loaded.version, float(loaded.state.price)) == (2, 6.5)
        with pytest.raises(Exception, match="already 6.50"):
            engine.commands.submit("ChangeProductPrice", {"product_id": product, "new_price": 6.5})
        engine.commands.submit("ChangeProductPrice", {"product_id": product, "new_price": 7.0})
        assert engine.repository("product").load(product).version == 3
