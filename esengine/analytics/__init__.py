"""Analytics over the event log: volume over time, top streams, stream lengths, command outcomes and an
hour-of-week heatmap. Every figure is aggregated in DuckDB; Python only receives the few rows to draw."""
from esengine.analytics.bins import BINS, bucket_filter, choose_bin
from esengine.analytics.volume import (LEGIBLE_GROUPS, Volume, command_outcomes, data_span, fold_small_groups,
                                       hour_of_week, stream_lengths, top_streams, volume)

__all__ = ["BINS", "choose_bin", "bucket_filter", "Volume", "volume", "LEGIBLE_GROUPS", "data_span", "fold_small_groups", "top_streams", "stream_lengths",
           "command_outcomes", "hour_of_week"]
