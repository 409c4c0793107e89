"""The commit journal: what was acknowledged survives a crash before DuckDB held it, a commit cut short by a
crash is dropped, a damaged journal is refused plainly, and readers never see less than was acknowledged."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
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
