"""``python -m esengine scan`` and ``replay --until``: the answers, and plain refusals with exit code 1."""
from __future__ import annotations

import json

import duckdb
import pytest

from esengine.cli import FAILED, OK
from tests.integration.test_cli import run


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("cli-scan") / "bulk.duckdb")
    assert run("demo", "--db", path, "--bulk", "--events", "600", "--seed", "5")[0] == OK
    return path


def _one(db: str, sql: str) -> list:
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_scan_lists_every_order_where_the_condition_ever_held(db, capsys):
    code, out = run("scan", "--db", db, "--type", "order", "--format", "json", "amount > 0 and tracking_number == null")
    assert code == OK
    hits = json.loads(out)
    paid_not_shipped_yet = _one(db, """
        SELECT stream_id, version FROM events e WHERE event_type = 'PaymentReceived' ORDER BY stream_id""")
    assert [(h["stream_id"], h["first_version"], h["event_type"]) for h in hits] == \
        [(s, v, "PaymentReceived") for s, v in paid_not_shipped_yet]
    assert f"{len(hits)} orders where" in capsys.readouterr().err


def test_replay_until_lands_where_the_condition_becomes_true(db):
    order, version = _one(db, "SELECT stream_id, version FROM events WHERE event_type = 'OrderShipped' LIMIT 1")[0]
    code, out = run("replay", "--db", db, "--stream", order, "--until", 'status == "shipped"')
    answer = json.loads(out)
    assert code == OK and answer["version"] == version
    assert answer["until"]["made_true_by"]["event_type"] == "OrderShipped"
    code, out = run("replay", "--db", db, "--stream", order, "--version", str(version), "--backward",
                    "--until", 'status == "confirmed"')
    assert code == OK and json.loads(out)["version"] == 2


@pytest.mark.parametrize("argv, words", [
    (["scan", "--type", "order", "total >"], "position 8"),
    (["scan", "--type", "order", "total > 1; DROP TABLE events"], "';' is not part of"),
    (["replay", "--stream", "order-bulk00000001", "--until", 'status == "nope"'], "never becomes true"),
])
def test_a_condition_that_cannot_be_read_or_never_holds_exits_1_in_plain_words(db, capsys, argv, words):
    code, _ = run(*argv[:1], "--db", db, *argv[1:])
    assert code == FAILED and words in capsys.readouterr().err
