"""The commit journal: what was acknowledged survives a crash before DuckDB held it, a commit cut short by a
crash is dropped, a damaged journal is refused plainly, and readers never see less than was acknowledged."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest

from esengine.engine import Engine
from esengine.errors import StoreUnavailable
from esengine.store.journal import HEADER
from esengine.store.journaled_writer import journal_path
from esengine.store.verify import verify_store

CRASHING = """
import json, os, sys, threading
from esengine.engine import Engine

engine = Engine(sys.argv[1])
product = engine.commands.submit("AddProduct", {"name": "Tea", "price": 4.0}).value
engine.writer.drain()
engine.writer._apply = lambda records: threading.Event().wait()  # DuckDB never gets what follows
prices = [4.5 + i for i in range(int(sys.argv[2]))]
for price in prices:
    engine.commands.submit("ChangeProductPrice", {"product_id": product, "new_price": price})
print(json.dumps({"product": product, "prices": prices}), flush=True)
os._exit(0)  # a crash: no close, no atexit, nothing flushed but what the commits made durable
"""


def crash_after(path: Path, commands: int) -> dict:
    """Run ``commands`` price changes in a process whose DuckDB writes never happen, then kill it."""
    done = subprocess.run([sys.executable, "-c", CRASHING, str(path), str(commands)], check=False,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def product_state(engine: Engine, product: str) -> tuple[int, float, int, float]:
    """The product's version and price, its accepted commands, and the price in the products read model."""
    repo = engine.repository("product")
    aggregate = repo.load(product)
    cur = engine.store.cursor()
    accepted = cur.execute("SELECT count(*) FROM command_log WHERE stream_id = ? AND outcome = 'accepted'",
                           [product]).fetchall()[0][0]
    table = engine.projections.live_table("orders", "products")
    read_model = cur.execute(f'SELECT price FROM "{table}" WHERE id = ?', [product]).fetchall()[0][0]
    return aggregate.version, float(aggregate.state.price), accepted, float(read_model)


def test_commits_acknowledged_before_a_crash_are_in_the_store_after_it(tmp_path):
    path = tmp_path / "shop.duckdb"
    crashed = crash_after(path, 5)
    assert journal_path(path).stat().st_size > 0  # the five commits are only in the journal
    with Engine(path) as engine:
        assert product_state(engine, crashed["product"]) == (6, crashed["prices"][-1], 6, crashed["prices"][-1])
        assert verify_store(engine).ok  # the hash chain runs on through the written commits
        engine.commands.submit("ChangeProductPrice", {"product_id": crashed["product"], "new_price": 1.25})
        assert product_state(engine, crashed["product"]) == (7, 1.25, 7, 1.25)
    assert not journal_path(path).exists()  # a clean close leaves no journal behind


def test_a_commit_cut_short_by_a_crash_is_dropped(tmp_path):
    path = tmp_path / "shop.duckdb"
    crashed = crash_after(path, 3)
    journal = journal_path(path)
    whole = journal.stat().st_size
    with open(journal, "r+b") as f:  # the last record's write was cut short: it was never acknowledged
        f.truncate(whole - 7)
    with Engine(path) as engine:
        assert product_state(engine, crashed["product"]) == (3, crashed["prices"][1], 3, crashed["prices"][1])
        assert verify_store(engine).ok


def test_a_journal_damaged_before_whole_records_is_refused_and_nothing_is_changed(tmp_path):
    path = tmp_path / "shop.duckdb"
    crashed = crash_after(path, 3)
    journal = journal_path(path)
    data = bytearray(journal.read_bytes())
    data[HEADER.size + 5] ^= 0xFF  # inside the first record, followed by two whole ones
    journal.write_bytes(bytes(data))
    with pytest.raises(StoreUnavailable, match="is damaged at byte 0, before records that are whole"):
        Engine(path)
    journal.rename(tmp_path / "aside.journal")  # what the message suggests: open without those commits
    with Engine(path) as engine:
        assert engine.repository("product").load(crashed["product"]).version == 1


def test_a_journal_left_by_a_replaced_database_is_moved_aside_not_written(tmp_path):
    crashed = crash_after(tmp_path / "old.duckdb", 2)
    path = tmp_path / "new.duckdb"
    with Engine(path) as engine:
        engine.commands.submit("AddProduct", {"name": "Coffee", "price": 3.0})
    os.replace(journal_path(tmp_path / "old.duckdb"), journal_path(path))  # as if new.duckdb replaced old.duckdb
    with Engine(path) as engine:
        assert engine.store.count() == 1
        assert engine.writer.current_version(crashed["product"]) == 0
    assert [p.name for p in tmp_path.glob("new.duckdb.journal.*")]  # kept aside, named by its database


def test_a_reader_waits_for_what_was_acknowledged(engine):
    product = engine.commands.submit("AddProduct", {"name": "Tea", "price": 4.0}).value
    engine.writer.drain()
    gate = threading.Event()
    apply = engine.writer._apply
    engine.writer._apply = lambda records: (gate.wait(), apply(records))
    engine.commands.submit("ChangeProductPrice", {"product_id": product, "new_price": 5.0})  # acknowledged
    cursor = engine.store.cursor()  # a cursor taken before: it must still read what was acknowledged
    seen: list[int] = []
    reader = threading.Thread(target=lambda: seen.append(engine.store.cursor().execute(
        "SELECT count(*) FROM events WHERE stream_id = ?", [product]).fetchall()[0][0]))
    reader.start()
    gate.set()
    reader.join(timeout=30)
    assert seen == [2]
    assert cursor.execute("SELECT max(version) FROM events WHERE stream_id = ?", [product]).fetchall()[0][0] == 2
    engine.writer._apply = apply


def test_rows_for_a_table_the_store_lacks_are_refused_before_anything_is_acknowledged(engine):
    from esengine.errors import EsEngineError
    with pytest.raises(EsEngineError, match="has no column 'colour'"):
        engine.writer.write_rows({"command_log": [{"command_id": "c", "colour": "red"}]})
    assert engine.writer.behind == 0 and engine.store.cursor().execute(
        "SELECT count(*) FROM command_log").fetchall()[0][0] == 0


def snapshot_row(**change) -> dict:
    row = {"stream_id": "note-1", "stream_type": "note", "version": 1, "state_schema": 1, "state": '{"n": 1}',
           "created_at": datetime(2026, 12, 3, 12, 0)}
    return {k: v for k, v in {**row, **change}.items() if v is not MISSING}


MISSING = object()


@pytest.mark.parametrize("change, said", [
    ({"version": "one"}, "'version' of 'snapshots' takes a whole number"),
    ({"version": 2 ** 31}, "'version' of 'snapshots' takes a whole number from -2,147,483,648 to 2,147,483,647"),
    ({"stream_type": None}, "'stream_type' of 'snapshots' needs a value"),
    ({"created_at": MISSING}, "'created_at' of 'snapshots' needs a value and the row has none"),
    ({"state": '{"n": NaN}'}, "'state' of 'snapshots' takes JSON text"),
    ({"state": "{n: 1"}, "'state' of 'snapshots' takes JSON text"),
    ({"created_at": "yesterday"}, "'created_at' of 'snapshots' takes a date and time"),
    ({"stream_id": 7}, "'stream_id' of 'snapshots' takes text"),
    ({"stream_type": "note\udc00"}, "'stream_type' of 'snapshots' takes text"),
    ({"state": {"n": "half a pair \ud83d"}}, "'state' of 'snapshots' holds half of a UTF-16 surrogate pair"),
])
def test_rows_duckdb_would_refuse_are_refused_before_the_commit_is_acknowledged(tmp_path, change, said):
    """The journal acknowledges a commit before DuckDB sees its rows: a value DuckDB would refuse must be refused
    with the commit, or the applier could never write it (the store would stop, and refuse to open again)."""
    from esengine.core.events import NewEvent
    from esengine.errors import EsEngineError
    path = tmp_path / "rows.duckdb"
    with Engine(path, domains=()) as engine:
        with pytest.raises(EsEngineError, match=re.escape(said)):
            engine.store.append("note-1", [NewEvent("Noted", {})], 0, rows={"snapshots": [snapshot_row(**change)]})
        assert engine.writer.behind == 0 and engine.store.count() == 0
        engine.store.append("note-1", [NewEvent("Noted", {})], 0, rows={"snapshots": [snapshot_row()]})
    with Engine(path, domains=()) as engine:  # and it opens again
        assert engine.store.count() == 1 and engine.store.cursor().execute(
            "SELECT count(*) FROM snapshots").fetchall()[0][0] == 1


def test_rows_duckdb_refuses_after_the_acknowledgement_are_set_aside_and_the_store_goes_on(tmp_path):
    """What the checks before the acknowledgement cannot see (here a key already in a table of the caller's) must
    not stop the store: the commit's events are written, its rows kept in journal_set_aside with DuckDB's error."""
    from esengine.core.events import NewEvent
    path = tmp_path / "rows.duckdb"
    with Engine(path, domains=()) as engine:
        engine.writer.run(lambda cur: cur.execute("CREATE TABLE labels (id VARCHAR PRIMARY KEY, text VARCHAR)"))
        engine.store.append("note-1", [NewEvent("Noted", {})], 0, rows={"labels": [{"id": "a", "text": "first"}]})
        second = engine.store.append("note-2", [NewEvent("Noted", {})], 0,
                                     rows={"labels": [{"id": "a", "text": "second"}]})  # acknowledged
        assert second.version == 1
        assert engine.store.append("note-3", [NewEvent("Noted", {})], 0).version == 1  # the store goes on
        cur = engine.store.cursor()
        assert cur.execute("SELECT text FROM labels").fetchall() == [("first",)]
        aside = cur.execute("SELECT table_name, row_json, error FROM journal_set_aside").fetchall()
        assert [(t, json.loads(r)) for t, r, _ in aside] == [("labels", {"id": "a", "text": "second"})]
        assert "Duplicate key" in aside[0][2]
    with Engine(path, domains=()) as engine:
        assert [e.stream_id for e in engine.store.read_all()] == ["note-1", "note-2", "note-3"]
        assert verify_store(engine).ok


CRASHING_WITH_ROWS = """
import os, sys, threading
from esengine.engine import Engine
from esengine.core.events import NewEvent

engine = Engine(sys.argv[1], domains=())
engine.writer.run(lambda cur: cur.execute("CREATE TABLE labels (id VARCHAR PRIMARY KEY, text VARCHAR)"))
engine.writer._apply = lambda records: threading.Event().wait()  # DuckDB never gets what follows
for i, text in enumerate(["first", "second", "third"]):
    engine.store.append(f"note-{i}", [NewEvent("Noted", {})], 0, rows={"labels": [{"id": "a", "text": text}]})
os._exit(0)
"""


def test_after_a_crash_rows_duckdb_refuses_are_set_aside_and_every_acknowledged_event_is_written(tmp_path):
    path = tmp_path / "rows.duckdb"
    done = subprocess.run([sys.executable, "-c", CRASHING_WITH_ROWS, str(path)], check=False, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with Engine(path, domains=()) as engine:
        cur = engine.store.cursor()
        assert [e.stream_id for e in engine.store.read_all()] == ["note-0", "note-1", "note-2"]
        assert cur.execute("SELECT text FROM labels").fetchall() == [("first",)]
        assert [json.loads(r)["text"] for r, in cur.execute(
            "SELECT row_json FROM journal_set_aside ORDER BY seq").fetchall()] == ["second", "third"]


def test_a_close_refused_while_a_reader_is_busy_leaves_the_store_serving(tmp_path, monkeypatch):
    """The room retries a close that DuckDB refuses while a cursor runs a query, and gives up after 30 s with
    the old database going on: its writer must still take commands then."""
    import duckdb

    from esengine.store.connection import Database
    close = Database.close

    def busy(self, checkpoint=True):
        monkeypatch.setattr(Database, "close", close)  # refused once
        raise duckdb.ResourceInUseException("a cursor is running a query")
    engine = Engine(tmp_path / "room.duckdb")
    product = engine.commands.submit("AddProduct", {"name": "Tea", "price": 4.0}).value
    monkeypatch.setattr(Database, "close", busy)
    with pytest.raises(duckdb.ResourceInUseException):
        engine.close()
    engine.commands.submit("ChangeProductPrice", {"product_id": product, "new_price": 5.0})
    assert engine.repository("product").load(product, use_snapshots=False).version == 2
    engine.close()
    assert not journal_path(tmp_path / "room.duckdb").exists()
    with Engine(tmp_path / "room.duckdb") as again:
        assert again.store.current_version(product) == 2
