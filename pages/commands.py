"""Commands: send the domain's commands through forms; see the events they produce, or why they were refused."""
import json
from datetime import datetime

import pandas as pd
import streamlit as st

from esengine.application.context import CommandContext, new_id
from esengine.browsing.links import parse_position
from esengine.core.events import utcnow
from esengine.domains.orders.commands import ALL_COMMANDS
from esengine.errors import ConcurrencyError, EsEngineError
from esengine.forms import (colleague_change, command_of_event, describe_commands, order_summary, read_model_row,
                            reference_options)
from ui.engine import get_engine
from ui.feedback import plain_errors, show_error
from ui.formatting import local_and_utc
from ui.forms import field_key, form_payload, prefill, reference_select, render_fields

FORMS = {f.command_type: f for f in describe_commands(ALL_COMMANDS)}
S = st.session_state


def prefix_of(form) -> str:
    return f"commands_{form.command_type}"


def pin_version(form, version: int | None = None) -> None:
    """Remember the version of the order as loaded now: the form sends it as ``expected_version``."""
    order_id = S.get(field_key(prefix_of(form), form.stream_reference))
    try:
        if order_id and version is None:
            version = order_summary(get_engine(), order_id)["version"]
    except EsEngineError:  # no such order: the page says so where the order is shown
        version = None
    S[field_key(prefix_of(form), "expected_version")] = version if order_id else None


def colleague(form) -> None:
    order_id = S.get(field_key(prefix_of(form), form.stream_reference))
    try:
        result = colleague_change(get_engine(), order_id)
        S["commands_notice"] = (f"A colleague ran {result.command_type} on {order_id}: it is now at version "
                                f"{result.new_version}. Your form still expects version "
                                f"{S.get(field_key(prefix_of(form), 'expected_version'))}: "
                                "send it to see the conflict.")
    except EsEngineError as e:
        S["commands_notice"] = e


def submit(form) -> None:
    """Send the form's command with the user's name and correlation id; keep the outcome for display."""
    payload = form_payload(form, prefix_of(form))
    context = CommandContext(user_id=S.get("commands_user") or "anonymous",
                             correlation_id=S.get("commands_correlation") or new_id())
    outcome = {"command": form.command_type, "payload": payload, "result": None, "error": None}
    try:
        outcome["result"] = get_engine().commands.submit(form.command_type, payload, context)
        if form.stream_reference:
            pin_version(form, outcome["result"].new_version)
    except EsEngineError as e:
        outcome["error"] = e
    S["commands_outcome"] = outcome
    result, error = outcome["result"], outcome["error"]
    S.setdefault("commands_log", []).append({
        "sent at (UTC)": utcnow().strftime("%H:%M:%S"), "user": context.user_id, "command": form.command_type,
        "outcome": "accepted" if result else f"refused ({type(error).__name__})",
        "stream": result.stream_id if result else payload.get(form.stream_reference or "", ""),
        "new version": result.new_version if result else None, "message": str(error) if error else ""})


def apply_again_link(engine) -> None:
    """``?again=<position>`` prefills the form of the command that produced that event, once."""
    again = st.query_params.get("again")
    if not again or S.get("commands_again") == again:
        return
    S["commands_again"] = again
    command_type, payload = command_of_event(engine.store, parse_position(again))
    form = FORMS[command_type]
    S["commands_type"] = command_type
    prefill(form, payload, prefix_of(form))
    if form.stream_reference:
        pin_version(form)
    S["commands_notice"] = f"The {form.title.lower()} form is prefilled from the command of event {again}."


def show_outcome(engine, outcome) -> None:
    result, error = outcome["result"], outcome["error"]
    if error is not None:
        show_error(error)
        if isinstance(error, ConcurrencyError):
            st.markdown(f"**Expected version:** {error.expected} · **actual version:** {error.actual}. "
                        "Nothing was written. Choose the order again (or press *Reload*) to work on the new version.")
        else:
            st.caption("Nothing was written; the refusal is in the command log.")
        return
    st.success(f"{FORMS[result.command_type].title}: accepted. {len(result.events)} event(s) stored; "
               f"stream `{result.stream_id}` is now at version **{result.new_version}**.")
    rows = [{"event": e.event_type, "version": e.version, "position": e.position, "data": json.dumps(e.data),
             "occurred": local_and_utc(e.occurred_at)} for e in result.events]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="commands_events")
    st.markdown(" · ".join(f"[Open {e.event_type} (position {e.position}) in the event browser]"
                           f"(event_browser?event={e.position})" for e in result.events))
    if result.events:
        first = result.events[0]
        st.markdown("**The read model's row now** (what queries answer):")
        row = read_model_row(engine, first.stream_type, first.stream_id)
        st.json({k: local_and_utc(v) if isinstance(v, datetime) else v for k, v in row.items()} if row else
                {"note": "this stream has no row in the order read model"}, expanded=True)


st.title("Commands")
st.caption("A command is a request to change something. The aggregate checks its rules; if they hold, the "
           "change is stored as events, which the read model then shows. Refusals write nothing.")

with plain_errors():
    engine = get_engine()
    with plain_errors():
        apply_again_link(engine)
    S.setdefault("commands_user", "workshop")
    S.setdefault("commands_correlation", new_id())
    left, right = st.columns(2)
    left.text_input("Your name (goes into every event's metadata)", max_chars=64, key="commands_user")
    right.text_input("Correlation id (groups the commands of one conversation)", max_chars=64,
                     key="commands_correlation")
    command_type = st.selectbox("Command", list(FORMS), format_func=lambda t: f"{FORMS[t].title} ({t})",
                                key="commands_type")
    form = FORMS[command_type]
    prefix = prefix_of(form)
    options = {kind: reference_options(engine, kind) for kind in ("customer", "product", "order")
               if any(f.reference == kind or any(s.reference == kind for s in f.line_fields) for f in form.fields)}
    if form.stream_reference:
        st.markdown("**1. Load the order** · the form remembers its version, as a second browser tab would.")
        spec = form.field(form.stream_reference)
        order_id = reference_select(spec, options["order"], field_key(prefix, spec.name), on_change=pin_version,
                                    label="Order", args=(form,))
        now = None
        with plain_errors():  # a typed id of no order: say so, and still show the form
            now = order_summary(engine, order_id) if order_id else None
        if now:
            st.markdown(f"Order `{order_id}` is **{now['status']}**, total {now['total']:.2f} €, at version "
                        f"**{now['version']}** now; your form expects version "
                        f"**{S.get(field_key(prefix, 'expected_version'))}**.")
            b1, b2 = st.columns(2)
            b1.button("Reload (take the current version)", key="commands_reload", on_click=pin_version, args=(form,))
            b2.button("A colleague changes this order now", key="commands_colleague", on_click=colleague, args=(form,),
                      help="Runs the next step of the order as another user, so your form's version goes stale.")
        st.markdown("**2. Fill in and send**")
    notice = S.pop("commands_notice", None)
    if isinstance(notice, Exception):
        show_error(notice)
    elif notice:
        st.info(notice)
    with st.form(key=f"{prefix}_form"):
        st.subheader(form.title)
        render_fields(form, options, prefix, skip=(form.stream_reference,) if form.stream_reference else ())
        st.form_submit_button("Send the command", type="primary", on_click=submit, args=(form,))
    outcome = S.get("commands_outcome")
    if outcome:
        show_outcome(engine, outcome)
    if S.get("commands_log"):
        st.subheader("This session's commands")
        st.dataframe(pd.DataFrame(S["commands_log"][::-1]), hide_index=True, key="commands_session_log")
