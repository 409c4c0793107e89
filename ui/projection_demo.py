"""The Projections page's demonstrations on the Orders domain (shown only when it is wired in): eventual
consistency (place orders, watch the asynchronous read model catch up) and a poison event."""
from __future__ import annotations

import streamlit as st

from esengine.domains.orders.consistency_demo import (Consistency, append_malformed_event, consistency,
                                                      place_demo_orders)
from ui.engine import get_engine, room
from ui.facilitator import NEEDS_PASSPHRASE, authorize, unlocked
from ui.feedback import plain_errors

DEMO_DOMAIN = "orders"

S = st.session_state
PACE_LABELS = {"normal": "Normal: every 2 s, up to 1,000 events", "slow": "Slow: one event every 2 s",
               "paused": "Paused: nothing is applied, the lag grows", "custom": "Custom (set elsewhere)"}


def _set_pace(key: str) -> None:
    if S[key] != "custom":
        get_engine().projections.worker.set_pace(S[key])  # the room's engine now (a reset may have replaced it)


def worker_pace(engine, key: str) -> None:
    """The room's worker pace: a change applies to everyone, and every session shows the pace it runs at."""
    worker = engine.projections.worker
    S[key] = worker.pace  # what the worker runs at now, which another session may have changed
    st.radio("Worker pace (for the whole room)", [p for p in PACE_LABELS if p != "custom" or worker.pace == p],
             format_func=PACE_LABELS.get, key=key, horizontal=True,
             on_change=_set_pace, args=(key,),
             help="Slow it down, or pause it, so the lag after a command stays visible; then watch it drain.")


def consistency_panel(engine) -> None:
    """Worker pace, a button that places orders, and a live view of both read models (refreshed every second)."""
    st.write("The **orders** read model is updated inline, in the same transaction as each command: it is never "
             "behind. **daily_sales** is asynchronous: a background worker applies new events a batch at a time. "
             "Slow the worker down, place some orders and watch the two figures meet.")
    worker_pace(engine, "proj_demo_pace")
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    count = left.number_input("Orders to place", 1, 50, 5, key="proj_demo_count")
    if right.button("Place orders now", key="proj_demo_place", type="primary"):
        S["proj_demo_placed"] = place_demo_orders(engine, int(count))
        st.rerun()  # so the status table above shows the new lag too
    if placed := S.get("proj_demo_placed"):
        st.caption(f"Placed {len(placed)} orders, e.g. [{placed[0]}](/time_travel?stream={placed[0]}).")
    watch = st.toggle("Watch live: refresh these figures every second", value=True, key="proj_demo_watch")
    st.fragment(_live_view, run_every="1s" if watch else None)(engine)


@st.cache_data(ttl=1, max_entries=8, show_spinner=False)
def _figures(db: str, generation: int, head: int) -> Consistency:
    """Shared by every session watching: the room computes the figures at most once a second (and on each new event)."""
    return consistency(get_engine())


def _live_view(engine) -> None:
    with plain_errors():
        now = _figures(str(engine.path), room().generation, engine.store.last_position())
        cols = st.columns(4)
        cols[0].metric("Units ever ordered: orders", f"{now.in_orders:,}", help="inline read model")
        cols[1].metric("Same count in daily_sales", f"{now.in_daily_sales:,}", help="asynchronous read model",
                       delta=f"{now.in_daily_sales - now.in_orders:,}" if now.in_daily_sales != now.in_orders else None)
        cols[2].metric("daily_sales lag (events)", f"{now.lag_events:,}")
        cols[3].metric("Lag (seconds)", f"{now.lag_seconds:,}")
        worker = engine.projections.worker
        st.caption(f"Worker {worker.state}, {PACE_LABELS[worker.pace].split(':')[0].lower()} pace; "
                   f"{worker.rounds:,} rounds so far." + (f" Last error: {worker.last_error}" if worker.last_error else "")
                   + " Both figures count every line of OrderCreated and every OrderItemAdded.")
        if now.stopped:
            st.error(f"{' and '.join(now.stopped)} stopped at a poison event, so the figures cannot meet: retry or "
                     "skip the event under Versions.")
        elif now.consistent:
            st.success("Consistent: both read models agree.")
        else:
            st.warning(f"Not yet consistent: daily_sales has {now.lag_events:,} event(s) still to apply.")


def poison_demo(engine) -> None:
    """Append an order event its projection cannot handle (facilitator only), and say where it went."""
    with st.expander("Try a poison event"):
        st.write("Appends an `OrderShipped` event without a tracking number to the newest order. The order "
                 "projection's handler fails on it and stops there, recorded with the error, while the store "
                 "and the other projections go on. The event stays in the history: skip it afterwards.")
        if st.button("Append a malformed event", key="proj_poison", disabled=not unlocked(), help=NEEDS_PASSPHRASE):
            authorize("append a poison event")
            S["proj_flash"] = f"Appended the malformed event at position {append_malformed_event(engine):,}"
            st.rerun()
