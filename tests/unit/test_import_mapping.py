"""Recognising the columns of a file: XES, esengine exports, CloudEvents, and guesses for the rest."""
import pytest

from esengine.errors import ImportRejected
from esengine.interchange.mapping import ColumnMapping, guess, recognise

XES = ["case:concept:name", "concept:name", "time:timestamp", "org:resource", "case:channel"]


def test_xes_names_are_recognised_and_every_other_column_becomes_data():
    mapping = recognise(XES)
    assert (mapping.kind, mapping.stream_id, mapping.event_type, mapping.time) == \
        ("xes", "case:concept:name", "concept:name", "time:timestamp")
    assert mapping.data_columns(XES) == ["org:resource", "case:channel"]


def test_an_unnamed_index_column_is_not_data():
    assert recognise(["_unnamed0"] + XES).data_columns(["_unnamed0"] + XES) == ["org:resource", "case:channel"]


def test_esengine_exports_and_cloudevents_are_recognised():
    export = recognise(["event_id", "stream_id", "stream_type", "version", "event_type", "schema_version",
                        "occurred_at", "data", "metadata", "recorded_at", "position"])
    assert (export.kind, export.data_object, export.metadata_object, export.version) == \
        ("esengine", "data", "metadata", "version")
    cloud = recognise(["specversion", "id", "source", "type", "subject", "time", "data", "tenant"])
    assert (cloud.kind, cloud.stream_id, cloud.event_id) == ("cloudevents", "subject", "id")
    assert cloud.metadata == ("source", "tenant")
    assert recognise(["specversion", "id", "source", "type", "time"]).stream_id == "source"
    assert recognise(["specversion", "id", "type", "subject", "time"]).metadata == ()  # no source to keep


def test_other_files_get_a_guess_from_their_column_names():
    assert guess(["when", "amount", "activity", "case"]) == ColumnMapping("case", "activity", "when")
    assert guess(["user", "order_id", "kind", "created"]) == ColumnMapping("order_id", "kind", "created")
    assert guess(["a", "b"]) is None
    assert recognise(["a", "b", "c"]) is None


def test_a_mapping_naming_a_missing_column_is_refused_at_the_header():
    with pytest.raises(ImportRejected) as refused:
        ColumnMapping("case", "activity", "time").check(["case", "activity", "when"])
    assert (refused.value.line, refused.value.column) == (1, "time")
