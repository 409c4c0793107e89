"""Finding the numbers standard JSON cannot hold, and where they sit, in any JSON text."""
from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from esengine.interchange.finite import SUSPECT, dotted, first_non_finite

keys = st.text(max_size=6)
finite = st.floats(allow_nan=False, allow_infinity=False) | st.integers() | st.booleans() | st.none() | \
    st.text(alphabet="NaInfity-:,[]{}\"\\ e0123", max_size=12)  # strings that look like the words we look for
documents = st.recursive(finite, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
                         max_leaves=12)


@given(st.dictionaries(keys, documents, max_size=5))
def test_a_document_of_finite_numbers_and_lookalike_text_has_none(document):
    assert first_non_finite(json.dumps(document)) is None


@given(st.dictionaries(keys, documents, max_size=4), st.lists(keys | st.integers(0, 3), min_size=1, max_size=4),
       st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-2.5E+308", "-inf", "nan"]))
def test_a_non_finite_number_is_found_with_its_path_and_text(document, path, literal):
    marker = "__the_number__"
    tree = marker
    for part in reversed(path):  # build the path down to the marker
        tree = [None] * part + [tree] if isinstance(part, int) else {part: tree}
    if isinstance(tree, dict):
        document = {k: v for k, v in document.items() if k not in tree} | tree
    else:
        document = {"list": tree}
        path = ["list"] + path
    text = json.dumps(document).replace(json.dumps(marker), literal)
    assert first_non_finite(text) == (path, literal)
    assert re.search(SUSPECT, text, re.IGNORECASE)  # the cheap pre-filter never misses one


def test_paths_read_as_people_write_them():
    assert dotted(["data", "items", 0, "price"]) == "data.items[0].price"
