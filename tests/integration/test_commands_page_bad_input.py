"""Bad input on every field of every command form: a plain message under the form's label, and nothing written.

The payloads are what the Commands page sends for what a person can type: text fields as typed, number
fields through ``from_text`` (as the page does), pickers as ids (or what a crafted request would send).
"""
import json
import re

import pytest

from esengine.domains.orders.commands import ALL_COMMANDS
from esengine.errors import EsEngineError, ValidationError
from esengine.forms import describe_commands, reference_options
from esengine.forms.values import NUMBER_KINDS, from_text, plain_refusal

INJECTION = "'; DROP TABLE events; --"
CONTROL = ["Ana\x00Lund", "Ana\x1b[31mLund", "line\nbreak", "tab\there", "a\u2028b"]
BAD = {
    "text": ["", "   ", "x" * 5000, INJECTION, "Zoë Ünal-Øre 😀", *CONTROL],
    "integer": ["", "abc", "2.5", "0.999", "12345678901234567890", "-5", "0", "1e400", "３", "٣", "2,5", "1\x00",
                "1; DROP TABLE events", "nan", "inf"],
    "number": ["", "abc", "-5", "0", "12345678901234567890", "1e400", "３", "12,50", "1\x00", "nan", "-inf",
               "1; DROP TABLE events"],
    "version": ["abc", "2.5", "-1", "12345678901234567890", "３", "1\x00"],
    "reference": ["", "x" * 5000, INJECTION, "order-ü", "order-\x00", "-5", "order-does-not-exist"],
}
GOOD = {"name": "Ana", "email": "ana@example.com", "price": "5", "new_price": "6", "quantity": "1", "amount": "5",
        "tracking_number": "TRK-1", "reason": "changed my mind"}
JARGON = re.compile(r"should|pattern|\^|\$|\[|items\.\d|\w_id\b|input|field required|type=|valid integer|parsing",
                    re.IGNORECASE)


def sent(spec, typed):
    """What the page sends for what was typed into this field."""
    return from_text(spec, typed) if spec.kind in NUMBER_KINDS else typed


def valid_payload(form, ids):
    payload = {}
    for spec in form.fields:
        if spec.kind == "reference":
            payload[spec.name] = ids[spec.reference]
        elif spec.kind == "lines":
            payload[spec.name] = [{"product_id": ids["product"], "quantity": 1}]
        elif spec.kind != "version":
            payload[spec.name] = sent(spec, GOOD[spec.name])
    return payload


def cases():
    for form in describe_commands(ALL_COMMANDS):
        for spec in form.fields:
            targets = [(spec, None)] if spec.kind != "lines" else [(sub, spec) for sub in spec.line_fields]
            for field, lines in targets:
                for value in BAD.get(field.kind, []):
                    where = f"{lines.name}.0.{field.name}" if lines else field.name
                    yield pytest.param(form, field, lines, value, id=f"{form.command_type}.{where}={value[:12]!r}")


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


def assert_plain(lines):
    assert lines
    for line in lines:
        unquoted = re.sub(r"“[^”]*”|'[^']*'", "", line)  # what the person typed may contain anything
        assert not JARGON.search(unquoted), line


def refusal_lines(form, error, payload):
    if isinstance(error, ValidationError) and error.field_errors:
        return plain_refusal(form, error.field_errors, payload)
    return [("", str(error))]


@pytest.mark.parametrize("form, field, lines, value", list(cases()))
def test_a_bad_value_in_any_field_gets_a_plain_message_and_nothing_is_written(shop, form, field, lines, value):
    engine, ids = shop
    before = engine.store.last_position()
    payload = valid_payload(form, ids)
    if lines:
        payload[lines.name] = [{**payload[lines.name][0], field.name: sent(field, value)}]
    else:
        payload[field.name] = sent(field, value)
    try:
        result = engine.commands.submit(form.command_type, payload)
    except EsEngineError as refused:
        said = refusal_lines(form, refused, payload)
        assert_plain([message for _, message in said])
        if isinstance(refused, ValidationError) and refused.field_errors:
            label = f"{field.label} 1" if lines else field.label
            assert label in [lab for lab, _ in said], said
        assert engine.store.last_position() == before
        return
    # Only free text that is printable may pass: stored verbatim, as data, and the store is intact.
    assert field.kind == "text" and value.strip() and value in (INJECTION, "Zoë Ünal-Øre 😀")
    stored = json.loads(engine.store.cursor().execute("SELECT CAST(data AS VARCHAR) FROM events WHERE position = ?",
                                                      [result.events[-1].position]).fetchall()[0][0])
    assert stored[field.name] == value


@pytest.mark.parametrize("typed, said", [
    ("2.5", "must be a whole number, without a fraction (you entered 2.50)."),
    ("12345678901234567890", "is too large: at most 1,000 (you entered 12,345,678,901,234,567,890)."),
    ("0", "is too small: it must be at least 1 (you entered 0)."),
])
def test_whole_number_fields_refuse_fractions_and_say_the_limits(shop, typed, said):
    engine, ids = shop
    form = next(f for f in describe_commands(ALL_COMMANDS) if f.command_type == "AddOrderItem")
    payload = {"order_id": ids["order"], "product_id": ids["product"], "quantity": sent(form.field("quantity"), typed)}
    with pytest.raises(ValidationError) as refused:
        engine.commands.submit("AddOrderItem", payload)
    assert plain_refusal(form, refused.value.field_errors, payload) == [("Quantity", said)]


@pytest.mark.parametrize("lines", [[], [{"product_id": "", "quantity": -1}], [{"quantity": "abc"}],
                                   [{"product_id": "product-x", "quantity": 1}] * 51])
def test_bad_order_lines_are_refused_with_a_plain_message_and_nothing_written(shop, lines):
    engine, ids = shop
    before = engine.store.last_position()
    form = next(f for f in describe_commands(ALL_COMMANDS) if f.command_type == "CreateOrder")
    payload = {"customer_id": ids["customer"], "items": lines}
    with pytest.raises(ValidationError) as refused:
        engine.commands.submit("CreateOrder", payload)
    said = plain_refusal(form, refused.value.field_errors, payload)
    assert_plain([m for _, m in said])
    assert all(label.startswith(("Items", "Product", "Quantity")) for label, _ in said), said
    assert engine.store.last_position() == before


def test_select_boxes_offer_the_existing_customers_products_and_orders_with_their_ids(shop):
    engine, ids = shop
    for kind, stream_id in ids.items():
        option = next(o for o in reference_options(engine, kind) if o.id == stream_id)
        assert stream_id in option.label  # searching a picker by id finds it
