"""Event types, schema versions and upcasting."""
from datetime import datetime

import pytest

from esengine.core.events import EventRegistry, StoredEvent
from esengine.domains.orders.events import ALL_EVENTS, ProductPriceChanged, upcast_price_v1
from esengine.errors import EsEngineError


def stored(event_type, schema_version, data):
    now = datetime(2026, 1, 1)
    return StoredEvent(1, "00000000-0000-0000-0000-000000000001", "product-1", "product", 1, event_type,
                       schema_version, data, {}, now, now)


def registry():
    r = EventRegistry()
    r.register(*ALL_EVENTS)
    r.register_upcaster("ProductPriceChanged", 1, upcast_price_v1)
    return r


def test_an_event_stored_as_v1_is_read_as_v2():
    event = registry().to_domain(stored("ProductPriceChanged", 1, {"product_id": "product-1", "price": 12.5}))
    assert isinstance(event, ProductPriceChanged)
    assert event.new_price == 12.5 and event.old_price is None


def test_a_current_event_is_read_unchanged():
    event = registry().to_domain(stored("ProductPriceChanged", 2,
                                        {"product_id": "product-1", "old_price": 10, "new_price": 11}))
    assert (event.old_price, event.new_price) == (10, 11)


def test_a_missing_upcaster_is_named_in_the_error():
    r = EventRegistry()
    r.register(*ALL_EVENTS)
    with pytest.raises(EsEngineError, match="register_upcaster\\('ProductPriceChanged', 1"):
        r.to_domain(stored("ProductPriceChanged", 1, {"product_id": "p", "price": 1}))


def test_unknown_event_types_are_reported():
    with pytest.raises(EsEngineError, match="No event class"):
        registry().to_domain(stored("SomethingImported", 1, {}))
