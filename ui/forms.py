"""Render a command form described by ``esengine.forms`` and read its values back as a payload.

Widgets do not enforce the command's limits (they show them in the help text): the command's own
validation refuses bad input, and :func:`show_refusal` says what is wrong with each field under the
label the form shows. Number fields are text boxes, so a fraction or a huge number reaches the command
as typed and is refused, never rounded or clipped by the widget.
Widget keys are ``<prefix>_<field>`` (``<prefix>_<field>_<line>_<subfield>`` for lines, such as an order's).
"""
from __future__ import annotations

from typing import Any
from collections.abc import Callable

import streamlit as st

from esengine.errors import ValidationError
from esengine.forms import CommandForm, FieldSpec, Option
from esengine.forms.values import NUMBER_KINDS, from_text, plain_refusal

LINE_SLOTS = 3


def field_key(prefix: str, name: str, line: int | None = None, sub: str | None = None) -> str:
    return f"{prefix}_{name}" if line is None else f"{prefix}_{name}_{line}_{sub}"


def reference_select(spec: FieldSpec, options: list[Option], key: str, on_change: Callable | None = None,
                     label: str | None = None, args: tuple = ()) -> str | None:
    """A select box of existing streams of one type (customers, books...); typing searches their ids and labels.

    The widget's value is the stream id; the label is only how it is shown. Streamlit remembers a choice in
    the browser by its label, and a label changes when the stream does (an order's status and total), so
    the id is put back into the widget on every run: a picked stream stays picked across commands.
    """
    labels = {o.id: o.label for o in options}
    ids = list(labels)
    current = st.session_state.get(key)
    if current is not None:
        if current not in labels:  # prefilled (a link) or beyond the offered ones: still offered
            ids.insert(0, current)
        st.session_state[key] = current  # the browser gets the current label of the same id
    return st.selectbox(label or spec.label, ids, index=None, key=key, format_func=lambda i: labels.get(i, i),
                        placeholder=f"Choose {article(spec.reference)} {spec.reference}: type part of its name or id",
                        filter_mode="contains", help=spec.help, on_change=on_change, args=args)


def article(noun: str | None) -> str:
    return "an" if (noun or "x")[0].lower() in "aeiou" else "a"


def number_input(spec: FieldSpec, key: str, label: str | None = None) -> None:
    """A number as typed: the command, not the widget, decides whether it fits."""
    limits = " to ".join(f"{v:,.0f}" if float(v).is_integer() else str(v) for v in (spec.minimum, spec.maximum)
                         if v is not None)
    whole = "a whole number" if spec.kind != "number" else "a number"
    placeholder = "leave empty: no version check" if spec.kind == "version" else \
        f"{whole}{', ' + limits if limits and not spec.exclusive_minimum else ''}"
    st.text_input(label or spec.label, key=key, help=spec.help, placeholder=placeholder, max_chars=40)


def render_fields(form: CommandForm, options: dict[str, list[Option]], prefix: str, skip: tuple[str, ...] = ()) -> None:
    """The form's widgets (call inside ``st.form``); ``skip`` names fields rendered elsewhere."""
    for spec in form.fields:
        if spec.name in skip:
            continue
        key = field_key(prefix, spec.name)
        if spec.kind == "reference":
            reference_select(spec, options.get(spec.reference or "", []), key)
        elif spec.kind == "lines":
            _lines(spec, options, prefix)
        elif spec.kind in NUMBER_KINDS:
            number_input(spec, key)
        else:
            st.text_input(spec.label, key=key, help=spec.help)


def _lines(spec: FieldSpec, options: dict[str, list[Option]], prefix: str) -> None:
    st.markdown(f"**{spec.label}** ({spec.help} This form offers {LINE_SLOTS} lines; empty lines are left out.)")
    for i in range(LINE_SLOTS):
        cols = st.columns([3, 1])
        for col, sub in zip(cols, spec.line_fields):
            with col:
                key = field_key(prefix, spec.name, i, sub.name)
                if sub.kind == "reference":
                    reference_select(sub, options.get(sub.reference or "", []), key, label=f"{sub.label} {i + 1}")
                else:
                    number_input(sub, key, label=f"{sub.label} {i + 1}")


def _value(spec: FieldSpec, key: str) -> Any:
    value = st.session_state.get(key)
    return from_text(spec, value) if spec.kind in NUMBER_KINDS else value


def form_payload(form: CommandForm, prefix: str, fixed: dict[str, Any] | None = None) -> dict[str, Any]:
    """The command payload from the widgets' values: empty number fields are left out (so "required")."""
    payload: dict[str, Any] = dict(fixed or {})
    for spec in form.fields:
        if spec.name in payload:
            continue
        if spec.kind == "lines":
            payload[spec.name] = _line_values(spec, prefix)
            continue
        value = _value(spec, field_key(prefix, spec.name))
        if value is not None:
            payload[spec.name] = value
        elif spec.kind in ("text", "reference"):
            payload[spec.name] = ""
    return payload


def _line_values(spec: FieldSpec, prefix: str) -> list[dict[str, Any]]:
    lines = []
    for i in range(LINE_SLOTS):
        line = {sub.name: _value(sub, field_key(prefix, spec.name, i, sub.name)) for sub in spec.line_fields}
        if any(v not in (None, "") for v in line.values()):
            lines.append({k: v for k, v in line.items() if v is not None})
    return lines


def prefill(form: CommandForm, payload: dict[str, Any], prefix: str) -> None:
    """Put a payload's values into the form's widgets (before they are drawn, or from a callback)."""
    for spec in form.fields:
        value = payload.get(spec.name)
        if spec.kind == "lines":
            for i in range(LINE_SLOTS):
                line = value[i] if isinstance(value, list) and i < len(value) else {}
                for sub in spec.line_fields:
                    st.session_state[field_key(prefix, spec.name, i, sub.name)] = _shown(sub, line.get(sub.name))
        else:
            st.session_state[field_key(prefix, spec.name)] = _shown(spec, value)


def _shown(spec: FieldSpec, value: Any) -> Any:
    if spec.kind == "reference":
        return value
    return "" if value is None else str(value)


def show_refusal(form: CommandForm, error: ValidationError, payload: dict[str, Any]) -> list[str]:
    """Say, under the form's own labels, what is wrong with each refused field; returns the lines said."""
    lines = [f"**{label}**: {message}" for label, message in plain_refusal(form, error.field_errors, payload)]
    st.error(f"{form.title}: refused, nothing was written. Please correct:" if lines else
             f"{form.title}: refused, nothing was written. {error}")
    for line in lines:
        st.markdown(f"- {line}")
    return lines
