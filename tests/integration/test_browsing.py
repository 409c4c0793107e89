"""The event browser's queries on a real demo store: stream search, pages, detail, causation, tail, lanes."""
from datetime import datetime

import pytest

from esengine.application.context import CommandContext
from esengine.browsing import (causation_chain, count_matching, event_detail, event_page, events_after, search_streams,
                               streams_touched, swimlane_events)
from esengine.domains.orders import commands as c
from esengine.errors import NotFound, ValidationError
from esengine.store.filters import EventFilter


def an_order_with_follow_ups(store):
    """An order stream whose correlation holds several commands (created, confirmed, ...)."""
    row = store.cursor().execute("""SELECT stream_id FROM events WHERE stream_type = 'order'
        GROUP BY stream_id HAVING max(version) >= 4 ORDER BY stream_id LIMIT 1""").fetchall()
    return store.get_events(row[0][0])


def test_stream_search_by_prefix_counts_each_streams_events(demo_engine):
    store = demo_engine.store
    found = search_streams(store, "order-0", limit=500).rows
    assert len(found) > 0 and all(s.startswith("order-0") for s in found["stream_id"])
    sample = found.iloc[0]
    assert sample["events"] == store.count(EventFilter(stream_id=sample["stream_id"]))
    assert sample["version"] == store.current_version(sample["stream_id"])


def test_stream_search_takes_wildcards_and_a_type_and_lists_the_latest_active_first(demo_engine):
    found = search_streams(demo_engine.store, "*a*", ("customer",), limit=30).rows
    assert set(found["stream_type"]) == {"customer"} and all("a" in s for s in found["stream_id"])
    assert len(found) == 30 and list(found["last_position"]) == sorted(found["last_position"], reverse=True)


def test_a_search_that_matches_nothing_gives_an_empty_page(demo_engine):
    page = search_streams(demo_engine.store, "no-such-stream-")
    assert page.rows.empty and not page.has_more


def test_pages_of_events_cover_every_match_once_newest_first(demo_engine):
    store = demo_engine.store
    flt = EventFilter(event_types=("OrderShipped",), occurred_from=datetime(2026, 4, 1))
    seen, before = [], None
    while True:
        page = event_page(store, flt, before=before, size=100)
        seen += list(page.rows["position"])
        assert set(page.rows["event_type"]) <= {"OrderShipped"}
        if page.next_before is None:
            break
        before = page.next_before
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == store.count(flt) > 100


def test_events_filter_by_correlation_text_and_time(demo_engine):
    store = demo_engine.store
    event = an_order_with_follow_ups(store)[0]
    correlation = event.metadata["correlation_id"]
    rows = event_page(store, EventFilter(correlation_id=correlation)).rows
    assert event.position in set(rows["position"])
    assert all(correlation in m for m in rows["metadata"])
    tracked = event_page(store, EventFilter(text="trk-")).rows
    assert not tracked.empty and all("TRK-" in d for d in tracked["data"])
    window = EventFilter(occurred_from=event.occurred_at, occurred_to=event.occurred_at.replace(microsecond=0))
    assert event_page(store, window).empty  # "to" is exclusive and before "from"


def test_event_detail_names_the_command_that_produced_the_event(demo_engine):
    event = an_order_with_follow_ups(demo_engine.store)[1]
    detail = event_detail(demo_engine.store, event.position)
    assert detail.event == event
    assert detail.command["command_type"] == event.metadata["command"]
    assert detail.stream_version == demo_engine.store.current_version(event.stream_id)


def test_a_missing_event_is_not_found(demo_engine):
    with pytest.raises(NotFound):
        event_detail(demo_engine.store, 10**9)


def test_the_causation_chain_runs_from_the_first_command_through_its_events_to_follow_up_commands(demo_engine):
    events = an_order_with_follow_ups(demo_engine.store)
    roots = causation_chain(demo_engine.store, events[0].metadata["correlation_id"])
    creating = next(r for r in roots if r.label == "CreateOrder")
    created = creating.children[0]
    assert (created.kind, created.position) == ("event", events[0].position)
    follow_ups = [n for n in created.children if n.kind == "command"]
    assert "ConfirmOrder" in [n.label for n in follow_ups]
    assert all(child.stream_id == events[0].stream_id for n in follow_ups for child in n.children)
    in_tree = {n.position for r in roots for _, n in r.walk() if n.kind == "event"}
    assert {e.position for e in events} <= in_tree


def test_refused_commands_of_a_correlation_appear_with_their_reason(demo_engine):
    context = CommandContext(user_id="tester", correlation_id="corr-refused")
    order = demo_engine.store.get_events(an_order_with_follow_ups(demo_engine.store)[0].stream_id)
    with pytest.raises(ValidationError):
        demo_engine.commands.submit("CancelOrder", {"order_id": order[0].stream_id, "reason": "x"}, context)
    roots = causation_chain(demo_engine.store, "corr-refused")
    assert [(r.label, r.outcome) for r in roots] == [("CancelOrder", "refused")] and roots[0].message


def test_every_stream_a_correlation_touched_is_listed(demo_engine):
    engine = demo_engine
    context = CommandContext(user_id="tester", correlation_id="corr-multi")
    customer = engine.commands.dispatch(c.RegisterCustomer(name="Lena", email="lena@example.com"), context).value
    product = engine.commands.dispatch(c.AddProduct(name="Cup", price=3.0), context).value
    order = engine.commands.dispatch(c.CreateOrder(customer_id=customer, items=[
        c.OrderLine(product_id=product, quantity=2)]), context).value
    touched = streams_touched(engine.store, "corr-multi")
    assert list(touched["stream_id"]) == [customer, product, order]
    assert list(touched["events"]) == [1, 1, 1]


def test_the_live_tail_returns_only_events_after_the_given_position(demo_engine):
    last = demo_engine.store.last_position()
    assert events_after(demo_engine.store, last) == []
    demo_engine.commands.dispatch(c.AddProduct(name="Filter", price=2.5))
    new = events_after(demo_engine.store, last)
    assert [e.event_type for e in new] == ["ProductAdded"] and new[0].position == last + 1


def test_swimlanes_hold_the_chosen_streams_in_time_order(demo_engine):
    streams = list(search_streams(demo_engine.store, "order-", limit=3).rows["stream_id"])
    lanes = swimlane_events(demo_engine.store, streams)
    assert set(lanes["stream_id"]) == set(streams)
    assert list(lanes["occurred_at"]) == sorted(lanes["occurred_at"])
    assert swimlane_events(demo_engine.store, []).empty


@pytest.mark.parametrize("window", [1, 500, 10**9])
def test_a_text_search_pages_the_same_whether_it_reads_recent_events_first_or_not(demo_engine, window):
    store = demo_engine.store
    flt = EventFilter(text="trk-", occurred_from=datetime(2026, 3, 1))
    seen, before = [], None
    while True:
        page = event_page(store, flt, before=before, size=40, recent_window=window)
        seen += list(page.rows["position"])
        if page.next_before is None:
            break
        before = page.next_before
    expected = [e.position for e in store.read_all(where=flt, limit=None, descending=True)]
    assert seen == expected and len(expected) > 40


@pytest.mark.parametrize("text", ["TRK-1", "trk-9", "@EXAMPLE.com", "Order-", "zzz-000"])
def test_counting_matches_agrees_with_the_store(demo_engine, text):
    flt = EventFilter(text=text)
    assert count_matching(demo_engine.store, flt) == demo_engine.store.count(flt)
