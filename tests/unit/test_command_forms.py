"""The command forms are read from the pydantic command models: fields, limits, help and references."""
from esengine.domains.orders.commands import ALL_COMMANDS
from esengine.forms import describe_command, describe_commands
from esengine.domains.orders import commands as c


def test_every_command_of_the_domain_has_a_form_with_its_title():
    forms = describe_commands(ALL_COMMANDS)
    assert [f.command_type for f in forms] == [cls.__name__ for cls in ALL_COMMANDS]
    assert all(f.title == cls.title for f, cls in zip(forms, ALL_COMMANDS))


def test_fields_naming_customers_products_and_orders_become_select_boxes_of_that_kind():
    form = describe_command(c.AddOrderItem)
    assert form.field("order_id").kind == "reference" and form.field("order_id").reference == "order"
    assert form.field("product_id").reference == "product"
    assert describe_command(c.CreateOrder).field("customer_id").reference == "customer"


def test_numbers_carry_their_limits_and_say_them_in_the_help_text():
    price = describe_command(c.AddProduct).field("price")
    assert (price.kind, price.minimum, price.exclusive_minimum, price.maximum) == ("number", 0, True, 100_000)
    assert "more than 0" in price.help and "at most 100,000" in price.help
    quantity = describe_command(c.AddOrderItem).field("quantity")
    assert (quantity.kind, quantity.minimum, quantity.maximum) == ("integer", 1, 1000)


def test_text_fields_carry_length_pattern_and_description():
    tracking = describe_command(c.ShipOrder).field("tracking_number")
    assert (tracking.min_length, tracking.max_length) == (3, 40)
    assert tracking.pattern and "Letters, digits and dashes" in tracking.help and "3 to 40 characters" in tracking.help


def test_order_lines_are_described_with_their_own_fields():
    items = describe_command(c.CreateOrder).field("items")
    assert items.kind == "lines" and items.max_length == 50
    assert [(f.name, f.kind) for f in items.line_fields] == [("product_id", "reference"), ("quantity", "integer")]


def test_order_stream_commands_have_an_optional_expected_version_and_name_their_stream():
    form = describe_command(c.CancelOrder)
    assert form.field("expected_version").kind == "version" and not form.field("expected_version").required
    assert form.stream_reference == "order_id"
    assert describe_command(c.CreateOrder).stream_reference is None
