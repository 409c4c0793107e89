"""Reading the log the way the event browser needs: streams, pages of events, one event, its causes.

Every query filters through :class:`esengine.store.filters.EventFilter`; nothing here writes.
"""
from esengine.browsing.correlation import ChainNode, causation_chain, streams_touched
from esengine.browsing.events import (EventDetail, EventPage, count_matching, event_detail, event_page,
                                      events_after)
from esengine.browsing.links import filter_from_params, filter_to_params, parse_position
from esengine.browsing.streams import StreamPage, event_types, search_streams, stream_types
from esengine.browsing.swimlanes import swimlane_events

__all__ = ["ChainNode", "causation_chain", "streams_touched", "EventDetail", "EventPage", "count_matching",
           "event_detail", "event_page", "events_after", "filter_from_params", "filter_to_params",
           "parse_position", "StreamPage", "event_types", "search_streams", "stream_types", "swimlane_events"]
