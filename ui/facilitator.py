"""What the facilitator's actions share: the passphrase box, the check at the moment of an action, the live feeds.

A session gives the passphrase once (in the sidebar); it is kept in that session's server-side state and
checked against the one the app started with, in constant time, each time a destructive action runs.
Nothing in the URL or in a flag can stand in for it.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from esengine.core.events import utcnow
from esengine.room import HOW_TO_ENABLE, command_feed
from ui.engine import get_engine, room
from ui.feedback import plain_errors

S = st.session_state
GIVEN = "room_passphrase"  # what this session typed (not a flag: it is checked again at every action)
NEEDS_PASSPHRASE = "Needs the facilitator's passphrase (in the sidebar)."


def _keep_passphrase() -> None:
    S[GIVEN] = S.get(f"{GIVEN}_input", "")


def passphrase_box() -> None:
    """The sidebar field where the facilitator gives the passphrase; without one configured, how to set it."""
    gate = room().gate
    with st.sidebar:
        st.markdown("**Facilitator**")
        if not gate.enabled:
            st.caption(HOW_TO_ENABLE)
            return
        S[f"{GIVEN}_input"] = S.get(GIVEN, "")  # the same field on every page that has one
        st.text_input("Facilitator's passphrase", type="password", key=f"{GIVEN}_input", on_change=_keep_passphrase)
        if gate.allows(S.get(GIVEN)):
            st.caption("Facilitator actions are unlocked in this browser tab.")
        elif S.get(GIVEN):
            st.caption("That is not the passphrase: facilitator actions stay locked.")
        else:
            st.caption("Reset, empty store, rebuild, promote, drop and poison events need it.")


def unlocked() -> bool:
    """Whether this session gave the right passphrase (for greying buttons out; actions check again)."""
    return room().gate.allows(S.get(GIVEN))


def authorize(action: str) -> None:
    """Raise ``NotPermitted`` unless this session gave the facilitator's passphrase; call it as the action runs."""
    room().gate.check(S.get(GIVEN), action)


def locked_note() -> None:
    """A plain note under destructive buttons: how to unlock them, or how to enable them at all. It sits in a
    container that is always drawn, so what follows keeps its place when the note goes (else the browser shows
    the old buttons beside the new ones for a moment)."""
    with st.container():
        if not room().gate.enabled:
            st.info(HOW_TO_ENABLE)
        elif not unlocked():
            st.caption("Rebuild, promote, drop, skip and poison events are the facilitator's: they need the "
                       "passphrase (in the sidebar).")


def _feed_table(frame: pd.DataFrame, key: str) -> None:
    st.dataframe(frame.fillna("").rename(columns={"recorded_at": "recorded (UTC)", "error_kind": "refused as"}),
                 hide_index=True, key=key, column_config={"recorded (UTC)": st.column_config.DatetimeColumn(
                     format="HH:mm:ss")})


@st.fragment(run_every="2s")
def live_commands(since: datetime | None) -> None:
    """The room's newest commands, refreshed every two seconds."""
    with plain_errors():
        feed = command_feed(get_engine(), since=since)
        if feed.empty:
            st.caption("No command yet" + (f" since {since:%H:%M:%S} UTC." if since else "."))
            return
        refused = int((feed["outcome"] == "refused").sum())
        st.caption(f"The newest {len(feed)} commands: {len(feed) - refused} accepted, {refused} refused. "
                   f"Updated {utcnow():%H:%M:%S} UTC.")
        _feed_table(feed, "room_feed")


@st.fragment(run_every="2s")
def live_collision(order_id: str, since: datetime) -> None:
    """What the two participants sent on the order since the exercise started, and whether they collided."""
    with plain_errors():
        feed = command_feed(get_engine(), since=since, stream_id=order_id)
        clashes = feed[feed["error_kind"] == "ConcurrencyError"]
        if not clashes.empty:
            clash = clashes.iloc[-1]
            st.warning(f"Collision: {clash['who'] or 'someone'}'s {clash['command']} was refused with a "
                       f"ConcurrencyError. {clash['message']}")
        elif feed.empty:
            st.caption(f"Waiting for the first command on {order_id} (since {since:%H:%M:%S} UTC)...")
        else:
            st.info(f"{len(feed)} command(s) on the order so far, no collision yet.")
        if not feed.empty:
            _feed_table(feed, "room_collision_feed")
