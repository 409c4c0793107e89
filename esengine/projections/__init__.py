"""Projections: handlers per event type that keep read-model tables, with checkpoints and a runner."""
