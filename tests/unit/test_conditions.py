"""The condition language: what it reads, what it refuses (with the position), and that its SQL translation
means exactly what its Python meaning says, for random states and conditions."""
import json

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esengine.conditions import condition
from esengine.errors import ConditionError, ValidationError

NAMES = ["total", "status", "paid", "items", "a"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(-5, 5, allow_nan=False),
                    st.sampled_from(["", "shipped", "paid", "Z", "é", "a/b", "x\"y"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.sampled_from(NAMES), inner, max_size=3)),
                      max_leaves=6)
states = st.dictionaries(st.sampled_from(NAMES), values, max_size=5)


def _literal(v) -> str:
    return {None: "null", True: "true", False: "false"}.get(v, json.dumps(v)) if not isinstance(v, (int, float)) \
        or isinstance(v, bool) else repr(v)


fields = st.lists(st.sampled_from(NAMES), min_size=1, max_size=2).map(".".join)
operands = st.one_of(fields, fields.map(lambda f: f"len({f})"), scalars.map(_literal))
comparisons = st.builds(lambda a, op, b: f"{a} {op} {b}", operands,
                        st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), operands)
conditions = st.recursive(comparisons, lambda inner: st.one_of(
    st.builds(lambda a, b: f"({a}) and ({b})", inner, inner), st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
    inner.map(lambda a: f"not ({a})")), max_leaves=4)
CON = duckdb.connect()


def sql_holds(text: str, state: dict) -> bool:
    sql = condition(text).sql()
    return CON.execute(f"SELECT {sql.where} FROM (SELECT CAST($state AS JSON) AS state)",
                       {**sql.params, "state": json.dumps(state)}).fetchall()[0][0]


@settings(max_examples=200, deadline=None)
@given(text=conditions, state=states)
def test_the_sql_translation_holds_exactly_when_the_python_meaning_does(text, state):
    assert sql_holds(text, state) is condition(text).holds(state)


@pytest.mark.parametrize("text, state, expected", [
    ("total < 0", {"total": -1.5}, True),
    ("total < 0", {"total": "-1"}, False),  # a text is not a number
    ('status == "shipped" and paid_amount < total', {"status": "shipped", "paid_amount": 5, "total": 9.5}, True),
    ('status == "shipped" and paid_amount < total', {"status": "shipped", "paid_amount": 10, "total": 9.5}, False),
    ("len(items) > 2", {"items": [1, 2, 3]}, True),
    ("customer.address.city == 'Köln'", {"customer": {"address": {"city": "Köln"}}}, True),
    ("missing == null and not (x != null)", {}, True),
    ("paid == true or paid = 1", {"paid": 1}, True),  # = reads as ==; 1 is not true, but 1 == 1
    ("flag == true", {"flag": 1}, False),
    ("n >= -2.5e0", {"n": -2}, True),
])
def test_conditions_mean_what_a_person_expects(text, state, expected):
    assert condition(text).holds(state) is expected
    assert sql_holds(text, state) is expected


@pytest.mark.parametrize("text, position, words", [
    ("total <", 8, "expected a field name"),
    ("total < 0 &&", 11, "'&' is not part of"),
    ("status == 'shipped", 11, "no closing '"),
    ("(total < 0", 11, "expected ')'"),
    ("total", 6, "a condition compares"),
    ("__import__('os').system('x') == 1", 11, "expected a comparison"),
    ("total < 0; DROP TABLE events", 10, "';' is not part of"),
    ("a.1 == 2", 3, "field name after '.'"),
    ("", 1, "empty"),
    ("not " * 60 + "a == 1", 201, "nests deeper than 50"),
])
def test_what_the_language_does_not_have_is_refused_with_where(text, position, words):
    with pytest.raises(ConditionError) as refused:
        condition(text)
    assert refused.value.position + 1 == position
    assert words in str(refused.value)
    assert isinstance(refused.value, ValidationError)


def test_an_injection_through_a_value_stays_a_value():
    hostile = "status == \"x') OR 1=1; DROP TABLE t; --\""
    sql = condition(hostile).sql()
    assert "DROP" not in sql.where and any("x') OR 1=1; DROP TABLE t; --" in str(v) for v in sql.params.values())
    assert sql_holds(hostile, {"status": "anything"}) is False
