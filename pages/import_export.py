"""Import and export: bring event histories in from files, and take any part of the store out as a file."""
from urllib.parse import urlencode

import streamlit as st

from esengine.browsing.links import filter_from_params, filter_to_params
from esengine.errors import ImportRejected
from esengine.interchange import export_bytes
from esengine.interchange.export import Format
from esengine.interchange.importer import import_file, preview_file
from esengine.interchange.mapping import ColumnMapping
from esengine.interchange.readers import UNNAMED
from esengine.store.filters import EventFilter
from ui.cached import event_types, stream_types
from ui.downloads import download_button
from ui.engine import get_engine
from ui.feedback import plain_errors
from ui.navigation import stay_on_the_router

stay_on_the_router()  # first, before anything is drawn (see its docstring)

MAX_DOWNLOAD = 500_000  # larger exports go through the command line, which streams to a file
LAYOUTS = {"xes": "an XES event log", "esengine": "an esengine export", "cloudevents": "CloudEvents",
           "eventsourcing": "the stored events of an eventsourcing application"}
FORMAT_NAMES: dict[Format, str] = {"jsonl": "JSON lines (CloudEvents)", "csv": "CSV", "parquet": "Parquet",
                                   "xes": "XES (process mining)"}
UPLOAD_TYPES = ["csv", "jsonl", "ndjson", "json", "parquet", "xes", "gz", "sqlite", "sqlite3", "db"]

st.title("Import and export")
st.caption("Bring a real event history in from a file (an XES process-mining log, CloudEvents, JSON lines, "
           "CSV, Parquet, or the SQLite database of a Python eventsourcing application), or take events out. An import is all or nothing: a faulty file is refused "
           "with the line at fault, and the store stays as it was.")


def mapping_form(preview) -> ColumnMapping:
    """Widgets to say which column is what; start from the recognised or guessed mapping."""
    columns, known = preview.columns, preview.mapping
    if known is not None and known.kind != "custom":
        st.success(f"Recognised as **{LAYOUTS[known.kind]}**: stream id from "
                   f"`{known.stream_id}`, event type from `{known.event_type}`, time from `{known.time}`.")
        if not st.toggle("Change the column mapping", key="ie_custom"):
            return known
    else:
        st.warning("The columns are not a layout this import knows: say which column is which "
                   "(the choices below are guesses from the column names).")
    if known is None:
        raise ImportRejected("The file needs at least three columns: a stream id, an event type and a time.")
    cols = st.columns(3)
    tag = preview.source.name  # a new file starts from its own guesses, not the last file's choices

    def pick(col, label, current, role, help_text):
        return col.selectbox(label, columns, index=columns.index(current), key=f"ie_{role}_{tag}", help=help_text)
    stream = pick(cols[0], "Stream id", known.stream_id, "stream", "Each distinct value becomes one stream.")
    kind = pick(cols[1], "Event type", known.event_type, "type", "What happened, e.g. an activity name.")
    time = pick(cols[2], "Time", known.time, "time", "ISO 8601; a time without an offset is taken as UTC.")
    rest = [c for c in columns if c not in (stream, kind, time)]
    metadata = st.multiselect("Columns that become metadata", rest, key=f"ie_metadata_{tag}",
                              help="Who or what caused the event, e.g. a user or a source system.")
    data = st.multiselect("Columns that become the event's data", [c for c in rest if c not in metadata],
                          default=[c for c in rest if c not in metadata and not c.startswith(UNNAMED)],
                          key=f"ie_data_{tag}", help="Empty cells are left out of the data.")
    return ColumnMapping(stream, kind, time, data=tuple(data), metadata=tuple(metadata))


def run_import(engine, upload, mapping: ColumnMapping, stream_type: str, append: bool) -> None:
    bar = st.progress(0.0, text="Starting")

    def show(fraction: float, message: str) -> None:
        bar.progress(min(fraction, 1.0), text=message)
    try:
        result = import_file(engine, upload, name=upload.name, mapping=mapping, stream_type=stream_type or None,
                             on_existing="append" if append else "refuse",
                             progress=show)
    finally:
        bar.empty()
    st.success(result.summary())
    cols = st.columns(2)
    with cols[0]:
        st.page_link("pages/event_browser.py", label="Browse the imported events", icon=":material/list_alt:",
                     query_params={"stream_type": ",".join(result.stream_types)})
    if result.sample_stream:
        with cols[1]:
            st.page_link("pages/time_travel.py", label=f"Time-travel through stream {result.sample_stream}",
                         icon=":material/history:", query_params={"stream": result.sample_stream})


def import_tab(engine) -> None:
    upload = st.file_uploader("An event log file", type=UPLOAD_TYPES, key="ie_upload",
                              help="One row (or JSON object, or XES event) per event; or an eventsourcing "
                                   "application's SQLite database.")
    if upload is None:
        st.info("Choose a file to see a preview. XES logs (`.xes`, `.xes.gz`, or CSV with the columns "
                "`case:concept:name`, `concept:name`, `time:timestamp`), CloudEvents, this app's own exports and "
                "the SQLite database of a Python eventsourcing application (its `stored_events`, not compressed "
                "or encrypted) are recognised without a mapping. For files too large to upload, use "
                "`python -m esengine import FILE`.")
        return
    preview = preview_file(upload, name=upload.name)
    st.markdown(f"**Preview** of `{upload.name}`: the first {len(preview.rows)} rows, "
                f"{len(preview.columns)} columns.")
    st.dataframe(preview.rows, hide_index=True, key="ie_preview", height=240 if len(preview.rows) > 6 else "auto")
    mapping = mapping_form(preview)
    left, right = st.columns(2)
    stream_type = left.text_input("Stream type", value=preview.source.stem, key="ie_stream_type",
                                  help="The type of the imported streams, when the file does not give one.")
    append = right.checkbox("Append to streams that already exist", key="ie_append",
                            help="Otherwise an import that names an existing stream is refused.")
    if st.button("Import", type="primary", key="ie_import"):
        run_import(engine, upload, mapping, stream_type, append)


def export_tab(engine) -> None:
    linked = filter_from_params(st.query_params)  # the event browser can link here with its filters
    cols = st.columns(2)
    types = cols[0].multiselect("Stream types", stream_types(engine), key="ie_x_stream_types",
                                default=[t for t in linked.stream_types if t in stream_types(engine)])
    kinds = cols[1].multiselect("Event types", event_types(engine), key="ie_x_event_types",
                                default=[t for t in linked.event_types if t in event_types(engine)])
    stream = cols[0].text_input("Stream id (or a pattern with * and ?)", value=linked.stream_id or
                                linked.stream_search or "", key="ie_x_stream")
    text = cols[1].text_input("Text in the data", value=linked.text or "", key="ie_x_text")
    pattern = "*" in stream or "?" in stream
    where = EventFilter(stream_id=None if pattern else (stream.strip() or None),
                        stream_search=stream.strip() if pattern else None, stream_types=tuple(types),
                        event_types=tuple(kinds), occurred_from=linked.occurred_from, occurred_to=linked.occurred_to,
                        correlation_id=linked.correlation_id, text=text.strip() or None)
    hidden = {"occurred from": linked.occurred_from, "occurred before": linked.occurred_to,
              "correlation id": linked.correlation_id}
    if any(hidden.values()):
        st.caption("Also filtered by the link: " + ", ".join(f"{k} {v}" for k, v in hidden.items() if v) + " (UTC).")
    count = engine.store.count(where)
    fmt = st.radio("Format", list(FORMAT_NAMES), format_func=FORMAT_NAMES.get, horizontal=True, key="ie_x_format")
    kept = ("XES keeps cases, activities, times and data for process-mining tools; stream types, versions and "
            "metadata stay behind (JSON lines keep them)." if fmt == "xes"
            else "Exports keep everything needed to import them again.")
    st.markdown(f"**{count:,} events** match ([see them in the event browser](/event_browser?"
                f"{urlencode(filter_to_params(where))})). {kept}")
    if count > MAX_DOWNLOAD:
        st.info(f"That is too many for a download from the browser; use the command line: "
                f"`python -m esengine export --format {fmt} --out events.{fmt} --db ...` with the same filters.")
    elif count and st.button("Prepare the file", key="ie_x_prepare"):
        with st.spinner("Writing the export"):
            data = export_bytes(engine, where, fmt)
        download_button(f"Download {count:,} events ({len(data) / 1e6:.1f} MB)", data, f"events.{fmt}",
                        key="ie_x_download", type="primary")


with plain_errors():
    engine = get_engine()
    linked_export = any(k in st.query_params for k in ("stream", "stream_type", "event_type", "from", "to",
                                                       "correlation", "text"))
    importing, exporting = st.tabs(["Import a file", "Export events"], key="ie_tabs",
                                   default="Export events" if linked_export else "Import a file")
    with importing, plain_errors():
        import_tab(engine)
    with exporting, plain_errors():
        export_tab(engine)
