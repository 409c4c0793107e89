"""A page's state in the address bar: widgets filled from the URL when it is opened, the URL rewritten as they change.

A page lists its :class:`Param` s (the URL name and the widget key). ``restore`` runs before the widgets are
drawn and fills them from the URL once per distinct URL; ``publish`` runs after them and writes their values
back, so the address bar always holds the page's state and can be copied, bookmarked or opened elsewhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from collections.abc import Callable, Iterable

import streamlit as st

S = st.session_state
KEPT_URLS = 100
"""How many of the URLs a page wrote are remembered, so that the browser sending one back is not taken for a link."""


def _signature(url: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(url.items()))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _list_in(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def _list_out(value: Any) -> str:
    return ",".join(value or [])


@dataclass(frozen=True)
class Param:
    """One piece of a page's state: ``name`` in the URL, ``key`` of its widget in the session state.

    ``read`` turns the URL's text into the widget's value (``ValueError``: the URL's value is ignored; a dict
    fills several widgets) and ``write`` the widget's value into text (empty text leaves it out of the URL).
    """

    name: str
    key: str
    read: Callable[[str], Any] = _text
    write: Callable[[Any], str] = _text

    @classmethod
    def listed(cls, name: str, key: str, options: Iterable[str] | None = None) -> Param:
        """A multiselect: its choices comma-separated (``event_type=OrderPlaced,OrderShipped``); with
        ``options``, a value that is not one of them is left out (Streamlit refuses unknown choices)."""
        known = None if options is None else set(options)
        return cls(name, key, lambda text: [v for v in _list_in(text) if known is None or v in known], _list_out)

    @classmethod
    def choice(cls, name: str, key: str, options: Iterable[Any]) -> Param:
        """A selectbox or radio: a URL value that is not one of ``options`` is ignored; the first option (the
        default) is left out of the URL."""
        by_text = {str(o): o for o in options}
        default = next(iter(by_text), None)

        def read(text: str) -> Any:
            if text not in by_text:
                raise ValueError(text)
            return by_text[text]
        return cls(name, key, read, lambda value: "" if value is None or str(value) == default else str(value))

    @classmethod
    def moment(cls, name: str, key: str, first: datetime, last: datetime) -> Param:
        """A date and a time input pair (``{key}_date``, ``{key}_time``) as one UTC moment, ``2026-05-01T12:00Z``;
        a moment outside ``first``..``last`` is moved to the nearer end (the date input refuses it otherwise)."""
        def read(text: str) -> dict[str, Any]:
            moment = datetime.fromisoformat(text.strip().rstrip("Zz")).replace(tzinfo=None)
            moment = min(max(moment, first.replace(second=0, microsecond=0)), last)
            return {f"{key}_date": moment.date(), f"{key}_time": moment.time().replace(second=0, microsecond=0)}

        def write(day: date | None) -> str:
            clock = S.get(f"{key}_time") or time()
            return f"{datetime.combine(day, clock):%Y-%m-%dT%H:%M}Z" if day else ""
        return cls(name, f"{key}_date", read, write)

    @classmethod
    def flag(cls, name: str, key: str) -> Param:
        """A checkbox or toggle: ``1`` when on, left out when off."""
        return cls(name, key, lambda text: text.strip().lower() in ("1", "true", "yes", "on"),
                   lambda on: "1" if on else "")


def restore(params: list[Param], seen_key: str, clear_missing: bool = False) -> bool:
    """Fill the widgets from the URL, once per distinct URL (not again after ``publish`` rewrote it).

    A parameter missing from the URL leaves its widget alone, or empties it with ``clear_missing``; one that
    cannot be read is skipped. Returns True when the URL was applied (a link was opened).
    """
    url = {p.name: st.query_params.get(p.name, "") for p in params}
    if S.get(seen_key) == url or _signature(url) in S.get(f"{seen_key}_published", ()):
        # our own URL, or an older one of ours that the browser sent back with a rerun it asked for before
        # the newer one reached it: not a link to follow
        return False
    S[seen_key] = url
    for p in params:
        if not url[p.name] and not clear_missing:
            continue
        try:
            value = p.read(url[p.name])
        except ValueError:
            continue
        S.update(value if isinstance(value, dict) else {p.key: value})
    return any(url.values())


def publish(params: list[Param], seen_key: str, shown: Iterable[str] | None = None) -> dict[str, str]:
    """Write the widgets' values (only the ``shown`` parameters, if given) into the URL; returns what it holds."""
    names = set(shown) if shown is not None else {p.name for p in params}
    values = {p.name: p.write(S.get(p.key)) for p in params if p.name in names}
    wanted = {k: v for k, v in values.items() if v}
    S[seen_key] = {p.name: wanted.get(p.name, "") for p in params}  # what ``restore`` will read back
    published = S.setdefault(f"{seen_key}_published", [])
    if _signature(S[seen_key]) not in published:
        published[:] = [*published[-(KEPT_URLS - 1):], _signature(S[seen_key])]
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)
    return wanted
