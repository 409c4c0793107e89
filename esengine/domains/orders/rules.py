"""The Orders domain's rules for what-if replay: the command method that decides each event, again."""
from __future__ import annotations

from esengine.domains.orders.aggregates import Customer, Order, Product
from esengine.timetravel.rules import RuleBook


def register_rules(rules: RuleBook) -> None:
    """Tell what-if which command method raises each decided event of orders, products and customers."""
    rules.register(Order, "OrderItemAdded", lambda o, e: o.add_item(e.product_id, e.quantity, e.unit_price))
    rules.register(Order, "OrderConfirmed", lambda o, e: o.confirm())
    rules.register(Order, "PaymentReceived", lambda o, e: o.receive_payment(e.amount))
    rules.register(Order, "OrderShipped", lambda o, e: o.ship(e.tracking_number))
    rules.register(Order, "OrderCancelled", lambda o, e: o.cancel(e.reason))
    rules.register(Product, "ProductPriceChanged", lambda p, e: p.change_price(e.new_price))
    rules.register(Customer, "CustomerEmailChanged", lambda c, e: c.change_email(e.email))
