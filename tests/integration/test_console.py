"""The SQL console is read-only and sealed: every refused attempt leaves the store exactly as it was."""
from __future__ import annotations

import pandas as pd
import pytest

from esengine.console import run_query
from esengine.errors import QueryRejected


def fingerprint(engine) -> dict:
    """Every table's row count and content hash, plus the settings a console user might try to change."""
    cur = engine.connection.cursor()
    tables = [r[0] for r in cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1").fetchall()]
    prints = {t: cur.execute(f'SELECT count(*), bit_xor(hash(t)) FROM "{t}" AS t').fetchall()[0] for t in tables}
    prints["(views)"] = cur.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchall()[0]
    prints["(sequences, macros)"] = cur.execute(
        "SELECT (SELECT count(*) FROM duckdb_sequences()), "
        "(SELECT count(*) FROM duckdb_functions() WHERE function_type LIKE '%macro%' AND NOT internal)").fetchall()[0]
    prints["(databases)"] = cur.execute("SELECT list(database_name ORDER BY 1) FROM duckdb_databases()").fetchall()[0]
    prints["(settings)"] = cur.execute(
        "SELECT list((name, value) ORDER BY name) FROM duckdb_settings() WHERE name IN "
        "('enable_external_access', 'lock_configuration', 'threads', 'memory_limit', 'access_mode')").fetchall()[0]
    cur.close()
    return prints


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A small demo store shared by the refusal tests (each test checks it is unchanged)."""
    from esengine import Engine
    from esengine.demo import generate_bulk
    path = tmp_path_factory.mktemp("console") / "console.duckdb"
    with Engine(path) as engine:
        generate_bulk(engine, events=3000)
        yield engine


REFUSED = [
    "INSERT INTO events SELECT * FROM events LIMIT 1",
    "UPDATE events SET event_type = 'X'",
    "DELETE FROM events",
    "DROP TABLE events",
    "CREATE TABLE t AS SELECT 1",
    "CREATE VIEW v AS SELECT 1",
    "CREATE SEQUENCE s",
    "CREATE MACRO m(x) AS x + 1",
    "ALTER TABLE events ADD COLUMN x INTEGER",
    "ALTER TABLE events RENAME TO gone",
    "COPY events TO '{tmp}/copy.csv'",
    "COPY events FROM '{tmp}/copy.csv'",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "DETACH memory",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET threads = 1",
    "RESET threads",
    "PRAGMA enable_profiling",
    "PRAGMA threads = 1",
    "EXPORT DATABASE '{tmp}/export'",
    "CALL read_csv('{tmp}/copy.csv')",
    "CALL checkpoint()",
    "CHECKPOINT",
    "VACUUM",
    "USE memory",
    "BEGIN TRANSACTION",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/passwd')",
    "SELECT * FROM read_parquet('{tmp}/x.parquet')",
    "SELECT * FROM read_json('{tmp}/x.json')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/passwd')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM 'https://example.com/data.csv'",
    "SELECT count(*) FROM events WHERE stream_id IN (SELECT * FROM read_csv('/etc/passwd'))",
    "WITH f AS (SELECT * FROM glob('/*')) SELECT * FROM f",
    "SELECT * FROM query('DELETE FROM events')",
    "SELECT * FROM checkpoint()",
    "SELECT 1; DELETE FROM events",
    "SELECT 1; SELECT 2",
    "DELETE FROM events; SELECT 1",
    "PIVOT events ON event_type",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_console_refuses_anything_but_one_reading_query_and_leaves_the_store_unchanged(store, tmp_path, sql):
    before = fingerprint(store)
    with pytest.raises(QueryRejected) as refused:
        run_query(store, sql.format(tmp=tmp_path), timeout_s=5)
    message = str(refused.value)
    assert message and "Traceback" not in message
    assert fingerprint(store) == before
    assert list(tmp_path.iterdir()) == []  # no file was written


def test_console_answers_a_reading_query_over_the_documented_events_columns(store):
    frame = run_query(store, "SELECT position, stream_id, stream_type, version, event_type, occurred_at, "
                             "recorded_at, data, metadata FROM events ORDER BY position LIMIT 5")
    assert list(frame["position"]) == [1, 2, 3, 4, 5]
    assert frame.attrs["truncated"] is False


def test_console_reads_the_read_model_tables(store):
    tables = set(run_query(store, "SHOW TABLES")["name"])
    orders_table = next(t for t in tables if t.startswith("rm_orders_") and t.endswith("_orders"))
    counted = run_query(store, f"SELECT count(*) AS n FROM {orders_table}")["n"][0]
    expected = run_query(store, "SELECT count(DISTINCT stream_id) AS n FROM events WHERE stream_type = 'order'")["n"][0]
    assert counted == expected


def test_console_returns_at_most_max_rows_and_says_it_cut_the_result(store):
    frame = run_query(store, "SELECT * FROM events ORDER BY position DESC", max_rows=7)
    assert len(frame) == 7
    assert frame.attrs["truncated"] is True
    assert frame["position"].is_monotonic_decreasing  # the query's own order is kept


def test_console_stops_a_runaway_query_with_a_message_and_keeps_working(store):
    before = fingerprint(store)
    with pytest.raises(QueryRejected, match="stopped after 0.5 seconds"):
        run_query(store, "SELECT count(*) FROM range(1000000000000) a, events b", timeout_s=0.5)
    assert fingerprint(store) == before
    assert run_query(store, "SELECT count(*) AS n FROM events")["n"][0] == before["events"][0]


@pytest.mark.parametrize("sql, says", [
    ("", "empty"),
    ("   ", "empty"),
    ("SELEC * FROM events", "could not be read"),
    ("SELECT * FROM no_such_table", "SHOW TABLES"),
    ("SELECT no_such_column FROM events", "failed"),
    ("SELECT CAST('x' AS INTEGER)", "failed"),
])
def test_console_explains_a_malformed_query_in_plain_words(store, sql, says):
    with pytest.raises(QueryRejected, match=says):
        run_query(store, sql)


def test_every_example_query_runs_and_answers_on_the_demo_history(demo_engine):
    from esengine.console import EXAMPLES
    for name, sql in EXAMPLES.items():
        assert len(run_query(demo_engine, sql)) > 0, name


# -- the console cannot hurt the app: time, memory, result size, settings ---------------------------------
HOSTILE = {
    "a 2 GB string": "SELECT length(repeat('x', 2000000000))",
    "a huge aggregate": "SELECT count(DISTINCT i::VARCHAR || 'padding-padding') FROM range(1000000000) t(i)",
    "a cross join": "SELECT count(*) FROM events a, events b, events c",
}
LIMIT_S, CAP_MB = 2.0, 512


@pytest.mark.parametrize("sql", HOSTILE.values(), ids=HOSTILE.keys())
def test_console_stops_a_hostile_query_within_twice_its_limit_and_under_its_memory_cap(store, sql):
    import resource
    import time
    events = fingerprint(store)["events"][0]
    # a worker is ready, as for a person's second query; what it holds then (the libraries it loaded) is not the
    # query's: the cap bounds the memory a query takes (RLIMIT_DATA), the resident peak counts both
    loaded = run_query(store, "SELECT 1", memory_mb=CAP_MB).attrs["peak_memory_mb"]
    app_peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(QueryRejected, match="stopped") as stopped:
        run_query(store, sql, timeout_s=LIMIT_S, memory_mb=CAP_MB)
    assert time.monotonic() - started < 2 * LIMIT_S
    assert 0 < stopped.value.peak_memory_mb < CAP_MB + loaded
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - app_peak_before < 100 * 1024  # kB: the app kept its memory
    assert run_query(store, "SELECT count(*) AS n FROM events")["n"][0] == events  # and the console still answers


REVEALING = [
    "SELECT * FROM duckdb_settings()",
    "FROM duckdb_settings",
    "SELECT current_setting('temp_directory')",
    "SELECT * FROM duckdb_databases()",
    "SELECT * FROM pragma_database_list",
    "SELECT * FROM pragma_database_size()",
    "SELECT * FROM duckdb_extensions()",
    "SELECT getenv('HOME')",
    "SELECT getvariable('x')",
    "SELECT * FROM duckdb_temporary_files()",
    "SELECT * FROM duckdb_secrets()",
    "SELECT * FROM which_secret('s3://bucket/x', 's3')",
    "SELECT (SELECT value FROM duckdb_settings() LIMIT 1) AS v FROM events",
    "WITH s AS (SELECT * FROM duckdb_settings()) SELECT * FROM s",
    "FROM (SUMMARIZE SELECT current_setting('secret_directory'))",
]


@pytest.mark.parametrize("sql", REVEALING)
def test_console_refuses_functions_that_reveal_paths_or_settings(store, sql):
    with pytest.raises(QueryRejected, match="not allowed in the console: the console shows the store's tables"):
        run_query(store, sql)


@pytest.mark.parametrize("sql", ["SHOW TABLES", "DESCRIBE events", "SELECT * FROM duckdb_tables()",
                                 "SELECT * FROM duckdb_columns()", "SELECT * FROM information_schema.tables",
                                 "SELECT current_database() AS db, current_schema() AS s"])
def test_console_catalog_queries_show_no_path_of_the_app(store, sql):
    text = run_query(store, sql).to_csv(index=False)
    assert str(store.path.parent) not in text and store.path.stem not in text


def test_console_cuts_a_result_at_its_size_in_bytes_and_says_how_to_narrow_it(store):
    whole = run_query(store, "SELECT position, data FROM events ORDER BY position")
    cut = run_query(store, "SELECT position, data FROM events ORDER BY position", max_bytes=50_000)
    assert cut.attrs["truncated"] is True and cut.attrs["cut_by"] == "bytes"
    assert 0 < len(cut) < len(whole)
    assert cut["position"].tolist() == whole["position"].tolist()[:len(cut)]  # the head, in the query's order
    assert cut["data"].str.len().sum() <= 50_000
    assert "size limit" in cut.attrs["cut_message"] and "fewer or shorter columns" in cut.attrs["cut_message"]
    assert whole.attrs["truncated"] is False and whole.attrs["cut_message"] is None


def test_console_returns_no_row_of_a_row_larger_than_its_size_limit(store):
    cut = run_query(store, "SELECT repeat('x', 200000) AS big", max_bytes=100_000)
    assert len(cut) == 0 and cut.attrs["cut_by"] == "bytes"


ORDINARY = [
    "SELECT * FROM events ORDER BY position",
    "SELECT event_id, data, metadata, occurred_at FROM events WHERE stream_type = 'order' ORDER BY position DESC",
    "SELECT event_type, count(*) AS n, sum((data->>'total')::DOUBLE) AS total FROM events GROUP BY ALL ORDER BY 1",
    "SHOW TABLES",
    "SELECT column_name, column_type FROM (DESCRIBE events)",
    "SELECT * FROM command_log",
    "SELECT typeof(event_id) AS t, typeof(data) AS d FROM events LIMIT 1",
]


@pytest.mark.parametrize("sql", ORDINARY)
def test_console_answers_an_ordinary_query_exactly_as_the_store_does(store, sql):
    cur = store.connection.cursor()
    try:
        expected = cur.sql(sql).to_arrow_table().to_pandas()
    finally:
        cur.close()
    pd.testing.assert_frame_equal(run_query(store, sql), expected, check_dtype=True)


def test_console_sees_events_appended_after_its_last_query(tmp_path):
    from esengine import Engine
    from esengine.core.events import NewEvent
    from esengine.demo import generate_bulk
    with Engine(tmp_path / "fresh.duckdb") as engine:
        generate_bulk(engine, events=300)
        count = "SELECT count(*) AS n, max(position) AS last FROM events"
        before = run_query(engine, count)
        engine.store.append("note-console-1", [NewEvent("Noted", {"n": 1})], 0, "note")
        after = run_query(engine, count)
        assert after["n"][0] == before["n"][0] + 1 and after["last"][0] == before["last"][0] + 1
        noted = run_query(engine, "SELECT stream_id, data->>'n' AS n FROM events WHERE event_type = 'Noted'")
        assert noted.to_dict("records") == [{"stream_id": "note-console-1", "n": "1"}]


def test_console_keeps_up_with_many_small_appends(tmp_path):
    from esengine import Engine
    from esengine.core.events import NewEvent
    with Engine(tmp_path / "appends.duckdb") as engine:
        for n in range(12):  # each query after an append writes one more small file; they are merged
            engine.store.append(f"note-{n}", [NewEvent("Noted", {"n": n})], 0, "note")
            seen = run_query(engine, "SELECT list(data->>'n' ORDER BY position) AS ns FROM events")["ns"][0]
            assert list(seen) == [str(i) for i in range(n + 1)]
