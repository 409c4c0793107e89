"""Render a command form described by ``esengine.forms`` and read its values back as a payload.

Widgets do not enforce the command's limits (they show them in the help text): the command's own
validation refuses bad input with a message per field, which is what a workshop should see.
Widget keys are ``<prefix>_<field>`` (``<prefix>_<field>_<line>_<subfield>`` for order lines).
"""
from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from esengine.forms import CommandForm, FieldSpec, Option

LINE_SLOTS = 3


def field_key(prefix: str, name: str, line: int | None = None, sub: str | None = None) -> str:
    return f"{prefix}_{name}" if line is None else f"{prefix}_{name}_{line}_{sub}"


def reference_select(spec: FieldSpec, options: list[Option], key: str, on_change: Callable | None = None,
                     label: str | None = None, args: tuple = ()) -> str | None:
    """A select box of existing customers/products/orders that also accepts a typed id."""
    labels = {o.id: o.label for o in options}
    ids = list(labels)
    current = st.session_state.get(key)
    if current and current not in labels:  # a prefilled or typed id that is not among the offered ones
        ids.insert(0, current)
    return st.selectbox(label or spec.label, ids, index=None, key=key, format_func=lambda i: labels.get(i, i),
                        placeholder=f"Choose a {spec.reference} or type its id", accept_new_options=True,
                        help=spec.help, on_change=on_change, args=args)


def render_fields(form: CommandForm, options: dict[str, list[Option]], prefix: str, skip: tuple[str, ...] = ()) -> None:
    """The form's widgets (call inside ``st.form``); ``skip`` names fields rendered elsewhere."""
    for spec in form.fields:
        if spec.name in skip:
            continue
        key = field_key(prefix, spec.name)
        if spec.kind == "reference":
            reference_select(spec, options.get(spec.reference, []), key)
        elif spec.kind == "lines":
            _lines(spec, options, prefix)
        elif spec.kind in ("integer", "version"):
            st.number_input(spec.label, value=None, step=1, key=key, help=spec.help,
                            placeholder="leave empty: no version check" if spec.kind == "version" else None)
        elif spec.kind == "number":
            st.number_input(spec.label, value=None, step=0.01, format="%.2f", key=key, help=spec.help)
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
                    reference_select(sub, options.get(sub.reference, []), key, label=f"{sub.label} {i + 1}")
                else:
                    st.number_input(f"{sub.label} {i + 1}", value=None, step=1, key=key, help=sub.help)


def form_payload(form: CommandForm, prefix: str, fixed: dict[str, Any] | None = None) -> dict[str, Any]:
    """The command payload from the widgets' values: empty number fields are left out (so "required")."""
    payload: dict[str, Any] = dict(fixed or {})
    for spec in form.fields:
        if spec.name in payload:
            continue
        if spec.kind == "lines":
            payload[spec.name] = _line_values(spec, prefix)
            continue
        value = st.session_state.get(field_key(prefix, spec.name))
        if value is not None:
            payload[spec.name] = value
        elif spec.kind in ("text", "reference"):
            payload[spec.name] = ""
    return payload


def _line_values(spec: FieldSpec, prefix: str) -> list[dict[str, Any]]:
    lines = []
    for i in range(LINE_SLOTS):
        line = {sub.name: st.session_state.get(field_key(prefix, spec.name, i, sub.name)) for sub in spec.line_fields}
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
                    st.session_state[field_key(prefix, spec.name, i, sub.name)] = line.get(sub.name)
        elif spec.kind == "text":
            st.session_state[field_key(prefix, spec.name)] = "" if value is None else str(value)
        else:
            st.session_state[field_key(prefix, spec.name)] = value
