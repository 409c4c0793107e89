"""Histories written by clients nobody here wrote: the ``eventsourcing`` library's SQLite store, and our
CloudEvents export as the ``cloudevents`` SDK reads it, sends it in HTTP binary mode and writes it again."""
from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from esengine import Engine
from esengine.cli import main
from esengine.errors import ImportRejected
from esengine.interchange import export_bytes
from esengine.interchange.importer import import_file
from esengine.timetravel import state_at


class Dog(Aggregate):
    @event("Registered")
    def __init__(self, name: str, owner: UUID) -> None:
        self.name, self.owner, self.tricks = name, owner, []

    @event("TrickAdded")
    def add_trick(self, trick: str, fee: Decimal) -> None:
        self.tricks.append(trick)


class DogSchool(Application):
    def register(self, name: str) -> UUID:
        dog = Dog(name, owner=UUID(int=7))
        self.save(dog)
        return dog.id

    def add_trick(self, dog_id: UUID, trick: str, fee: str) -> None:
        dog = self.repository.get(dog_id)
        dog.add_trick(trick, Decimal(fee))
        self.save(dog)


def _school(path: Path, **env: str) -> tuple[list[UUID], list]:
    """A dog school's database made by the library itself; returns the dog ids and the library's own events."""
    app = DogSchool(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path), **env})
    fido, rex = app.register("Fido"), app.register("Rex")
    app.add_trick(fido, "roll over", "1.50")
    app.add_trick(fido, "play dead", "2.25")
    app.add_trick(rex, "sit", "0.10")
    events = list(app.repository.event_store.get(fido))
    app.close()
    return [fido, rex], events


def test_an_eventsourcing_database_imports_as_streams_and_time_travels(engine, tmp_path):
    (fido, _), library_events = _school(tmp_path / "school.sqlite")
    result = import_file(engine, tmp_path / "school.sqlite")
    assert (result.layout, result.fmt, result.events, result.streams) == ("eventsourcing", "sqlite", 5, 2)
    assert result.stream_types == ["Dog"] and result.sample_stream == fido.hex

    stored = engine.store.get_events(fido.hex)  # the stream id is the originator id as the library stores it
    assert [(e.version, e.event_type, e.stream_type) for e in stored] == \
        [(1, "Registered", "Dog"), (2, "TrickAdded", "Dog"), (3, "TrickAdded", "Dog")]
    assert [e.occurred_at for e in stored] == [e.timestamp.replace(tzinfo=None) for e in library_events]
    assert stored[0].data == {"name": "Fido", "owner": str(UUID(int=7))}  # no bookkeeping left in the data
    assert stored[1].data == {"trick": "roll over", "fee": "1.50"}  # decimals stay exact, as text
    assert stored[1].metadata["topic"].endswith(":Dog.TrickAdded")
    assert stored[0].metadata["originator_topic"].endswith(":Dog")

    before = state_at(engine, fido.hex, version=2)  # the generic fold: the data merged version by version
    assert (before.stream_type, before.version) == ("Dog", 2)
    assert before.state["name"] == "Fido" and before.state["trick"] == "roll over"
    assert state_at(engine, fido.hex).state["trick"] == "play dead"

    with pytest.raises(ImportRejected, match="already in the store"):  # importing it twice is refused
        import_file(engine, tmp_path / "school.sqlite", on_existing="append")


def test_the_command_line_tells_the_database_by_its_content(tmp_path):
    _school(tmp_path / "store.db")
    db = tmp_path / "x.duckdb"
    assert main(["import", str(tmp_path / "store.db"), "--db", str(db), "--quiet"]) == 0
    with Engine(db) as engine:
        assert engine.store.count() == 5


def test_compressed_events_are_refused_plainly_and_nothing_is_written(engine, tmp_path):
    _school(tmp_path / "zipped.sqlite", COMPRESSOR_TOPIC="eventsourcing.compressor:ZlibCompressor")
    with pytest.raises(ImportRejected, match="is not JSON text: it looks compressed") as refused:
        import_file(engine, (tmp_path / "zipped.sqlite").read_bytes(), name="zipped.sqlite")  # as an upload
    assert "COMPRESSOR_TOPIC" in str(refused.value)
    assert engine.store.count() == 0


def test_a_sqlite_database_without_stored_events_is_refused_with_its_tables(engine, tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE customers (id TEXT)")
    con.close()
    with pytest.raises(ImportRejected, match="no table 'stored_events'.*Its tables: customers"):
        import_file(engine, path.read_bytes(), name="other.sqlite")  # an upload: told by its content


def test_a_refused_import_into_a_new_database_leaves_no_file_behind(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("case:concept:name,concept:name,time:timestamp\nc1,A,not a time\n", encoding="utf-8")
    db = tmp_path / "new" / "x.duckdb"
    db.parent.mkdir()
    assert main(["import", str(bad), "--db", str(db), "--quiet"]) == 1
    assert "not a time" in capsys.readouterr().err
    assert list(db.parent.iterdir()) == []  # no database, no .wal, no .lock
    # an existing database stays, unchanged
    good = tmp_path / "good.csv"
    good.write_text("case:concept:name,concept:name,time:timestamp\nc1,A,2024-01-01T00:00:00Z\n", encoding="utf-8")
    assert main(["import", str(good), "--db", str(db), "--quiet"]) == 0
    assert main(["import", str(bad), "--db", str(db), "--quiet"]) == 1
    with Engine(db) as engine:
        assert engine.store.count() == 1


# -- CloudEvents -------------------------------------------------------------------------------------------
def _everything(engine) -> list[tuple]:
    """Every stored field, the recorded time included (position aside)."""
    return [(e.event_id, e.stream_id, e.stream_type, e.version, e.event_type, e.schema_version, e.data, e.metadata,
             e.occurred_at, e.recorded_at) for e in engine.store.read_all(limit=None)]


def test_every_exported_line_is_a_cloudevent_the_sdk_carries_in_binary_mode_and_back(demo_engine, tmp_path):
    http = pytest.importorskip("cloudevents.core.bindings.http")
    export = export_bytes(demo_engine, None, "jsonl").decode("utf-8").splitlines()[:2000]
    again = []
    for line in export:
        event = http.from_structured_event(http.HTTPMessage({"content-type": "application/cloudevents+json"},
                                                            line.encode("utf-8")))
        sent = http.to_binary_event(event)  # headers are text: every extension value must survive that
        assert all(isinstance(v, str) for v in sent.headers.values())
        received = http.from_binary_event(sent)
        original = json.loads(line)
        assert json.loads(received.get_extension("esmetadata")) == json.loads(original["esmetadata"])
        assert received.get_data() == original["data"]
        assert received.get_extension("recordedtime") == original["recordedtime"]
        again.append(http.to_structured_event(received).body.decode("utf-8"))

    with Engine(tmp_path / "copy.duckdb") as copy:  # what the SDK wrote imports to the very same events
        import_file(copy, ("\n".join(again) + "\n").encode("utf-8"), name="sdk.jsonl")
        assert _everything(copy) == _everything(demo_engine)[:2000]


def test_an_older_export_with_metadata_as_an_object_still_imports(engine):
    line = {"specversion": "1.0", "id": "0b0c1d2e-0000-4000-8000-000000000001", "source": "/esengine/order",
            "type": "OrderPlaced", "subject": "o-1", "time": "2026-01-01T10:00:00.000000Z", "data": {"n": 1},
            "streamtype": "order", "streamversion": 1, "schemaversion": 1,
            "recordedtime": "2026-01-01T10:00:01.500000Z", "esmetadata": {"correlation_id": "c-1"}}
    import_file(engine, json.dumps(line).encode(), name="old.jsonl")
    (stored,) = engine.store.get_events("o-1")
    assert stored.metadata == {"correlation_id": "c-1"}
    assert stored.recorded_at.isoformat() == "2026-01-01T10:00:01.500000"
