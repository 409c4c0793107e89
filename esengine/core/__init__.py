"""Building blocks of event sourcing: events, the event-type registry, aggregates, snapshots."""
