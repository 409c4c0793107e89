"""Who sent a command and why: the metadata every event of that command carries."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pydantic

from esengine.core.events import GeneratedId, generated_id


def new_id() -> str:
    return generated_id()


class CommandContext(pydantic.BaseModel):
    """The metadata of one command. ``occurred_at`` overrides the domain time (imports, demos)."""

    model_config = pydantic.ConfigDict(frozen=True)
    user_id: str = "anonymous"
    correlation_id: str = pydantic.Field(default_factory=new_id)
    causation_id: str | None = None
    command_id: str = pydantic.Field(default_factory=new_id)
    occurred_at: datetime | None = None
    command_type: str = ""

    def metadata(self, command_type: str | None = None) -> dict[str, Any]:
        """The metadata of an event this command produced: its cause is the command itself."""
        return {"user_id": self.user_id, "correlation_id": self.correlation_id,
                "causation_id": self.causation_id or self.command_id,
                "command": command_type or self.command_type, "command_id": self.command_id}

    def event_id(self, stream_id: str, index: int) -> str:
        """A stable id for the index-th event this command adds to a stream: a retry re-uses it. Drawn from a
        command id this process drew, it is new too (a ``GeneratedId``, which the store need not look up)."""
        derived = str(uuid.uuid5(uuid.UUID(self.command_id) if _is_uuid(self.command_id) else uuid.NAMESPACE_OID,
                                 f"{self.command_id}:{stream_id}:{index}"))
        return GeneratedId(derived) if isinstance(self.command_id, GeneratedId) else derived

    def new_stream_id(self, prefix: str) -> str:
        """A new aggregate id derived from the command id, so a retried create targets the same stream."""
        return f"{prefix}-{uuid.uuid5(uuid.NAMESPACE_OID, self.command_id).hex[:12]}"


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
        return True
    except ValueError:
        return False
