"""Commands and queries are pydantic models: invalid input is refused, field by field, before any write."""
from __future__ import annotations

from typing import Any, ClassVar

import pydantic

from esengine.errors import ValidationError


class Message(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    title: ClassVar[str] = ""

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__

    @classmethod
    def parse(cls, payload: dict[str, Any]):
        """Validate a payload (e.g. a form) into this message; ``ValidationError`` names each bad field."""
        try:
            return cls.model_validate(payload)
        except pydantic.ValidationError as e:
            raise ValidationError.from_pydantic(f"The command {cls.type_name()}", e) from e


class Command(Message):
    """An intention to change state, named as a verb (``CreateOrder``); one handler per command type."""


class Query(Message):
    """A question to a read model (``GetOrder``); answered without changing anything."""
