"""Commands and queries are pydantic models: invalid input is refused, field by field, before any write.

Values are normalised first and validated after, so a rule holds on the value that is stored: text is
stripped and put in Unicode NFC, amounts declared with :func:`rounded` are rounded, and only then are
limits and patterns checked. Control characters are refused in every text field of every message by one
rule (:mod:`esengine.core.text`), and anything that is not an object of named fields is refused plainly.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import pydantic

from esengine.core.text import control_characters, normalise_all
from esengine.errors import ValidationError


def rounded(digits: int) -> pydantic.BeforeValidator:
    """Annotate a number field so it is rounded to ``digits`` decimals *before* its limits are checked
    (``Annotated[float, rounded(2), Field(gt=0)]`` refuses 0.004, which would be stored as 0.00)."""
    def round_value(value: Any) -> Any:
        if isinstance(value, bool) or (isinstance(value, str) and not value.isascii()):
            return value  # Python's float() reads other scripts' digits; the field's own parsing refuses them
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            return value  # the field's own type check says what is wrong
        return round(number, digits) if math.isfinite(number) else number
    return pydantic.BeforeValidator(round_value)


class Message(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True,
                                       allow_inf_nan=False)
    title: ClassVar[str] = ""

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__

    @classmethod
    def parse(cls, payload: Any):
        """Validate a payload (e.g. a form) into this message; ``ValidationError`` names each bad field."""
        what = f"The command {cls.type_name()}"
        if not isinstance(payload, Mapping):
            raise ValidationError.for_fields(what, {"(input)": (
                f"its fields must be given as an object of names and values (like {{\"name\": \"Ana\"}}), "
                f"not as {type(payload).__name__}")})
        problems = {".".join(str(p) for p in path): problem for path, problem in control_characters(dict(payload))}
        if problems:
            raise ValidationError.for_fields(what, problems)
        try:
            return cls.model_validate(payload)
        except pydantic.ValidationError as e:
            raise ValidationError.from_pydantic(what, e, cls.field_descriptions()) from e

    @pydantic.model_validator(mode="before")
    @classmethod
    def _text_rule(cls, data: Any) -> Any:
        """Normalise every string, then refuse control characters (one rule for every message)."""
        if not isinstance(data, Mapping):
            return data
        data = normalise_all(dict(data))
        problems = list(control_characters(data))
        if problems:
            path, problem = problems[0]
            raise ValueError(f"{'.'.join(str(p) for p in path)} {problem}")
        return data

    @classmethod
    def field_descriptions(cls) -> dict[str, str]:
        """Field path (``items.*.quantity`` for list members) -> its description, for plain messages."""
        return _descriptions(cls)


def _descriptions(model: type[pydantic.BaseModel], prefix: str = "") -> dict[str, str]:
    found: dict[str, str] = {}
    for name, info in model.model_fields.items():
        if info.description:
            found[prefix + name] = info.description
        for arg in getattr(info.annotation, "__args__", ()) or ():
            if isinstance(arg, type) and issubclass(arg, pydantic.BaseModel):
                found.update(_descriptions(arg, f"{prefix}{name}.*."))
    return found


class Command(Message):
    """An intention to change state, named as a verb (``CreateOrder``); one handler per command type."""


class Query(Message):
    """A question to a read model (``GetOrder``); answered without changing anything."""
