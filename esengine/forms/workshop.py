"""Helpers for the Commands page: a stream's state in a sentence, "a colleague" changing it, prefill from an event.

They work for every domain: what a stream is and what a colleague would do next come from the domain's
form hints (``engine.forms``, see :mod:`esengine.forms.hints`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from esengine.application.context import CommandContext
from esengine.errors import NotFound

COLLEAGUE = "a colleague"


@dataclass(frozen=True)
class StreamSummary:
    """A stream as the Commands page shows it: its version now and, if the domain says how, its state in words."""

    stream_id: str
    stream_type: str
    version: int
    phrase: str = ""

    @property
    def sentence(self) -> str:
        """``Order `order-1` is **pending**, total **12.00 €**, at version **3** now.`` (markdown)."""
        state = f"{self.phrase}, " if self.phrase else ""
        return f"{self.stream_type.capitalize()} `{self.stream_id}` is {state}at version **{self.version}** now."


def stream_summary(engine, stream_type: str, stream_id: str) -> StreamSummary:
    """The stream's current version (and state phrase) from its events; ``NotFound`` if it has none or is of
    another type."""
    repository = engine.repository(stream_type)
    if repository is None:
        version = engine.store.current_version(stream_id)
        if not version:
            raise NotFound(f"There is no {stream_type} '{stream_id}'.")
        return StreamSummary(stream_id, stream_type, version)
    aggregate = repository.load(stream_id)
    phrase = engine.forms.phrases.get(stream_type)
    return StreamSummary(stream_id, stream_type, aggregate.version, phrase(aggregate.state) if phrase else "")


def can_change_as_colleague(engine, stream_type: str) -> bool:
    """Whether the domain says what a colleague would do to a ``stream_type`` stream."""
    return stream_type in engine.forms.next_steps


def colleague_change(engine, stream_type: str, stream_id: str, correlation_id: str | None = None):
    """Change the stream as someone else would, so a form loaded before now holds a stale version.

    The domain's next step for the stream (``engine.forms.next_step``) decides the command; it raises a
    ``DomainRuleViolation`` for a stream nobody can change any more. Returns the ``CommandResult``.
    """
    step = engine.forms.next_steps.get(stream_type)
    if step is None:
        raise NotFound(f"The domain does not say what a colleague would do to a {stream_type}.")
    command, payload = step(engine, stream_id)
    context = CommandContext(user_id=COLLEAGUE) if correlation_id is None else \
        CommandContext(user_id=COLLEAGUE, correlation_id=correlation_id)
    return engine.commands.submit(command, payload, context)


def command_of_event(store, position: int) -> tuple[str, dict[str, Any]]:
    """The command type and payload that produced the event at ``position`` (for "again like this")."""
    event = store.get_event(position=position)
    command_id = event.metadata.get("command_id")
    rows = store.cursor().execute(
        "SELECT command_type, CAST(payload AS VARCHAR) FROM command_log WHERE command_id = ? AND outcome = 'accepted'",
        [command_id or ""]).fetchall()
    if not rows:
        raise NotFound(f"Event {position} was not produced by a logged command (it was imported or bulk-loaded), "
                       "so there is no form to prefill. Pick an event from the Commands page or the demo history.")
    return rows[0][0], json.loads(rows[0][1])
