"""The Projections page's eventual-consistency demonstration: place orders, watch the async read model catch up."""
from __future__ import annotations

import streamlit as st

from esengine.domains.orders.consistency_demo import place_demo_orders, units_today
from ui.feedback import plain_errors


def consistency_panel(engine) -> None:
    """Worker controls, a button that places orders, and a live view of both read models (refreshed every second)."""
    worker = engine.projections.worker
    st.write("The **orders** read model is updated inline, in the same transaction as each command: it is never "
             "behind. **daily_sales** is asynchronous: a background worker applies new events every few seconds, "
             "a batch at a time. Place some orders and watch the two figures meet.")
    cols = st.columns(3)
    interval = cols[0].slider("Worker pause between rounds (s)", 0.5, 10.0, float(worker.interval), 0.5,
                              key="proj_demo_interval")
    batch = cols[1].slider("Events per round", 1, 1000, int(worker.batch_size), key="proj_demo_batch")
    paused = cols[2].toggle("Pause the worker", value=worker.paused, key="proj_demo_paused",
                            help="While paused, the lag grows with every command.")
    worker.configure(interval=interval, batch_size=batch, paused=paused)
    count = st.number_input("Orders to place", 1, 50, 5, key="proj_demo_count")
    if st.button("Place orders now", key="proj_demo_place", type="primary"):
        st.session_state["proj_demo_placed"] = place_demo_orders(engine, int(count))
        st.session_state["proj_demo_watch"] = True  # (set before the toggle below is drawn)
        st.rerun()  # so the status table above shows the new lag too
    if placed := st.session_state.get("proj_demo_placed"):
        st.caption(f"Placed {len(placed)} orders, e.g. [{placed[0]}](/time_travel?stream={placed[0]}).")
    watch = st.toggle("Watch live: refresh these figures every second", key="proj_demo_watch")
    st.fragment(_live_view, run_every="1s" if watch else None)(engine)


def _live_view(engine) -> None:
    with plain_errors():
        units = units_today(engine)
        status = engine.projections.status()
        lag = status[(status["projection"] == "daily_sales") & status["live"]].iloc[0]
        cols = st.columns(4)
        cols[0].metric("Units ordered today: orders", units.in_orders, help=f"{units.day} UTC, inline read model")
        cols[1].metric("Same in daily_sales", units.in_daily_sales, help="asynchronous read model",
                       delta=units.in_daily_sales - units.in_orders or None)
        cols[2].metric("daily_sales lag (events)", int(lag["lag_events"]))
        cols[3].metric("Lag (seconds)", int(lag["lag_seconds"]))
        worker = engine.projections.worker
        state = "paused" if worker.paused else ("running" if worker.running else "stopped")
        st.caption(f"Worker {state}; {worker.rounds} rounds so far."
                   + (f" Last error: {worker.last_error}" if worker.last_error else ""))
        if units.in_orders == units.in_daily_sales and not lag["lag_events"]:
            st.success("Consistent: both read models agree.")
        else:
            st.warning("Not yet consistent: daily_sales has not applied the newest events.")
