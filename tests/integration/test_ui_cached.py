"""ui/cached.py: lists shared between sessions are computed once per state of the store and never go stale."""
from __future__ import annotations

import pytest
import streamlit as st

from esengine.browsing.streams import stream_types as uncached_stream_types
from esengine.domains.orders.commands import ALL_COMMANDS
from esengine.forms import reference_options as uncached_options
from ui import cached


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def test_a_customer_registered_now_is_offered_at_once(demo_engine):
    before = cached.reference_options(demo_engine, "customer")
    assert before == uncached_options(demo_engine, "customer")
    demo_engine.commands.submit("RegisterCustomer", {"name": "Aaron Aardvark", "email": "aaron@example.com"})
    after = cached.reference_options(demo_engine, "customer")
    assert len(after) == len(before) + 1
    assert any(o.label.startswith("Aaron Aardvark") for o in after)


def test_between_writes_every_session_gets_the_same_answer_without_asking_the_store(demo_engine, monkeypatch):
    first = cached.stream_types(demo_engine)
    assert first == uncached_stream_types(demo_engine.store)

    def refuse(*args, **kwargs):
        raise AssertionError("the store was asked again although nothing was written")
    monkeypatch.setattr(cached, "_stream_types", refuse)
    monkeypatch.setattr(cached, "_overview", refuse)
    assert cached.stream_types(demo_engine) == first
    first.append("changed by a page")  # a page that changes its list does not change another session's
    assert "changed by a page" not in cached.stream_types(demo_engine)
    with pytest.raises(AssertionError):
        cached.overview(demo_engine)  # (not cached yet, so it does ask)


def test_the_overview_follows_a_command(demo_engine):
    events = cached.overview(demo_engine).events
    demo_engine.commands.submit("RegisterCustomer", {"name": "Bea Bee", "email": "bea@example.com"})
    assert cached.overview(demo_engine).events == events + 1


def test_command_forms_are_built_once_per_server():
    forms = cached.command_forms(tuple(ALL_COMMANDS), "orders")
    assert forms is cached.command_forms(tuple(ALL_COMMANDS), "orders")
    assert forms["CreateOrder"].title == "Create an order"


def test_a_stream_written_now_leads_the_stream_list(demo_engine):
    cached.search_streams(demo_engine, None, ("customer",), limit=5)
    result = demo_engine.commands.submit("RegisterCustomer", {"name": "Cy Cat", "email": "cy@example.com"})
    assert cached.search_streams(demo_engine, None, ("customer",), limit=5).rows["stream_id"][0] == result.stream_id


def test_a_shared_chart_is_built_once_per_state_of_the_store_and_again_after_a_write(demo_engine):
    from esengine.store.filters import EventFilter
    from ui.analytics_views import volume_chart
    customers = EventFilter(stream_types=("customer",))
    volume, figure = cached.shared(demo_engine, volume_chart, customers, "event_type", "day")
    assert cached.shared(demo_engine, volume_chart, customers, "event_type", "day")[1] is figure  # another session
    orders = cached.shared(demo_engine, volume_chart, EventFilter(stream_types=("order",)), "event_type", "day")
    assert set(orders[0].keys) != set(volume.keys)  # other arguments, another chart
    demo_engine.commands.submit("RegisterCustomer", {"name": "Di Dove", "email": "di@example.com"})
    after, redrawn = cached.shared(demo_engine, volume_chart, customers, "event_type", "day")
    assert redrawn is not figure and after.frame["events"].sum() == volume.frame["events"].sum() + 1
