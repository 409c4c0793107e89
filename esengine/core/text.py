"""One rule for text that enters the store, from commands and imports alike.

Text is normalised first (Unicode NFC; commands also strip surrounding whitespace) and then checked;
control characters (NUL, bell, escape, tab, line break, ... and the Unicode line and paragraph
separators) are refused everywhere: every field of every command and every text of an import. Keeping the rule here means every command and every import refuses the same things.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any
from collections.abc import Iterator

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
RAW_CONTROL_SQL = r"[\x00-\x1f\x7f-\x{9f}\x{2028}\x{2029}]"
"""A control character in text, as a regular expression for DuckDB (RE2)."""
ESCAPED_CONTROL_SQL = r"\\u00([01][0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])|\\u202[89]|\\[bfnrt]|[\x{2028}\x{2029}]"
"""A control character escaped inside JSON text (``\u0007``, ``\r``): candidates, to be confirmed."""


def normalise(text: str) -> str:
    """The form in which text is stored: Unicode NFC."""
    return unicodedata.normalize("NFC", text)


def control_character(text: str) -> str | None:
    """A plain description of the first control character in ``text`` (None when there is none)."""
    found = CONTROL_CHARACTERS.search(text)
    if found is None:
        return None
    char = found.group()
    name = unicodedata.name(char, "") or {0: "NUL", 7: "bell", 8: "backspace", 9: "tab", 10: "line break",
                                          13: "carriage return", 27: "escape", 127: "delete"}.get(ord(char), "control")
    return (f"contains a control character ({name.lower()}, U+{ord(char):04X}) at character {found.start() + 1}; "
            "remove it and type the text again")


def control_characters(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string inside ``value`` (dicts, lists) that holds a control character, with its path."""
    if isinstance(value, str):
        problem = control_character(value)
        if problem:
            yield path, problem
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from control_characters(key, path + (str(key),))
            yield from control_characters(item, path + (str(key),))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from control_characters(item, path + (i,))


def normalise_all(value: Any) -> Any:
    """``value`` with every string in it normalised (dicts and lists copied)."""
    if isinstance(value, str):
        return normalise(value)
    if isinstance(value, dict):
        return {normalise_all(k) if isinstance(k, str) else k: normalise_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise_all(v) for v in value]
    return value
