"""Temporal queries: every stream as of a moment, what changed between two moments, a field's history, SQL."""
import streamlit as st

from esengine.console import EXAMPLES, run_query
from esengine.temporal import (changes_between, field_history, fields_of, final_event_types, history_span,
                               read_model_as_of, streams_as_of)
from esengine.temporal.as_of import expand_states, read_model_of
from ui.cached import stream_types
from ui.engine import get_engine
from ui.feedback import plain_errors
from ui.temporal_views import (TABS, console_chart, last_event_chart, moment_input, question_params, result_table,
                               tab_param)
from ui.navigation import stay_on_the_router
from ui.scan_views import impact_section, scan_section
from ui.url_state import publish, restore

S = st.session_state


def asked_by_link(tab: str) -> bool:
    """True once, when a link opened this tab with its question: the link shows the answer, not just the form."""
    return S.get("temporal_linked_tab") == tab and S.pop("temporal_linked_tab") is not None


stay_on_the_router()  # first, before anything is drawn (see its docstring)
st.title("Temporal queries")
st.caption("Ask the history questions over time: what everything looked like at a moment, what changed "
           "between two moments, every value a field took, or anything else in SQL. The address bar holds the "
           "question: copy it to share it.")

with plain_errors():
    engine = get_engine()
    store = engine.store
    types = stream_types(engine)
    first, last = history_span(store)
    if first is None or last is None:
        st.info("The store is empty. Send a command on the Commands page, or import a history.")
        st.stop()
    questions = question_params(store, types, first, last)
    every_param = [tab_param(), *(p for params in questions.values() for p in params)]
    if restore(every_param, "temporal_url_seen") and st.query_params.get("q") in TABS:
        S["temporal_linked_tab"] = st.query_params["q"]
    as_of_tab, between_tab, field_tab, scan_tab, sql_tab = st.tabs(list(TABS.values()), key="temporal_tab", on_change="rerun")

with as_of_tab, plain_errors():
    st.markdown("The state of every stream of a type **as it was** at a moment: its events up to then, folded.")
    c = st.columns([2, 3, 2])
    stream_type = c[0].selectbox("Stream type", types, key="temporal_asof_type")
    at = moment_input("Moment", "temporal_asof_at", last, first, last, c[1])
    clock = c[2].radio("Clock", ["occurred_at", "recorded_at"], key="temporal_asof_clock", horizontal=True,
                       help="occurred_at: when it happened in the domain; recorded_at: when the store committed it.")
    model = read_model_of(engine, stream_type)
    use_model = model is not None and st.toggle(
        f"Show the '{model[1]}' table of the '{model[0]}' read model as it was (built from the events up to then), "
        "instead of the generic fold", key="temporal_asof_model")
    if st.button("Show the state", key="temporal_asof_run", type="primary") or asked_by_link("as_of"):
        S.pop("temporal_asof_result", None)
        with st.spinner("Reading every stream's state as of that moment…"):
            if use_model and model is not None:
                S["temporal_asof_result"] = read_model_as_of(engine, model[0], at, by=clock)[model[1]], at, False
            else:
                S["temporal_asof_result"] = streams_as_of(store, at, stream_type, by=clock), at, True
    if "temporal_asof_result" in S:
        frame, shown_at, linked = S["temporal_asof_result"]
        st.markdown(f"**{len(frame):,} streams** as of {shown_at:%Y-%m-%d %H:%M} UTC")
        if linked and not frame.empty:
            st.caption("Where they stood: the type of each stream's last event by then.")
            last_event_chart(frame, "temporal_asof_chart")
        result_table(frame, "temporal_asof_table", f"state-as-of-{shown_at:%Y%m%dT%H%M}.csv", shown_at, linked,
                     expand=expand_states if linked else None)

with between_tab, plain_errors():
    st.markdown("Which streams were **created**, which **changed** (with the events that changed them and the "
                "fields they set) and which reached a **final state** after the first moment, up to the second.")
    c = st.columns([2, 3, 3])
    b_type: str | None = c[0].selectbox("Stream type", ["(all)", *types], key="temporal_between_type")
    b_type = None if b_type == "(all)" else b_type
    start = moment_input("From", "temporal_between_start", first + (last - first) * 0.5, first, last, c[1])
    end = moment_input("To", "temporal_between_end", last, first, last, c[2])
    detected = final_event_types(store, b_type)
    finals = st.multiselect("Event types that count as a final state (found in the data: never followed by "
                            "another event)", sorted(set(detected) | set(S.get("temporal_between_finals", []))),
                            default=detected, key="temporal_between_finals")
    if st.button("Compare the two moments", key="temporal_between_run", type="primary") or asked_by_link("between"):
        S.pop("temporal_between_result", None)
        S["temporal_between_result"] = changes_between(store, start, end, b_type, finals)
    if "temporal_between_result" in S:
        ch = S["temporal_between_result"]
        if ch.is_empty:
            st.info("Nothing happened between these two moments. Widen the range.")
        for title, frame, name in (("Created", ch.created, "created"), ("Changed", ch.changed, "changed"),
                                   ("Reached a final state", ch.finished, "finished")):
            st.subheader(f"{title}: {len(frame):,}")
            result_table(frame, f"temporal_between_{name}", f"{name}.csv", ch.end)

with field_tab, plain_errors():
    st.markdown("Every value one field of the events' data took, and when: in one stream or across a type.")
    c = st.columns([2, 3, 3])
    f_type = c[0].selectbox("Stream type", types, key="temporal_field_type")
    f_stream = c[1].text_input("Only this stream (optional)", key="temporal_field_stream",
                               placeholder="e.g. product-… (empty: every stream of the type)")
    fields = c[2].multiselect("Field (several: the first one an event carries)", fields_of(store, f_type),
                              key="temporal_field_names")
    changes_only = st.checkbox("Only the events that changed the value", value=True, key="temporal_field_changes")
    if not fields:
        st.caption("Pick a field, for example `price` and `new_price` for products.")
    else:
        history = field_history(store, fields, f_stream.strip() or None, f_type, changes_only)
        if history.empty:
            st.info("No event of this selection carries that field.")
        else:
            result_table(history, "temporal_field_table", "field-history.csv")

with scan_tab, plain_errors():
    scan_section(engine, types, asked_by_link("scan"))
    impact_section(engine, types)

with sql_tab, plain_errors():
    st.markdown("Read-only SQL (DuckDB) over the view **`events`** (`position, event_id, stream_id, stream_type, "
                "version, event_type, schema_version, data, metadata, occurred_at, recorded_at`; `data` and "
                "`metadata` are JSON: `data->>'total'`), the `command_log` and the read-model tables "
                "(`rm_<projection>_v<N>_<table>`; `SHOW TABLES` lists them) and **`streams`** (every stream's state). "
                "A table **as it was**: `FROM orders FOR VALID_TIME AS OF '2026-03-01'` (what had happened by then) or "
                "`FOR SYSTEM_TIME AS OF` (what the store had recorded by then). Nothing can be changed from here, "
                "and a query is stopped after 10 seconds.")
    example = st.selectbox("Start from an example", ["(type your own)", *EXAMPLES], key="temporal_sql_example")
    if example != S.get("temporal_sql_example_seen"):
        S["temporal_sql_example_seen"] = example
        if example in EXAMPLES:
            S["temporal_sql_text"] = EXAMPLES[example]
    sql = st.text_area("SQL", key="temporal_sql_text", height=160, placeholder="SELECT … FROM events …")
    if st.button("Run", key="temporal_sql_run", type="primary") or asked_by_link("sql"):
        S.pop("temporal_sql_result", None)
        S["temporal_sql_result"] = run_query(engine, sql)
    if "temporal_sql_result" in S:
        result = S["temporal_sql_result"]
        if result.attrs.get("truncated"):
            st.warning(result.attrs.get("cut_message") or f"The result was cut at {len(result):,} rows.")
        table_tab, chart_tab = st.tabs(["Table", "Chart"])
        with table_tab:
            result_table(result, "temporal_sql_table", "query.csv", link_streams=False)
        with chart_tab:
            console_chart(result, "temporal_sql_chart")

with plain_errors():
    open_tab = next((slug for slug, label in TABS.items() if label == S.get("temporal_tab")), "as_of")
    publish(every_param, "temporal_url_seen", shown=["q", *(p.name for p in questions[open_tab])])
