"""A form's values in and its refusals out, in the form's own words.

:func:`from_text` turns what a person typed into a number field into the number the command expects
(or leaves it as typed, so the command refuses it and the refusal is logged). :func:`plain_refusal`
says what is wrong with each refused field using the form's labels and limits: no field paths
(``items.0.quantity``), no regular expressions, no validator jargon.
"""
from __future__ import annotations

import math
import re
from typing import Any

from esengine.core.text import CONTROL_CHARACTERS
from esengine.forms.describe import CommandForm, FieldSpec

CONTROL = CONTROL_CHARACTERS  # the one rule of every command and import (esengine.core.text)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_COMMA_DECIMAL = re.compile(r"[+-]?\d+,\d+", re.ASCII)
_JARGON = ("should", "pattern", "input", "field required", "type=", "^", "$", "[", "validation error")
NUMBER_KINDS = ("integer", "number", "version")


def from_text(spec: FieldSpec, text: str | None) -> Any:
    """The value a number field sends: an int or float when the text is one written with 0-9 (``12``,
    ``2.5``, ``1e3``), None when it is empty, else the text itself (the command refuses it)."""
    if text is None or not str(text).strip():
        return None
    stripped = str(text).strip()
    if spec.kind in ("integer", "version") and _INTEGER.fullmatch(stripped):
        return int(stripped)
    if _DECIMAL.fullmatch(stripped):
        return float(stripped)
    return text


def explain(spec: FieldSpec, value: Any) -> str | None:
    """What is wrong with ``value`` for this field, in plain words; None if it fits the field's limits."""
    if value is None or (isinstance(value, str) and not value.strip()) or value == []:
        return _missing(spec)
    if spec.kind in NUMBER_KINDS:
        return _number(spec, value)
    if spec.kind == "lines":
        return _lines(spec, value)
    return _text(spec, str(value))


def _missing(spec: FieldSpec) -> str:
    if spec.kind == "reference":
        return f"Choose {_a(spec.reference)} from the list."
    if spec.kind == "lines":
        wanted = " and ".join(f.label.lower() for f in spec.line_fields) or "fields"
        return f"Add at least one line: fill in its {wanted}."
    if spec.kind in NUMBER_KINDS:
        return "Fill in a whole number." if spec.kind != "number" else "Fill in a number."
    return "Fill this in."


def _number(spec: FieldSpec, value: Any) -> str | None:
    whole = spec.kind in ("integer", "version")
    example = "like 3" if whole else "like 12.50"
    if isinstance(value, str):
        text = value.strip()
        if CONTROL.search(value):
            return f"contains an invisible control character; type the number again, {example}."
        if _COMMA_DECIMAL.fullmatch(text):
            return ("must be a whole number, without a comma." if whole
                    else f"use a point for decimals: write {text.replace(',', '.')}, not {text}.")
        if any(ch.isdigit() and not ch.isascii() for ch in text):
            return f"write the number with the digits 0 to 9, {example}."
        if not _DECIMAL.fullmatch(text):
            return f"must be a number, {example} (you entered “{_quote(text)}”)."
        value = float(text)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and math.isnan(value)):
        return f"must be a number, {example}."
    if whole and isinstance(value, float) and not value.is_integer() and math.isfinite(value):
        return f"must be a whole number, without a fraction (you entered {_show(value)})."
    if spec.maximum is not None and value > spec.maximum:
        return f"is too large: at most {_show(spec.maximum)} (you entered {_show(value)})."
    if spec.minimum is not None and (value <= spec.minimum if spec.exclusive_minimum else value < spec.minimum):
        bound = "more than" if spec.exclusive_minimum else "at least"
        return f"is too small: it must be {bound} {_show(spec.minimum)} (you entered {_show(value)})."
    return None


def _text(spec: FieldSpec, text: str) -> str | None:
    if CONTROL.search(text):
        return "contains an invisible control character (a tab, a line break or similar); remove it."
    length = len(text.strip())
    if spec.min_length is not None and length < spec.min_length:
        return f"is too short: at least {spec.min_length} characters (this has {length})."
    if spec.max_length is not None and length > spec.max_length:
        return f"is too long: at most {spec.max_length:,} characters (this has {length:,})."
    if spec.pattern and not re.fullmatch(spec.pattern, text.strip()):
        if spec.kind == "reference":
            return (f"“{_quote(text)}” is not the id of {_a(spec.reference)}: ids have only letters, digits and "
                    f"the signs . _ : -. Pick {_a(spec.reference)} from the list.")
        wanted = spec.description[:1].lower() + spec.description[1:] if spec.description else "see the help text"
        return f"is not in the right form: {wanted} (you entered “{_quote(text)}”)."
    return None


def _lines(spec: FieldSpec, lines: Any) -> str | None:
    if not isinstance(lines, list):
        return "Add the lines with the line fields of the form."
    if spec.max_length is not None and len(lines) > spec.max_length:
        return f"has too many lines: at most {spec.max_length} (this has {len(lines)})."
    return None


def _a(noun: str | None) -> str:
    return f"{'an' if (noun or 'x')[0] in 'aeiou' else 'a'} {noun}"


def _show(number: float) -> str:
    if isinstance(number, float) and not math.isfinite(number):
        return "a number too large to hold"
    if float(number).is_integer() and abs(number) < 1e21:
        return f"{int(number):,}"
    return f"{number:,.2f}" if abs(number) >= 0.01 else f"{number:g}"


def _quote(text: str, limit: int = 30) -> str:
    shown = CONTROL.sub("?", text)
    return shown if len(shown) <= limit else shown[:limit] + "…"


# -- where a refused field is in the form ----------------------------------------------------------------------
def locate(form: CommandForm, path: str, payload: dict[str, Any]) -> tuple[FieldSpec | None, str, Any]:
    """The field at a refusal's path (``quantity``, ``items.0.quantity``), the label the form shows for it
    (``Quantity 1``: the first line's quantity) and the value that was sent."""
    parts = path.split(".")
    spec = next((f for f in form.fields if f.name == parts[0]), None)
    if spec is None:
        return None, "The form", None
    value = payload.get(spec.name)
    if spec.kind != "lines" or len(parts) < 2 or not parts[1].isdigit():
        return spec, spec.label, value
    line = int(parts[1])
    line_value = value[line] if isinstance(value, list) and line < len(value) else {}
    sub = next((f for f in spec.line_fields if len(parts) > 2 and f.name == parts[2]), None)
    if sub is None:
        return spec, f"{spec.label}, line {line + 1}", line_value
    return sub, f"{sub.label} {line + 1}", line_value.get(sub.name) if isinstance(line_value, dict) else None


def plain_refusal(form: CommandForm, field_errors: dict[str, str], payload: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, message) for each refused field: the form's label, and what is wrong in plain words."""
    said: dict[str, str] = {}
    for path, message in field_errors.items():
        spec, label, value = locate(form, path, payload)
        if spec is None:
            said.setdefault(label, _plain(message, path, label, None))
            continue
        said.setdefault(label, explain(spec, value) or _plain(message, path, label, spec))
    return list(said.items())


def _plain(message: str, path: str, label: str, spec: FieldSpec | None) -> str:
    """The engine's own message when it is already plain (``There is no product 'x'``), else the field's help."""
    text = message.replace(path, label)
    if any(word in text.lower() for word in _JARGON):
        return f"is not accepted. {spec.help}" if spec is not None and spec.help else "is not accepted."
    return text
