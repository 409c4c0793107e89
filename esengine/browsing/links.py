"""Deep links of the event browser: a filter set to URL query parameters and back.

``/event_browser?stream=<id or pattern>&stream_type=<t>&event_type=<T1,T2>&from=<ISO UTC>&to=<ISO UTC>
&correlation=<id>&text=<s>``; ``event=<position>`` opens one event. A stream value with ``*`` or
``?`` is a pattern, otherwise an exact stream id.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Mapping

from esengine.core.events import as_utc_naive
from esengine.errors import ValidationError
from esengine.store.filters import EventFilter

MAX_PARAM_LENGTH = 200


def filter_from_params(params: Mapping[str, str]) -> EventFilter:
    """The filter a link describes; ``ValidationError`` names each parameter that cannot be read."""
    errors: dict[str, str] = {}
    values = {k: (params.get(k) or "").strip() for k in
              ("stream", "stream_type", "event_type", "from", "to", "correlation", "text")}
    for key, value in values.items():
        if len(value) > MAX_PARAM_LENGTH:
            errors[key] = f"is longer than {MAX_PARAM_LENGTH} characters"
    moments = {}
    for key in ("from", "to"):
        try:
            moments[key] = parse_moment(values[key]) if values[key] else None
        except ValueError:
            errors[key] = f"'{values[key][:40]}' is not a date or time like 2026-05-01 or 2026-05-01T12:00:00Z"
    if errors:
        raise ValidationError("The link's filter cannot be read: "
                              + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    stream = values["stream"] or None
    pattern = stream is not None and ("*" in stream or "?" in stream)
    return EventFilter(stream_id=None if pattern else stream, stream_search=stream if pattern else None,
                       stream_types=_split(values["stream_type"]), event_types=_split(values["event_type"]),
                       occurred_from=moments["from"], occurred_to=moments["to"],
                       correlation_id=values["correlation"] or None, text=values["text"] or None)


def filter_to_params(flt: EventFilter) -> dict[str, str]:
    """The query parameters of a link to this filter (empty filters leave their parameter out)."""
    params = {"stream": flt.stream_id or flt.stream_search, "stream_type": ",".join(flt.stream_types),
              "event_type": ",".join(flt.event_types), "from": _iso(flt.occurred_from), "to": _iso(flt.occurred_to),
              "correlation": flt.correlation_id, "text": flt.text}
    return {k: v for k, v in params.items() if v}


def parse_moment(text: str) -> datetime:
    """An ISO-8601 date or time; a time without zone is UTC. Returned as naive UTC."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return as_utc_naive(datetime.fromisoformat(text))


def parse_position(text: str | None) -> int | None:
    """An event position from a link (``event=123``); ``ValidationError`` if it is not a whole number."""
    if text is None or not str(text).strip():
        return None
    try:
        position = int(str(text).strip())
    except ValueError:
        raise ValidationError("The link's event is not a position", {
            "event": f"'{str(text)[:40]}' is not a whole number like 1234"}) from None
    if position < 1:
        raise ValidationError("The link's event is not a position", {
            "event": f"{position} is below 1; positions start at 1"})
    return position


def _split(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


def _iso(moment: datetime | None) -> str | None:
    return moment.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z") if moment else None
