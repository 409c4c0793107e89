"""Event browser: find any event fast, read it, and follow what caused it and what it caused."""
import io
from urllib.parse import urlencode

import streamlit as st

from esengine.browsing import (count_matching, event_detail, event_page, events_after, filter_from_params,
                               filter_to_params, parse_position, streams_touched, swimlane_events)
from esengine.errors import ValidationError
from esengine.interchange.export import Format, export_events
from ui import cached
from ui.downloads import download_button
from ui.engine import get_engine
from ui.event_views import event_detail_view, event_table, link, swimlane_chart
from ui.feedback import plain_errors, show_error
from ui.formatting import local_and_utc
from ui.navigation import stay_on_the_router
from ui.url_state import Param, publish, restore

S = st.session_state
PAGE_SIZE = 50


def filter_params(engine) -> list[Param]:
    """The filter fields and their names in the URL (the same names as every link to this page)."""
    return [Param("stream", "events_stream"),
            Param.listed("stream_type", "events_stream_type", cached.stream_types(engine)),
            Param.listed("event_type", "events_event_type", cached.event_types(engine)), Param("from", "events_from"),
            Param("to", "events_to"), Param("correlation", "events_correlation"), Param("text", "events_text"),
            Param("event", "events_linked_event")]


def filter_widgets(engine) -> None:
    """The filter fields; what a person types is read (and checked) by ``filter_from_params``."""
    c = st.columns([2, 2, 3])
    c[0].text_input("Stream", key="events_stream", placeholder="an exact id, or order-*")
    c[1].multiselect("Stream type", cached.stream_types(engine), key="events_stream_type")
    c[2].multiselect("Event type", cached.event_types(engine), key="events_event_type")
    c = st.columns([2, 2, 2, 2])
    c[0].text_input("Occurred from (UTC)", key="events_from", placeholder="2026-11-30, 2026-11-30T12:00Z or yesterday",
                    help="A date, a time (UTC unless it names a zone), today or yesterday.")
    c[1].text_input("Occurred before (UTC)", key="events_to", placeholder="2026-12-01 or today",
                    help="The first moment not shown: a date, a time, today or yesterday.")
    c[2].text_input("Correlation id", key="events_correlation")
    c[3].text_input("Text inside the data", key="events_text", placeholder="e.g. TRK- or an email")


def paging(signature: str) -> int | None:
    """The ``before`` position of the page on show; a changed filter starts again at the newest."""
    if S.get("events_filter_seen") != signature:
        S["events_filter_seen"], S["events_pages"] = signature, [None]
    return S["events_pages"][-1]


def export_buttons(store, flt) -> None:
    """Download buttons; the file is written only when one is pressed."""
    def produce(fmt: Format):
        def run() -> bytes:
            out = io.BytesIO()
            export_events(store, flt, fmt, out)
            return out.getvalue()
        return run
    c = st.columns(2)
    with c[0]:
        download_button("Export the filtered events as CSV", produce("csv"), "events.csv", "text/csv",
                        key="events_export_csv")
    with c[1]:
        download_button("… as JSON lines", produce("jsonl"), "events.jsonl", "application/jsonl",
                        key="events_export_jsonl")


def events_tab(store, flt) -> int | None:
    """The filtered, paged table; returns the position of the row the user selected, if any."""
    params = filter_to_params(flt)
    before = paging(urlencode(params))
    page = event_page(store, flt, before=before, size=PAGE_SIZE)
    total = count_matching(store, flt)
    st.markdown(f"**{total:,}** matching events, newest first. The address bar holds this filter: copy it to "
                "share what you see.")
    if page.empty:
        missing = f"There is no stream '{flt.stream_id}'. " if flt.stream_id and not store.count(
            flt.with_(**{f: None for f in ("occurred_from", "occurred_to", "correlation_id", "text")})) else ""
        st.info(missing + "No event matches this filter. Widen the time range, clear a field, or check the ids.")
        return None
    shown = event_table(page.rows)
    selection = st.dataframe(shown, hide_index=True, on_select="rerun", selection_mode="single-row",
                             key="events_table", height=420)
    c = st.columns([1, 1, 4])
    if c[0].button("← Newer", key="events_newer", disabled=len(S["events_pages"]) == 1):
        S["events_pages"].pop()
        st.rerun()
    if c[1].button("Older →", key="events_older", disabled=page.next_before is None):
        S["events_pages"].append(page.next_before)
        st.rerun()
    c[2].caption(f"Page {len(S['events_pages'])}, {PAGE_SIZE} events a page. Select a row to see the event.")
    export_buttons(store, flt)
    rows = selection.selection.rows if selection else []
    return int(shown["position"].iloc[rows[0]]) if rows else None


def streams_tab(engine) -> None:
    c = st.columns([3, 2])
    search = c[0].text_input("Stream id starts with (or a pattern with * and ?)", key="events_stream_search",
                             placeholder="order-, customer-*, *a1b2*")
    types = c[1].multiselect("Stream type", cached.stream_types(engine), key="events_stream_search_type")
    found = cached.search_streams(engine, search, tuple(types), limit=100)
    if found.rows.empty:
        st.info("No stream matches. A search is a prefix unless it holds * or ?.")
        return
    rows = found.rows
    for column in ("last_occurred_at", "last_recorded_at"):
        rows[column] = rows[column].map(lambda t: local_and_utc(t.to_pydatetime()))
    rows["events_link"] = rows["stream_id"].map(lambda s: link("event_browser", stream=s))
    rows["time_travel"] = [link("time_travel", stream=s, version=v) for s, v in zip(rows.stream_id, rows.version)]
    st.dataframe(rows.drop(columns=["first_occurred_at", "last_position"]), hide_index=True, key="events_streams_table",
                 column_config={"events_link": st.column_config.LinkColumn("browse", display_text="its events"),
                                "time_travel": st.column_config.LinkColumn("time travel", display_text="replay"),
                                "last_occurred_at": "last occurred", "last_recorded_at": "last recorded"})
    st.caption(("The 100 most recently active matching streams; narrow the search to see others."
                if found.has_more else f"{len(rows)} streams.") + " Newest activity first.")


def swimlanes_tab(engine, correlation: str | None, flt_types: tuple[str, ...] = ()) -> None:
    """The streams of the open event's correlation side by side (else the latest few), and any added."""
    store = engine.store
    latest = list(cached.search_streams(engine, stream_types=flt_types, limit=20).rows["stream_id"])
    # the lanes are chosen again for another event, and when the widget's state is gone (a run that stopped
    # at a bad filter drew no multiselect, so Streamlit dropped its value)
    if S.get("events_lanes_for", "unset") != correlation or "events_lanes" not in S:  # another event opened: its streams are the lanes
        S["events_lanes_for"] = correlation
        S["events_lanes"] = list(streams_touched(store, correlation)["stream_id"][:8]) if correlation else latest[:4]
    chosen = st.multiselect("Streams side by side (the 20 latest active are offered; type an id to add another)",
                            sorted(set(S["events_lanes"]) | set(latest)), key="events_lanes",
                            accept_new_options=True)
    frame = swimlane_events(store, chosen)
    if frame.empty:
        st.info("Choose one or more streams that have events.")
        return
    swimlane_chart(frame, key="events_swimlanes")


def live_tail(store) -> None:
    paused = st.toggle("Pause", key="events_tail_paused", help="New events stop appearing until you resume.")

    @st.fragment(run_every=None if paused else 2)
    def tail() -> None:
        start = S.setdefault("events_tail_from", max(0, store.last_position() - 20))
        new = events_after(store, start, limit=200)
        if new:
            S["events_tail_from"] = new[-1].position
            S["events_tail"] = (S.get("events_tail", []) + [
                {"position": e.position, "stream_id": e.stream_id, "version": e.version, "event_type": e.event_type,
                 "occurred": local_and_utc(e.occurred_at), "user": e.metadata.get("user_id")} for e in new])[-50:]
        st.caption(("Paused." if paused else "Checking every 2 s.")
                   + " Newest at the top; send a command to see it arrive.")
        st.dataframe(S.get("events_tail", [])[::-1], hide_index=True, key="events_tail_table")
    tail()


def show_detail(store, position):
    """One event's detail; a position that is malformed or missing gets a plain message instead."""
    with plain_errors():
        number = parse_position(str(position))
        if number is None:
            raise ValidationError("The link names no event: give its position, e.g. ?event=123.")
        detail = event_detail(store, number)
        event_detail_view(store, detail)
        return detail
    return None


stay_on_the_router()  # first, before anything is drawn (see its docstring)
st.title("Event browser")
st.caption("Every change is an event in one ordered log. Filter it, open an event, and follow its correlation: "
           "the command that started it, the events it produced and the commands that followed.")

with plain_errors():
    engine = get_engine()
    store = engine.store
    params = filter_params(engine)
    restore(params, "events_url_seen", clear_missing=True)
    linked_box = st.container()  # a deep link's event goes first: it is what the link is about
    filter_widgets(engine)
    typed = publish(params, "events_url_seen")
    try:
        flt = filter_from_params(typed)
    except ValidationError as e:
        show_error(e)
        st.stop()
    # Lazy tabs: only the open tab's code runs (the swimlanes' figure, the stream search and the live tail's
    # 2-s fragment cost every session on the page otherwise; docs/room-profile.md).
    events, streams, lanes, tail_tab = st.tabs(["Events", "Streams", "Swimlanes", "Live tail"], key="events_tabs",
                                               on_change="rerun")
    selected = detail = None
    if events.open:
        with events:
            selected = events_tab(store, flt)
            detail = show_detail(store, selected) if selected else None
    if selected:  # the event on show goes into the address bar, as a link to it would
        S["events_linked_event"] = str(selected)
        publish(params, "events_url_seen")
    elif S.get("events_linked_event"):
        with linked_box:
            detail = show_detail(store, S["events_linked_event"])
            st.divider()
    if streams.open:
        with streams:
            streams_tab(engine)
    if lanes.open:
        with lanes:
            swimlanes_tab(engine, detail.event.metadata.get("correlation_id") if detail else flt.correlation_id,
                          flt.stream_types)
    if tail_tab.open:
        with tail_tab:
            live_tail(store)
