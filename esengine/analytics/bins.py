"""Time bins for volume charts: the finest bin that keeps a range to a readable number of bars."""
from __future__ import annotations

from datetime import datetime, timedelta

from esengine.errors import ValidationError
from esengine.store.filters import EventFilter

BINS: dict[str, timedelta] = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1),
                              "week": timedelta(weeks=1), "month": timedelta(days=31)}
"""The bins, finest first, with their (longest) length."""

MAX_BARS = 120


def choose_bin(start: datetime | None, end: datetime | None, max_bars: int = MAX_BARS) -> str:
    """The finest bin (minute to month) that shows ``start``..``end`` in at most ``max_bars`` bars."""
    if start is None or end is None:
        return "day"
    span = end - start
    for name, length in BINS.items():
        if span / length <= max_bars:
            return name
    return "month"


def check_bin(bin: str) -> str:
    if bin not in BINS:
        raise ValidationError(f"Unknown time bin '{bin}': choose one of {', '.join(BINS)}.",
                              {"bin": f"choose one of {', '.join(BINS)}"})
    return bin


def bin_end(start: datetime, bin: str) -> datetime:
    """The first moment after the bin that starts at ``start``."""
    if check_bin(bin) == "month":
        return datetime(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + BINS[bin]


def bucket_filter(where: EventFilter | None, start: datetime, bin: str, stream_types: tuple[str, ...] = (),
                  event_types: tuple[str, ...] = ()) -> EventFilter:
    """The filter of the events behind one bar: ``where`` narrowed to the bin and, if given, the types."""
    flt = where or EventFilter()
    changes: dict[str, object] = {"occurred_from": max(start, flt.occurred_from) if flt.occurred_from else start,
               "occurred_to": min(bin_end(start, bin), flt.occurred_to) if flt.occurred_to else bin_end(start, bin)}
    if stream_types:
        changes["stream_types"] = tuple(stream_types)
    if event_types:
        changes["event_types"] = tuple(event_types)
    return flt.with_(**changes)
