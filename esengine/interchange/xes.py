"""XES event logs (IEEE 1849, the process-mining standard), read and written as streams, ``.xes`` or ``.xes.gz``.

Reading (:func:`xes_batches`) streams the XML with expat, the parser under :mod:`xml.etree`, keeping one
trace at a time in memory; expat also says on which line each ``<event>`` starts, so a refusal names it.
Each event becomes one JSON row in the names of the XES standard, as the CSV logs have them:

* the trace's ``concept:name`` is the stream (``case:concept:name``), the event's ``concept:name`` its
  type, its ``time:timestamp`` its time; every other attribute of the event goes into its data, every
  other attribute of the trace into each of its events' data as ``case:<key>``;
* typed values stay typed: ``string``, ``id`` and ``date`` as text, ``int`` and ``float`` as numbers
  (a value that is not one is refused with its line), ``boolean`` as true or false; a float ``NaN``, which
  is how pandas and so pm4py write a missing value, is left out like an empty CSV cell (infinities are
  refused);
* a ``list`` becomes a JSON array of its values, a ``container`` a JSON object; an attribute nested
  inside a plain one (a meta-attribute) is kept beside it as ``<key>:<nested key>``;
* log-level attributes, ``<global>`` defaults, extensions and classifiers describe the log, not its events,
  and are left out; an ``identity:id`` attribute is taken as the event id;
* refused: a file that is not well-formed XML, whose root is not ``<log>``, that declares entities, or
  that has an ``<event>`` outside a ``<trace>``.

Writing (:func:`write_xes`) is the reverse: one ``<trace>`` per stream in stream order, events in version
order, ``case:`` keys of the data back as trace attributes, the event id as ``identity:id``. Stream types,
versions, schema versions and metadata have no place in XES and are left out (export JSON lines for them).
"""
from __future__ import annotations

import gzip
import io
import json
import math
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, cast
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

import pyarrow as pa

from esengine.errors import ImportRejected

GZIP_MAGIC = b"\x1f\x8b"
CASE_PREFIX = "case:"
NAME, TIME, ID = "concept:name", "time:timestamp", "identity:id"
_SCALARS = ("string", "date", "int", "float", "boolean", "id")
_TEXTS = frozenset(("string", "date", "id"))
_NESTED = ("list", "container")
_CHUNK = 1 << 20


def is_gzip(head: bytes) -> bool:
    return head[:2] == GZIP_MAGIC


def open_text(raw: IO[bytes]) -> IO[bytes]:
    """The file's bytes, uncompressed when it is gzip (told by its first two bytes)."""
    head = raw.read(2)
    raw.seek(0)
    return cast("IO[bytes]", gzip.GzipFile(fileobj=raw, mode="rb")) if is_gzip(head) else raw


# -- reading -------------------------------------------------------------------------------------------
@dataclass
class _Attribute:
    """An attribute element being read: its key, its value (a list or dict while children arrive), metas."""

    tag: str
    key: str
    value: Any
    metas: dict[str, Any] = field(default_factory=dict)


class _BadValue(ValueError):
    """A typed attribute whose value is not of its type (the reader adds the line)."""


class _Reader:
    """expat handlers that turn ``<trace>`` and ``<event>`` elements into JSON rows (see the module docstring).

    The stack holds, per open element: "log", "trace", "event"; ``(target dict, key)`` for a plain attribute
    of a trace or event (already stored: the common case, kept cheap); an :class:`_Attribute` for a list, a
    container and what is inside them; None for what is not read (log attributes, globals, extensions).
    """

    def __init__(self, parser: Any):
        self.parser = parser
        self.stack: list[Any] = []
        self.trace: dict[str, Any] = {}
        self.trace_events: list[tuple[int, dict[str, Any]]] = []
        self.event: dict[str, Any] = {}
        self.done: list[tuple[int, str]] = []  # (line of <event>, JSON row) ready to hand on

    @property
    def line(self) -> int:
        return int(self.parser.CurrentLineNumber)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = name if ":" not in name else name.rsplit(":", 1)[-1]
        parent = self.stack[-1] if self.stack else "top"
        if tag in _SCALARS and (parent == "event" or parent == "trace" or type(parent) is tuple):
            key, value = self._scalar(tag, attrs)
            if type(parent) is tuple:  # a meta-attribute of a plain attribute: kept beside it
                target, key = parent[0], f"{parent[1]}:{key}"
                if value is not None:
                    target.setdefault(key, value)
                self.stack.append(None)
                return
            target = self.event if parent == "event" else self.trace
            if value is not None:
                target[key] = value
            self.stack.append((target, key))
        elif parent == "top":
            if tag != "log":
                raise ImportRejected(f"This is not an XES log: its first element is <{name}>, not <log>.",
                                     line=self.line)
            self.stack.append("log")
        elif parent == "log" and tag == "trace":
            self.trace, self.trace_events = {}, []
            self.stack.append("trace")
        elif tag == "event" and parent == "trace":
            self.event = {}
            self.trace_events.append((self.line, self.event))
            self.stack.append("event")
        elif tag == "event":
            raise ImportRejected("This <event> is not inside a <trace>: XES events belong to a trace (a case), "
                                 "whose concept:name is the stream.", line=self.line)
        elif tag == "values" and isinstance(parent, _Attribute) and parent.tag == "list":
            self.stack.append(parent)  # the list's values arrive as its children
        elif tag in _NESTED and (parent in ("trace", "event") or type(parent) is tuple) or (
                tag in _SCALARS + _NESTED and isinstance(parent, _Attribute)):
            named = attrs.get("key")
            if named is None:
                raise ImportRejected(f"This <{tag}> attribute has no key.", line=self.line)
            nested: Any = [] if tag == "list" else {} if tag == "container" else self._scalar(tag, attrs)[1]
            self.stack.append(_Attribute(tag, named, nested))
        else:  # log-level attributes, globals, extensions, classifiers, anything unknown: not events
            self.stack.append(None)

    def _scalar(self, tag: str, attrs: dict[str, str]) -> tuple[str, Any]:
        key, text = attrs.get("key"), attrs.get("value")
        if key is None:
            raise ImportRejected(f"This <{tag}> attribute has no key.", line=self.line)
        if text is None:
            raise ImportRejected(f"The {tag} attribute '{key}' has no value.", line=self.line, column=key)
        if tag in _TEXTS:
            return key, text
        try:
            return key, _typed(tag, key, text)
        except _BadValue as e:
            raise ImportRejected(str(e), line=self.line, column=key) from None

    def end(self, name: str) -> None:
        item = self.stack.pop()
        if item is None or type(item) is tuple:
            return
        if isinstance(item, _Attribute):
            if self.stack and self.stack[-1] is item:  # the end of a list's <values>
                return
            self._place(item, self.stack[-1])
        elif item == "trace":
            self._end_trace()

    def _place(self, item: _Attribute, parent: Any) -> None:
        if item.value is None:  # a missing value (NaN)
            return
        if parent == "trace" or parent == "event":
            (self.trace if parent == "trace" else self.event)[item.key] = item.value
        elif type(parent) is tuple:  # a list or container inside a plain attribute
            parent[0].setdefault(f"{parent[1]}:{item.key}", item.value)
        elif isinstance(parent, _Attribute) and parent.tag == "list":
            parent.value.append(item.value)
        elif isinstance(parent, _Attribute) and parent.tag == "container":
            parent.value[item.key] = item.value
            for key, value in item.metas.items():
                parent.value.setdefault(f"{item.key}:{key}", value)
        elif isinstance(parent, _Attribute):  # a meta-attribute of a value inside a list or container
            parent.metas[item.key] = item.value

    def _end_trace(self) -> None:
        case = {CASE_PREFIX + k: v for k, v in self.trace.items()}
        for line, event in self.trace_events:
            for k, v in case.items():
                event.setdefault(k, v)
            self.done.append((line, json.dumps(event, ensure_ascii=False)))
        self.trace, self.trace_events = {}, []


def _typed(tag: str, key: str, text: str) -> Any:
    """An int, float or boolean attribute's value; raises :class:`_BadValue` when it is not one."""
    if tag == "int":
        try:
            return int(text.strip())
        except ValueError:
            raise _BadValue(f"The int attribute '{key}' holds '{text[:40]}', which is not a whole number.") from None
    if tag == "float":
        try:
            number = float(text.strip())
        except ValueError:
            raise _BadValue(f"The float attribute '{key}' holds '{text[:40]}', which is not a number.") from None
        if math.isnan(number):
            return None  # how pandas (and so pm4py) writes a missing value: left out, as an empty CSV cell
        if not math.isfinite(number):
            raise _BadValue(f"The float attribute '{key}' holds {text[:40]}, which is not a finite number: "
                            "events are stored as standard JSON, which has no NaN or Infinity.")
        return number
    if tag == "boolean":
        lowered = text.strip().lower()
        if lowered not in ("true", "false", "1", "0"):
            raise _BadValue(f"The boolean attribute '{key}' holds '{text[:40]}'; it must be true or false.")
        return lowered in ("true", "1")
    return text


def xes_batches(raw: IO[bytes], size: int, progress: Callable[[int, int], None], batch_rows: int,
                to_table: Callable[[list[int], list[str]], pa.Table]) -> Iterator[pa.Table]:
    """The events of an XES file (``raw``, gzip or not) as tables of (line, JSON row), ``batch_rows`` at a time."""
    parser = expat.ParserCreate()
    reader = _Reader(parser)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end

    def no_entities(*_: Any) -> None:
        raise ImportRejected("This XML file declares entities, which an XES log does not need; they are refused "
                             "(they can make a small file expand without end).", line=reader.line)
    parser.EntityDeclHandler = no_entities
    text = open_text(raw)
    try:
        while True:
            chunk = text.read(_CHUNK)
            parser.Parse(chunk, not chunk)
            if len(reader.done) >= batch_rows or (not chunk and reader.done):
                yield to_table([line for line, _ in reader.done], [row for _, row in reader.done])
                reader.done = []
            progress(min(raw.tell(), size), size)
            if not chunk:
                break
    except expat.ExpatError as e:
        raise ImportRejected(f"The file is not well-formed XML: {expat.ErrorString(e.code)} at column "
                             f"{e.offset + 1}", line=e.lineno) from e
    except (OSError, EOFError, zlib.error) as e:
        raise ImportRejected(f"The compressed file cannot be read ({e}); it may be cut short or damaged.") from e


# -- writing -------------------------------------------------------------------------------------------
XES_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">\n'
            '  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n'
            '  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n'
            '  <extension name="Identity" prefix="identity" uri="http://www.xes-standard.org/identity.xesext"/>\n'
            '  <classifier name="Activity" keys="concept:name"/>\n')
XES_TAIL = "</log>\n"
# the columns write_xes reads, in stream and version order
XES_SQL = ("stream_id, event_type, strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%f+00:00') AS occurred_at, "
           "CAST(event_id AS VARCHAR) AS event_id, CAST(data AS VARCHAR) AS data")
XES_ORDER = "stream_id, version"


def _attribute_xml(key: str, value: Any, indent: str) -> str:
    """One typed XES attribute; None is left out (XES has no null)."""
    k = quoteattr(key)
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'{indent}<boolean key={k} value="{"true" if value else "false"}"/>\n'
    if isinstance(value, int):
        return f'{indent}<int key={k} value="{value}"/>\n'
    if isinstance(value, float):
        return f'{indent}<float key={k} value="{value!r}"/>\n'
    if isinstance(value, dict):
        inner = "".join(_attribute_xml(str(k2), v, indent + "  ") for k2, v in value.items())
        return f"{indent}<container key={k}>\n{inner}{indent}</container>\n"
    if isinstance(value, list):
        inner = "".join(_attribute_xml(str(i), v, indent + "    ") for i, v in enumerate(value))
        return f"{indent}<list key={k}>\n{indent}  <values>\n{inner}{indent}  </values>\n{indent}</list>\n"
    return f"{indent}<string key={k} value={quoteattr(str(value))}/>\n"


def write_xes(reader: pa.RecordBatchReader, out: IO[bytes], total: int,
              progress: Callable[[int, int], None] | None) -> int:
    """Write the rows of ``XES_SQL`` (ordered by ``XES_ORDER``) as an XES log, trace by trace."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n", write_through=False)
    text.write(XES_HEAD)
    current: str | None = None
    done = 0
    for batch in reader:
        parts: list[str] = []
        for stream_id, event_type, occurred_at, event_id, data in zip(*(c.to_pylist() for c in batch.columns)):
            values = json.loads(data) if data else {}
            if not isinstance(values, dict):
                values = {"value": values}
            if stream_id != current:
                if current is not None:
                    parts.append("  </trace>\n")
                parts.append("  <trace>\n" + _attribute_xml(NAME, stream_id, "    "))
                parts.extend(_attribute_xml(k[len(CASE_PREFIX):], v, "    ") for k, v in values.items()
                             if k.startswith(CASE_PREFIX) and k != CASE_PREFIX + NAME)
                current = stream_id
            parts.append("    <event>\n" + _attribute_xml(NAME, event_type, "      ")
                         + f'      <date key="{TIME}" value="{occurred_at}"/>\n'
                         + f'      <id key="{ID}" value="{event_id}"/>\n')
            parts.extend(_attribute_xml(k, v, "      ") for k, v in values.items()
                         if not k.startswith(CASE_PREFIX) and k not in (NAME, TIME, ID))
            parts.append("    </event>\n")
        text.write("".join(parts))
        done += batch.num_rows
        if progress:
            progress(done, total)
    if current is not None:
        text.write("  </trace>\n")
    text.write(XES_TAIL)
    text.flush()
    text.detach()  # leave ``out`` open: the caller owns it
    return done

