"""Facilitator: reset the room's database, start an empty store, watch the room's commands, run a collision."""
import streamlit as st

from esengine.core.events import utcnow
from esengine.errors import EsEngineError
from esengine.room import collision_candidates
from ui.engine import get_engine, replace_database, room
from ui.facilitator import GIVEN, live_collision, live_commands, locked_note, passphrase_box
from ui.feedback import plain_errors
from ui.navigation import stay_on_the_router
from ui.projection_demo import worker_pace

S = st.session_state
CHOICES = {"demo": "A fresh demo history (about 20,000 events over 90 days)",
           "empty": "An empty store, for importing a real event log"}

stay_on_the_router()  # first, before anything is drawn (see its docstring)
st.title("Facilitator")
st.caption("For whoever runs the workshop: start the room afresh, see what everyone sends, and set up a "
           "collision between two participants. Changing the database needs the passphrase the app started with.")


def replace(choice: str, confirmed: bool) -> tuple[str, str]:
    """Replace the database if confirmed and the passphrase is right; what to tell the facilitator."""
    if not confirmed:
        return "warning", "Tick the box to confirm first: nothing was changed."
    try:
        events = replace_database(S.get(GIVEN), demo=choice == "demo").store.last_position()
    except EsEngineError as e:  # a wrong passphrase, a reset already under way: nothing changed
        return "error", str(e)
    return "success", (f"The room now has {'a fresh demo history' if choice == 'demo' else 'an empty store'} "
                       f"({events:,} events). Every session sees it on its next click.")


with plain_errors():
    engine, current = get_engine(), room()
    passphrase_box()
    with st.container():  # always drawn, so the form below keeps its place when the message goes
        if flash := S.pop("room_flash", None):
            getattr(st, flash[0])(flash[1])
    st.subheader("The room's database")
    cols = st.columns(3)
    cols[0].metric("File", engine.path.name)
    cols[1].metric("Events", f"{engine.store.last_position():,}")
    cols[2].metric("Opened at (UTC)", f"{current.opened_at:%H:%M:%S}" if current.opened_at else "-",
                   help=f"Replaced {current.generation} time(s) since the app started.")
    locked_note()
    with st.form("room_replace", clear_on_submit=True):  # every replacement is confirmed afresh
        choice = st.radio("Replace it with", list(CHOICES), format_func=CHOICES.get, key="room_choice")
        confirmed = st.checkbox(f"Yes, replace {engine.path.name} for everyone: what the room has done so far is gone.",
                                key="room_confirm")
        if st.form_submit_button("Replace the database", type="primary", disabled=not current.gate.enabled):
            with st.spinner("Writing the new database beside the old one..."):
                S["room_flash"] = replace(choice, confirmed)
            st.rerun()
    st.subheader("Worker pace")
    worker_pace(engine, "room_pace")
    st.subheader("The room's commands, live")
    everything = st.toggle("Include commands from before this room opened (the demo history)", key="room_all")
    live_commands(None if everything else current.opened_at)
    st.subheader("Exercise: collide on this order")
    with_orders = engine.has_domain("orders")  # the exercise runs on the Orders domain's orders
    orders = {o["id"]: f"{o['id']} · {o['customer_name']} · {o['total']:.2f} €"
              for o in (collision_candidates(engine) if with_orders else [])}
    if not orders:
        st.info("There is no pending order to collide on: place one on the Commands page first." if with_orders else
                "The exercise runs on the Orders domain, which this app does not wire: start it with "
                "ESENGINE_DOMAINS=orders (or orders,library).")
    else:
        order = st.selectbox("The order (pending orders, newest first)", list(orders), format_func=orders.__getitem__,
                             key="room_order")
        st.markdown(
            f"Two participants, **A** and **B**, open the **Commands** page. **A** chooses *Add an item to a "
            f"pending order*, **B** chooses *Confirm an order*, and both pick order `{order}` in the *Order* list: "
            "both forms now hold the same version of it.\n"
            "1. **A** picks a product and sends: accepted, the order moves one version on.\n"
            "2. **B** sends next, with the version the form loaded before: refused with a **ConcurrencyError** "
            "(optimistic concurrency; nothing was written).\n"
            "3. **B** presses *Reload* and sends again: accepted, on the new version.")
        if st.button("Start watching this order", key="room_watch"):
            S["room_exercise"] = (order, utcnow())
        if exercise := S.get("room_exercise"):
            live_collision(*exercise)
