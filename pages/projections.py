"""Projections: every read model with its version, checkpoint and lag; rebuild, promote, drop; poison events."""
import pandas as pd
import streamlit as st

from ui.engine import get_engine
from ui.facilitator import NEEDS_PASSPHRASE, authorize, locked_note, passphrase_box, unlocked
from ui.feedback import plain_errors
from ui.navigation import stay_on_the_router
from ui.projection_compare import comparison_panel
from ui.projection_demo import DEMO_DOMAIN, consistency_panel, poison_demo

stay_on_the_router()  # first, before anything is drawn (see its docstring)

STATUS_HELP = {"running": "up to date (kept up by every append, or by the background worker)",
               "rebuilding": "being rebuilt; not yet caught up", "new": "registered but never built",
               "stopped": "stopped at a poison event: retry or skip it"}

st.title("Projections")
st.caption("A projection turns events into read-model tables that queries read. Each has a checkpoint (the last "
           "event position it applied) and a lag (events not yet applied). A new version is rebuilt beside the "
           "live one, compared with it, then promoted.")
if (replica := get_engine().replica_status()) is not None:
    st.caption(f"PostgreSQL store: this instance's DuckDB replica holds position {replica['replica_position']:,} of "
               f"{replica['server_position']:,} (lag {replica['lag_events']:,} events, last synced "
               f"{replica['pulled_seconds_ago']:g} s ago); the projections below run on it.")


def run_action(label: str, action, *args, facilitator: str | None = None) -> None:
    """Run one engine call (a ``facilitator`` action only with the passphrase), remember its outcome, redraw."""
    if facilitator:
        authorize(facilitator)
    result = action(*args)
    st.session_state["proj_flash"] = label if result is None else f"{label} ({result:,} events applied)."
    st.rerun()


def version_panel(engine, name: str, row) -> None:
    runner, version = engine.projections, int(row["version"])
    live = " · **live** (queries read it)" if row["live"] else ""
    st.markdown(f"#### Version {version}{live}")
    st.caption(row["description"])
    head = max(int(row["head"]), 1)
    seconds = "" if pd.isna(row["lag_seconds"]) else f", {int(row['lag_seconds'])} s"
    st.progress(min(int(row["checkpoint"]) / head, 1.0),
                text=f"Checkpoint {int(row['checkpoint']):,} of {int(row['head']):,} · lag {int(row['lag_events']):,} "
                     f"events{seconds} · **{row['status']}**: {STATUS_HELP.get(row['status'], '')}")
    if row["status"] == "stopped":
        st.error(f"Stopped at a poison event: {row['error']}  \n"
                 f"[Open that event](/event_browser?event={int(row['error_position'])}). Retry it once the handler is "
                 "fixed, or skip it to go on without it.")
    elif pd.notna(row["error"]):
        st.caption(f"Last error: {row['error']}")
    cols = st.columns(5)
    key, locked = f"proj_{name}_v{version}", not unlocked()
    if cols[0].button("Rebuild", key=f"{key}_rebuild", disabled=bool(row["live"]) or locked,
                      help="Empty this version's tables and apply every event again (the live one cannot be). "
                           + NEEDS_PASSPHRASE):
        authorize("rebuild a projection version")
        bar = st.progress(0.0, text="Rebuilding...")
        done = runner.rebuild(name, version, progress=lambda d, t: bar.progress(
            min(d / max(t, 1), 1.0), text=f"Rebuilding: {d:,} of {t:,} events"))
        run_action(f"Version {version} of {name} was rebuilt", lambda: done)
    if cols[1].button("Catch up", key=f"{key}_catch_up", disabled=row["status"] not in ("running", "rebuilding")
                      or not row["lag_events"], help="Apply the events after the checkpoint now."):
        run_action(f"Version {version} of {name} caught up", runner.catch_up, name, version)
    if cols[2].button("Promote", key=f"{key}_promote", disabled=bool(row["live"]) or locked,
                      help="Make this version the one queries read; the old one stays until dropped. " + NEEDS_PASSPHRASE):
        run_action(f"Version {version} of {name} is live now", runner.promote, name, version,
                   facilitator="promote a projection version")
    if cols[3].button("Drop", key=f"{key}_drop", disabled=bool(row["live"]) or row["status"] == "new" or locked,
                      help="Delete this version's tables (not the live one). It can be rebuilt later. " + NEEDS_PASSPHRASE):
        run_action(f"The tables of version {version} of {name} were dropped", runner.drop, name, version,
                   facilitator="drop a projection version")
    if row["status"] == "stopped":
        if cols[4].button("Retry", key=f"{key}_retry"):
            run_action(f"Version {version} of {name} retried", runner.retry, name, version)
        if cols[4].button("Skip the event", key=f"{key}_skip", disabled=locked, help=NEEDS_PASSPHRASE):
            run_action(f"The poison event was skipped; version {version} of {name} went on", runner.skip, name, version,
                       facilitator="skip a poison event")


with plain_errors():
    engine = get_engine()
    runner = engine.projections
    passphrase_box()
    if message := st.session_state.pop("proj_flash", None):
        st.success(message)
    status = runner.status()
    st.dataframe(status[["projection", "version", "mode", "live", "status", "checkpoint", "lag_events", "lag_seconds",
                         "error_position", "error", "updated_at"]],
                 hide_index=True, key="proj_status",
                 column_config={"lag_events": "lag (events)", "lag_seconds": "lag (s)",
                                "error_position": "poison event", "error": "last error"})
    names = list(runner.registered)
    wanted = st.query_params.get("projection")
    name = st.selectbox("Projection", names, index=names.index(wanted) if wanted in names else 0, key="proj_name")
    st.query_params["projection"] = name
    demos = engine.has_domain(DEMO_DOMAIN)  # the demonstrations run on the Orders domain's read models
    section = st.radio("Show", ["Versions", "Compare two outputs"] + (["Eventual consistency"] if demos else []),
                       horizontal=True, key="proj_section", label_visibility="collapsed")
    if section == "Versions":
        reg = runner.registered[name]
        st.markdown(f"**{name}** runs **{reg.mode}**: " + (
            "updated in the same transaction as each append, so it never lags." if reg.mode == "inline" else
            "updated behind the writes by the background worker, so it lags a little after each command."))
        locked_note()
        for _, row in status[status["projection"] == name].iterrows():
            with st.container(border=True):
                version_panel(engine, name, row)
        if demos and name == "orders":
            poison_demo(engine)
        st.caption("Lag in seconds counts from when the oldest event not yet applied was stored. A rebuild of a version "
                   "that has a set-based build (such as orders) fills its tables in one SQL pass over the events, then "
                   "the handlers apply what arrived meanwhile; other projections apply their handlers batch by batch.")
    elif section == "Compare two outputs":
        comparison_panel(engine, name)
    else:
        consistency_panel(engine)
