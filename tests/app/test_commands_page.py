"""The Commands page through AppTest: accepted commands, each kind of refusal, the conflict demonstration."""
import pytest

from esengine import Engine
from esengine.domains.orders.commands import ALL_COMMANDS
from esengine.forms import describe_command, reference_options
from tests.conftest import app_test

SEND = "FormSubmitter:commands_{}_form-Send the command"


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


def event_count(path):
    with Engine(path) as e:
        return e.store.last_position()


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
    assert any('"mia@example.com"' in j.value for j in at.json)  # the read model's row
    log = at.dataframe[-1].value
    assert list(log["outcome"]) == ["accepted"] and list(log["user"]) == ["trainer-kim"]
    with Engine(app_env) as e:
        stored = e.store.read_all(limit=1, descending=True)[0]
    assert stored.metadata["user_id"] == "trainer-kim" and stored.metadata["correlation_id"] == "workshop-corr-1"
    assert any(f"event_browser?event={stored.position}" in m.value for m in at.markdown)


def test_invalid_fields_get_a_message_each_and_nothing_is_written(app_env):
    before = event_count(app_env)
    at = open_form("AddProduct")
    at.text_input(key="commands_AddProduct_name").input("x" * 300)
    at.number_input(key="commands_AddProduct_price").set_value(-3)
    send(at, "AddProduct")
    assert "refused" in at.error[0].value
    messages = " ".join(m.value for m in at.markdown)
    assert "**name**: is too long: at most 100 characters" in messages
    assert "**price**: is too small: it must be more than 0" in messages
    assert event_count(app_env) == before
    assert at.dataframe[-1].value["outcome"][0] == "refused (ValidationError)"


def test_an_empty_form_names_every_missing_field(app_env):
    at = open_form("ShipOrder")
    send(at, "ShipOrder")
    messages = " ".join(m.value for m in at.markdown)
    assert "**order_id**" in messages and "**tracking_number**" in messages


def test_a_broken_rule_of_the_aggregate_is_said_in_plain_words(app_env):
    shipped = an_order(app_env, "shipped")
    before = event_count(app_env)
    at = open_form("CancelOrder")
    at.selectbox(key="commands_CancelOrder_order_id").set_value(shipped).run()
    at.text_input(key="commands_CancelOrder_reason").input("Too late")
    send(at, "CancelOrder")
    assert at.error[0].value == "Refused by the domain: A shipped order cannot be cancelled."
    assert event_count(app_env) == before


def test_an_unknown_id_typed_into_a_select_box_is_refused_as_not_found(app_env):
    at = app_test("pages/commands.py")
    at.session_state["commands_type"] = "ChangeCustomerEmail"
    at.session_state["commands_ChangeCustomerEmail_customer_id"] = "customer-nobody"  # typed, not picked
    at.run()
    at.text_input(key="commands_ChangeCustomerEmail_email").input("new@example.com")
    send(at, "ChangeCustomerEmail")
    assert "There is no customer 'customer-nobody'" in at.info[0].value


def test_a_typed_order_id_that_does_not_exist_is_named_and_the_form_stays(app_env):
    at = app_test("pages/commands.py")
    at.session_state["commands_type"] = "CancelOrder"
    at.session_state["commands_CancelOrder_order_id"] = "order-nobody"
    at.run()
    assert not at.exception
    assert "There is no order 'order-nobody'" in " ".join(i.value for i in at.info)
    assert at.text_input(key="commands_CancelOrder_reason")


def test_a_colleagues_change_makes_the_loaded_version_stale_and_the_command_conflicts(app_env):
    order = an_order(app_env, "pending")
    at = open_form("ConfirmOrder")
    at.selectbox(key="commands_ConfirmOrder_order_id").set_value(order).run()
    loaded = at.number_input(key="commands_ConfirmOrder_expected_version").value
    assert loaded >= 1
    at.button(key="commands_colleague").click().run()
    assert f"now at version {loaded + 1}" in at.info[0].value
    before = event_count(app_env)
    send(at, "ConfirmOrder")
    assert at.warning[0].value.startswith("Conflict:")
    assert any(f"**Expected version:** {loaded} · **actual version:** {loaded + 1}" in m.value for m in at.markdown)
    assert event_count(app_env) == before
    at.button(key="commands_reload").click().run()
    assert at.number_input(key="commands_ConfirmOrder_expected_version").value == loaded + 1
    send(at, "ConfirmOrder")
    assert "accepted" in at.success[0].value


def test_a_finished_order_cannot_be_changed_by_the_colleague_either(app_env):
    at = open_form("CancelOrder")
    at.selectbox(key="commands_CancelOrder_order_id").set_value(an_order(app_env, "shipped")).run()
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
    assert "prefilled from the command of event" in at.info[0].value


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
    at.number_input(key="commands_CreateOrder_items_0_quantity").set_value(2)
    send(at, "CreateOrder")
    assert "accepted" in at.success[0].value
    assert list(at.dataframe[0].value["event"]) == ["OrderCreated"]
    row = at.json[0].value
    assert '"status": "pending"' in row and customers[0].id in row


@pytest.mark.parametrize("command_type", [cls.__name__ for cls in ALL_COMMANDS])
def test_every_form_sent_empty_names_its_missing_fields_and_writes_nothing(app_env, command_type):
    before = event_count(app_env)
    at = open_form(command_type)
    send(at, command_type)
    assert "refused" in at.error[0].value
    command_cls = next(cls for cls in ALL_COMMANDS if cls.__name__ == command_type)
    required = [f.name for f in describe_command(command_cls).fields if f.required]
    messages = " ".join(m.value for m in at.markdown)
    assert all(f"**{name}" in messages for name in required)
    assert event_count(app_env) == before
