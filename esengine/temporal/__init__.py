"""Temporal queries: the state of every stream as of a moment, what changed between two moments,
and the history of one field. Everything is computed in DuckDB over the ``events`` table."""
from esengine.temporal.as_of import history_span, read_model_as_of, stream_heads_as_of, streams_as_of
from esengine.temporal.between import Changes, changes_between, final_event_types
from esengine.temporal.field_history import field_history, fields_of

__all__ = ["streams_as_of", "stream_heads_as_of", "read_model_as_of", "history_span", "changes_between", "Changes",
           "final_event_types", "field_history", "fields_of"]
