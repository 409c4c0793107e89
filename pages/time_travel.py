"""Time travel: watch any stream's state move through its history, event by event."""
import streamlit as st

from esengine.errors import ValidationError
from esengine.timetravel import fixture_json, generate_fixture, state_and_diff, state_at
from ui import time_travel_views as views
from ui.cached import search_streams, stream_types
from ui.downloads import download_button
from ui.engine import get_engine
from ui.feedback import plain_errors
from ui.navigation import stay_on_the_router

S = st.session_state
ANY = "any type"

stay_on_the_router()  # first, before anything is drawn (see its docstring)
st.title("Time travel")
st.caption("An event-sourced stream has no stored state: its state is the fold of its events. Move the cursor "
           "to see the state after any event, what that event changed, and what would differ without some events.")


def link_target() -> tuple[str | None, str | None, str | None]:
    """The view a deep link asks for, applied once per distinct link (the page rewrites the URL as you move).

    ``until=<condition>`` fills the breakpoint; with ``run=next|previous``, or without a version or moment, the
    cursor runs from the version (default 0) to where the condition becomes true."""
    p = st.query_params
    wanted = (p.get("stream"), p.get("version"), p.get("at"), p.get("until"), p.get("run"))
    # the URL this page wrote last, or an older one the browser sent back with a rerun: not a link to follow
    if wanted == S.get("tt_link") or wanted in S.get("tt_written", ()) or not wanted[0]:
        return None, None, None
    S["tt_link"] = wanted
    S["tt_stream"], S["tt_search"], S["tt_type"] = wanted[0], "", ANY
    stream, version, at, until, run = wanted
    if until:
        S["tt_until"], S["tt_stop"] = until, None
        if run in views.RUNS or (version is None and at is None):
            S["tt_run"], version = run or "next", version if version is not None or at else "0"
    return stream, version, at


def move(to: int | None = None, by: int = 0) -> None:
    S.tt_cursor = max(0, min(S.tt_latest, (S.tt_cursor if to is None else to) + by))


def toggle_play() -> None:
    S.tt_playing = not S.get("tt_playing", False)
    if S.tt_playing and S.tt_cursor >= S.tt_latest:
        S.tt_cursor = 0


def from_slider() -> None:
    S.tt_cursor = S.tt_slider


def from_moment() -> None:
    S.tt_cursor = views.version_at(S.tt_timeline, S.tt_moment, S.tt_axis)


ready = False
with plain_errors():
    engine = get_engine()
    _, link_version, link_at = link_target()
    c1, c2, c3 = st.columns([2, 1, 3])
    search = c1.text_input("Search stream ids", key="tt_search", placeholder="order-9f3 or *abc*",
                           help="A prefix, or a pattern with * and ?")
    kind = c2.selectbox("Stream type", [ANY, *stream_types(engine)], key="tt_type")
    found = search_streams(engine, search or None, () if kind == ANY else (kind,), limit=200).rows
    options = list(found["stream_id"])
    if S.get("tt_stream") and S["tt_stream"] not in options and not search and kind == ANY:
        options.insert(0, S["tt_stream"])  # a linked stream that is not among the most recent
    if not options:
        st.info("No stream matches. Clear the search or pick another type.")
        st.stop()
    stream = c3.selectbox("Stream (most recently active first)", options, key="tt_stream")

    tl = views.cached_timeline(engine, str(engine.path), stream, engine.store.last_position())
    S.tt_timeline, S.tt_latest = tl, tl.latest
    if S.get("tt_current") != stream:  # a new stream starts at its latest version
        S.tt_current, S.tt_cursor, S.tt_playing = stream, tl.latest, False
    if link_version is not None or link_at is not None:
        try:
            S.tt_cursor = state_at(engine, stream, version=int(link_version) if link_version else None,
                                   at=link_at or None).version
        except (ValidationError, ValueError) as e:
            reason = str(e).rstrip(".") if isinstance(e, ValidationError) else "that is not a whole number"
            st.error(f"The link asks for {f'moment {link_at}' if link_at else f'version {link_version}'}: "
                     f"{reason}. Showing the latest version instead.")
    S.tt_cursor = min(S.tt_cursor, tl.latest)
    ready = True


PLAYING = bool(S.get("tt_playing"))  # the fragment's timer is set when the whole page runs


@st.fragment(run_every=0.8 if PLAYING else None)
def viewer() -> None:
    """Everything that follows the cursor; a fragment, so a step (or play) redraws only this part."""
    engine, tl, latest = get_engine(), S.tt_timeline, S.tt_latest
    with plain_errors():
        views.run_breakpoint(engine, tl.stream_id)  # before the slider, which shows the cursor it moves
    if bool(S.get("tt_playing")) != PLAYING:  # Play or Pause was pressed: rerun the page to start or stop the timer
        st.rerun(scope="app")
    if S.get("tt_playing"):
        move(by=1)
        if S.tt_cursor >= latest:
            S.tt_playing = False
            st.rerun(scope="app")
    m1, m2 = st.columns([1, 3])
    mode = m1.radio("Move by", ["version", "time"], horizontal=True, key="tt_mode",
                    help="By version: one step per event. By time: the dates and times of the events.")
    if mode == "version":
        S.tt_slider = S.tt_cursor
        m2.slider("Version", 0, latest, key="tt_slider", on_change=from_slider, disabled=latest == 0)
    else:
        axis = m1.radio("Time of", ["occurred_at", "recorded_at"], horizontal=True, key="tt_axis",
                        help="occurred_at: when it happened in the domain. recorded_at: when the store committed it.")
        moments = views.moments(tl, axis, S.tt_cursor)
        S.tt_moment = views.moment_of(tl, max(S.tt_cursor, 1), axis)
        m2.select_slider("Moment (UTC)", moments, key="tt_moment", on_change=from_moment,
                         format_func=lambda t: t.strftime("%Y-%m-%d %H:%M:%S"))
    b = st.columns(6)
    for col, (label, icon, kwargs) in zip(b, [("First", "first_page", {"to": 0}), ("Previous", "chevron_left", {"by": -1}),
                                              ("Next", "chevron_right", {"by": 1}), ("Last", "last_page", {"to": latest})]):
        col.button(label, icon=f":material/{icon}:", key=f"tt_{label.lower()}", on_click=move, kwargs=kwargs,
                   width="stretch")
    playing = S.get("tt_playing", False)
    b[4].button("Pause" if playing else "Play", icon=":material/pause:" if playing else ":material/play_arrow:",
                key="tt_play", on_click=toggle_play, width="stretch", help="Step forward one event every 0.8 s")
    compare_on = b[5].toggle("Compare with…", key="tt_compare_on", help="Diff against any version, not the previous")
    views.breakpoint_bar()

    with plain_errors():
        cursor = S.tt_cursor
        until = (S.get("tt_until") or "").strip() or None
        st.query_params.from_dict({k: v for k, v in {"stream": tl.stream_id, "version": str(cursor),
                                                     "until": until}.items() if v})
        S.tt_link = (tl.stream_id, str(cursor), None, until, None)
        S.tt_written = [*S.get("tt_written", [])[-99:], S.tt_link]
        compare = st.slider("Compared version", 0, latest, max(cursor - 1, 0), key="tt_compare") if compare_on \
            else max(cursor - 1, 0)
        state, diff = state_and_diff(engine, tl.stream_id, cursor, compare)
        for warning in state.warnings:
            st.warning(warning)
        st.subheader(f"{tl.version_label(cursor)} of {latest}")
        left, right = st.columns([3, 2])
        with left:
            st.markdown(f"**State** ({views.state_origin(state)})")
            if tl.stream_type == "order" and state.fold == "aggregate":
                views.order_summary(state.state)
            views.state_fields(state.state, diff.changes, alt="State at the cursor, field by field")
        with right:
            st.markdown("**The event that produced it**")
            views.event_panel(state.last_event)
        st.markdown(f"**What changed** from version {compare} to {cursor}")
        views.diff_table(diff.rows(), alt="Fields changed between the two versions")
        views.what_if_panel(engine, tl, cursor)
        download_button("Download this as a test fixture (given/when/then JSON)",
                        lambda: fixture_json(generate_fixture(engine, tl.stream_id, cursor)),
                        f"{tl.stream_id}-v{cursor}.json", "application/json", key="tt_fixture", disabled=cursor == 0)


if ready:
    views.timeline_chart(S.tt_timeline, None, None, key="tt_chart")
    viewer()
