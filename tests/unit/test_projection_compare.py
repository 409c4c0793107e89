"""Comparing two read-model tables row by row, on hand-made tables with known differences."""
import duckdb
import pytest

from esengine.errors import EsEngineError
from esengine.projections.compare import compare_tables


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("CREATE TABLE a (id VARCHAR, status VARCHAR, total DOUBLE, items JSON)")
    c.execute("CREATE TABLE b (id VARCHAR, status VARCHAR, total DOUBLE, items JSON, item_count BIGINT)")
    c.execute("""INSERT INTO a VALUES ('o1', 'paid', 10.5, '[{"p": 1}]'), ('o2', 'shipped', 3.0, '[]'),
                                      ('o3', 'pending', 1.0, NULL), ('o4', 'paid', 2.0, '[]')""")
    c.execute("""INSERT INTO b VALUES ('o1', 'paid', 10.5, '[{"p":1}]', 1), ('o2', 'cancelled', 3.5, '[]', 0),
                                      ('o3', 'pending', 1.0, NULL, 0), ('o5', 'new', 9.0, '[]', 2)""")
    yield c
    c.close()


def test_rows_only_in_one_side_are_listed_with_counts(con):
    result = compare_tables(con, "a", "b", "id")
    assert (result.only_left_count, result.only_right_count) == (1, 1)
    assert list(result.only_left["id"]) == ["o4"]
    assert list(result.only_right["id"]) == ["o5"]


def test_changed_cells_are_reported_with_both_values(con):
    result = compare_tables(con, "a", "b", "id")
    assert result.changed_rows_count == 1
    assert result.changed_per_column == {"status": 1, "total": 1}
    cells = {(r.key, r.column): (r.left, r.right) for r in result.changed.itertuples()}
    assert cells == {("o2", "status"): ("shipped", "cancelled"), ("o2", "total"): ("3.0", "3.5")}
    assert not result.identical


def test_json_that_differs_only_in_spacing_counts_as_equal(con):
    result = compare_tables(con, "a", "b", "id")
    assert "items" not in result.changed_per_column


def test_columns_present_on_one_side_only_are_named_not_compared(con):
    result = compare_tables(con, "a", "b", "id")
    assert result.columns_only_right == ["item_count"]
    assert result.columns_only_left == []
    assert "item_count" not in result.compared_columns


def test_identical_tables_compare_as_identical(con):
    result = compare_tables(con, "a", "a", "id")
    assert result.identical and result.same_rows == 4


def test_columns_of_different_types_are_compared_as_text(con):
    con.execute("CREATE TABLE c AS SELECT id, status, CAST(total AS VARCHAR) AS total FROM a")
    result = compare_tables(con, "a", "c", "id")
    assert result.changed_per_column == {}


def test_a_missing_table_or_key_is_explained(con):
    with pytest.raises(EsEngineError, match="does not exist"):
        compare_tables(con, "a", "nope", "id")
    with pytest.raises(EsEngineError, match="key column"):
        compare_tables(con, "a", "b", "status_id")
