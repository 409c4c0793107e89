"""Commands: send the domain's commands through forms; see what they did (a diagram, the events, the read
model's rows before and after), or where and why they were refused."""
import json

import pyarrow as pa
import streamlit as st

from esengine.application.context import CommandContext, new_id
from esengine.application.flow import build_flow, rows_before
from esengine.application.recording import recording
from esengine.browsing.links import parse_position
from esengine.core.events import utcnow
from esengine.errors import ConcurrencyError, DomainRuleViolation, EsEngineError, NotFound, ValidationError
from esengine.forms import (CommandForm, can_change_as_colleague, colleague_change, command_of_event, engine_forms,
                            reference_options, stream_summary)
from esengine.forms.values import from_text, plain_refusal
from ui import cached
from ui.engine import get_engine
from ui.feedback import plain_errors, show_error
from ui.flow_view import show_flow, show_row_changes
from ui.formatting import local_and_utc
from ui.forms import form_payload, number_input, prefill, reference_select, render_fields, show_refusal
from ui.navigation import stay_on_the_router

VERSION_KEY = "commands_expected_version"
LIMIT = 1000  # choices offered by a picker (the browser gets them all on every run)
S = st.session_state


@st.cache_resource(show_spinner=False)
def command_forms(_engine, domains: tuple[str, ...]) -> dict[str, CommandForm]:
    """The forms of the registered commands, by type; built once per set of domains (they do not change)."""
    return {f.command_type: f for f in engine_forms(_engine)}


def prefix_of(form) -> str:
    return f"commands_{form.command_type}"


def stream_kind(form) -> str:
    return form.field(form.stream_reference).reference


def stream_key(form) -> str:
    """One picker per kind of stream, shared by the forms: an order picked for "add" is still picked for "confirm"."""
    return f"commands_stream_{stream_kind(form)}"


def pin_version(form, version: int | None = None) -> None:
    """Remember the version of the stream as loaded now: the form sends it as ``expected_version``."""
    stream_id = S.get(stream_key(form))
    try:
        if stream_id and version is None:
            version = stream_summary(get_engine(), stream_kind(form), stream_id).version
    except EsEngineError:  # no such stream: the page says so where the stream is shown
        version = None
    S[VERSION_KEY] = "" if version is None or not stream_id else str(version)


def colleague(form) -> None:
    stream_id = S.get(stream_key(form))
    try:
        result = colleague_change(get_engine(), stream_kind(form), str(stream_id or ""))
        S["commands_notice"] = (f"A colleague ran {result.command_type} on {stream_id}: it is now at version "
                                f"{result.new_version}. Your form still expects version {S.get(VERSION_KEY)}: "
                                "send it to see the conflict.")
    except EsEngineError as e:
        S["commands_notice"] = e


def submit(form) -> None:
    """Send the form's command with the user's name and correlation id; keep the outcome and its flow."""
    engine = get_engine()
    fixed = {}
    if form.stream_reference:
        fixed = {form.stream_reference: S.get(stream_key(form)) or "",
                 "expected_version": from_text(form.field("expected_version"), S.get(VERSION_KEY))}
    payload = form_payload(form, prefix_of(form), fixed)
    context = CommandContext(user_id=S.get("commands_user") or "anonymous",
                             correlation_id=S.get("commands_correlation") or new_id())
    before = rows_before(engine, payload)
    result = error = None
    with recording() as records:
        try:
            result = engine.commands.submit(form.command_type, payload, context)
        except EsEngineError as e:
            error = e
    reasons = [f"{label}: {message}" for label, message in plain_refusal(form, error.field_errors, payload)] \
        if isinstance(error, ValidationError) else None
    flow = build_flow(engine, form.command_type, payload, result or error, records, before, context.user_id, reasons)
    if result is not None and form.stream_reference:
        pin_version(form, result.new_version)
    S["commands_outcome"] = {"command": form.command_type, "form": form, "payload": payload, "result": result, "error": error,
                             "flow": flow}
    S.setdefault("commands_log", []).append({
        "sent at (UTC)": utcnow().strftime("%H:%M:%S"), "user": context.user_id, "command": form.command_type,
        "outcome": "accepted" if result else f"refused ({flow.stopped_at})",
        "stream": result.stream_id if result else payload.get(form.stream_reference or "", ""),
        "new version": str(result.new_version) if result else "—",
        "message": "; ".join(reasons) if reasons else (str(error) if error else "")})


def apply_again_link(engine, forms: dict[str, CommandForm]) -> None:
    """``?again=<position>`` prefills the form of the command that produced that event, once."""
    again = st.query_params.get("again")
    if not again or S.get("commands_again") == again:
        return
    S["commands_again"] = again
    position = parse_position(again)
    if position is None:
        return
    command_type, payload = command_of_event(engine.store, position)
    if command_type not in forms:
        raise NotFound(f"Event {again} was produced by {command_type}, a command of no domain wired into this app, "
                       "so there is no form to prefill.")
    form = forms[command_type]
    S["commands_type"] = command_type
    prefill(form, payload, prefix_of(form))
    if form.stream_reference:
        S[stream_key(form)] = payload.get(form.stream_reference)
        pin_version(form)
    S["commands_notice"] = f"The {form.title.lower()} form is prefilled from the command of event {again}."


def show_outcome(outcome) -> None:
    result, error, flow, form = outcome["result"], outcome["error"], outcome["flow"], outcome["form"]
    if isinstance(error, ValidationError) and error.field_errors:
        show_refusal(form, error, outcome["payload"])
    elif isinstance(error, ConcurrencyError):
        st.warning(f"Conflict: {error}")
        st.markdown(f"**Expected version:** {error.expected} · **actual version:** {error.actual}. Nothing was "
                    "written. Press *Reload* to take the new version, then send again.")
    elif isinstance(error, DomainRuleViolation):
        st.error(f"Refused by the domain: {error}")
    elif error is not None:
        show_error(error)
    else:
        st.success(f"{form.title}: accepted. {len(result.events)} event(s) stored; "
                   f"stream `{result.stream_id}` is now at version **{result.new_version}**.")
    show_flow(flow)
    if result is None:
        return
    rows = [{"event": e.event_type, "version": e.version, "position": e.position, "data": json.dumps(e.data),
             "occurred": local_and_utc(e.occurred_at)} for e in result.events]
    st.dataframe(pa.Table.from_pylist(rows), hide_index=True, key="commands_events")
    st.markdown(" · ".join(f"[Open {e.event_type} (position {e.position}) in the event browser]"
                           f"(event_browser?event={e.position})" for e in result.events))
    show_row_changes(flow.rows, "commands_rows")


def stream_section(engine, form, options) -> None:
    """1. Pick the stream: its state and version now, the version the form expects, reload, a colleague's change."""
    spec = form.field(form.stream_reference)
    st.markdown(f"**1. Pick the {spec.reference}** · the form remembers its version, as a second browser tab would.")
    key = stream_key(form)
    picker = engine.forms.pickers.get(spec.reference)
    st.text_input(f"Search all {spec.reference}s", key=f"{key}_search", max_chars=100,
                  placeholder=picker.search_hint if picker and picker.search_hint else f"part of a {spec.reference}'s id",
                  help=f"The list below offers at most {LIMIT:,} {spec.reference}s; a search looks through all of them.")
    if key not in S and S.get(f"{key}_last"):  # the picker was not drawn meanwhile (another kind of command)
        S[key] = S[f"{key}_last"]
        pin_version(form)
    left, right = st.columns([3, 1])
    with left:
        stream_id = reference_select(spec, options[spec.reference], key, on_change=pin_version, args=(form,),
                                     label=spec.label)
    S[f"{key}_last"] = stream_id
    with right:
        number_input(form.field("expected_version"), VERSION_KEY, label="Expected version")
    now = None
    with plain_errors():  # an id of no such stream (a link): say so, and still show the form
        now = stream_summary(engine, spec.reference, stream_id) if stream_id else None
    if now:
        st.markdown(now.sentence)
        b1, b2 = st.columns(2)
        b1.button("Reload (take the current version)", key="commands_reload", on_click=pin_version, args=(form,))
        if can_change_as_colleague(engine, spec.reference):
            b2.button(f"A colleague changes this {spec.reference} now", key="commands_colleague", on_click=colleague,
                      args=(form,), help=f"Runs the next step of the {spec.reference} as another user, so your "
                                         "form's version goes stale.")
    st.markdown("**2. Fill in and send**")


def picker_options(engine, form, search: str | None) -> dict[str, list]:
    """The choices of each picker of the form: cached per state of the store, searched on demand."""
    streams = stream_kind(form) if form.stream_reference else None
    kinds = {f.reference for f in form.fields if f.reference} | {s.reference for f in form.fields
                                                                   for s in f.line_fields if s.reference}
    return {kind: reference_options(engine, kind, LIMIT, search) if kind == streams and search else
            cached.reference_options(engine, kind) for kind in kinds if kind}


@st.fragment
def command_area(engine, form) -> None:
    """The stream, the form, the outcome and the session's log: a send, a pick, a reload reruns only this part
    (not the navigation, the sidebar and the choice of command above it), so a room's sends cost the server less."""
    with plain_errors():
        prefix = prefix_of(form)
        options = picker_options(engine, form, S.get(f"{stream_key(form)}_search") if form.stream_reference else None)
        # Parts that come and go sit in containers that are always drawn, so the form keeps its place between
        # reruns (else the browser shows the old Send button beside the new one for a moment)
        with st.container():
            if form.stream_reference:
                stream_section(engine, form, options)
            notice = S.pop("commands_notice", None)
            if isinstance(notice, Exception):
                show_error(notice)
            elif notice:
                st.info(notice)
        with st.form(key=f"{prefix}_form"):
            st.subheader(form.title)
            render_fields(form, options, prefix, skip=(form.stream_reference or "", "expected_version"))
            st.form_submit_button("Send the command", type="primary", on_click=submit, args=(form,))
        outcome = S.get("commands_outcome")
        if outcome:
            show_outcome(outcome)
        if S.get("commands_log"):
            st.subheader("This session's commands")
            st.dataframe(pa.Table.from_pylist(S["commands_log"][::-1]), hide_index=True, key="commands_session_log")


stay_on_the_router()  # first, before anything is drawn (see its docstring)
st.title("Commands")
st.caption("A command is a request to change something. The aggregate checks its rules; if they hold, the "
           "change is stored as events, which the read model then shows. Refusals write nothing.")

with plain_errors():
    engine = get_engine()
    forms = command_forms(engine, tuple(engine.domains))
    if not forms:
        st.info("No domain wired into this app has commands. Start it with ESENGINE_DOMAINS naming one "
                "(see docs/your-own-domain.md).")
        st.stop()
    with plain_errors():
        apply_again_link(engine, forms)
    S.setdefault("commands_user", "workshop")
    S.setdefault("commands_correlation", new_id())
    left, right = st.columns(2)
    left.text_input("Your name (goes into every event's metadata)", max_chars=64, key="commands_user")
    right.text_input("Correlation id (groups the commands of one conversation)", max_chars=64,
                     key="commands_correlation")
    command_type = st.selectbox("Command", list(forms), format_func=lambda t: f"{forms[t].title} ({t})",
                                key="commands_type")
    command_area(engine, forms[command_type])
