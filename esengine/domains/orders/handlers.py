"""Command handlers: load, act, save. Plain functions, one per command."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from esengine.application.buses import CommandScope
from esengine.application.fields import load_for_command
from esengine.domains.orders import commands as c
from esengine.domains.orders.aggregates import Customer, Order, Product
from esengine.domains.orders.events import LineItem
from esengine.errors import NotFound, ValidationError


def register_customer(cmd: c.RegisterCustomer, scope: CommandScope) -> str:
    customer = Customer.register(scope.context.new_stream_id("customer"), cmd.name, cmd.email)
    scope.save(customer)
    return customer.id


def change_customer_email(cmd: c.ChangeCustomerEmail, scope: CommandScope) -> str:
    customer = load_for_command(scope, "customer", cmd.customer_id)
    customer.change_email(cmd.email)
    scope.save(customer)
    return customer.id


def add_product(cmd: c.AddProduct, scope: CommandScope) -> str:
    product = Product.add(scope.context.new_stream_id("product"), cmd.name, cmd.price)
    scope.save(product)
    return product.id


def change_product_price(cmd: c.ChangeProductPrice, scope: CommandScope) -> str:
    product = load_for_command(scope, "product", cmd.product_id)
    product.change_price(cmd.new_price)
    scope.save(product)
    return product.id


def create_order(cmd: c.CreateOrder, scope: CommandScope) -> str:
    load_for_command(scope, "customer", cmd.customer_id)
    items = []
    for i, line in enumerate(cmd.items):
        try:
            product = load_for_command(scope, "product", line.product_id)
        except NotFound as e:
            raise ValidationError(str(e), {f"items.{i}.product_id": str(e)}) from None
        items.append(LineItem(product_id=product.id, quantity=line.quantity, unit_price=product.state.price))
    order = Order.create(scope.context.new_stream_id("order"), cmd.customer_id, items)
    scope.save(order)
    return order.id


def add_order_item(cmd: c.AddOrderItem, scope: CommandScope) -> str:
    order = load_for_command(scope, "order", cmd.order_id, cmd.expected_version)
    product = load_for_command(scope, "product", cmd.product_id)
    order.add_item(product.id, cmd.quantity, product.state.price)
    scope.save(order)
    return order.id


def _order_step(action: Callable[[Order, Any], None]):
    def handler(cmd, scope: CommandScope) -> str:
        order = load_for_command(scope, "order", cmd.order_id, cmd.expected_version)
        action(order, cmd)
        scope.save(order)
        return order.id
    return handler


HANDLERS = {
    c.RegisterCustomer: register_customer,
    c.ChangeCustomerEmail: change_customer_email,
    c.AddProduct: add_product,
    c.ChangeProductPrice: change_product_price,
    c.CreateOrder: create_order,
    c.AddOrderItem: add_order_item,
    c.ConfirmOrder: _order_step(lambda o, cmd: o.confirm()),
    c.ReceivePayment: _order_step(lambda o, cmd: o.receive_payment(cmd.amount)),
    c.ShipOrder: _order_step(lambda o, cmd: o.ship(cmd.tracking_number)),
    c.CancelOrder: _order_step(lambda o, cmd: o.cancel(cmd.reason)),
}
