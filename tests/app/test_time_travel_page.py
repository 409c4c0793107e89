"""The Time travel page through AppTest: pick a stream, move the cursor, compare, skip events, bad links."""
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from esengine import Engine
from tests.fixtures.time_travel_histories import import_tickets

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "time_travel.py")


@pytest.fixture
def streams(app_env):
    """A shipped order and a product of the demo copy (read before the app opens the file)."""
    with Engine(app_env) as engine:
        cur = engine.store.cursor()
        order = cur.execute("SELECT stream_id FROM events WHERE event_type = 'OrderShipped' "
                            "ORDER BY position LIMIT 1").fetchall()[0][0]
        product = cur.execute("SELECT stream_id FROM events WHERE stream_type = 'product' GROUP BY 1 "
                              "ORDER BY max(version) DESC LIMIT 1").fetchall()[0][0]
    return {"order": order, "product": product}


def open_page(**params) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = str(v)
    return at.run()


def heading(at) -> str:
    return at.subheader[0].value


def table(at, column: str):
    """The first table showing ``column``."""
    return next(d.value for d in at.table if column in d.value.columns)


def markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_page_opens_on_the_most_recent_stream_at_its_latest_version(streams):
    at = open_page()
    assert not at.exception
    stream = at.selectbox(key="tt_stream").value
    assert heading(at).endswith(f"of {int(at.slider(key='tt_slider').max)}")
    assert at.slider(key="tt_slider").value == at.slider(key="tt_slider").max
    assert at.query_params["stream"] in (stream, [stream])


def test_a_deep_link_restores_the_stream_and_version(streams):
    at = open_page(stream=streams["order"], version=2)
    assert not at.exception
    assert at.selectbox(key="tt_stream").value == streams["order"]
    assert heading(at) == "v2 · OrderConfirmed of 4"
    assert at.metric[0].value == "Confirmed"
    diff = table(at, "changed by")
    assert list(diff["field"]) == ["status"] and list(diff["changed by"]) == ["v2 OrderConfirmed"]


def test_a_deep_link_to_a_moment_opens_the_version_reached_then(streams, app_env):
    with Engine(app_env) as engine:
        confirmed = engine.store.get_events(streams["order"])[1].occurred_at
    at = open_page(stream=streams["order"], at=(confirmed + timedelta(seconds=1)).isoformat() + "Z")
    assert not at.exception
    assert heading(at) == "v2 · OrderConfirmed of 4"


def test_the_buttons_and_the_slider_move_the_cursor(streams):
    at = open_page(stream=streams["order"], version=2)
    at.button(key="tt_next").click().run()
    assert heading(at) == "v3 · PaymentReceived of 4"
    at.button(key="tt_first").click().run()
    assert heading(at).startswith("v0 · before the first event")
    at.button(key="tt_last").click().run()
    assert heading(at) == "v4 · OrderShipped of 4"
    at.slider(key="tt_slider").set_value(1).run()
    assert heading(at) == "v1 · OrderCreated of 4"
    assert at.query_params["version"] in ("1", ["1"])


def test_a_second_cursor_diffs_against_any_version(streams):
    at = open_page(stream=streams["order"], version=4)
    at.toggle(key="tt_compare_on").set_value(True).run()
    at.slider(key="tt_compare").set_value(1).run()
    fields = set(table(at, "changed by")["field"])
    assert {"status", "paid_amount", "tracking_number"} <= fields
    assert "What changed** from version 1 to 4" in markdown(at)


def test_the_time_mode_offers_the_dates_and_times_of_the_events(streams):
    at = open_page(stream=streams["order"], version=3)
    at.radio(key="tt_mode").set_value("time").run()
    assert not at.exception
    moments = at.select_slider(key="tt_moment").options
    assert len(moments) == 4 and moments == sorted(moments)  # one per event (the demo's are all distinct)
    assert heading(at) == "v3 · PaymentReceived of 4"
    at.button(key="tt_previous").click().run()
    assert heading(at) == "v2 · OrderConfirmed of 4"


def test_skipping_the_payment_shows_the_rule_the_shipment_would_break(streams):
    at = open_page(stream=streams["order"], version=4)
    at.toggle(key="tt_whatif_on").set_value(True).run()
    at.multiselect(key="tt_skip").set_value([3]).run()
    warnings = " ".join(w.value for w in at.warning)
    assert "v4 OrderShipped" in warnings and "nothing ships unpaid" in warnings
    whatif = table(at, "what-if")
    assert "status" in set(whatif["field"])


@pytest.mark.parametrize("params, message", [
    ({"stream": "order-doesnotexist", "version": 1}, "There is no stream 'order-doesnotexist'"),
    ({"version": 99}, "so there is no version 99"),
    ({"version": "two"}, "that is not a whole number"),
    ({"at": "2001-01-01T00:00:00Z"}, "before the first event"),
])
def test_a_bad_link_gets_a_plain_message_not_a_traceback(streams, params, message):
    params.setdefault("stream", streams["order"])
    at = open_page(**params)
    assert not at.exception
    shown = " ".join(x.value for x in [*at.error, *at.info, *at.warning])
    assert message in shown


def test_play_steps_forward_and_offers_pause(streams):
    at = open_page(stream=streams["order"], version=1)
    at.button(key="tt_play").click().run()
    assert not at.exception
    assert heading(at) == "v2 · OrderConfirmed of 4"  # the first step is taken at once; then one every 0.8 s
    assert at.button(key="tt_play").label == "Pause"
    at.button(key="tt_play").click().run()
    assert at.button(key="tt_play").label == "Play"


def test_a_stream_can_be_found_by_searching_its_id(streams):
    at = open_page()
    at.text_input(key="tt_search").set_value(streams["product"][:12]).run()
    assert streams["product"] in at.selectbox(key="tt_stream").options
    at.selectbox(key="tt_stream").set_value(streams["product"]).run()
    assert not at.exception
    assert at.query_params["stream"] in (streams["product"], [streams["product"]])


def test_a_stream_no_code_knows_is_shown_as_the_merge_of_its_events(app_env):
    with Engine(app_env) as engine:
        ticket = import_tickets(engine)
    at = open_page(stream=ticket, version=2)
    assert not at.exception
    assert "generic fold" in markdown(at)
    state = table(at, "value").set_index("field")["value"]
    assert state["owner.team"] == '"B"' and state["status"] == '"in progress"'


def test_a_corrupt_snapshot_is_named_on_the_page_and_the_state_is_still_shown(app_env, streams):
    with Engine(app_env) as engine:
        engine.snapshots.save(streams["order"], "order", 2, 1, {"items": "not a list"})
    at = open_page(stream=streams["order"], version=3)
    assert not at.exception
    assert any("snapshot" in w.value and "ignored" in w.value for w in at.warning)
    assert heading(at) == "v3 · PaymentReceived of 4"


def test_the_time_mode_of_a_long_stream_offers_sampled_moments_including_the_cursors(app_env):
    from esengine.domains.orders.samples import repriced_product
    with Engine(app_env) as engine:
        product = repriced_product(engine, 1500)
    at = open_page(stream=product, version=777)
    at.radio(key="tt_mode").set_value("time").run()
    assert not at.exception
    moments = at.select_slider(key="tt_moment").options
    assert len(moments) <= 1002
    assert at.select_slider(key="tt_moment").value.strftime("%Y-%m-%d %H:%M:%S") in moments
    assert heading(at) == "v777 · ProductPriceChanged of 1501"
