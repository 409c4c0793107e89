"""The Order aggregate and the catalogue's Customer and Product, with the rules a shop would have."""
from __future__ import annotations

from enum import Enum

from pydantic import BaseModel

from esengine.core.aggregate import Aggregate, applies
from esengine.domains.orders import events as ev


def money(amount: float) -> float:
    return round(float(amount), 2)


class OrderStatus(str, Enum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    PAID = "paid"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class OrderState(BaseModel):
    customer_id: str | None = None
    items: list[ev.LineItem] = []
    total: float = 0.0
    status: OrderStatus | None = None
    paid_amount: float = 0.0
    tracking_number: str | None = None
    cancel_reason: str | None = None


class ShopAggregate(Aggregate):
    """What the shop's aggregates share: amounts and quantities are positive."""

    def _positive(self, value: float, what: str) -> None:
        self.check_rule(value is not None and value > 0, f"{what} positive",
                        f"The {what} must be positive (got {value}).")


class Order(ShopAggregate):
    aggregate_type = "order"
    State = OrderState
    state: OrderState

    @classmethod
    def create(cls, order_id: str, customer_id: str, items: list[ev.LineItem]) -> Order:
        order = cls(order_id)
        order.check_rule(bool(items), "an order has at least one item", "An order needs at least one item.")
        for item in items:
            order._positive(item.quantity, "quantity")
            order._positive(item.unit_price, "unit price")
        total = money(sum(i.quantity * i.unit_price for i in items))
        order.raise_event(ev.OrderCreated(order_id=order_id, customer_id=customer_id, items=items, total=total))
        return order

    def add_item(self, product_id: str, quantity: int, unit_price: float) -> None:
        self._require(OrderStatus.PENDING, "Only a pending order takes items")
        self._positive(quantity, "quantity")
        self._positive(unit_price, "unit price")
        self.raise_event(ev.OrderItemAdded(order_id=self.id, product_id=product_id, quantity=quantity,
                                           unit_price=money(unit_price)))

    def confirm(self) -> None:
        self._require(OrderStatus.PENDING, "Only a pending order can be confirmed")
        self.raise_event(ev.OrderConfirmed(order_id=self.id))

    def receive_payment(self, amount: float) -> None:
        self._positive(amount, "amount")
        self._require(OrderStatus.CONFIRMED, "Only a confirmed, unpaid order takes a payment")
        self.check_rule(money(amount) == money(self.state.total), "payment matches the total",
                        f"The payment of {money(amount):.2f} does not match the order total of {self.state.total:.2f}.")
        self.raise_event(ev.PaymentReceived(order_id=self.id, amount=money(amount)))

    def ship(self, tracking_number: str) -> None:
        self.check_rule(self.state.status not in (OrderStatus.PENDING, OrderStatus.CONFIRMED), "nothing ships unpaid",
                        "Nothing ships unpaid: this order has not been paid yet.")
        self._require(OrderStatus.PAID, "Only a paid order can be shipped")
        self.check_rule(bool(tracking_number.strip()), "a shipment has a tracking number",
                        "A shipment needs a tracking number.")
        self.raise_event(ev.OrderShipped(order_id=self.id, tracking_number=tracking_number.strip()))

    def cancel(self, reason: str) -> None:
        self.check_rule(self.state.status != OrderStatus.SHIPPED, "a shipped order cannot be cancelled",
                        "A shipped order cannot be cancelled.")
        self.check_rule(self.state.status != OrderStatus.CANCELLED, "cancel only once",
                        "This order is already cancelled.")
        self.check_rule(bool(reason.strip()), "a cancellation has a reason",
                        "Say why the order is cancelled: a reason is required.")
        self.raise_event(ev.OrderCancelled(order_id=self.id, reason=reason.strip()))

    def _require(self, status: OrderStatus, rule: str) -> None:
        now = self.state.status.value if self.state.status else "not created"
        self.check_rule(self.state.status == status, rule.lower(), f"{rule}; this order is {now}.")

    @applies(ev.OrderCreated)
    def _created(self, e: ev.OrderCreated) -> None:
        self.state.customer_id, self.state.items = e.customer_id, list(e.items)
        self.state.total, self.state.status = e.total, OrderStatus.PENDING

    @applies(ev.OrderItemAdded)
    def _item_added(self, e: ev.OrderItemAdded) -> None:
        self.state.items = [*self.state.items, ev.LineItem(product_id=e.product_id, quantity=e.quantity,
                                                             unit_price=e.unit_price)]
        self.state.total = money(self.state.total + e.quantity * e.unit_price)

    @applies(ev.OrderConfirmed)
    def _confirmed(self, e: ev.OrderConfirmed) -> None:
        self.state.status = OrderStatus.CONFIRMED

    @applies(ev.PaymentReceived)
    def _paid(self, e: ev.PaymentReceived) -> None:
        self.state.status, self.state.paid_amount = OrderStatus.PAID, e.amount

    @applies(ev.OrderShipped)
    def _shipped(self, e: ev.OrderShipped) -> None:
        self.state.status, self.state.tracking_number = OrderStatus.SHIPPED, e.tracking_number

    @applies(ev.OrderCancelled)
    def _cancelled(self, e: ev.OrderCancelled) -> None:
        self.state.status, self.state.cancel_reason = OrderStatus.CANCELLED, e.reason


class CustomerState(BaseModel):
    name: str = ""
    email: str = ""


class Customer(Aggregate):
    aggregate_type = "customer"
    State = CustomerState
    state: CustomerState

    @classmethod
    def register(cls, customer_id: str, name: str, email: str) -> Customer:
        customer = cls(customer_id)
        customer.raise_event(ev.CustomerRegistered(customer_id=customer_id, name=name, email=email))
        return customer

    def change_email(self, email: str) -> None:
        self.check_rule(email != self.state.email, "the email changes", "That is already the customer's email.")
        self.raise_event(ev.CustomerEmailChanged(customer_id=self.id, email=email))

    @applies(ev.CustomerRegistered)
    def _registered(self, e: ev.CustomerRegistered) -> None:
        self.state.name, self.state.email = e.name, e.email

    @applies(ev.CustomerEmailChanged)
    def _email(self, e: ev.CustomerEmailChanged) -> None:
        self.state.email = e.email


class ProductState(BaseModel):
    name: str = ""
    price: float = 0.0


class Product(ShopAggregate):
    aggregate_type = "product"
    State = ProductState
    state: ProductState

    @classmethod
    def add(cls, product_id: str, name: str, price: float) -> Product:
        product = cls(product_id)
        product._positive(price, "price")
        product.raise_event(ev.ProductAdded(product_id=product_id, name=name, price=money(price)))
        return product

    def change_price(self, new_price: float) -> None:
        self._positive(new_price, "price")
        self.check_rule(money(new_price) != self.state.price, "the price changes",
                        f"The price is already {self.state.price:.2f}.")
        self.raise_event(ev.ProductPriceChanged(product_id=self.id, old_price=self.state.price,
                                                new_price=money(new_price)))

    @applies(ev.ProductAdded)
    def _added(self, e: ev.ProductAdded) -> None:
        self.state.name, self.state.price = e.name, e.price

    @applies(ev.ProductPriceChanged)
    def _price(self, e: ev.ProductPriceChanged) -> None:
        self.state.price = e.new_price

