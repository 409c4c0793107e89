"""What a domain tells the Commands page beyond its command models: form hints.

Each engine has one :class:`FormHints` (``engine.forms``) that the domains fill in ``register(engine)``:

- which command field names a stream of which type (``refer("borrower_id", "member")``); a field named
  ``<type>_id`` refers to a stream of ``<type>`` when a domain registered an aggregate of that type, with
  no hint at all;
- how a picker lists and labels the streams of a type (:class:`StreamPicker`: a read-model table and a SQL
  expression over its columns); without one, a picker lists the stream ids from the event store;
- how a stream's state reads in a sentence (``"**pending**, total **12.00 €**"``);
- for the conflict demonstration, what "a colleague" would do next to a stream.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Iterable

StatePhrase = Callable[[Any], str]
"""``phrase(aggregate_state) -> str``: how the stream is now, in a few words (markdown)."""
NextStep = Callable[[Any, str], tuple[str, dict[str, Any]]]
"""``step(engine, stream_id) -> (command_type, payload)``: what someone else would send to that stream now."""


@dataclass(frozen=True)
class StreamPicker:
    """How a picker offers the streams of one type: the rows of a read-model table, labelled in SQL.

    ``label`` and ``order_by`` are SQL over the table's columns (the domain's own read model); keep the id
    in the label, so typing part of an id finds it. The live version of ``projection`` is read.
    """

    stream_type: str
    projection: str
    table: str
    label: str = "id"
    order_by: str = "id"
    id_column: str = "id"
    search_hint: str = ""  # the search box's placeholder ("part of a title or an id")


class FormHints:
    """The form hints of every domain wired into one engine."""

    def __init__(self) -> None:
        self.references: dict[tuple[str | None, str], str] = {}
        self.pickers: dict[str, StreamPicker] = {}
        self.phrases: dict[str, StatePhrase] = {}
        self.next_steps: dict[str, NextStep] = {}

    def refer(self, field: str, stream_type: str, command: str | None = None) -> None:
        """Say that ``field`` (of every command, or of ``command`` only) names a stream of ``stream_type``."""
        self.references[(command, field)] = stream_type

    def pick(self, picker: StreamPicker) -> None:
        """Say how pickers list and label streams of ``picker.stream_type``."""
        self.pickers[picker.stream_type] = picker

    def phrase(self, stream_type: str, phrase: StatePhrase) -> None:
        """Say how the state of a ``stream_type`` stream reads: "Order `order-1` is <phrase>, at version 3"."""
        self.phrases[stream_type] = phrase

    def next_step(self, stream_type: str, step: NextStep) -> None:
        """Say what a colleague would send to a ``stream_type`` stream (the conflict demonstration)."""
        self.next_steps[stream_type] = step

    def reference(self, command: str, field: str, stream_types: Iterable[str] | None) -> str | None:
        """The stream type ``field`` of ``command`` refers to, if any (see the module's docstring)."""
        for key in ((command, field), (None, field)):
            if key in self.references:
                return self.references[key]
        return convention(field, stream_types)


def convention(field: str, stream_types: Iterable[str] | None) -> str | None:
    """``customer_id`` refers to a ``customer`` stream (when ``customer`` is one of ``stream_types``, if given)."""
    if not field.endswith("_id") or len(field) <= 3:
        return None
    kind = field[:-3]
    return kind if stream_types is None or kind in set(stream_types) else None
