"""Deep links of the event browser: a filter set to URL query parameters and back.

``/event_browser?stream=<id or pattern>&stream_type=<t>&event_type=<T1,T2>&from=<ISO UTC>&to=<ISO UTC>
&correlation=<id>&text=<s>``; ``event=<position>`` opens one event. A stream value with ``*`` or
``?`` is a pattern, otherwise an exact stream id.
"""
from __future__ import annotations

from datetime import datetime, timedelta, UTC
from collections.abc import Mapping

from esengine.core.events import as_utc_naive
from esengine.errors import ValidationError
from esengine.store.filters import EventFilter

MAX_PARAM_LENGTH = 200
FIELDS = {"stream": "Stream", "stream_type": "Stream type", "event_type": "Event type", "from": "Occurred from",
          "to": "Occurred before", "correlation": "Correlation id", "text": "Text inside the data"}
"""Each parameter of a filter and the label of the field a person fills it in, which messages name."""
DAYS = {"today": 0, "yesterday": 1}
MOMENT_HINT = "a date like 2026-11-30, a time like 2026-11-30T14:00Z (UTC unless a zone is given), today or yesterday"


def filter_from_params(params: Mapping[str, str], now: datetime | None = None) -> EventFilter:
    """The filter that query parameters (or the same values typed into the filter fields) describe.

    ``ValidationError`` names each field that cannot be read by its label (``Occurred from``) and says what it
    expects. ``now`` (UTC) is the moment ``today`` and ``yesterday`` are counted from.
    """
    errors: dict[str, str] = {}
    values = {k: (params.get(k) or "").strip() for k in FIELDS}
    for key, value in values.items():
        if len(value) > MAX_PARAM_LENGTH:
            errors[FIELDS[key]] = f"is {len(value):,} characters long; shorten it to at most {MAX_PARAM_LENGTH}"
    moments = {}
    for key in ("from", "to"):
        try:
            moments[key] = parse_moment(values[key], now) if values[key] and FIELDS[key] not in errors else None
        except ValueError:
            errors[FIELDS[key]] = f"'{values[key][:40]}' is not a date or time. Type {MOMENT_HINT}"
    start, end = moments.get("from"), moments.get("to")
    if start and end and end <= start:
        errors[FIELDS["to"]] = (f"{_iso(end)} is not after {FIELDS['from']} ({_iso(start)}); "
                                "type a later moment or clear one of the two")
    if errors:
        raise ValidationError("Some filter fields cannot be read", errors)
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


def parse_moment(text: str, now: datetime | None = None) -> datetime:
    """An ISO-8601 date or time (a time without zone is UTC), or ``today`` / ``yesterday`` (the start of that
    UTC day, counted from ``now``). Returned as naive UTC; ``ValueError`` if it is none of these."""
    text = text.strip()
    if text.lower() in DAYS:
        day = as_utc_naive(now or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
        return day - timedelta(days=DAYS[text.lower()])
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
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if moment else None
