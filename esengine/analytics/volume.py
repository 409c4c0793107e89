"""The figures of the Analytics page, each one DuckDB aggregation over the (filtered) log."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from esengine.analytics.bins import check_bin, choose_bin
from esengine.errors import EsEngineError, ValidationError
from esengine.store.event_store import EventStore
from esengine.store.filters import EventFilter

GROUPINGS = ("event_type", "stream_type")
LEGIBLE_GROUPS = 12
"""How many groups a chart names before the smallest are drawn together as one ("24 other types")."""


@dataclass(frozen=True)
class Volume:
    """Events per time bin and group: ``frame`` has ``bucket`` (bin start, UTC), ``key`` and ``events``.

    ``keys`` are the groups, largest first; ``others`` the groups drawn together under ``keys[-1]`` when
    there were more than a chart can tell apart (see :func:`fold_small_groups`).
    """

    frame: pd.DataFrame
    bin: str
    by: str
    start: datetime | None
    end: datetime | None
    keys: tuple[str, ...] = ()
    others: tuple[str, ...] = ()

    def members(self, key: str) -> tuple[str, ...]:
        """The groups one legend entry stands for: itself, or every group folded into "other"."""
        return self.others if self.others and key == self.keys[-1] else (key,)


def fold_small_groups(frame: pd.DataFrame, value: str, keep: int = LEGIBLE_GROUPS
                      ) -> tuple[pd.DataFrame, tuple[str, ...], tuple[str, ...]]:
    """Keep the ``keep - 1`` largest groups and add up the rest as ``"<n> other types"``.

    Returns the frame, the legend's keys (largest first, the folded entry last) and the groups folded.
    """
    totals = frame.groupby("key")[value].sum().sort_values(ascending=False, kind="stable")
    if len(totals) <= keep:
        return frame, tuple(totals.index), ()
    others = tuple(sorted(totals.index[keep - 1:]))
    label = f"{len(others)} other types"
    folded = frame.assign(key=frame["key"].where(~frame["key"].isin(others), label))
    folded = folded.groupby(["bucket", "key"], as_index=False)[value].sum().sort_values(["bucket", "key"])
    return folded.reset_index(drop=True), (*totals.index[:keep - 1], label), others


def data_span(store: EventStore, where: EventFilter | None = None) -> tuple[datetime | None, datetime | None]:
    """When the first and the last event matching the filter occurred (``None, None`` if none does)."""
    clause, params = (where or EventFilter()).where()
    return store.cursor().execute(f"SELECT min(occurred_at), max(occurred_at) FROM events WHERE {clause}",
                                  params).fetchall()[0]


def _frame(store: EventStore, sql: str, params: list, what: str) -> pd.DataFrame:
    try:
        return store.cursor().execute(sql, params).df()
    except duckdb.Error as e:
        raise EsEngineError(f"The {what} could not be computed: {e}") from e


def volume(store: EventStore, where: EventFilter | None = None, by: str = "event_type",
           bin: str | None = None, keep: int = LEGIBLE_GROUPS) -> Volume:
    """Events per time bin (when they occurred), split by event type or stream type.

    Without ``bin``, the finest bin that draws the range in at most 120 bars is chosen. Beyond ``keep``
    groups, the smallest are added up into one (a chart cannot tell 36 colours apart).
    """
    if by not in GROUPINGS:
        raise ValidationError(f"Volume cannot be split by '{by}': it is split by event_type or stream_type.",
                              {"by": "choose event_type or stream_type"})
    clause, params = (where or EventFilter()).where()
    start, end = data_span(store, where)
    bin = check_bin(bin) if bin else choose_bin(start, end)
    frame = _frame(store, f"""SELECT date_trunc('{bin}', occurred_at) AS bucket, {by} AS key, count(*) AS events
        FROM events WHERE {clause} GROUP BY ALL ORDER BY bucket, key""", params, "event volume")
    frame, keys, others = fold_small_groups(frame, "events", keep)
    return Volume(frame, bin, by, start, end, keys, others)


def top_streams(store: EventStore, where: EventFilter | None = None, limit: int = 20) -> pd.DataFrame:
    """The streams with the most events: ``stream_id, stream_type, events, first_occurred_at, last_occurred_at``."""
    clause, params = (where or EventFilter()).where()
    return _frame(store, f"""SELECT stream_id, any_value(stream_type) AS stream_type, count(*) AS events,
            min(occurred_at) AS first_occurred_at, max(occurred_at) AS last_occurred_at
        FROM events WHERE {clause} GROUP BY stream_id ORDER BY events DESC, stream_id LIMIT ?""",
                  params + [limit], "top streams")


def stream_lengths(store: EventStore, where: EventFilter | None = None) -> pd.DataFrame:
    """How many streams have each length (events matching the filter): ``length, streams``."""
    clause, params = (where or EventFilter()).where()
    return _frame(store, f"""SELECT length, count(*) AS streams FROM (
            SELECT count(*) AS length FROM events WHERE {clause} GROUP BY stream_id)
        GROUP BY length ORDER BY length""", params, "stream lengths")


def command_outcomes(store: EventStore, where: EventFilter | None = None, bin: str | None = None) -> Volume:
    """Commands accepted and refused per time bin, from the command log (only the filter's time range applies)."""
    flt = where or EventFilter()
    clause, params = EventFilter(occurred_from=flt.occurred_from, occurred_to=flt.occurred_to).where()
    start, end = store.cursor().execute(
        f"SELECT min(occurred_at), max(occurred_at) FROM command_log WHERE {clause}", params).fetchall()[0]
    bin = check_bin(bin) if bin else choose_bin(start, end)
    frame = _frame(store, f"""SELECT date_trunc('{bin}', occurred_at) AS bucket, outcome AS key, count(*) AS commands
        FROM command_log WHERE {clause} GROUP BY ALL ORDER BY bucket, key""", params, "command outcomes")
    return Volume(frame, bin, "outcome", start, end, tuple(sorted(frame["key"].unique())))


def hour_of_week(store: EventStore, where: EventFilter | None = None) -> pd.DataFrame:
    """Events per weekday (rows, Monday first) and hour of the day (columns 0..23, UTC): a 7 x 24 table."""
    clause, params = (where or EventFilter()).where()
    counts = _frame(store, f"""SELECT isodow(occurred_at) AS day, hour(occurred_at) AS hour, count(*) AS events
        FROM events WHERE {clause} GROUP BY ALL""", params, "hour-of-week heatmap")
    grid = counts.pivot_table(index="day", columns="hour", values="events", aggfunc="sum", fill_value=0)
    grid = grid.reindex(index=range(1, 8), columns=range(24), fill_value=0)
    grid.index = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    return grid.astype("int64")
