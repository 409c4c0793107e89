"""What one command just did, as plain data for a diagram: command -> aggregate -> events -> projections -> rows.

The words are the seed's (command, aggregate, version, rule, event, position, projection, read model).
:func:`build_flow` takes the command's outcome (a ``CommandResult`` or the refusal), what its handler
recorded (:mod:`esengine.application.recording`), the registered projections and the read-model rows
taken before the command (:func:`rows_before`); a refusal ends the flow where it stopped, with why.
Nothing here draws: ``ui/flow_view.py`` turns a :class:`Flow` into a graphviz diagram.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from collections.abc import Iterable

from esengine.application.recording import Load, ScopeRecord
from esengine.errors import ConcurrencyError, DomainRuleViolation, NotFound, ValidationError
from esengine.projections import checkpoints as cp

OK, REFUSED, WAITING, UNCHANGED = "ok", "refused", "waiting", "unchanged"
RowKey = tuple[str, str, Any]  # (projection, table, key)


@dataclass(frozen=True)
class FlowNode:
    """One box of the diagram: ``kind`` is command, validation, aggregate, event, projection, row or stop."""

    id: str
    kind: str
    title: str
    lines: tuple[str, ...] = ()
    status: str = OK
    group: str | None = None  # nodes of one transaction share a group


@dataclass(frozen=True)
class FlowEdge:
    source: str
    target: str
    label: str = ""
    status: str = OK  # "waiting": the asynchronous path, not done yet


@dataclass(frozen=True)
class RowChange:
    """A read-model row before and after the command (None: it did not exist / does not exist now)."""

    projection: str
    table: str
    key: Any
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def changed_columns(self) -> list[str]:
        before, after = self.before or {}, self.after or {}
        return [c for c in (after or before) if before.get(c) != after.get(c)]

    @property
    def label(self) -> str:
        return f"{self.projection}.{self.table} · {self.key}"


@dataclass
class Flow:
    """The diagram's boxes and arrows, the outcome, and the read-model rows the command changed."""

    accepted: bool
    nodes: list[FlowNode] = field(default_factory=list)
    edges: list[FlowEdge] = field(default_factory=list)
    rows: list[RowChange] = field(default_factory=list)
    stopped_at: str | None = None  # validation, not found, concurrency conflict, domain rule
    reason: str = ""

    def add(self, node: FlowNode, after: str | None = None, label: str = "", status: str = OK) -> str:
        self.nodes.append(node)
        if after is not None:
            self.edges.append(FlowEdge(after, node.id, label, status))
        return node.id


# -- the read model's rows ----------------------------------------------------------------------------------
def _inline_live(engine, live: dict[str, Any] | None = None) -> list:
    """The live version of every inline projection (its rows change in the command's own transaction)."""
    live = engine.projections.live_projections() if live is None else live
    return [live[name] for name, reg in engine.projections.registered.items() if reg.mode == "inline"]


def read_rows(engine, projection, table: str, keys: Iterable[Any]) -> dict[Any, dict[str, Any]]:
    """The rows of one table of a projection's live version with the given keys (JSON columns decoded)."""
    keys = [k for k in dict.fromkeys(keys) if k is not None]
    if not keys:
        return {}
    spec = projection.table(table)
    marks = ", ".join("?" * len(keys))
    cur = engine.store.cursor().execute(
        f'SELECT * FROM "{projection.table_name(table)}" WHERE "{spec.key}" IN ({marks})', keys)
    names = [d[0] for d in cur.description]
    rows = {}
    for values in cur.fetchall():
        row = dict(zip(names, values))
        for column in spec.json_columns:
            if isinstance(row.get(column), str):
                row[column] = json.loads(row[column])
        rows[row[spec.key]] = row
    return rows


def _texts(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _texts(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _texts(v)


def rows_before(engine, payload: dict[str, Any]) -> dict[RowKey, dict[str, Any]]:
    """The inline read models' rows keyed by any text of ``payload`` (the ids a command names), taken before it."""
    ids = [i for i in dict.fromkeys(_texts(payload)) if 0 < len(i) <= 200]
    taken: dict[RowKey, dict[str, Any]] = {}
    for p in _inline_live(engine):
        for t in p.tables:
            for key, row in read_rows(engine, p, t.name, ids).items():
                taken[(p.name, t.name, key)] = row
    return taken


def _touched(projection, events) -> dict[str, list[Any]]:
    """Table -> keys of the rows the projection's handlers read or write for these events."""
    touched: dict[str, list[Any]] = {}
    for event in _handled(projection, events):
        for table, keys in projection.keys(event).items():
            touched.setdefault(table, []).extend(k for k in keys if k is not None)
    return touched


def _handled(projection, events) -> list:
    """The events a projection handles (``event_types`` None: every event)."""
    types = projection.event_types
    return list(events) if types is None else [e for e in events if e.event_type in types]


def row_changes(engine, events, before: dict[RowKey, dict[str, Any]],
                live: dict[str, Any] | None = None) -> list[RowChange]:
    """Each inline read-model row the events changed or created, before and after (unchanged rows left out)."""
    changes = []
    for p in _inline_live(engine, live):
        for table, keys in _touched(p, events).items():
            after = read_rows(engine, p, table, keys)
            for key in dict.fromkeys(keys):
                change = RowChange(p.name, table, key, before.get((p.name, table, key)), after.get(key))
                if change.changed_columns:
                    changes.append(change)
    return changes


# -- the flow -------------------------------------------------------------------------------------------------
def build_flow(engine, command_type: str, payload: dict[str, Any], outcome: Any, records: list[ScopeRecord],
               before: dict[RowKey, dict[str, Any]] | None = None, user: str = "",
               reasons: list[str] | None = None) -> Flow:
    """The flow of one command. ``outcome`` is its ``CommandResult`` or the error that refused it; ``records``
    what :func:`esengine.application.recording.recording` kept while it ran; ``reasons`` plain lines that say
    why a validation failed (the page words them with its labels), else the error's message is used."""
    error = outcome if isinstance(outcome, Exception) else None
    flow = Flow(accepted=error is None)
    record = records[-1] if records else None
    sent = flow.add(FlowNode("command", "command", f"Command {command_type}",
                             tuple(x for x in (f"sent by {user}" if user else "", _expects(payload)) if x)))
    if isinstance(error, ValidationError) and (record is None or not record.loads):
        _stop(flow, sent, "validation", "Validation: the values are checked", reasons or [str(error)])
        _not_reached(flow, sent, ("aggregate", "events"))
        return flow
    last = flow.add(FlowNode("validation", "validation", "Validation", ("every value fits its field",)), sent)
    checked = last
    loads = record.aggregates() if record else []
    for i, load in enumerate(loads):
        last = _aggregate(flow, load, i, error, payload, checked)
        if flow.stopped_at:
            _not_reached(flow, last, ("events",))
            return flow
    if error is not None:
        _refusal(flow, error, last, reasons)
        _not_reached(flow, last, ("events",))
        return flow
    writer = next((f"aggregate{i}" for i, load in enumerate(loads)
                   if outcome.events and load.stream_id == outcome.events[0].stream_id), last)
    _events_and_projections(engine, flow, outcome.events, writer, before or {})
    return flow


def _expects(payload: dict[str, Any]) -> str:
    expected = payload.get("expected_version")
    return "" if expected in (None, "") else f"expects version {expected}"


def _aggregate(flow: Flow, load: Load, i: int, error: Exception | None, payload: dict[str, Any], after: str) -> str:
    node_id = f"aggregate{i}"
    if load.version is None:
        message = str(error) if isinstance(error, (NotFound, ValidationError)) else "no such stream"
        _stop(flow, after, "not found", f"Aggregate {load.aggregate_type} {load.stream_id}", [
            "loaded: no events, so it does not exist", message], node_id=node_id, label="load")
        return node_id
    lines = [f"loaded at version {load.version}" if load.version else "new: version 0"]
    expected = payload.get("expected_version")
    conflict = isinstance(error, ConcurrencyError) and error.stream_id == load.stream_id
    if expected not in (None, "") and load.version and i == 0:  # the version the form holds is the first stream's
        found = error.actual if isinstance(error, ConcurrencyError) and conflict else load.version
        lines.append(f"version check: expected {expected}, {'but it is at' if conflict else 'it is at'} {found}")
    rules = load.rules_checked
    broken = error.rule if isinstance(error, DomainRuleViolation) else None
    lines += [f"{'✗' if broken and r == broken and n == len(rules) - 1 else '✓'} {r}" for n, r in enumerate(rules)]
    if not rules and not conflict:
        lines.append("no rule to check")
    status = REFUSED if (conflict or (broken and broken in rules)) else OK
    flow.add(FlowNode(node_id, "aggregate", f"Aggregate {load.aggregate_type} {load.stream_id}", tuple(lines),
                      status), after, "load" if load.version else "create")
    if status == REFUSED and error is not None:
        _refusal(flow, error, node_id, None)
    return node_id


def _refusal(flow: Flow, error: Exception, after: str, reasons: list[str] | None) -> None:
    if isinstance(error, ConcurrencyError):
        _stop(flow, after, "concurrency conflict", "Concurrency conflict", [
            f"the form expected version {error.expected}", f"the stream is at version {error.actual}",
            "someone changed it meanwhile"])
    elif isinstance(error, DomainRuleViolation):
        _stop(flow, after, "domain rule", "Domain rule broken", [f"rule: {error.rule}", str(error)])
    elif isinstance(error, NotFound):
        _stop(flow, after, "not found", "Not found", [str(error)])
    else:
        _stop(flow, after, "validation", "Refused", reasons or [str(error)])


def _stop(flow: Flow, after: str, where: str, title: str, lines: list[str], node_id: str = "stop",
          label: str = "") -> None:
    reason = lines[-1] if lines else ""
    flow.stopped_at, flow.reason = where, reason if reason.endswith((".", "!", "?")) else reason + "."
    flow.add(FlowNode(node_id, "stop", title, (*lines, "nothing was written"), REFUSED), after, label)


_NOT_REACHED = {"aggregate": ("Aggregate", "not loaded"), "events": ("Events", "none stored"),
                "read model": ("Read model", "unchanged")}


def _not_reached(flow: Flow, after: str, steps: tuple[str, ...]) -> None:
    """The rest of the usual path, greyed out below where it stopped: what a refused command never got to."""
    after = next((n.id for n in flow.nodes if n.kind == "stop"), after)
    for step in (*steps, "read model"):
        title, line = _NOT_REACHED[step]
        after = flow.add(FlowNode(f"skipped_{step.replace(' ', '_')}", "skipped", title, (line,), UNCHANGED), after,
                         "", UNCHANGED)


def _events_and_projections(engine, flow: Flow, events, after: str, before: dict[RowKey, dict[str, Any]]) -> None:
    tx = "transaction"
    if not events:
        flow.add(FlowNode("no_events", "event", "No events", ("nothing changed",), UNCHANGED), after)
        return
    event_ids = [flow.add(FlowNode(f"event{i}", "event", f"Event {e.event_type}",
                                   (f"position {e.position}", f"{e.stream_id} version {e.version}"), OK, tx),
                          after if i == 0 else f"event{i - 1}", "raises" if i == 0 else "")
                 for i, e in enumerate(events)]
    states = cp.read_all(engine.store.cursor())
    live = engine.projections.live_projections(states)
    changes = row_changes(engine, events, before, live)
    flow.rows = changes
    lags = _lags(engine, states)
    for name, reg in engine.projections.registered.items():
        p = live[name]
        handled = _handled(p, events)
        if not handled:
            continue
        pid = f"projection_{name}"
        if reg.mode == "inline":
            flow.add(FlowNode(pid, "projection", f"Projection {name} v{p.version} (inline)",
                              ("same transaction as the events",), OK, tx), event_ids[-1], "applies")
            for n, change in enumerate(c for c in changes if c.projection == name):
                flow.add(FlowNode(f"{pid}_row{n}", "row", f"Read model {change.table}: {change.key}",
                                  _row_lines(change), OK, tx), pid, "new row" if change.before is None else "updates")
        else:
            checkpoint, lag = lags.get(name, (0, 0))
            caught_up = checkpoint >= handled[-1].position
            lines = ("asynchronous: after the commit", "caught up: applied" if caught_up else f"lag: {lag} event(s)")
            flow.add(FlowNode(pid, "projection", f"Projection {name} v{p.version} (asynchronous)", lines,
                              OK if caught_up else WAITING), event_ids[-1], "later", OK if caught_up else WAITING)
            keys = [f"{table}: {k}" for table, ks in _touched(p, handled).items() for k in dict.fromkeys(ks)]
            if keys:
                flow.add(FlowNode(f"{pid}_rows", "row", f"Read model of {name}",
                                  tuple(keys[:4]) + ((f"... and {len(keys) - 4} more",) if len(keys) > 4 else ()),
                                  OK if caught_up else WAITING), pid, "rows it read and wrote" if caught_up
                         else "rows it will read and write",
                         OK if caught_up else WAITING)


def _lags(engine, states: dict[tuple[str, int], cp.Checkpoint]) -> dict[str, tuple[int, int]]:
    """The live version's checkpoint and lag (events behind the head) of each projection."""
    head = engine.store.writer.last_position  # the writer's memory: no query
    return {name: (c.position, max(head - c.position, 0)) for (name, _), c in states.items() if c.live}


def _row_lines(change: RowChange) -> tuple[str, ...]:
    if change.before is None:
        after = change.after or {}
        return ("new row",) + tuple(f"{c} = {_short(after.get(c))}" for c in list(after)[:4])
    return tuple(f"{c}: {_short(change.before.get(c))} → {_short((change.after or {}).get(c))}"
                 for c in change.changed_columns[:5])


def _short(value: Any) -> str:
    if isinstance(value, list):
        return f"{len(value)} entr{'y' if len(value) == 1 else 'ies'}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    text = json.dumps(value, default=str, ensure_ascii=False) if isinstance(value, dict) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
