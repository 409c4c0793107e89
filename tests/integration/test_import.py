"""Importing real logs and refusing malformed files: counts, versions in time order, all or nothing."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, UTC

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from esengine.errors import ImportRejected
from esengine.interchange.importer import import_file, preview_file
from esengine.interchange.mapping import ColumnMapping
from tests.conftest import DATASETS

# (file, events, cases, activities) as the datasets' README states them
REAL_LOGS = [("receipt.csv", 8577, 1434, 27), ("roadtraffic100traces.csv", 390, 100, 10),
             ("running-example.csv", 42, 6, 8)]


def _counts(engine, stream_type):
    return engine.store.cursor().execute(
        "SELECT count(*), count(DISTINCT stream_id), count(DISTINCT event_type) FROM events WHERE stream_type = ?",
        [stream_type]).fetchall()[0]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


@pytest.mark.parametrize("name, events, cases, activities", REAL_LOGS)
def test_each_real_log_imports_with_the_counts_its_readme_states(engine, name, events, cases, activities):
    result = import_file(engine, DATASETS / name)
    stem = name.removesuffix(".csv")
    assert (result.events, result.streams, result.event_types) == (events, cases, activities)
    assert _counts(engine, stem) == (events, cases, activities)
    assert result.layout == "xes"


@pytest.mark.parametrize("name", [n for n, *_ in REAL_LOGS])
def test_a_streams_versions_follow_its_timestamps_normalised_to_utc(engine, name):
    import_file(engine, DATASETS / name)
    with open(DATASETS / name, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    case = rows[0]["case:concept:name"]
    expected = sorted((_utc(r["time:timestamp"]), i) for i, r in enumerate(rows) if r["case:concept:name"] == case)
    stored = engine.store.get_events(case)
    assert [e.version for e in stored] == list(range(1, len(expected) + 1))
    assert [e.occurred_at for e in stored] == [t for t, _ in expected]
    assert [e.event_type for e in stored] == [rows[i]["concept:name"] for _, i in expected]
    bad = engine.store.cursor().execute("""SELECT count(*) FROM (SELECT occurred_at < lag(occurred_at) OVER
        (PARTITION BY stream_id ORDER BY version) AS backwards FROM events) WHERE backwards""").fetchall()[0][0]
    assert bad == 0


def test_empty_cells_are_absent_and_the_literal_empty_is_kept(engine):
    import_file(engine, DATASETS / "receipt.csv")
    datas = [json.loads(d) for (d,) in engine.store.cursor().execute("SELECT CAST(data AS VARCHAR) FROM events")
             .fetchall()]
    assert not any(v is None or v == "nan" or v == "" for d in datas for v in d.values())
    with open(DATASETS / "receipt.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sum(r["org:group"] == "EMPTY" for r in rows) == sum(d.get("org:group") == "EMPTY" for d in datas)
    assert sum(r["case:enddate"] == "" for r in rows) == sum("case:enddate" not in d for d in datas)


def test_case_attributes_and_numbers_land_in_the_data(engine):
    import_file(engine, DATASETS / "running-example.csv")
    first = engine.store.get_events("3")[0]
    assert first.data["case:creator"] == "Fluxicon Nitro"
    assert first.data["Costs"] == 50  # a number, not the text "50"
    assert "case:concept:name" not in first.data and "concept:name" not in first.data
    assert first.stream_type == "running-example"


def test_the_stream_type_of_an_xes_log_can_be_chosen(engine):
    import_file(engine, DATASETS / "running-example.csv", stream_type="claim")
    assert _counts(engine, "claim") == (42, 6, 8)


def test_an_imported_log_reaches_projections_and_a_second_import_of_it_is_refused(engine):
    import_file(engine, DATASETS / "running-example.csv")
    before = engine.store.last_position()
    with pytest.raises(ImportRejected, match="already in the store"):
        import_file(engine, DATASETS / "running-example.csv")
    assert engine.store.last_position() == before


def test_existing_streams_are_refused_by_default_and_extended_on_request(engine):
    first = "stream,type,time\ns-1,Opened,2024-01-01T10:00:00Z\n"
    more = "stream,type,time\ns-1,Closed,2024-01-02T10:00:00Z\n"
    mapping = ColumnMapping("stream", "type", "time")
    import_file(engine, first.encode(), name="a.csv", mapping=mapping)
    with pytest.raises(ImportRejected, match="already exist.*'s-1'"):
        import_file(engine, more.encode(), name="b.csv", mapping=mapping)
    assert engine.store.current_version("s-1") == 1
    result = import_file(engine, more.encode(), name="b.csv", mapping=mapping, on_existing="append")
    assert result.appended_streams == 1
    assert [(e.version, e.event_type) for e in engine.store.get_events("s-1")] == [(1, "Opened"), (2, "Closed")]


def test_ties_in_time_keep_file_order_and_offsets_become_utc(engine):
    text = ("case,activity,at,note\n"
            "c1,B,2024-03-31 03:00:00+02:00,second\n"
            "c1,A,2024-03-31 01:00:00+00:00,first in file\n"
            "c1,C,2024-03-31T01:00:00Z,tie\n")
    import_file(engine, text.encode(), name="log.csv", mapping=ColumnMapping("case", "activity", "at"))
    events = engine.store.get_events("c1")
    assert [e.event_type for e in events] == ["B", "A", "C"]
    assert {e.occurred_at for e in events} == {datetime(2024, 3, 31, 1)}


def test_a_custom_mapping_puts_chosen_columns_in_data_and_metadata(engine):
    text = "id,what,when,amount,user,ignored\nk,Paid,2024-01-01T00:00:00,12.5,ann,x\n"
    import_file(engine, text.encode(), name="p.csv", stream_type="payment",
                mapping=ColumnMapping("id", "what", "when", data=("amount",), metadata=("user",)))
    event = engine.store.get_events("k")[0]
    assert event.data == {"amount": 12.5}
    assert event.metadata["user"] == "ann" and event.stream_type == "payment"


def test_json_lines_and_a_cloudevents_batch_import_with_their_nested_data(engine):
    events = [{"specversion": "1.0", "id": f"evt-{i}", "source": "/shop", "type": "ItemAdded", "subject": "cart-1",
               "time": f"2024-05-01T10:0{i}:00+02:00", "data": {"sku": "A", "options": {"size": None}},
               "tenant": "eu"} for i in range(3)]
    import_file(engine, json.dumps(events).encode(), name="batch.json", stream_type="cart")
    stored = engine.store.get_events("cart-1")
    assert [e.version for e in stored] == [1, 2, 3]
    assert stored[0].data == {"sku": "A", "options": {"size": None}}
    assert stored[0].metadata == {"command": "Import", "source_file": "batch.json", "source": "/shop", "tenant": "eu"}
    assert stored[0].occurred_at == datetime(2024, 5, 1, 8, 0)
    lines = "\n".join(json.dumps({"case": "x", "activity": "Go", "ts": "2024-01-01T00:00:00Z", "n": i, "tags": [i]})
                      for i in range(2))
    import_file(engine, lines.encode(), name="generic.jsonl", mapping=ColumnMapping("case", "activity", "ts"))
    assert [e.data for e in engine.store.get_events("x")] == [{"n": 0, "tags": [0]}, {"n": 1, "tags": [1]}]


def test_a_parquet_log_with_aware_timestamps_imports_in_utc(engine, tmp_path):
    table = pa.table({"case:concept:name": ["c", "c"], "concept:name": ["Start", "End"],
                      "time:timestamp": pa.array([datetime(2024, 1, 1, 12, tzinfo=UTC),
                                                  datetime(2024, 1, 1, 11, tzinfo=UTC)],
                                                 pa.timestamp("us", tz="UTC")),
                      "cost": [1.5, None]})
    pq.write_table(table, tmp_path / "log.parquet")
    import_file(engine, tmp_path / "log.parquet")
    events = engine.store.get_events("c")
    assert [(e.event_type, e.occurred_at) for e in events] == [("End", datetime(2024, 1, 1, 11)),
                                                                 ("Start", datetime(2024, 1, 1, 12))]
    assert events[0].data == {} and events[1].data == {"cost": 1.5}


def test_a_file_of_unknown_layout_asks_for_a_mapping(engine):
    with pytest.raises(ImportRejected, match="column mapping"):
        import_file(engine, b"a,b\n1,2\n", name="x.csv")


def test_the_preview_shows_columns_rows_and_the_recognised_mapping():
    preview = preview_file(DATASETS / "receipt.csv", rows=5)
    assert len(preview.rows) == 5 and "time:timestamp" in preview.columns
    assert preview.mapping.kind == "xes"


# -- malformed files: refused with the place at fault, nothing written ---------------------------------
XES_HEADER = "case:concept:name,concept:name,time:timestamp,amount\n"
ID = "6f1c9b1e-8d0a-4c55-9a63-0c6f3b8e2a11"


def _parquet(columns: dict) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


GOOD_ROW = "c1,Start,2024-01-01T10:00:00Z,1\n"
MALFORMED = {
    "bad encoding": (XES_HEADER.encode() + GOOD_ROW.encode() + b"c2,Caf\xe9,2024-01-01T11:00:00Z,2\n", "csv",
                     "UTF-8", 3, "concept:name"),
    "missing column": (b"case:concept:name,concept:name,when\nc1,Start,2024-01-01T10:00:00Z\n", "csv",
                       "column mapping", None, None),
    "bad timestamp": ((XES_HEADER + GOOD_ROW + "c2,Start,31/02/2024 10h,2\n").encode(), "csv", "not a time", 3,
                      "time:timestamp"),
    "ragged rows": ((XES_HEADER + GOOD_ROW + "c2,Start,2024-01-01T10:00:00Z\n").encode(), "csv", "values", 3, None),
    "empty file": (b"", "csv", "empty", 1, None),
    "header only": (XES_HEADER.encode(), "csv", "no events", 2, None),
    "no stream id": ((XES_HEADER + GOOD_ROW + ",Start,2024-01-01T10:00:00Z,1\n").encode(), "csv", "no stream id",
                     3, "case:concept:name"),
    "duplicate event id": (
        "\n".join(json.dumps({"specversion": "1.0", "id": "same", "source": "/x", "type": "T", "subject": f"s{i}",
                              "time": "2024-01-01T00:00:00Z"}) for i in range(3)).encode(),
        "jsonl", "appears twice", 2, "id"),
    "json line not an object": ((b'{"specversion":"1.0","id":"a","type":"T","subject":"s","time":"2024-01-01"}\n'
                                b'{"broken": \n'), "jsonl", "not a JSON object", 2, None),
    "bad json document": (b'[{"a": 1},', "json", "not valid JSON", 1, None),
    "not parquet": (b"PAR1 this is not parquet", "parquet", "Parquet", None, None),
    "json lines bad encoding": ((b'{"specversion":"1.0","id":"a","type":"T","subject":"s","time":"2024-01-01"}\n'
                                b'{"specversion":"1.0","id":"b","type":"Caf\xe9","subject":"s","time":"2024-01-01"}\n'),
                                "jsonl", "UTF-8", 2, None),
    "json lines empty": (b"\n\n", "jsonl", "no events", 1, None),
    "json lines bad timestamp": (b'{"specversion":"1.0","id":"a","type":"T","subject":"s","time":"yesterday"}\n',
                                 "jsonl", "not a time", 1, "time"),
    "parquet bad timestamp": (_parquet({"case:concept:name": ["a", "b"], "concept:name": ["T", "T"],
                                        "time:timestamp": ["2024-01-01T00:00:00Z", "13/13/2024"]}),
                              "parquet", "not a time", 2, "time:timestamp"),
    "parquet duplicate event id": (_parquet({"event_id": [ID, ID], "stream_id": ["s", "s"], "event_type": ["T", "T"],
                                             "occurred_at": ["2024-01-01T00:00:00Z"] * 2, "data": ["{}", "{}"]}),
                                   "parquet", "appears twice", 2, "event_id"),
    "parquet missing column": (_parquet({"case:concept:name": ["a"], "concept:name": ["T"]}), "parquet",
                               "column mapping", None, None),
    # non-finite numbers: stored JSON must stay standard JSON (issue 12, item 5)
    "csv number beyond a double": ((XES_HEADER + GOOD_ROW + "c2,Start,2024-01-01T11:00:00Z,1e400\n").encode(), "csv",
                                   "1e400 .*not a finite number", 3, "amount"),
    "json lines NaN in data": ((b'{"specversion":"1.0","id":"a","type":"T","subject":"s","time":"2024-01-01"}\n'
                               b'{"specversion":"1.0","id":"b","type":"T","subject":"s","time":"2024-01-02",'
                               b'"data":{"items":[1,{"price":NaN}]}}\n'), "jsonl",
                               r"NaN \(at data.items\[1\].price\) is not a finite number", 2, "data"),
    "json lines -inf": (b'{"case:concept:name":"c","concept:name":"A","time:timestamp":"2024-01-01","amount":-inf}\n',
                        "jsonl", "-inf .*not a finite number", 1, "amount"),
    "json array Infinity": ((b'[{"case:concept:name":"c","concept:name":"A","time:timestamp":"2024-01-01","n":1},\n'
                            b' {"case:concept:name":"c","concept:name":"B","time:timestamp":"2024-01-02","n":1e400}]'),
                            "json", "Infinity .*not a finite number", 2, "n"),
    "parquet NaN float": (_parquet({"case:concept:name": ["a", "b"], "concept:name": ["T", "T"],
                                    "time:timestamp": ["2024-01-01T00:00:00Z"] * 2, "price": [1.5, float("nan")]}),
                          "parquet", "not a finite number", 2, "price"),
    "parquet -inf in an export's data": (_parquet({"event_id": [ID], "stream_id": ["s"], "event_type": ["T"],
                                                   "occurred_at": ["2024-01-01T00:00:00Z"],
                                                   "data": ['{"total": -Infinity}']}),
                                         "parquet", r"-Infinity \(at data.total\)", 1, "data"),
    # control characters: the one text rule of every command, for imports too (issue 12, item 3)
    "csv bell in an activity": ((XES_HEADER + GOOD_ROW + "c2,Ring\x07,2024-01-01T11:00:00Z,2\n").encode(), "csv",
                                "event_type contains a control character \\(bell", 3, "concept:name"),
    "json lines NUL in data": ((b'{"case:concept:name":"c","concept:name":"A","time:timestamp":"2024-01-01",'
                               b'"note":"a\\u0000b"}\n'), "jsonl", "data.note contains a control character", 1, "note"),
    "parquet escape in a case id": (_parquet({"case:concept:name": ["ok", "c\x1b[31m"], "concept:name": ["T", "T"],
                                              "time:timestamp": ["2024-01-01T00:00:00Z"] * 2}),
                                    "parquet", "stream_id contains a control character", 2, "case:concept:name"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_file_is_refused_with_its_place_and_nothing_is_written(engine, case):
    content, fmt, message, line, column = MALFORMED[case]
    import_file(engine, DATASETS / "running-example.csv")  # something already stored must stay as it is
    before = engine.store.cursor().execute("SELECT count(*), max(position) FROM events").fetchall()
    with pytest.raises(ImportRejected, match=message) as refused:
        import_file(engine, content, name=f"bad.{fmt}", fmt=fmt)
    assert refused.value.line == line
    assert refused.value.column == column
    assert engine.store.cursor().execute("SELECT count(*), max(position) FROM events").fetchall() == before
    # and the writer still works: positions carry on without a gap
    import_file(engine, (XES_HEADER + GOOD_ROW).encode(), name="after.csv")
    assert engine.store.last_position() == before[0][1] + 1


def test_text_that_only_looks_like_nan_or_infinity_is_kept(engine):
    lines = [{"case:concept:name": "c", "concept:name": "A", "time:timestamp": "2024-01-01", "note": "NaN, Infinity",
              "inf": "info:inf", "big": 1e308, "tiny": 1e-400, "count": 12345678901234567890},
             {"case:concept:name": "c", "concept:name": "B", "time:timestamp": "2024-01-02", "note": "-inf"}]
    import_file(engine, "\n".join(json.dumps(line) for line in lines).encode(), name="words.jsonl")
    csv_text = XES_HEADER + "c2,Start,2024-01-01T10:00:00Z,NaN\nc2,Stop,2024-01-01T11:00:00Z,1.5\n"
    import_file(engine, csv_text.encode(), name="words.csv")
    stored = [json.loads(d) for (d,) in engine.store.cursor().execute(
        "SELECT data::VARCHAR FROM events ORDER BY position").fetchall()]
    assert stored[0]["note"] == "NaN, Infinity" and stored[0]["big"] == 1e308 and stored[0]["tiny"] == 0
    assert stored[1]["note"] == "-inf"
    assert [d["amount"] for d in stored[2:]] == ["NaN", "1.5"]  # a column with a word in it stays text


def test_a_mapping_naming_a_missing_column_is_refused_at_the_header(engine):
    with pytest.raises(ImportRejected) as refused:
        import_file(engine, b"a,b,c\n1,2,3\n", name="x.csv", mapping=ColumnMapping("a", "b", "when"))
    assert (refused.value.line, refused.value.column) == (1, "when")
    assert engine.store.last_position() == 0


def test_a_large_file_is_read_in_batches_with_progress_and_still_all_or_nothing(engine, monkeypatch):
    from esengine.interchange import readers
    monkeypatch.setattr(readers, "_BLOCK", 16 << 10)  # small blocks: several batches
    rows = "".join(f"s{i % 300},Step,2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z\n" for i in range(5000))
    bad = io.BytesIO(("stream,type,time\n" + rows + "s1,Step,not a time\n").encode())
    seen = []
    with pytest.raises(ImportRejected) as refused:
        import_file(engine, bad, name="big.csv", mapping=ColumnMapping("stream", "type", "time"))
    assert refused.value.line == 5002
    assert engine.store.last_position() == 0
    result = import_file(engine, ("stream,type,time\n" + rows).encode(), name="big.csv",
                         mapping=ColumnMapping("stream", "type", "time"), progress=lambda f, m: seen.append((f, m)))
    assert result.events == 5000 and result.streams == 300
    reading = [f for f, m in seen if m == "Reading the file"]
    assert len(reading) > 3 and reading == sorted(reading)
    assert seen[-1] == (1.0, "Done")


def test_an_imported_log_works_in_time_travel_analytics_and_temporal_queries(engine):
    from esengine.analytics.volume import volume
    from esengine.console import run_query
    from esengine.temporal.as_of import streams_as_of
    from esengine.timetravel import state_at
    import_file(engine, DATASETS / "running-example.csv")
    state = state_at(engine, "3", version=2)
    assert (state.version, state.fold) == (2, "generic")
    assert state.state["Activity"] == "examine casually" and state.state["case:creator"] == "Fluxicon Nitro"
    assert state_at(engine, "3", at=datetime(2010, 12, 30, 14, 10)).version == 2  # 15:06+01:00 is 14:06 UTC
    assert volume(engine.store, by="event_type").frame["events"].sum() == 42
    as_of = streams_as_of(engine.store, datetime(2011, 1, 1), stream_type="running-example")
    assert len(as_of) == 3  # cases 1, 2 and 3 had started by new year's day
    answer = run_query(engine, "SELECT count(DISTINCT stream_id) AS cases FROM events "
                               "WHERE json_extract_string(data, '$.\"org:resource\"') = 'Pete'")
    assert answer["cases"][0] > 0
