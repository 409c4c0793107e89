"""Which column of a file is the stream id, the event type, the time, the data and the metadata.

Three layouts are recognised without help (:func:`recognise`):

* the process-mining names of the XES standard: ``case:concept:name`` is the stream,
  ``concept:name`` the event type, ``time:timestamp`` the time; every other column (``case:``
  attributes of the stream included, under their own names) goes into the event's data;
* esengine's own CSV and Parquet exports (``event_id``, ``stream_id``, ``event_type``,
  ``occurred_at``, ``data`` and ``metadata`` as JSON text);
* CloudEvents (``specversion``, ``id``, ``type``, ...): ``subject`` (else ``source``) is the stream.

Anything else needs a :class:`ColumnMapping`; :func:`guess` proposes one for the import page.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from esengine.errors import ImportRejected
from esengine.interchange.readers import UNNAMED

XES_CASE, XES_ACTIVITY, XES_TIME = "case:concept:name", "concept:name", "time:timestamp"
CLOUDEVENT_ATTRIBUTES = ("specversion", "id", "source", "type", "subject", "time", "datacontenttype",
                         "dataschema", "data", "data_base64")
# Extension attributes that esengine's own exports write (see export.py); they map onto columns.
ESENGINE_EXTENSIONS = ("streamtype", "streamversion", "schemaversion", "recordedtime", "esmetadata")
EXPORT_COLUMNS = ("event_id", "stream_id", "event_type", "occurred_at", "data")


@dataclass(frozen=True)
class ColumnMapping:
    """How a file's columns become events.

    ``data`` lists the columns that become the event's data (``None``: every column not used
    otherwise); ``metadata`` those that become its metadata. ``data_object`` / ``metadata_object``
    name a column that already holds a JSON object (esengine exports, CloudEvents). ``version``
    names a column that orders each stream's events before the time does (esengine exports).
    ``stream_type`` names a column; without one every stream gets the import's stream type.
    """

    stream_id: str
    event_type: str
    time: str
    data: tuple[str, ...] | None = None
    metadata: tuple[str, ...] = ()
    event_id: str | None = None
    stream_type: str | None = None
    version: str | None = None
    schema_version: str | None = None
    data_object: str | None = None
    metadata_object: str | None = None
    ignore: tuple[str, ...] = ()
    kind: str = "custom"  # "xes", "esengine", "cloudevents" or "custom": for messages and the page

    def used(self) -> list[str]:
        """The columns this mapping reads, besides data and metadata columns."""
        named = [self.stream_id, self.event_type, self.time, self.event_id, self.stream_type, self.version,
                 self.schema_version, self.data_object, self.metadata_object]
        return [c for c in named if c]

    def data_columns(self, columns: list[str]) -> list[str]:
        """The file's columns that become data (all the unused ones when ``data`` is None)."""
        if self.data is not None:
            return list(self.data)
        if self.data_object is not None:
            return []
        taken = set(self.used()) | set(self.metadata) | set(self.ignore)
        return [c for c in columns if c not in taken and c and not c.startswith(UNNAMED)]

    def check(self, columns: list[str]) -> None:
        """Refuse a mapping that names a column the file lacks (line 1 is the header)."""
        present = set(columns)
        for name in self.used() + list(self.data or ()) + list(self.metadata):
            if name not in present:
                raise ImportRejected(f"The file has no column '{name}', which the column mapping needs. "
                                     f"Its columns are: {', '.join(repr(c) for c in columns) or '(none)'}",
                                     line=1, column=name)
        for role, name in (("stream id", self.stream_id), ("event type", self.event_type), ("time", self.time)):
            if not name:
                raise ImportRejected(f"Choose the column that holds the {role}.")

    def with_(self, **changes) -> ColumnMapping:
        return replace(self, **changes)


def recognise(columns: list[str]) -> ColumnMapping | None:
    """The mapping of a known layout (XES, esengine export, CloudEvents), or None."""
    present = set(columns)
    if {XES_CASE, XES_ACTIVITY, XES_TIME} <= present:
        return ColumnMapping(XES_CASE, XES_ACTIVITY, XES_TIME, kind="xes")
    if set(EXPORT_COLUMNS) <= present:
        return ColumnMapping("stream_id", "event_type", "occurred_at", data=(),
                             event_id="event_id", stream_type=_if("stream_type", present),
                             version=_if("version", present), schema_version=_if("schema_version", present),
                             data_object="data", metadata_object=_if("metadata", present),
                             ignore=tuple(c for c in ("recorded_at", "position") if c in present), kind="esengine")
    if {"specversion", "id", "type"} <= present and ("subject" in present or "source" in present):
        return cloudevents_mapping(columns)
    return None


def cloudevents_mapping(columns: list[str]) -> ColumnMapping:
    """CloudEvents: subject (else source) is the stream; extension attributes become metadata."""
    present = set(columns)
    extensions = tuple(c for c in columns if c not in CLOUDEVENT_ATTRIBUTES and c not in ESENGINE_EXTENSIONS)
    foreign_source = ("source",) if "subject" in present and "source" in present else ()
    return ColumnMapping(
        "subject" if "subject" in present else "source", "type", "time", data=(),
        metadata=foreign_source + extensions, event_id="id", stream_type=_if("streamtype", present),
        version=_if("streamversion", present), schema_version=_if("schemaversion", present),
        data_object="data" if "data" in present else None, metadata_object=_if("esmetadata", present),
        kind="cloudevents")


_ROLE_NAMES = {  # exact names first, then parts of names, for each role
    "stream": (("stream_id", "stream", "case_id", "case", "caseid", "aggregate_id", "entity_id", "id"),
               ("case", "stream", "aggregate", "entity", "id")),
    "type": (("event_type", "type", "kind", "activity", "event", "action", "name", "what"),
             ("type", "kind", "activity", "event", "action", "name")),
    "time": (("occurred_at", "time", "timestamp", "datetime", "date", "when", "at", "ts", "created_at", "created"),
             ("time", "date", "stamp", "when", "_at")),
}


def guess(columns: list[str]) -> ColumnMapping | None:
    """A recognised mapping, else a best guess from the column names (kind "custom"), to be confirmed.

    None when the file has fewer than three columns.
    """
    known = recognise(columns)
    if known is not None:
        return known
    usable = [c for c in columns if c and not c.startswith(UNNAMED)]
    if len(usable) < 3:
        return None
    picked: dict[str, str] = {}
    for role, (exact, parts) in _ROLE_NAMES.items():
        free = [c for c in usable if c not in picked.values()]
        lowered = {c.lower().strip(): c for c in free}
        found = next((lowered[n] for n in exact if n in lowered), None) or next(
            (c for part in parts for c in free if part in c.lower()), None)
        if found:
            picked[role] = found
    for role in _ROLE_NAMES:  # what the names do not tell, take in column order
        picked.setdefault(role, next(c for c in usable if c not in picked.values()))
    return ColumnMapping(picked["stream"], picked["type"], picked["time"])


def _if(name: str, present: set[str]) -> str | None:
    return name if name in present else None


__all__ = ["ColumnMapping", "recognise", "guess", "XES_CASE", "XES_ACTIVITY", "XES_TIME"]
