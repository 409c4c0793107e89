"""Describe a command model as a form: one :class:`FieldSpec` per field, read from pydantic.

The form shows the limits in its help text but does not enforce them itself: the command's own
validation refuses bad input with a message per field, which is what a workshop should see.
"""
from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Iterable

from pydantic import BaseModel

from esengine.application.messages import Command
from esengine.forms.hints import FormHints, convention


@dataclass(frozen=True)
class FieldSpec:
    """One input of a form."""

    name: str
    label: str
    kind: str  # "text", "integer", "number", "reference", "version" or "lines"
    required: bool = True
    help: str = ""
    reference: str | None = None  # for kind "reference": the stream type it names ("customer", "book")
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    line_fields: tuple[FieldSpec, ...] = ()  # for kind "lines": the fields of one line
    description: str = ""  # the model's description of the field ("Letters, digits and dashes")


@dataclass(frozen=True)
class CommandForm:
    """The form of one command: its type name, title and fields, in declaration order."""

    command_type: str
    title: str
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)

    @property
    def stream_reference(self) -> str | None:
        """The field naming the stream the command changes with a version check (``order_id``), if any."""
        if any(f.kind == "version" for f in self.fields):
            return next((f.name for f in self.fields if f.kind == "reference"), None)
        return None

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)


def describe_commands(command_classes: Iterable[type[Command]], hints: FormHints | None = None,
                      stream_types: Iterable[str] | None = None) -> list[CommandForm]:
    """The forms of several commands, in the given order (see :func:`describe_command`)."""
    return [describe_command(cls, hints, stream_types) for cls in command_classes]


def engine_forms(engine: Any) -> list[CommandForm]:
    """The forms of every command the engine's domains registered, with their form hints."""
    return describe_commands(engine.commands.command_types.values(), engine.forms, tuple(engine.repositories))


def describe_command(cls: type[Command], hints: FormHints | None = None,
                     stream_types: Iterable[str] | None = None) -> CommandForm:
    """The form of one pydantic command model.

    A field refers to a stream when ``hints`` say so, or when it is named ``<type>_id`` and ``<type>`` is one
    of ``stream_types`` (any ``<type>`` when they are not given).
    """
    kinds = None if stream_types is None else tuple(stream_types)

    def reference(field: str) -> str | None:
        return hints.reference(cls.type_name(), field, kinds) if hints else convention(field, kinds)
    return CommandForm(cls.type_name(), cls.title or cls.type_name(),
                       tuple(_field(name, info, reference) for name, info in cls.model_fields.items()))


def _field(name: str, info: Any, reference: Callable[[str], str | None]) -> FieldSpec:
    limits = _limits(info.metadata)
    kind_of_stream = reference(name)
    base = _unwrap_optional(info.annotation)
    label = name.replace("_", " ").capitalize()
    if name == "expected_version":
        kind = "version"
    elif typing.get_origin(base) is list:
        line_model = typing.get_args(base)[0]
        lines = tuple(_field(n, i, reference) for n, i in line_model.model_fields.items()) \
            if isinstance(line_model, type) and issubclass(line_model, BaseModel) else ()
        return FieldSpec(name, label, "lines", info.is_required(), _help(info.description, limits, "lines"),
                         line_fields=lines, description=info.description or "", **limits)
    elif kind_of_stream is not None:
        return FieldSpec(name, (label[:-3].strip() if name.endswith("_id") else label) or label, "reference",
                         info.is_required(), f"Pick an existing {kind_of_stream}: type part of its name or id to "
                         "search the list.", reference=kind_of_stream, description=info.description or "", **limits)
    elif base is int:
        kind = "integer"
    elif base is float:
        kind = "number"
    else:
        kind = "text"
    return FieldSpec(name, label, kind, info.is_required(), _help(info.description, limits, kind),
                     description=info.description or "", **limits)


def _unwrap_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _limits(metadata: list[Any]) -> dict[str, Any]:
    limits: dict[str, Any] = {}
    for item in metadata:
        for attr, key in (("ge", "minimum"), ("gt", "minimum"), ("le", "maximum"), ("lt", "maximum"),
                          ("min_length", "min_length"), ("max_length", "max_length"), ("pattern", "pattern")):
            value = getattr(item, attr, None)
            if value is not None:
                limits[key] = value
                if attr == "gt":
                    limits["exclusive_minimum"] = True
    return limits


def _help(description: str | None, limits: dict[str, Any], kind: str) -> str:
    """The description, then the limits in words: "1 to 100 characters", "more than 0, at most 100000"."""
    parts = []
    unit = {"lines": "lines", "text": "characters"}.get(kind)
    if unit and ("min_length" in limits or "max_length" in limits):
        parts.append(f"{limits.get('min_length', 0)} to {limits.get('max_length', 'any number of')} {unit}")
    if "minimum" in limits:
        parts.append(f"{'more than' if limits.get('exclusive_minimum') else 'at least'} {_number(limits['minimum'])}")
    if "maximum" in limits:
        parts.append(f"at most {_number(limits['maximum'])}")
    limit_text = f"Limits: {', '.join(parts)}." if parts else ""
    return " ".join(p for p in ((description + ".") if description else "", limit_text) if p)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
