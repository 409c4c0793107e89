"""The Commands page through AppTest: accepted commands, each kind of refusal, the conflict demonstration,
a picked order across commands, the flow diagram and the read model's rows before and after."""
import re

import pytest

from esengine import Engine
from esengine.domains.orders.commands import ALL_COMMANDS
from esengine.forms import describe_command, reference_options
from tests.conftest import app_test

SEND = "FormSubmitter:commands_{}_form-Send the command"
ORDER = "commands_stream_order"
JARGON = re.compile(r"should|pattern|\^|\$|\[|items\.\d|_id\b|Input|Field required|type=", re.IGNORECASE)


def open_form(command_type):
    at = app_test("pages/commands.py").run()
    assert not at.exception
    at.selectbox(key="commands_type").set_value(command_type).run()
    return at


def send(at, command_type):
    at.button(key=SEND.format(command_type)).click().run()
    assert not at.exception
    return at


def an_order(path, status):
    with Engine(path) as e:
        table = e.projections.live_table("orders", "orders")
        return e.store.cursor().execute(f'SELECT id FROM "{table}" WHERE status = ? ORDER BY id LIMIT 1',
                                        [status]).fetchall()[0][0]


def a_product(path):
    with Engine(path) as e:
        return reference_options(e, "product")[0].id


def event_count(path):
    with Engine(path) as e:
        return e.store.last_position()


def texts(at):
    return " ".join(m.value for m in [*at.markdown, *at.error, *at.warning, *at.info, *at.success, *at.caption])


def flow_dot(at):
    charts = at.get("graphviz_chart")
    assert charts, "the command's flow is drawn"
    return charts[0].proto.spec


def test_an_accepted_command_shows_its_events_new_version_and_read_model_row(app_env):
    at = open_form("RegisterCustomer")
    at.text_input(key="commands_user").input("trainer-kim")
    at.text_input(key="commands_correlation").input("workshop-corr-1")
    at.text_input(key="commands_RegisterCustomer_name").input("Mia Lund")
    at.text_input(key="commands_RegisterCustomer_email").input("mia@example.com")
    send(at, "RegisterCustomer")
    assert "accepted" in at.success[0].value and "version **1**" in at.success[0].value
    events = at.dataframe[0].value
    assert list(events["event"]) == ["CustomerRegistered"] and '"Mia Lund"' in events["data"][0]
    row = at.dataframe[1].value  # the read model's new row: before (none) and after
    assert dict(zip(row["column"], row["after"]))["name"] == "Mia Lund" and set(row["before"]) == {"(no row)"}
    log = at.dataframe[-1].value
    assert list(log["outcome"]) == ["accepted"] and list(log["user"]) == ["trainer-kim"]
    with Engine(app_env) as e:
        stored = e.store.read_all(limit=1, descending=True)[0]
    assert stored.metadata["user_id"] == "trainer-kim" and stored.metadata["correlation_id"] == "workshop-corr-1"
    assert any(f"event_browser?event={stored.position}" in m.value for m in at.markdown)
    dot = flow_dot(at)
    assert "Command RegisterCustomer" in dot and f"position {stored.position}" in dot
    assert "Projection orders v1 (inline)" in dot and "Read model customers" in dot


def test_invalid_fields_get_a_plain_message_under_the_forms_labels_and_nothing_is_written(app_env):
    before = event_count(app_env)
    at = open_form("AddProduct")
    at.text_input(key="commands_AddProduct_name").input("x" * 300)
    at.text_input(key="commands_AddProduct_price").input("-3")
    send(at, "AddProduct")
    assert "refused, nothing was written" in at.error[0].value
    messages = " ".join(m.value for m in at.markdown)
    assert "**Name**: is too long: at most 100 characters (this has 300)." in messages
    assert "**Price**: is too small: it must be more than 0 (you entered -3)." in messages
    assert not JARGON.search(messages)
    assert event_count(app_env) == before
    assert at.dataframe[-1].value["outcome"][0] == "refused (validation)"
    assert "Stopped at **validation**" in " ".join(c.value for c in at.caption)


def test_an_empty_form_names_every_missing_field_by_its_label(app_env):
    at = open_form("ShipOrder")
    send(at, "ShipOrder")
    messages = " ".join(m.value for m in at.markdown)
    assert "**Order**: Choose an order from the list." in messages
    assert "**Tracking number**: Fill this in." in messages


def test_a_fraction_and_a_huge_quantity_are_refused_with_the_limit(app_env):
    order, product = an_order(app_env, "pending"), a_product(app_env)
    before = event_count(app_env)
    at = open_form("AddOrderItem")
    at.selectbox(key=ORDER).set_value(order).run()
    at.selectbox(key="commands_AddOrderItem_product_id").set_value(product)
    for typed, said in (("2.5", "must be a whole number, without a fraction (you entered 2.50)"),
                        ("12345678901234567890", "is too large: at most 1,000 (you entered 12,345,678,901,234,567,890)"),
                        ("2,5", "must be a whole number, without a comma"), ("３", "write the number with the digits 0 to 9, like 3.")):
        at.text_input(key="commands_AddOrderItem_quantity").input(typed)
        send(at, "AddOrderItem")
        assert f"**Quantity**: {said}" in texts(at), typed
    assert event_count(app_env) == before


def test_a_broken_rule_of_the_aggregate_is_said_in_plain_words_and_drawn_where_it_stopped(app_env):
    shipped = an_order(app_env, "shipped")
    before = event_count(app_env)
    at = open_form("CancelOrder")
    at.selectbox(key=ORDER).set_value(shipped).run()
    at.text_input(key="commands_CancelOrder_reason").input("Too late")
    send(at, "CancelOrder")
    assert at.error[0].value == "Refused by the domain: A shipped order cannot be cancelled."
    dot = flow_dot(at)
    assert "✗ a shipped order cannot be cancelled" in dot and "Domain rule broken" in dot
    assert "Event " not in dot  # it stopped before any event
    assert event_count(app_env) == before


def test_a_typed_order_id_that_does_not_exist_is_named_and_the_form_stays(app_env):
    at = app_test("pages/commands.py")
    at.session_state["commands_type"] = "CancelOrder"
    at.session_state[ORDER] = "order-nobody"  # e.g. from an old link
    at.run()
    assert not at.exception
    assert "There is no order 'order-nobody'" in " ".join(i.value for i in at.info)
    at.text_input(key="commands_CancelOrder_reason").input("changed my mind")
    send(at, "CancelOrder")
    assert "There is no order 'order-nobody'" in texts(at)
    assert "not found" in " ".join(c.value for c in at.caption)


def test_typing_into_a_picker_searches_it_and_never_becomes_an_id(app_env):
    at = open_form("ChangeCustomerEmail")
    picker = at.selectbox(key="commands_ChangeCustomerEmail_customer_id")
    assert picker.proto.accept_new_options is False
    with Engine(app_env) as e:
        customer = reference_options(e, "customer")[0]
    assert customer.id in picker.format_func(customer.id)  # the id is part of what the search looks at


def test_an_order_beyond_the_offered_ones_is_found_by_searching_and_stays_picked(app_env):
    with Engine(app_env) as e:
        offered = {o.id for o in reference_options(e, "order")}
        table = e.projections.live_table("orders", "orders")
        old = next(r[0] for r in e.store.cursor().execute(f'SELECT id FROM "{table}" ORDER BY updated_at').fetchall()
                   if r[0] not in offered)
    at = open_form("CancelOrder")
    assert old not in at.selectbox(key=ORDER).options
    at.text_input(key=f"{ORDER}_search").input(old[-6:].upper()).run()  # part of its id, any case
    assert at.selectbox(key=ORDER).options == [at.selectbox(key=ORDER).format_func(old)]
    at.selectbox(key=ORDER).set_value(old).run()
    at.text_input(key=f"{ORDER}_search").input("").run()
    assert at.selectbox(key=ORDER).value == old
    assert f"Order `{old}` is" in texts(at)


def test_a_picked_order_stays_picked_through_its_whole_life(app_env):
    order, product = an_order(app_env, "pending"), a_product(app_env)
    at = open_form("AddOrderItem")
    at.selectbox(key=ORDER).set_value(order).run()
    for _ in range(2):
        at.selectbox(key="commands_AddOrderItem_product_id").set_value(product)
        at.text_input(key="commands_AddOrderItem_quantity").input("2")
        send(at, "AddOrderItem")
        assert "accepted" in at.success[0].value, texts(at)
    at.selectbox(key="commands_type").set_value("ConfirmOrder").run()
    assert at.selectbox(key=ORDER).value == order
    send(at, "ConfirmOrder")
    assert "accepted" in at.success[0].value, texts(at)
    total = re.search(r"total \*\*([\d.]+) €", texts(at)).group(1)
    at.selectbox(key="commands_type").set_value("ReceivePayment").run()
    at.text_input(key="commands_ReceivePayment_amount").input(total)
    send(at, "ReceivePayment")
    assert "accepted" in at.success[0].value, texts(at)
    at.selectbox(key="commands_type").set_value("ShipOrder").run()
    at.text_input(key="commands_ShipOrder_tracking_number").input("TRK-42")
    send(at, "ShipOrder")
    assert "accepted" in at.success[0].value, texts(at)
    changes = at.dataframe[1].value
    status = dict(zip(changes["column"], zip(changes["before"], changes["after"], changes["changed"])))
    assert status["status"] == ("paid", "shipped", "yes") and status["total"][2] == ""


def test_a_colleagues_change_makes_the_loaded_version_stale_and_the_command_conflicts(app_env):
    order = an_order(app_env, "pending")
    at = open_form("ConfirmOrder")
    at.selectbox(key=ORDER).set_value(order).run()
    loaded = int(at.text_input(key="commands_expected_version").value)
    assert loaded >= 1
    at.button(key="commands_colleague").click().run()
    assert f"now at version {loaded + 1}" in at.info[0].value
    before = event_count(app_env)
    send(at, "ConfirmOrder")
    assert at.warning[0].value.startswith("Conflict:")
    assert any(f"**Expected version:** {loaded} · **actual version:** {loaded + 1}" in m.value for m in at.markdown)
    assert "Concurrency conflict" in flow_dot(at)
    assert event_count(app_env) == before
    at.button(key="commands_reload").click().run()
    assert at.text_input(key="commands_expected_version").value == str(loaded + 1)
    send(at, "ConfirmOrder")
    assert "accepted" in at.success[0].value


def test_a_finished_order_cannot_be_changed_by_the_colleague_either(app_env):
    at = open_form("CancelOrder")
    at.selectbox(key=ORDER).set_value(an_order(app_env, "shipped")).run()
    at.button(key="commands_colleague").click().run()
    assert "nobody can change it any more" in at.error[0].value


def test_again_like_this_prefills_the_form_from_an_events_command(app_env):
    with Engine(app_env) as e:
        event = e.store.read_all(where=None, limit=1, after_position=0)[0]  # the first ProductAdded of the demo
        command = e.store.cursor().execute("SELECT CAST(payload AS VARCHAR) FROM command_log WHERE command_id = ?",
                                           [event.metadata["command_id"]]).fetchall()[0][0]
    at = app_test("pages/commands.py")
    at.query_params["again"] = str(event.position)
    at.run()
    assert not at.exception
    assert at.selectbox(key="commands_type").value == event.metadata["command"]
    assert at.text_input(key="commands_AddProduct_name").value in command
    assert at.text_input(key="commands_AddProduct_price").value
    assert "prefilled from the command of event" in at.info[0].value


def test_again_like_this_on_an_order_event_picks_that_order_at_its_current_version(app_env):
    with Engine(app_env) as e:
        event = e.store.cursor().execute("SELECT position, stream_id FROM events WHERE event_type = 'OrderConfirmed' "
                                         "ORDER BY position LIMIT 1").fetchall()[0]
        version = e.store.current_version(event[1])
    at = app_test("pages/commands.py")
    at.query_params["again"] = str(event[0])
    at.run()
    assert not at.exception
    assert at.selectbox(key="commands_type").value == "ConfirmOrder"
    assert at.selectbox(key=ORDER).value == event[1]
    assert at.text_input(key="commands_expected_version").value == str(version)


@pytest.mark.parametrize("again", ["abc", "999999999"])
def test_a_bad_again_link_gives_a_plain_message(app_env, again):
    at = app_test("pages/commands.py")
    at.query_params["again"] = again
    at.run()
    assert not at.exception and (at.error or at.info)
    assert at.selectbox(key="commands_type")  # the page still works


def test_an_order_is_created_from_select_boxes_of_existing_customers_and_products(app_env):
    with Engine(app_env) as e:
        customers = reference_options(e, "customer")
        product = reference_options(e, "product")[0]
    at = open_form("CreateOrder")
    assert len(at.selectbox(key="commands_CreateOrder_customer_id").options) == len(customers)
    at.selectbox(key="commands_CreateOrder_customer_id").set_value(customers[0].id)
    at.selectbox(key="commands_CreateOrder_items_0_product_id").set_value(product.id)
    at.text_input(key="commands_CreateOrder_items_0_quantity").input("2")
    send(at, "CreateOrder")
    assert "accepted" in at.success[0].value
    assert list(at.dataframe[0].value["event"]) == ["OrderCreated"]
    row = at.dataframe[1].value
    after = dict(zip(row["column"], row["after"]))
    assert after["status"] == "pending" and after["customer_id"] == customers[0].id
    assert "new: version 0" in flow_dot(at)


@pytest.mark.parametrize("command_type", [cls.__name__ for cls in ALL_COMMANDS])
def test_every_form_sent_empty_names_its_missing_fields_and_writes_nothing(app_env, command_type):
    before = event_count(app_env)
    at = open_form(command_type)
    send(at, command_type)
    assert "refused" in at.error[0].value
    command_cls = next(cls for cls in ALL_COMMANDS if cls.__name__ == command_type)
    required = [f.label for f in describe_command(command_cls).fields if f.required]
    messages = " ".join(m.value for m in at.markdown)
    assert all(f"**{label}" in messages for label in required)
    assert not JARGON.search(" ".join(m.value for m in at.markdown if m.value.startswith("- ")))
    assert event_count(app_env) == before
