"""The field-level diff and the generic fold, on plain values (no database)."""
from hypothesis import given, strategies as st

from esengine.timetravel import diff_states, fold_data, merge_data

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text("abc", max_size=2), inner, max_size=3),
    max_leaves=8)


def by_path(changes):
    return {c.path: (c.kind, c.before, c.after) for c in changes}


def test_identical_states_have_no_changes():
    state = {"status": "paid", "items": [{"sku": "a", "qty": 1}], "address": {"city": "Oslo"}}
    assert diff_states(state, {**state}) == []


def test_changed_added_and_removed_top_level_fields_are_named():
    changes = by_path(diff_states({"status": "pending", "note": "x"}, {"status": "paid", "total": 9.5}))
    assert changes == {"status": ("changed", "pending", "paid"), "note": ("removed", "x", None),
                       "total": ("added", None, 9.5)}


def test_nested_objects_are_compared_field_by_field():
    changes = by_path(diff_states({"address": {"city": "Oslo", "zip": "0150"}},
                                  {"address": {"city": "Bergen", "zip": "0150"}}))
    assert changes == {"address.city": ("changed", "Oslo", "Bergen")}


def test_lists_are_compared_element_by_element_with_added_and_removed_items():
    before = {"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]}
    after = {"items": [{"sku": "a", "qty": 3}, {"sku": "b", "qty": 2}, {"sku": "c", "qty": 1}]}
    assert by_path(diff_states(before, after)) == {"items[0].qty": ("changed", 1, 3),
                                                   "items[2]": ("added", None, {"sku": "c", "qty": 1})}
    assert by_path(diff_states(after, before))["items[2]"] == ("removed", {"sku": "c", "qty": 1}, None)


def test_a_value_that_changes_type_is_changed_whole():
    assert by_path(diff_states({"a": {"b": 1}}, {"a": [1]})) == {"a": ("changed", {"b": 1}, [1])}


@given(json_values, json_values)
def test_a_diff_is_empty_exactly_when_the_values_are_equal(a, b):
    assert (diff_states(a, b) == []) == (a == b and _same_types(a, b))


def _same_types(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return all(_same_types(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return all(_same_types(x, y) for x, y in zip(a, b))
    return True


def test_the_generic_fold_merges_event_data_later_values_winning():
    events = [{"case": "c1", "status": "open", "owner": {"name": "Ana", "team": "A"}},
              '{"status": "closed", "owner": {"team": "B"}}',
              {"tags": ["x", "y"]}, None, {"tags": ["z"]}]
    assert fold_data(events) == {"case": "c1", "status": "closed", "owner": {"name": "Ana", "team": "B"},
                                 "tags": ["z"]}


def test_the_generic_fold_never_changes_the_events_it_folds():
    first = {"owner": {"name": "Ana"}, "tags": ["x"]}
    state = fold_data([first])
    merge_data(state, {"owner": {"name": "Ben"}})
    state["tags"].append("y")
    assert first == {"owner": {"name": "Ana"}, "tags": ["x"]}


@given(st.lists(st.dictionaries(st.text("abc", max_size=2), json_values, max_size=3), max_size=6), st.data())
def test_folding_in_two_parts_equals_folding_at_once(datas, data):
    cut = data.draw(st.integers(0, len(datas)))
    assert fold_data(datas[cut:], initial=fold_data(datas[:cut])) == fold_data(datas)
