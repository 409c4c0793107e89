"""What most domains' commands and handlers share: a field naming a stream, the version a form loaded, and
loading an aggregate for a command with a plain refusal when it is missing or has moved on."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from esengine.errors import ConcurrencyError, NotFound, WrongStreamType

StreamRef = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$",
                                 description="Id of an existing stream")]
"""A command field naming an existing stream (``order_id: StreamRef``): letters, digits and ``. _ : -``."""
ExpectedVersion = Annotated[int | None, Field(default=None, ge=0, le=1_000_000,
                                              description="The version you loaded; refused if the stream moved on")]
"""``expected_version: ExpectedVersion = None``: the form's version check (none when left out)."""


def load_for_command(scope: Any, aggregate_type: str, stream_id: str, expected_version: int | None = None,
                     what: str | None = None) -> Any:
    """The aggregate a handler acts on: ``NotFound`` ("There is no book 'x'. Pick an existing one.") when the
    stream has no events, ``WrongStreamType`` when it is another type, ``ConcurrencyError`` when
    ``expected_version`` is given and the stream moved on."""
    try:
        aggregate = scope.repository(aggregate_type).load(stream_id)
    except WrongStreamType:
        raise
    except NotFound:
        raise NotFound(f"There is no {what or aggregate_type} '{stream_id}'. Pick an existing one.") from None
    if expected_version is not None and aggregate.version != expected_version:
        raise ConcurrencyError(stream_id, expected_version, aggregate.version)
    return aggregate
