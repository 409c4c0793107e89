"""Time travel: any stream's state at any version or moment, what each event changed, what-if replay,
and given/when/then fixtures.

Public API (the page, the ``replay`` command and other engineers' code call these):

- :func:`state_at` ``(engine, stream_id, version=None, at=None, by="occurred_at") -> StreamState``
- :func:`diff_versions` ``(engine, stream_id, from_version, to_version=None) -> StateDiff``
- :func:`state_and_diff` ``(engine, stream_id, version, compare=None)``: both at once (the page's cursor)
- :func:`diff_states` ``(before, after) -> list[FieldChange]`` for any two JSON-like values
- :func:`fold_data` / :func:`fold_events`: the generic fold (the merge of the events' data)
- :func:`what_if` ``(engine, stream_id, skip, version=None) -> WhatIf``: replay without chosen events
- :func:`generate_fixture` / :func:`check_fixture`: a stream up to N as a given/when/then test fixture
- ``esengine.timetravel.timeline.timeline(engine, stream_id) -> Timeline``: each version's event and times,
  and the snapshot versions (for a slider)
"""
from esengine.timetravel.diff import FieldChange, StateDiff, diff_states, diff_versions, state_and_diff
from esengine.timetravel.fixtures import check_fixture, fixture_json, generate_fixture, load_fixture, replay_fixture
from esengine.timetravel.generic_fold import fold_data, fold_events, merge_data
from esengine.timetravel.replay import Replayer, StreamState, event_to_dict, parse_moment, state_at
from esengine.timetravel.rules import RuleBook, RuleCheck
from esengine.timetravel.whatif import RuleBreak, WhatIf, what_if

__all__ = ["what_if", "WhatIf", "RuleBreak", "RuleBook", "RuleCheck",
           "generate_fixture", "check_fixture", "load_fixture", "replay_fixture", "fixture_json",
           "state_at", "StreamState", "Replayer", "event_to_dict", "parse_moment",
           "diff_versions", "diff_states", "state_and_diff", "StateDiff", "FieldChange",
           "fold_data", "fold_events", "merge_data"]
