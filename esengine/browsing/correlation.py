"""Correlation and causation: the tree "command -> its events -> follow-up commands -> their events".

Every event carries ``correlation_id`` (the whole conversation), ``command_id`` (the command that
produced it) and ``causation_id`` (the command, or the earlier event that led to its command).
Refused commands come from the command log: they produced no event, so their cause is unknown and
they hang at the top of the tree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from esengine.errors import NotFound
from esengine.store.filters import EventFilter

MAX_CHAIN_EVENTS = 2000


@dataclass(eq=False)
class ChainNode:
    """A command or an event in a correlation, with what it caused as children."""

    kind: str  # "command" or "event"
    key: str  # command id or event id
    label: str  # command type or event type
    occurred_at: datetime | None = None
    position: int | None = None
    stream_id: str | None = None
    version: int | None = None
    outcome: str | None = None  # commands: "accepted" or "refused"
    message: str | None = None  # a refusal's reason
    user_id: str | None = None
    children: list[ChainNode] = field(default_factory=list)

    def walk(self, depth: int = 0):
        """This node and everything below it, depth first, as ``(depth, node)``."""
        yield depth, self
        for child in self.children:
            yield from child.walk(depth + 1)


def causation_chain(store, correlation_id: str) -> list[ChainNode]:
    """The roots of the correlation's tree, oldest first; ``NotFound`` if nothing carries that id."""
    events = store.read_all(where=EventFilter(correlation_id=correlation_id), limit=MAX_CHAIN_EVENTS)
    commands = {row["command_id"]: _command_node(row) for row in _logged_commands(store, correlation_id)}
    if not events and not commands:
        raise NotFound(f"No event or command carries the correlation id '{correlation_id}'.")
    by_event: dict[str, ChainNode] = {}
    cause_of_command: dict[str, str] = {}
    roots: list[ChainNode] = []
    for e in events:
        node = ChainNode("event", e.event_id, e.event_type, e.occurred_at, e.position, e.stream_id, e.version,
                         user_id=e.metadata.get("user_id"))
        by_event[e.event_id] = node
        command_id, cause = e.metadata.get("command_id"), e.metadata.get("causation_id")
        if command_id:
            if command_id not in commands:  # produced by a command the log does not hold (an import)
                commands[command_id] = ChainNode("command", command_id, e.metadata.get("command") or "command",
                                                 e.occurred_at, outcome="accepted", user_id=node.user_id)
            commands[command_id].children.append(node)
            if cause and cause != command_id:
                cause_of_command.setdefault(command_id, cause)
        elif cause in by_event:
            by_event[cause].children.append(node)
        else:
            roots.append(node)
    for command_id, node in commands.items():
        parent = by_event.get(cause_of_command.get(command_id, ""))
        inside_itself = parent is not None and any(parent is child for child in node.children)
        (parent.children if parent is not None and not inside_itself else roots).append(node)
    for node in [*roots, *commands.values(), *by_event.values()]:
        node.children.sort(key=_order)
    return sorted(roots, key=_order)


def streams_touched(store, correlation_id: str) -> pd.DataFrame:
    """Every stream one correlation wrote to: type, how many events, versions and event types."""
    clause, params = EventFilter(correlation_id=correlation_id).where()
    return store.cursor().execute(
        f"""SELECT stream_id, any_value(stream_type) AS stream_type, count(*) AS events,
                   min(version) AS first_version, max(version) AS last_version,
                   string_agg(event_type, ', ' ORDER BY position) AS event_types,
                   min(occurred_at) AS first_occurred_at, max(occurred_at) AS last_occurred_at
            FROM events WHERE {clause} GROUP BY stream_id ORDER BY min(position)""", params).df()


def _logged_commands(store, correlation_id: str) -> list[dict[str, Any]]:
    cur = store.cursor().execute(
        "SELECT command_id, command_type, outcome, message, user_id, occurred_at FROM command_log "
        "WHERE correlation_id = ? ORDER BY recorded_at", [correlation_id])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _command_node(row: dict[str, Any]) -> ChainNode:
    return ChainNode("command", row["command_id"], row["command_type"], row["occurred_at"], outcome=row["outcome"],
                     message=row["message"], user_id=row["user_id"])


def _order(node: ChainNode) -> tuple:
    return (node.occurred_at or datetime.min, node.position or 0)
