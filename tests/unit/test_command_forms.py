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


# -- values typed into the forms, and refusals in the form's words ------------------------------------------
from esengine.forms.values import explain, from_text, locate, plain_refusal  # noqa: E402

QUANTITY = describe_command(c.AddOrderItem).field("quantity")
PRICE = describe_command(c.AddProduct).field("price")


def test_typed_numbers_become_numbers_and_anything_else_stays_as_typed_for_the_command_to_refuse():
    assert from_text(QUANTITY, " 12 ") == 12 and from_text(QUANTITY, "2.5") == 2.5 and from_text(PRICE, "39.20") == 39.2
    assert from_text(QUANTITY, "") is None and from_text(QUANTITY, "   ") is None
    for typed in ("abc", "３", "2,5", "nan", "inf", "1_000"):
        assert from_text(QUANTITY, typed) == typed


def test_a_whole_number_field_refuses_a_fraction_and_says_its_limits_in_plain_words():
    assert explain(QUANTITY, 2.5) == "must be a whole number, without a fraction (you entered 2.50)."
    assert explain(QUANTITY, 12345678901234567890) == \
        "is too large: at most 1,000 (you entered 12,345,678,901,234,567,890)."
    assert explain(QUANTITY, 0) == "is too small: it must be at least 1 (you entered 0)."
    assert explain(PRICE, 0.0) == "is too small: it must be more than 0 (you entered 0)."
    assert explain(PRICE, "12,50") == "use a point for decimals: write 12.50, not 12,50."
    assert explain(QUANTITY, 3) is None and explain(PRICE, 12.5) is None


def test_text_fields_refuse_control_characters_and_say_what_form_they_need():
    name = describe_command(c.RegisterCustomer).field("name")
    tracking = describe_command(c.ShipOrder).field("tracking_number")
    assert "control character" in explain(name, "Ana\x00Lund")
    assert explain(name, "Zoë Ünal") is None
    assert explain(tracking, "TRK 1") == "is not in the right form: letters, digits and dashes (you entered “TRK 1”)."
    assert explain(describe_command(c.ShipOrder).field("order_id"), "") == "Choose an order from the list."


def test_a_refused_line_field_is_named_as_the_form_shows_it():
    form = describe_command(c.CreateOrder)
    payload = {"customer_id": "customer-1", "items": [{"product_id": "p-1", "quantity": 1},
                                                      {"product_id": "p-2", "quantity": 2.5}]}
    spec, label, value = locate(form, "items.1.quantity", payload)
    assert (spec.name, label, value) == ("quantity", "Quantity 2", 2.5)
    said = plain_refusal(form, {"items.1.quantity": "Input should be a valid integer, got a number with a fractional "
                                                    "part"}, payload)
    assert said == [("Quantity 2", "must be a whole number, without a fraction (you entered 2.50).")]


def test_an_engine_message_that_is_already_plain_is_kept_and_jargon_is_replaced_by_the_help():
    form = describe_command(c.CreateOrder)
    payload = {"customer_id": "customer-1", "items": [{"product_id": "product-x", "quantity": 1}]}
    assert plain_refusal(form, {"items.0.product_id": "There is no product 'product-x'. Pick an existing one."},
                         payload) == [("Product 1", "There is no product 'product-x'. Pick an existing one.")]
    said = plain_refusal(form, {"customer_id": "Value error, something should match"}, payload)
    assert said[0][0] == "Customer" and "should" not in said[0][1]
