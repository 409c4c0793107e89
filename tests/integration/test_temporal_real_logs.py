"""Temporal queries on real process-mining logs equal an independent computation with pandas."""
from __future__ import annotations

import json
from functools import reduce

import pandas as pd
import pytest

from esengine import Engine
from esengine.temporal import changes_between, field_history, stream_heads_as_of, streams_as_of
from tests.conftest import DATASETS

LOGS = ["running-example.csv", "roadtraffic100traces.csv", "receipt.csv"]


def load_log(engine, path) -> None:
    """Import a log with the project's importer; fall back to pandas + bulk_insert where it is missing."""
    try:
        from esengine.interchange.importer import import_file
    except ImportError:
        import_file = None
    if import_file is not None:
        import_file(engine, path)
        return
    import pyarrow as pa  # the fallback: one stream per case, the other columns as data
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["occurred_at"] = pd.to_datetime(frame["time:timestamp"], utc=True, format="ISO8601").dt.tz_localize(None)
    frame = frame.sort_values(["case:concept:name", "occurred_at"], kind="stable")
    attrs = [c for c in frame.columns if c not in ("case:concept:name", "concept:name", "time:timestamp", "occurred_at")]
    data = [json.dumps({k: v for k, v in zip(attrs, row) if v not in ("", "EMPTY")}) for row in frame[attrs].values]
    engine.writer.bulk_insert(pa.table({
        "event_id": [str(__import__("uuid").uuid4()) for _ in range(len(frame))],
        "stream_id": frame["case:concept:name"], "stream_type": [path.stem] * len(frame),
        "version": frame.groupby("case:concept:name").cumcount() + 1, "event_type": frame["concept:name"],
        "schema_version": [1] * len(frame), "data": data, "metadata": ["{}"] * len(frame),
        "occurred_at": frame["occurred_at"]}))


@pytest.fixture(scope="module", params=LOGS)
def log_engine(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("logs") / "log.duckdb"
    with Engine(path, domains=()) as engine:
        load_log(engine, DATASETS / request.param)
        yield engine


def stored_events(engine) -> pd.DataFrame:
    return engine.store.cursor().execute(
        "SELECT stream_id, stream_type, version, event_type, occurred_at, CAST(data AS VARCHAR) AS data "
        "FROM events").df()


def moments(events: pd.DataFrame) -> list[pd.Timestamp]:
    """Moments spread over the history, and one exactly at an event (the boundary counts as 'as of')."""
    times = events["occurred_at"].sort_values().reset_index(drop=True)
    return [times.quantile(q, interpolation="nearest") for q in (0.0, 0.1, 0.5, 0.9, 1.0)] + \
           [times.iloc[len(times) // 3] + pd.Timedelta(microseconds=1)]


def pandas_as_of(events: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    """The state of every stream as of ``at``: the last version, and the data merged in version order."""
    seen = events[events["occurred_at"] <= at].sort_values(["stream_id", "version"])
    grouped = seen.groupby("stream_id")
    return pd.DataFrame({
        "version": grouped["version"].max(),
        "last_event_type": grouped["event_type"].last(),
        "state": grouped["data"].agg(lambda datas: reduce(lambda s, d: {**s, **json.loads(d)}, datas, {})),
    }).sort_index()


def test_state_of_every_stream_as_of_a_moment_equals_pandas(log_engine):
    events = stored_events(log_engine)
    for at in moments(events):
        ours = streams_as_of(log_engine.store, at.to_pydatetime()).set_index("stream_id").sort_index()
        expected = pandas_as_of(events, at)
        assert list(ours.index) == list(expected.index), at
        assert list(ours["version"]) == list(expected["version"])
        assert list(ours["last_event_type"]) == list(expected["last_event_type"])
        assert [json.loads(s) for s in ours["state"]] == list(expected["state"])
        heads = stream_heads_as_of(log_engine.store, at.to_pydatetime()).set_index("stream_id")
        assert heads[["version", "last_event_type"]].equals(ours[["version", "last_event_type"]])


def test_changes_between_two_moments_equal_pandas(log_engine):
    events = stored_events(log_engine)
    times = events["occurred_at"].sort_values().reset_index(drop=True)
    start, end = times.quantile(0.3, interpolation="nearest"), times.quantile(0.6, interpolation="nearest")
    changes = changes_between(log_engine.store, start.to_pydatetime(), end.to_pydatetime())
    inside = events[(events["occurred_at"] > start) & (events["occurred_at"] <= end)]
    first = inside.groupby("stream_id")["version"].min()
    assert sorted(changes.created["stream_id"]) == sorted(first[first == 1].index)
    assert sorted(changes.changed["stream_id"]) == sorted(first[first > 1].index)
    counted = changes.changed.set_index("stream_id")["events"].sort_index()
    assert list(counted) == list(inside.groupby("stream_id").size()[counted.index])


def test_final_states_are_event_types_that_always_end_a_stream(log_engine):
    events = stored_events(log_engine).sort_values(["stream_id", "version"])
    changes = changes_between(log_engine.store, events["occurred_at"].min() - pd.Timedelta(days=1),
                              events["occurred_at"].max())
    followed = events.groupby("stream_id")["event_type"].shift(-1).notna()
    for final in changes.final_types:
        of_type = events[events["event_type"] == final]
        assert not followed[of_type.index].any() and (of_type["version"] > 1).all()
    last = events.groupby("stream_id").tail(1)
    assert sorted(changes.finished["stream_id"]) == sorted(last[last["event_type"].isin(changes.final_types)]["stream_id"])


def test_field_history_lists_every_value_a_field_took_in_order(log_engine):
    events = stored_events(log_engine).sort_values(["stream_id", "version"])
    key = next(iter(json.loads(events["data"].iloc[0])))
    history = field_history(log_engine.store, key, changes_only=False)
    values = events["data"].map(json.loads)
    carrying = events[values.map(lambda d: key in d)]
    assert list(history["version"]) == list(carrying["version"])
    for text, value in zip(history["value"], values[carrying.index].map(lambda d: d[key])):
        if isinstance(value, str):
            assert text == value
        elif value is None:
            assert text is None or pd.isna(text)
        else:
            assert json.loads(text) == value
