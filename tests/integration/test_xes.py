"""XES logs as process-mining tools write and read them: pm4py's XES imported, our XES export read by pm4py.

pm4py is a test-only dependency: the client nobody here wrote. Counts compared: cases, events, variants
(each distinct sequence of activities with how many cases follow it) and directly-follows pairs.
"""
from __future__ import annotations

import gzip
import itertools
import warnings
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from esengine import Engine
from esengine.errors import ImportRejected
from esengine.interchange import export_events
from esengine.interchange.importer import import_file, preview_file
from tests.conftest import DATASETS

pm4py = pytest.importorskip("pm4py")

# (log, rows taken from its start): small slices keep the test short; cases are cut whole below
LOGS = [("running-example.csv", None), ("roadtraffic100traces.csv", None), ("receipt.csv", 1500)]


def _log_frame(name: str, rows: int | None) -> pd.DataFrame:
    frame = pd.read_csv(DATASETS / name, nrows=rows, dtype={"case:concept:name": str})
    if rows is not None:  # drop the last case, which the slice may have cut
        frame = frame[frame["case:concept:name"] != frame["case:concept:name"].iloc[-1]]
    frame = frame.loc[:, [c for c in frame.columns if c and not c.startswith("Unnamed")]]
    frame["time:timestamp"] = pd.to_datetime(frame["time:timestamp"], utc=True, format="ISO8601")
    return frame


def _write_with_pm4py(frame: pd.DataFrame, path: Path) -> None:
    log = pm4py.format_dataframe(frame, case_id="case:concept:name", activity_key="concept:name",
                                 timestamp_key="time:timestamp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pm4py.write_xes(log, str(path), show_progress_bar=False)


def _read_with_pm4py(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pm4py.read_xes(str(path), show_progress_bar=False)


def _pm4py_counts(frame: pd.DataFrame) -> tuple[int, int, dict, dict]:
    """As pm4py counts them: cases, events, variants, directly-follows pairs."""
    variants = {tuple(v): n for v, n in pm4py.get_variants(frame).items()}
    dfg, _, _ = pm4py.discover_dfg(frame)
    return frame["case:concept:name"].nunique(), len(frame), variants, dict(dfg)


def _store_counts(engine) -> tuple[int, int, dict, dict]:
    """The same counts from the store: each stream's event types in version order."""
    sequences = [tuple(s) for (s,) in engine.store.cursor().execute(
        "SELECT list(event_type ORDER BY version) FROM events GROUP BY stream_id").fetchall()]
    pairs = Counter((a, b) for s in sequences for a, b in itertools.pairwise(s))
    return len(sequences), sum(map(len, sequences)), dict(Counter(sequences)), dict(pairs)


@pytest.mark.parametrize("name, rows", LOGS)
def test_pm4py_xes_imports_and_our_xes_export_reads_back_with_the_same_counts(tmp_path, name, rows):
    frame = _log_frame(name, rows)
    written = tmp_path / "log.xes"
    _write_with_pm4py(frame, written)
    truth = _pm4py_counts(_read_with_pm4py(written))
    assert truth[0] == frame["case:concept:name"].nunique() and truth[1] == len(frame)

    with Engine(tmp_path / "store.duckdb") as engine:
        result = import_file(engine, written)
        assert (result.layout, result.fmt, result.events, result.streams) == ("xes", "xes", truth[1], truth[0])
        assert _store_counts(engine) == truth

        exported = tmp_path / "ours.xes.gz"  # compressed, as logs are often shared
        assert export_events(engine, None, "xes", exported) == truth[1]
        assert gzip.decompress(exported.read_bytes())[:5] == b"<?xml"
        assert _pm4py_counts(_read_with_pm4py(exported)) == truth


def test_the_csv_log_and_its_xes_give_the_same_events_with_case_attributes_in_the_data(tmp_path):
    frame = _log_frame("running-example.csv", None)
    _write_with_pm4py(frame, tmp_path / "running.xes")
    with Engine(tmp_path / "a.duckdb") as from_csv, Engine(tmp_path / "b.duckdb") as from_xes:
        import_file(from_csv, DATASETS / "running-example.csv", stream_type="running")
        import_file(from_xes, tmp_path / "running.xes", stream_type="running")
        for case in ("3", "6"):
            csv_events, xes_events = from_csv.store.get_events(case), from_xes.store.get_events(case)
            assert [(e.version, e.event_type, e.occurred_at) for e in xes_events] == \
                [(e.version, e.event_type, e.occurred_at) for e in csv_events]
            for c, x in zip(csv_events, xes_events):
                assert x.data["case:creator"] == c.data["case:creator"] == "Fluxicon Nitro"  # the trace's attribute
                assert x.data["Costs"] == c.data["Costs"] and isinstance(x.data["Costs"], int)
                assert x.data["org:resource"] == c.data["org:resource"]


XES = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xmlns="http://www.xes-standard.org/">
  <string key="concept:name" value="a log attribute, not an event's"/>
  <global scope="event"><string key="concept:name" value="__INVALID__"/></global>
  <trace>
    <string key="concept:name" value="case-1"/>
    <event>
      <string key="concept:name" value="Opened"/>
      <date key="time:timestamp" value="2024-05-01T10:00:00.000+02:00"/>
      <int key="amount" value="12"/>
      <float key="rate" value="0.5"/>
      <boolean key="urgent" value="true"/>
      <id key="ticket" value="T-9"/>
      <string key="org:resource" value="Ann"><string key="role" value="clerk"/></string>
      <list key="tags"><values><string key="tag" value="a"/><string key="tag" value="b"/></values></list>
      <container key="address"><string key="city" value="Ghent"/><int key="zip" value="9000"/></container>
    </event>
    <event>
      <string key="concept:name" value="Closed"/>
      <date key="time:timestamp" value="2024-05-01T09:30:00Z"/>
      <float key="refund" value="nan"/>
    </event>
    <int key="priority" value="2"/>
  </trace>
</log>
"""


def test_typed_nested_and_trace_attributes_land_in_the_data_and_times_in_utc(engine):
    result = import_file(engine, XES.encode(), name="tickets.xes")
    assert (result.events, result.streams, result.stream_types) == (2, 1, ["tickets"])
    opened, closed = engine.store.get_events("case-1")  # versions follow the times, normalised to UTC
    assert (opened.event_type, closed.event_type) == ("Opened", "Closed")
    assert opened.occurred_at.isoformat() == "2024-05-01T08:00:00"
    assert opened.data == {"amount": 12, "rate": 0.5, "urgent": True, "ticket": "T-9", "org:resource": "Ann",
                           "org:resource:role": "clerk", "tags": ["a", "b"], "address": {"city": "Ghent", "zip": 9000},
                           "case:priority": 2}  # the trace's attribute, although written after its events
    assert closed.data == {"case:priority": 2}  # a NaN float is a missing value, as pandas writes one


def test_xes_round_trip_keeps_ids_types_and_nested_values(engine, tmp_path):
    import_file(engine, XES.encode(), name="tickets.xes")
    export_events(engine, None, "xes", tmp_path / "out.xes")
    with Engine(tmp_path / "copy.duckdb") as copy:
        import_file(copy, tmp_path / "out.xes", stream_type="tickets")
        assert [(e.event_id, e.version, e.event_type, e.occurred_at, e.data) for e in copy.store.get_events("case-1")] \
            == [(e.event_id, e.version, e.event_type, e.occurred_at, e.data) for e in engine.store.get_events("case-1")]


def test_an_xes_file_is_told_by_its_content_and_previewed(tmp_path):
    path = tmp_path / "export-without-suffix"
    path.write_bytes(gzip.compress(XES.encode()))
    preview = preview_file(path)
    assert preview.source.fmt == "xes" and preview.mapping.kind == "xes"
    assert list(preview.rows["concept:name"]) == ["Opened", "Closed"]
    assert {"case:concept:name", "time:timestamp", "amount", "case:priority"} <= set(preview.columns)


BAD = {
    "not well-formed": ("<log><trace><event></trace></log>", 1, "not well-formed XML"),
    "not a log": ("<?xml version='1.0'?>\n<html/>", 2, "not an XES log"),
    "event outside a trace": ("<log>\n<event/>\n</log>", 2, "not inside a <trace>"),
    "an int that is not": (('<log><trace><string key="concept:name" value="c"/>\n<event>'
                           '<int key="n" value="1.5"/></event></trace></log>'), 2, "not a whole number"),
    "infinity": (('<log><trace><string key="concept:name" value="c"/>\n<event>'
                 '<float key="x" value="-INF"/></event></trace></log>'), 2, "not a finite number"),
    "entities": ('<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY a "aaaa">]>\n<log/>', 2, "declares entities"),
    "no trace name": (('<log><trace>\n<event><string key="concept:name" value="A"/>'
                      '<date key="time:timestamp" value="2024-01-01T00:00:00Z"/></event></trace></log>'), 2,
                      "no stream id"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_faulty_xes_file_is_refused_with_its_line_and_nothing_is_written(engine, case):
    text, line, message = BAD[case]
    with pytest.raises(ImportRejected, match=message) as refused:
        import_file(engine, text.encode(), name="bad.xes")
    assert refused.value.line == line
    assert engine.store.count() == 0


def test_a_cut_gzip_file_is_refused_plainly(engine):
    data = gzip.compress(XES.encode())
    with pytest.raises(ImportRejected, match="cut short or damaged"):
        import_file(engine, data[: len(data) // 2], name="cut.xes.gz")


def test_the_command_line_exports_xes_and_imports_it(engine, tmp_path):
    from esengine.cli import main
    source = tmp_path / "tickets.xes"
    source.write_text(XES, encoding="utf-8")
    db = tmp_path / "cli.duckdb"
    assert main(["import", str(source), "--db", str(db), "--quiet"]) == 0
    out = tmp_path / "out.xes"
    assert main(["export", "--format", "xes", "--out", str(out), "--db", str(db), "--quiet"]) == 0
    frame = _read_with_pm4py(out)
    assert list(frame["concept:name"]) == ["Opened", "Closed"]
    assert list(frame["case:concept:name"]) == ["case-1", "case-1"]
    assert frame.iloc[0]["amount"] == 12 and frame.iloc[0]["case:priority"] == 2
