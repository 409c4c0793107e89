""""Generate a test": a stream up to version N as a given/when/then fixture the project's tests can load.

A fixture is JSON: ``given`` (the events before N), ``when`` (event N), ``then`` (the expected state at
N). :func:`check_fixture` replays ``given`` and ``when`` in memory with the engine's classes (or the
generic fold) and returns the differences from ``then``: an empty list means the replay still agrees.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from esengine.core.events import StoredEvent, utcnow
from esengine.errors import ValidationError
from esengine.timetravel.diff import FieldChange, diff_states
from esengine.timetravel.replay import Replayer, fold_for, parse_moment

FIXTURE_FORMAT = 1
_EVENT_KEYS = ("version", "event_type", "schema_version", "data", "metadata", "occurred_at")


def _event_json(event: StoredEvent) -> dict[str, Any]:
    return {"version": event.version, "event_type": event.event_type, "schema_version": event.schema_version,
            "data": event.data, "metadata": event.metadata, "occurred_at": event.occurred_at.isoformat() + "Z"}


def generate_fixture(engine, stream_id: str, version: int | None = None) -> dict[str, Any]:
    """The stream up to ``version`` (default: latest, at least 1) as a given/when/then fixture."""
    replayer = Replayer(engine, stream_id)
    target = replayer.check_version(replayer.latest if version is None else version)
    if target < 1:
        raise ValidationError("A fixture needs at least one event: pick version 1 or later.", {"version": ">= 1"})
    events = engine.store.get_events(replayer.stream_id, 0, target)
    folded, _ = replayer.load(target)
    return {
        "format": FIXTURE_FORMAT,
        "name": f"{replayer.stream_id} at version {target}",
        "stream_id": replayer.stream_id, "stream_type": replayer.stream_type, "fold": replayer.fold.kind,
        "generated_at": utcnow().isoformat() + "Z",
        "given": [_event_json(e) for e in events[:-1]],
        "when": _event_json(events[-1]),
        "then": {"version": target, "state": replayer.fold.state(folded)},
    }


def fixture_json(fixture: dict[str, Any]) -> str:
    """The fixture as readable JSON text (for a download or a file under tests/fixtures/)."""
    return json.dumps(fixture, indent=2, ensure_ascii=False) + "\n"


def load_fixture(source: str | Path | dict[str, Any]) -> dict[str, Any]:
    """A fixture from a dict, JSON text or a file path; ``ValidationError`` says what is missing."""
    if isinstance(source, dict):
        fixture = source
    else:
        text = Path(source).read_text(encoding="utf-8") if isinstance(source, Path) else source
        try:
            fixture = json.loads(text)
        except ValueError as e:
            raise ValidationError(f"The fixture is not valid JSON ({e}).") from e
    missing = [k for k in ("stream_id", "stream_type", "given", "when", "then") if k not in fixture]
    if missing:
        raise ValidationError(f"The fixture lacks {', '.join(missing)}; generate it again from the Time travel "
                              "page or with generate_fixture().", {k: "missing" for k in missing})
    for event in [*fixture["given"], fixture["when"]]:
        absent = [k for k in _EVENT_KEYS if k not in event]
        if absent:
            raise ValidationError(f"An event of the fixture lacks {', '.join(absent)}.")
    return fixture


def replay_fixture(engine, fixture: dict[str, Any]) -> dict[str, Any]:
    """The state after replaying the fixture's given and when events in memory (the store is not read)."""
    fixture = load_fixture(fixture)
    stream_id, stream_type = fixture["stream_id"], fixture["stream_type"]
    fold = fold_for(engine, stream_id, stream_type)
    folded: Any = fold.empty()
    for i, e in enumerate([*fixture["given"], fixture["when"]]):
        moment = parse_moment(e["occurred_at"])
        stored = StoredEvent(i + 1, "", stream_id, stream_type, e["version"], e["event_type"], e["schema_version"],
                             e["data"], e["metadata"], moment, moment)
        folded = fold.apply(folded, stored)
    return fold.state(folded)


def check_fixture(engine, fixture: dict[str, Any]) -> list[FieldChange]:
    """Where replaying the fixture differs from its expected state (empty: the fixture passes)."""
    fixture = load_fixture(fixture)
    return diff_states(fixture["then"]["state"], replay_fixture(engine, fixture))
