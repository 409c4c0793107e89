"""Scans: every stream of a type where a condition on its state ever held, and the event that first made it hold.

Read from the ``stream_states`` read model, which holds each stream's generic state (the merge of its events'
data) after every event, so a scan is one grouped filter over that table: no fold at query time. The
condition (:mod:`esengine.conditions`) becomes a parameterised WHERE over the state column.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import duckdb
import pandas as pd

from esengine.conditions import Condition, condition
from esengine.errors import EsEngineError, NotFound
from esengine.projections.stream_states import StreamStatesProjection
from esengine.store.event_store import EventStore
from esengine.temporal.states_table import live_states

_SCAN_SQL = """
SELECT stream_id, min(version) AS first_version, arg_min(event_type, version) AS event_type,
       arg_min(occurred_at, version) AS occurred_at, arg_min(recorded_at, version) AS recorded_at,
       arg_min(position, version) AS position, count(*) AS versions_holding
FROM "{table}"
WHERE ($stream_type IS NULL OR stream_type = $stream_type) AND {where}
GROUP BY stream_id
ORDER BY stream_id
"""


@dataclass
class Scan:
    """A scan's answer. ``hits``: one row per stream where the condition ever held: ``stream_id, first_version``,
    the event at that version (``event_type, occurred_at, recorded_at, position``), ``versions_holding`` (how many
    of its versions it held at); :meth:`links` gives links to the Time travel page at those versions.
    ``by_day``: how many streams first met it on each day (``occurred_at``). ``position`` is how far the read
    model had folded the history; ``pending`` events after it were not scanned yet."""

    condition: Condition
    stream_type: str | None
    hits: pd.DataFrame
    by_day: pd.DataFrame
    position: int
    pending: int

    def links(self, rows: pd.DataFrame) -> list[str]:
        """A link to the Time travel page at each row's first version, with the condition as its breakpoint
        (for the rows shown: building 100k links costs more than the scan)."""
        return [time_travel_link(s, int(v), self.condition.text) for s, v in zip(rows["stream_id"], rows["first_version"])]


def time_travel_link(stream_id: str, version: int, until: str | None = None) -> str:
    """The Time travel page at one version of a stream (with the breakpoint condition, if given)."""
    return "time_travel?" + urlencode({k: v for k, v in
                                       {"stream": stream_id, "version": version, "until": until}.items() if v})


def scan(store: EventStore, stream_type: str | None, text: str) -> Scan:
    """Every stream (of ``stream_type``; all types when None) where ``text`` held after some event.

    ``ConditionError`` for a condition that cannot be read (nothing runs); ``NotFound`` while the
    ``stream_states`` read model is not built yet.
    """
    cond = condition(text)
    live = live_states(store)
    if live is None:
        raise NotFound("Scans read the stream_states read model, which is not built yet. Open the Projections "
                       "page and let it catch up (or run any command line command, which builds it), then scan again.")
    version, position = live
    sql = cond.sql("state")
    cur = store.cursor()
    try:
        hits = cur.sql(_SCAN_SQL.format(table=StreamStatesProjection().table_name("states", version), where=sql.where),
                       params={**sql.params, "stream_type": stream_type}).to_arrow_table().to_pandas()
        pending = cur.execute("SELECT count(*) FROM events WHERE position > ?", [position]).fetchall()[0][0]
    except duckdb.Error as e:
        raise EsEngineError(f"The scan for '{cond.text}' could not be run: {e}") from e
    return Scan(cond, stream_type, hits, _by_day(hits), position, pending)


def _by_day(hits: pd.DataFrame) -> pd.DataFrame:
    if hits.empty:
        return pd.DataFrame({"day": pd.Series(dtype="datetime64[us]"), "streams": pd.Series(dtype="int64")})
    days = hits["occurred_at"].dt.floor("D")
    return days.value_counts().sort_index().rename_axis("day").reset_index(name="streams")
