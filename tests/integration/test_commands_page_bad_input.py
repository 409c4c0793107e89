"""Bad input on every field of every command form: a message naming the field, and nothing written.

The forms send exactly what their widgets hold, so these payloads are what a person can type
(or what a crafted request would send).
"""
import json

import pytest

from esengine.domains.orders.commands import ALL_COMMANDS
from esengine.errors import EsEngineError, NotFound, ValidationError
from esengine.forms import describe_commands, reference_options

INJECTION = "'; DROP TABLE events; --"
BAD = {
    "text": ["", "x" * 5000, -5, INJECTION],
    "number": ["", -5, "abc", "1; DROP TABLE events", 10**12],
    "integer": ["", -5, "abc", "1; DROP TABLE events", 10**12, 1.5],
    "version": ["", -5, "abc", "1; DROP TABLE events", 10**12],
    "reference": ["", "x" * 5000, INJECTION, "-5", "order-does-not-exist"],
}
GOOD = {"name": "Ana", "email": "ana@example.com", "price": 5, "new_price": 6, "quantity": 1, "amount": 10,
        "tracking_number": "TRK-1", "reason": "changed my mind"}


def valid_payload(form, ids):
    payload = {}
    for spec in form.fields:
        if spec.kind == "reference":
            payload[spec.name] = ids[spec.reference]
        elif spec.kind == "lines":
            payload[spec.name] = [{"product_id": ids["product"], "quantity": 1}]
        elif spec.kind != "version":
            payload[spec.name] = GOOD[spec.name]
    return payload


def cases():
    for form in describe_commands(ALL_COMMANDS):
        for spec in form.fields:
            for value in BAD.get(spec.kind, []):
                yield pytest.param(form, spec.name, value, id=f"{form.command_type}.{spec.name}={str(value)[:20]}")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    from esengine import Engine
    from esengine.domains.orders import commands as c
    engine = Engine(tmp_path_factory.mktemp("bad") / "store.duckdb")
    customer = engine.commands.dispatch(c.RegisterCustomer(name="Bo", email="bo@example.com")).value
    product = engine.commands.dispatch(c.AddProduct(name="Mug", price=5)).value
    order = engine.commands.dispatch(c.CreateOrder(customer_id=customer, items=[
        c.OrderLine(product_id=product, quantity=1)])).value
    yield engine, {"customer": customer, "product": product, "order": order}
    engine.close()


@pytest.mark.parametrize("form, field, value", list(cases()))
def test_a_bad_value_in_any_field_is_refused_or_kept_verbatim_as_text(shop, form, field, value):
    engine, ids = shop
    before = engine.store.last_position()
    payload = {**valid_payload(form, ids), field: value}
    try:
        result = engine.commands.submit(form.command_type, payload)
    except ValidationError as refused:
        assert any(k == field or k.startswith(field + ".") for k in refused.field_errors), refused.field_errors
        assert engine.store.last_position() == before
        return
    except NotFound as missing:
        assert form.field(field).kind == "reference" and str(missing)
        assert engine.store.last_position() == before
        return
    except EsEngineError as refused:  # valid text, but a rule of the aggregate said no
        assert value == INJECTION and str(refused) and engine.store.last_position() == before
        return
    # Only free text may pass: stored verbatim, as data, and the store is intact.
    assert form.field(field).kind == "text" and value == INJECTION
    assert result.events[-1].data[field] == INJECTION
    assert json.loads(engine.store.cursor().execute("SELECT CAST(data AS VARCHAR) FROM events WHERE position = ?",
                                                    [result.events[-1].position]).fetchall()[0][0])[field] == INJECTION


@pytest.mark.parametrize("lines", [[], [{"product_id": "", "quantity": -1}], [{"quantity": "abc"}],
                                   [{"product_id": "product-x", "quantity": 1}] * 51])
def test_bad_order_lines_are_refused_with_a_message_and_nothing_written(shop, lines):
    engine, ids = shop
    before = engine.store.last_position()
    with pytest.raises(ValidationError) as refused:
        engine.commands.submit("CreateOrder", {"customer_id": ids["customer"], "items": lines})
    assert any(k.startswith("items") for k in refused.value.field_errors)
    assert engine.store.last_position() == before


def test_select_boxes_offer_the_existing_customers_products_and_orders(shop):
    engine, ids = shop
    for kind, stream_id in ids.items():
        assert stream_id in [o.id for o in reference_options(engine, kind)]
