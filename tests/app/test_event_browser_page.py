"""The Event browser page through AppTest: filters, paging, deep links, event detail and causation."""
import pytest

from esengine import Engine
from esengine.store.filters import EventFilter
from tests.conftest import app_test


def browser(tab: str | None = None, **params):
    """The page on a first visit with ``params`` in the URL, on its ``tab`` (only the open tab's code runs)."""
    at = app_test("pages/event_browser.py")
    for k, v in params.items():
        at.query_params[k] = v
    if tab:
        at.session_state["events_tabs"] = tab
    at.run()
    assert not at.exception
    return at


def open_tab(at, tab: str):
    """What a click on the tab does: the page runs again with that tab open."""
    at.session_state["events_tabs"] = tab
    return at.run()


def events_shown(at):
    return at.dataframe[0].value


def test_the_newest_events_come_first_with_the_number_that_match(app_env):
    with Engine(app_env) as e:
        total, newest = e.store.count(), e.store.last_position()
    at = browser()
    assert f"**{total:,}** matching events" in at.markdown[0].value
    shown = events_shown(at)
    assert shown["position"].iloc[0] == newest and len(shown) == 50
    assert shown["occurred"].iloc[0].endswith("UTC")


def test_filtering_by_event_type_shows_only_that_type_and_older_pages_continue(app_env):
    at = browser()
    at.multiselect(key="events_event_type").select("OrderShipped").run()
    first = events_shown(at)
    assert set(first["event_type"]) == {"OrderShipped"}
    at.button(key="events_older").click().run()
    second = events_shown(at)
    assert set(second["event_type"]) == {"OrderShipped"}
    assert second["position"].max() < first["position"].min()
    at.button(key="events_newer").click().run()
    assert list(events_shown(at)["position"]) == list(first["position"])


def test_a_filter_link_fills_the_filters_and_filters_the_events(app_env):
    at = browser(stream="order-*", event_type="OrderCancelled,OrderShipped", text="trk-")
    assert at.text_input(key="events_stream").value == "order-*"
    assert at.multiselect(key="events_event_type").value == ["OrderCancelled", "OrderShipped"]
    assert set(events_shown(at)["event_type"]) == {"OrderShipped"}  # only shipments mention a tracking number
    assert at.query_params["stream"] == "order-*"  # the address bar keeps the link's filter
    assert at.query_params["event_type"] == "OrderCancelled,OrderShipped"


def test_an_event_link_shows_its_data_metadata_links_and_causation_tree(app_env):
    with Engine(app_env) as e:
        event = e.store.read_all(where=EventFilter(event_types=("OrderConfirmed",)), limit=1)[0]
    at = browser(event=str(event.position))
    assert at.subheader[0].value == f"Event {event.position}: OrderConfirmed"
    markdown = " ".join(m.value for m in at.markdown)
    assert f"time_travel?stream={event.stream_id}&version={event.version}" in markdown
    assert f"commands?again={event.position}" in markdown
    assert "command **ConfirmOrder**" in markdown and "⟵ **this event**" in markdown
    assert "command **CreateOrder**" in markdown  # the chain reaches back to the order's first command
    assert at.json[0].value  # data


def test_a_filter_that_matches_nothing_says_so(app_env):
    at = browser(stream="order-none", text="nothing like this")
    assert "There is no stream 'order-none'" in at.info[0].value


def test_a_link_to_an_event_that_does_not_exist_says_so(app_env):
    at = browser(event="987654321")
    assert "There is no event with position 987654321." in [i.value for i in at.info]


def test_an_unreadable_link_names_the_field_it_fills(app_env):
    at = browser(**{"from": "last tuesday"})
    assert at.text_input(key="events_from").value == "last tuesday"
    assert "**Occurred from**: 'last tuesday' is not a date" in " ".join(m.value for m in at.markdown)
    assert "link" not in at.error[0].value


def messages(at) -> str:
    return " ".join([e.value for e in at.error] + [m.value for m in at.markdown])


@pytest.mark.parametrize("key, bad, field, good", [
    ("events_from", "yesterday!", "Occurred from", "2026-05-25"),
    ("events_from", "31/05/2026", "Occurred from", "2026-05-25T12:00Z"),
    ("events_to", "2026-13-40", "Occurred before", "2026-05-31"),
    ("events_stream", "order-" + "x" * 300, "Stream", "order-*"),
    ("events_correlation", "c" * 201, "Correlation id", ""),
    ("events_text", "t" * 500, "Text inside the data", "TRK-"),
])
def test_a_bad_value_in_a_filter_field_is_named_and_correcting_it_shows_the_events(app_env, key, bad, field, good):
    at = browser()
    at.text_input(key=key).input(bad).run()
    assert not at.exception
    assert f"**{field}**" in messages(at) and "link" not in messages(at)
    assert not at.dataframe  # nothing is filtered by a value that could not be read
    at.text_input(key=key).input(good).run()
    assert not at.exception and not at.error, messages(at)
    assert len(events_shown(at)) > 0
    open_tab(at, "Swimlanes")
    assert at.multiselect(key="events_lanes").value  # the swimlanes are back too


def test_an_end_before_the_start_is_refused_and_a_later_end_is_taken(app_env):
    at = browser()
    at.text_input(key="events_from").input("2026-05-20").run()
    at.text_input(key="events_to").input("2026-05-10").run()
    assert "**Occurred before**: 2026-05-10T00:00:00Z is not after Occurred from" in messages(at)
    at.text_input(key="events_to").input("2026-05-21").run()
    shown = events_shown(at)
    assert not at.error and shown["occurred"].str.startswith("2026-05-20").all()


def test_yesterday_and_today_are_read_as_utc_days(app_env):
    with Engine(app_env) as e:
        e.commands.submit("AddProduct", {"name": "Typed-today kettle", "price": 20})
    at = browser()
    at.text_input(key="events_from").input("yesterday").run()
    assert not at.error and "Typed-today kettle" in " ".join(events_shown(at)["data"])
    at.text_input(key="events_to").input("today").run()
    assert not at.error and any("No event matches" in i.value for i in at.info)  # it happened today, not before


def test_the_address_bar_follows_the_filters_as_they_change(app_env):
    at = browser()
    at.text_input(key="events_stream").input("order-*").run()
    at.multiselect(key="events_event_type").select("OrderShipped").run()
    at.text_input(key="events_from").input("2026-05-01").run()
    assert at.query_params["stream"] == "order-*" and at.query_params["event_type"] == "OrderShipped"
    assert at.query_params["from"] == "2026-05-01"
    at.text_input(key="events_stream").input("").run()
    assert "stream" not in at.query_params


def test_the_stream_search_lists_matching_streams_with_counts_and_links(app_env):
    at = browser(tab="Streams")
    at.text_input(key="events_stream_search").input("customer-").run()
    streams = at.dataframe[-1].value  # the Streams tab is open: its table is the only one
    assert len(streams) > 0 and all(s.startswith("customer-") for s in streams["stream_id"])
    assert set(streams["events"]) >= {1}
    assert streams["time_travel"].iloc[0].startswith("time_travel?stream=customer-")


def test_the_live_tail_shows_a_new_event_on_its_next_run_and_can_be_paused(app_env):
    at = browser()
    assert all(d.key != "events_tail_table" for d in at.dataframe)  # a closed tab's code does not run
    open_tab(at, "Live tail")
    before = at.dataframe[-1].value  # the live tail is the page's last table
    with Engine(app_env) as e:
        e.commands.submit("AddProduct", {"name": "Tail test kettle", "price": 20})
        newest = e.store.last_position()
    at.run()
    assert at.dataframe[-1].value["position"].iloc[0] == newest > before["position"].max()
    at.toggle(key="events_tail_paused").set_value(True).run()
    assert any(c.value.startswith("Paused.") for c in at.caption)


def test_swimlanes_show_the_streams_of_the_opened_events_correlation(app_env):
    with Engine(app_env) as e:
        event = e.store.read_all(where=EventFilter(event_types=("OrderConfirmed",)), limit=1)[0]
    at = browser(tab="Swimlanes", event=str(event.position))
    assert at.multiselect(key="events_lanes").value == [event.stream_id]
    assert len(at.get("plotly_chart")) == 1


def test_a_malformed_event_link_is_named_and_the_events_still_show(app_env):
    at = browser(event="12abc")
    assert any("not a position" in e.value for e in at.error)
    assert "'12abc' is not a whole number" in " ".join(m.value for m in at.markdown)
    assert len(events_shown(at)) == 50


def test_a_stream_link_shows_only_that_streams_events(app_env):
    with Engine(app_env) as e:
        stream_id = e.store.stream_ids(stream_type="order", limit=1)[0]
        version = e.store.current_version(stream_id)
    at = browser(stream=stream_id)
    shown = events_shown(at)
    assert set(shown["stream_id"]) == {stream_id}
    assert list(shown["version"]) == list(range(version, 0, -1))


def test_the_hash_chain_is_checked_up_to_an_event_and_an_edit_behind_the_engines_back_is_named(app_env):
    with Engine(app_env) as e:
        first, later = e.store.read_all(limit=2, where=EventFilter(event_types=("OrderConfirmed",)))
    at = browser(event=str(later.position))
    at.button(key=f"event_browser_chain_{later.position}_button").click().run()
    assert "The hash chain holds" in at.success[0].value
    with Engine(app_env) as e:  # someone edits an earlier event with SQL, behind the engine's back
        e.writer.run(lambda cur: cur.execute("UPDATE events SET data = json_object('order_id', 'forged') "
                                             "WHERE position = ?", [first.position]))
    at = browser(event=str(later.position))
    at.button(key=f"event_browser_chain_{later.position}_button").click().run()
    assert f"The event at position {first.position:,} is not as it was recorded" in at.error[0].value
