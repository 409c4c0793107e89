"""The Orders domain's commands (verbs). Field limits and descriptions also drive the app's forms."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from esengine.application.fields import ExpectedVersion, StreamRef
from esengine.application.messages import Command, rounded

Name = Annotated[str, Field(min_length=1, max_length=100)]
Email = Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s'\";<>]+@[^@\s'\";<>]+\.[A-Za-z]{2,}$",
                             description="An email address like ana@example.com")]
Price = Annotated[float, rounded(2), Field(gt=0, le=100_000, description="In euros, more than 0")]
Quantity = Annotated[int, Field(ge=1, le=1000, description="How many, 1 to 1000")]


class RegisterCustomer(Command):
    title = "Register a customer"
    name: Name = Field(description="The customer's full name")
    email: Email


class ChangeCustomerEmail(Command):
    title = "Change a customer's email"
    customer_id: StreamRef
    email: Email


class AddProduct(Command):
    title = "Add a product to the catalogue"
    name: Name = Field(description="The product's name")
    price: Price


class ChangeProductPrice(Command):
    title = "Change a product's price"
    product_id: StreamRef
    new_price: Price


class OrderLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    product_id: StreamRef
    quantity: Quantity


class CreateOrder(Command):
    title = "Create an order"
    customer_id: StreamRef
    items: list[OrderLine] = Field(min_length=1, max_length=50, description="At least one line")


class AddOrderItem(Command):
    title = "Add an item to a pending order"
    order_id: StreamRef
    product_id: StreamRef
    quantity: Quantity
    expected_version: ExpectedVersion = None


class ConfirmOrder(Command):
    title = "Confirm an order"
    order_id: StreamRef
    expected_version: ExpectedVersion = None


class ReceivePayment(Command):
    title = "Receive a payment"
    order_id: StreamRef
    amount: Annotated[float, rounded(2), Field(gt=0, le=10_000_000, description="Must equal the order total")]
    expected_version: ExpectedVersion = None


class ShipOrder(Command):
    title = "Ship an order"
    order_id: StreamRef
    tracking_number: Annotated[str, Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9\-]+$",
                                          description="Letters, digits and dashes")]
    expected_version: ExpectedVersion = None


class CancelOrder(Command):
    title = "Cancel an order"
    order_id: StreamRef
    reason: Annotated[str, Field(min_length=3, max_length=200, description="Why it is cancelled")]
    expected_version: ExpectedVersion = None


ALL_COMMANDS = (RegisterCustomer, ChangeCustomerEmail, AddProduct, ChangeProductPrice, CreateOrder,
                AddOrderItem, ConfirmOrder, ReceivePayment, ShipOrder, CancelOrder)
