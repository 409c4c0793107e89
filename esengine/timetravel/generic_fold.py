"""The generic fold: the state of a stream that no aggregate class knows is the merge of its events' data.

Imported histories and streams of retired types have no code to replay them, yet every stream can be
time-travelled: each event's ``data`` is merged into the state, later values winning. Nested objects
merge key by key (so ``{"address": {"city": ...}}`` changes only the city); lists and plain values are
replaced whole, because an event that carries a list means "this is the list now".
"""
from __future__ import annotations

import copy
import json
from typing import Any
from collections.abc import Iterable


def merge_data(state: dict[str, Any], data: dict[str, Any], owned: bool = False) -> dict[str, Any]:
    """Merge one event's data into ``state`` in place and return it (nested dicts merge, the rest replaces).

    ``owned`` says nothing else holds ``data`` (it was just parsed), so its values need no copy.
    """
    for key, value in data.items():
        current = state.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merge_data(current, value, owned)
        elif owned or not isinstance(value, (dict, list)):
            state[key] = value
        else:  # the event keeps its own data: the state must not share mutable parts with it
            state[key] = copy.deepcopy(value)
    return state


def merge_parsed(state: dict[str, Any], data: Any) -> None:
    """``merge_data(state, data, owned=True)`` for data just parsed from JSON (anything but an object is
    ignored), with the top level inlined: this is the hot path of every fold over stored events."""
    if type(data) is not dict:
        return
    get = state.get
    for key, value in data.items():
        if type(value) is dict:
            current = get(key)
            if type(current) is dict:
                merge_data(current, value, owned=True)
                continue
        state[key] = value


def fold_data(datas: Iterable[dict[str, Any] | str | None], initial: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fold event data (dicts, or JSON text as the store keeps it) into one state, from ``initial`` or ``{}``."""
    state: dict[str, Any] = copy.deepcopy(initial) if initial else {}
    loads = json.loads
    for data in datas:
        if data is None:
            continue
        if isinstance(data, str):
            data = loads(data)
            if isinstance(data, dict):
                merge_data(state, data, owned=True)
        elif isinstance(data, dict):
            merge_data(state, data)
    return state


def fold_json(texts: list[str | None], initial: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fold event data kept as JSON text (as the store returns it), parsing it all in one call.

    One ``json.loads`` over the whole list costs far less than one call per event; text that is not
    valid JSON makes it fall back to event by event, so the error names the bad event's data.
    """
    try:
        datas = json.loads("[" + ",".join(t if t is not None else "null" for t in texts) + "]")
    except ValueError:
        return fold_data(texts, initial)
    state: dict[str, Any] = copy.deepcopy(initial) if initial else {}
    for data in datas:
        merge_parsed(state, data)
    return state


def fold_events(events: Iterable[Any], initial: dict[str, Any] | None = None) -> dict[str, Any]:
    """Fold stored events (anything with a ``data`` dict) generically."""
    return fold_data((e.data for e in events), initial)
