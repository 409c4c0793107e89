"""Overview: what is in the store, at a glance."""
import streamlit as st

from esengine.store.statistics import set_aside_rows
from ui.analytics_views import per_type_figure
from ui.cached import overview, shared
from ui.engine import get_engine
from ui.feedback import plain_errors
from ui.formatting import local_and_utc
from ui.navigation import stay_on_the_router

stay_on_the_router()  # first, before anything is drawn (see its docstring)
st.title("Overview")
st.caption("An event store keeps every change as an event, in order. This is what this one holds.")

with plain_errors():
    engine = get_engine()
    o = overview(engine)
    if o.events == 0:
        st.info("The store is empty. Send a command on the Commands page, or import a history.")
        st.stop()
    cols = st.columns(5)
    cols[0].metric("Events", f"{o.events:,}")
    cols[1].metric("Streams", f"{o.streams:,}")
    cols[2].metric("Event types", o.event_types)
    cols[3].metric("Commands accepted", f"{o.commands_accepted:,}")
    cols[4].metric("Commands refused", f"{o.commands_refused:,}")
    st.markdown(f"**Time span** (when the events happened): {local_and_utc(o.first_occurred_at)} → "
                f"{local_and_utc(o.last_occurred_at)}  \n**Last commit:** {local_and_utc(o.last_recorded_at)}")
    aside = set_aside_rows(engine.store)
    if not aside.empty:
        st.warning(f"**{len(aside):,} row(s) of accepted commands could not be written** and were set aside; the "
                   "events of those commands are stored. Each row below names its table and the database's reason: "
                   "fix the cause (a key already taken, a value out of range), then insert the row again by hand or "
                   "leave it. They stay in the table `journal_set_aside` until someone deletes them.")
        with st.expander("Rows set aside"):
            st.dataframe(aside, hide_index=True, key="overview_set_aside", column_config={
                "set_aside_at": "set aside (UTC)", "table_name": "table", "row_json": "row",
                "error": st.column_config.TextColumn("the database's reason", width="large"),
                "journal_record": "journal record"})

    left, right = st.columns([1, 1])
    with left:
        st.subheader("Events per type")
        st.plotly_chart(shared(engine, per_type_figure), key="overview_per_type")
    with right:
        st.subheader("Latest events")
        latest = engine.store.read_frame(limit=15)
        st.dataframe(latest[["position", "stream_id", "version", "event_type", "occurred_at"]],
                     hide_index=True, key="overview_latest")
