"""The SQL console is read-only and sealed: every refused attempt leaves the store exactly as it was."""
from __future__ import annotations

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
