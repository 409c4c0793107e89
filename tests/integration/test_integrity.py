"""Nothing corrupts a history: stream types, one commit per command, normalised input, plain refusals,
tamper evidence (issue 12)."""
from __future__ import annotations

import json

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esengine.errors import DomainRuleViolation, StoreUnavailable, ValidationError, WrongStreamType
from esengine.store import chain
from esengine.store.verify import verify_store

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def shop(engine):
    """A customer, a product and a pending order with one line."""
    submit = engine.commands.submit
    customer = submit("RegisterCustomer", {"name": "Ana Müller", "email": "ana@example.com"}).value
    product = submit("AddProduct", {"name": "Green tea", "price": 4.5}).value
    order = submit("CreateOrder", {"customer_id": customer, "items": [{"product_id": product, "quantity": 2}]}).value
    return engine, {"customer": customer, "product": product, "order": order}


def _counts(engine):
    cur = engine.store.cursor()
    events = cur.execute("SELECT count(*) FROM events").fetchall()[0][0]
    log = dict(cur.execute("SELECT outcome, count(*) FROM command_log GROUP BY 1").fetchall())
    return events, log.get("accepted", 0), log.get("refused", 0)


def _assert_refused_and_logged(engine, before, error_kind: str):
    events, accepted, refused = _counts(engine)
    assert (events, accepted) == before[:2], "a refused command must write no event"
    assert refused == before[2] + 1, "the refusal must be in the command log"
    last = engine.store.cursor().execute(
        "SELECT outcome, error_kind FROM command_log ORDER BY recorded_at DESC LIMIT 1").fetchall()[0]
    assert last == ("refused", error_kind)


# Each command that names an existing stream, with the type it expects there.
AIMED = [
    ("CancelOrder", "order_id", "order", {"reason": "ordered twice"}),
    ("ConfirmOrder", "order_id", "order", {}),
    ("ShipOrder", "order_id", "order", {"tracking_number": "TRACK-1"}),
    ("ChangeCustomerEmail", "customer_id", "customer", {"email": "new@example.com"}),
    ("ChangeProductPrice", "product_id", "product", {"new_price": 3.0}),
    ("AddOrderItem", "order_id", "order", {"quantity": 1}),
]


@SETTINGS
@given(aimed=st.sampled_from(AIMED), wrong=st.sampled_from(["customer", "product", "order"]))
def test_a_command_aimed_at_a_stream_of_another_type_is_refused_names_the_real_type_and_writes_nothing(
        shop, aimed, wrong):
    engine, ids = shop
    command, field, expected_type, rest = aimed
    if wrong == expected_type:
        return
    payload = {field: ids[wrong], **rest}
    if command == "AddOrderItem":
        payload.setdefault("product_id", ids["product"])
    before = _counts(engine)
    with pytest.raises(WrongStreamType) as refused:
        engine.commands.submit(command, payload)
    assert f"is a {wrong}, not a" in str(refused.value) and expected_type in str(refused.value)
    _assert_refused_and_logged(engine, before, "WrongStreamType")
    assert verify_store(engine).ok


def test_a_product_id_given_as_an_order_line_is_refused_plainly(shop):
    engine, ids = shop
    with pytest.raises(ValidationError) as refused:
        engine.commands.submit("CreateOrder", {"customer_id": ids["customer"],
                                               "items": [{"product_id": ids["customer"], "quantity": 1}]})
    assert "is a customer, not a product" in str(refused.value)


@SETTINGS
@given(price=st.sampled_from([0.004, 0.001, -0.004, 100_000.006, 100_000.009]))
def test_prices_are_rounded_before_their_limits_are_checked(shop, price):
    engine, _ = shop
    before = _counts(engine)
    with pytest.raises(ValidationError) as refused:
        engine.commands.submit("AddProduct", {"name": "Dust", "price": price})
    assert "price is too" in str(refused.value)
    _assert_refused_and_logged(engine, before, "ValidationError")


def test_a_price_is_stored_as_rounded(shop):
    engine, _ = shop
    product = engine.commands.submit("AddProduct", {"name": "  Mint tea ", "price": "2.345"}).value
    state = engine.repository("product").load(product).state
    assert (state.name, state.price) == ("Mint tea", 2.35)


CONTROL = st.sampled_from(["\x00", "\x07", "\x1b", "\x7f", "\x85", "\r", "\x08"])
TEXT_FIELDS = [
    ("RegisterCustomer", "name", {"email": "bo@example.com"}),
    ("AddProduct", "name", {"price": 1.0}),
    ("CancelOrder", "reason", {"order_id": "order-x"}),
    ("ShipOrder", "tracking_number", {"order_id": "order-x"}),
    ("ChangeCustomerEmail", "email", {"customer_id": "customer-x"}),
]


@SETTINGS
@given(target=st.sampled_from(TEXT_FIELDS), control=CONTROL, before_text=st.text(max_size=5),
       after_text=st.text(max_size=5))
def test_control_characters_are_refused_in_every_text_field_by_one_rule(shop, target, control, before_text,
                                                                       after_text):
    engine, _ = shop
    command, field, rest = target
    before = _counts(engine)
    with pytest.raises(ValidationError) as refused:
        engine.commands.submit(command, {**rest, field: f"Ok{before_text}{control}{after_text}"})
    assert "control character" in refused.value.field_errors.get(field, "")
    _assert_refused_and_logged(engine, before, "ValidationError")


@SETTINGS
@given(payload=st.one_of(st.none(), st.integers(), st.text(max_size=10), st.lists(st.integers(), max_size=3),
                         st.floats(), st.booleans()))
def test_a_payload_that_is_not_an_object_is_a_validation_error_and_logged(shop, payload):
    engine, _ = shop
    before = _counts(engine)
    with pytest.raises(ValidationError) as refused:
        engine.commands.submit("AddProduct", payload)
    assert "object of names and values" in str(refused.value)
    _assert_refused_and_logged(engine, before, "ValidationError")
    stored = engine.store.cursor().execute(
        "SELECT CAST(payload AS VARCHAR) FROM command_log ORDER BY recorded_at DESC LIMIT 1").fetchall()[0][0]
    json.loads(stored)  # standard JSON, whatever was sent


def test_refusals_speak_plainly_without_paths_or_patterns(shop):
    engine, ids = shop
    with pytest.raises(ValidationError) as refused:
        engine.commands.submit("CreateOrder", {"customer_id": "not an id!",
                                               "items": [{"product_id": ids["product"], "quantity": 2.5}]})
    text = str(refused.value)
    assert "^[" not in text and "items.0" not in text
    assert "items, line 1, quantity must be a whole number" in text
    assert refused.value.field_errors["items.0.quantity"].startswith("must be a whole number")


def test_an_accepted_command_is_one_commit_with_its_events_snapshot_and_log_row(shop):
    engine, ids = shop
    commits = engine.writer.commits
    engine.commands.submit("ConfirmOrder", {"order_id": ids["order"]})
    assert engine.writer.commits == commits + 1
    row = engine.store.cursor().execute(
        "SELECT outcome, stream_id FROM command_log ORDER BY recorded_at DESC LIMIT 1").fetchall()[0]
    assert row == ("accepted", ids["order"])


def test_a_refused_command_is_one_commit_of_its_log_row_only(shop):
    engine, ids = shop
    commits, before = engine.writer.commits, _counts(engine)
    with pytest.raises(DomainRuleViolation):
        engine.commands.submit("ShipOrder", {"order_id": ids["order"], "tracking_number": "TRACK-1"})
    assert engine.writer.commits == commits + 1
    _assert_refused_and_logged(engine, before, "DomainRuleViolation")


def test_a_failed_commit_writes_neither_events_nor_log_row(shop, monkeypatch):
    """The commit is the journal's write: when the disk refuses it, the command fails plainly, nothing of it is
    written anywhere (the journal is cut back), and the next command is stored as usual."""
    engine, ids = shop
    before, journal_size = _counts(engine), engine.writer.journal.size

    def disk_full(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr("esengine.store.journal.os.fdatasync", disk_full)
    with pytest.raises(StoreUnavailable, match="No space left on device.*Nothing was written"):
        engine.commands.submit("ConfirmOrder", {"order_id": ids["order"]})
    assert engine.writer.journal.size == journal_size == engine.writer.journal.path.stat().st_size
    monkeypatch.undo()
    assert _counts(engine) == before
    assert engine.repository("order").load(ids["order"]).state.status == "pending"
    engine.commands.submit("ConfirmOrder", {"order_id": ids["order"]})
    assert _counts(engine)[:2] == (before[0] + 1, before[1] + 1)


def test_read_model_rows_that_cannot_be_written_stop_the_inline_projections_and_keep_the_command(shop, monkeypatch):
    """An inline projection's rows that DuckDB refuses do not lose an acknowledged command: its events and log
    row are stored, and every inline projection stops at its first event with the error, as at a poison event
    (the Projections page shows it; a rebuild brings it back)."""
    engine, ids = shop
    before = _counts(engine)

    def refused(*args, **kwargs):
        raise duckdb.ConversionException("Could not convert string 'x' to DOUBLE")
    monkeypatch.setattr("esengine.projections.base._store", refused)
    result = engine.commands.submit("ConfirmOrder", {"order_id": ids["order"]})
    engine.writer.drain()
    monkeypatch.undo()
    assert _counts(engine)[:2] == (before[0] + 1, before[1] + 1)
    assert engine.repository("order").load(ids["order"]).state.status == "confirmed"
    status = engine.projections.status()
    inline = status[(status["mode"] == "inline") & status["live"]]  # the versions that were running
    assert len(inline) > 0 and set(inline["status"]) == {"stopped"}
    position = result.events[0].position
    assert set(inline["error_position"]) == {position} and set(inline["checkpoint"]) == {position - 1}
    assert all("Could not convert string 'x' to DOUBLE" in e for e in inline["error"])
    engine.commands.submit("CancelOrder", {"order_id": ids["order"], "reason": "changed my mind"})
    assert _counts(engine)[:2] == (before[0] + 2, before[1] + 2)  # the store goes on


def test_verify_finds_a_foreign_event_written_behind_the_engines_back(shop):
    engine, ids = shop
    assert verify_store(engine).ok
    cur = engine.store.cursor()
    cur.execute("""INSERT INTO events SELECT max(position) + 1, uuid(), ?, 'product', 2, 'OrderCancelled', 1,
        '{"order_id": "x", "reason": "sneaky"}', '{}', now()::TIMESTAMP, now()::TIMESTAMP, NULL FROM events""",
                [ids["product"]])
    problems = {p.check: p.message for p in verify_store(engine).problems}
    assert "OrderCancelled" in problems["foreign events"] and ids["product"] in problems["foreign events"]
    assert "belongs to order streams" in problems["foreign events"]


def test_verify_names_the_first_event_edited_behind_the_engines_back(shop):
    engine, ids = shop
    engine.commands.submit("ConfirmOrder", {"order_id": ids["order"]})
    cur = engine.store.cursor()
    position = cur.execute("SELECT position FROM events WHERE stream_id = ? AND version = 1",
                           [ids["order"]]).fetchall()[0][0]
    cur.execute("UPDATE events SET data = json_object('forged', true) WHERE position = ?", [position])
    report = verify_store(engine)
    chain_problems = [p.message for p in report.problems if p.check == "hash chain"]
    assert chain_problems and f"position {position:,}" in chain_problems[0]
    broken, checked = chain.first_break(cur)
    assert broken.position == position and checked == position - 1


def test_the_chain_holds_over_commands_imports_and_demo_batches(engine):
    from esengine.demo import generate_demo
    from esengine.interchange import import_file
    from tests.conftest import DATASETS
    generate_demo(engine, seed=3, events=600)
    import_file(engine, DATASETS / "running-example.csv")
    engine.commands.submit("AddProduct", {"name": "Tea", "price": 1})
    broken, checked = chain.first_break(engine.store.cursor())
    assert broken is None and checked == engine.store.last_position()
