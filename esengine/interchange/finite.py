"""Finding numbers that standard JSON cannot hold: NaN, Infinity and numbers beyond ±1.8e308 (``1e400``).

DuckDB's JSON reader accepts ``NaN``, ``Infinity``, ``-inf`` and keeps ``1e400`` as written, and a
DOUBLE that overflowed is written out as ``Infinity``; none of that is JSON other programs can read.
The importer finds candidate rows with :data:`SUSPECT` (a regular expression for DuckDB, cheap over a
whole file) and confirms each with :func:`first_non_finite`, which also says where the number sits.
"""
from __future__ import annotations

import json
import math
import re

# A bare NaN/Inf token (between JSON punctuation), an exponent of three digits or more, or a run of 309
# digits. Case-insensitive. Text inside strings can match too (rarely): candidates are confirmed.
SUSPECT = r"[:\[,]\s*[-+]?(nan|inf|infinity)\s*[,}\]]|[0-9.][eE]\+?[0-9]{3}|[0-9]{309}"
_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+)')
_WORDS = ("true", "false", "null")


def first_non_finite(text: str) -> tuple[list[str | int], str] | None:
    """The path (keys and list indexes) and text of the first non-finite number in a JSON text, or None."""
    path: list[str | int | None] = []  # where we are: a key (or None before it) per object, an index per list
    last_string = None
    for match in _TOKEN.finditer(text):
        token = match.group(1)
        if token == "{":
            path.append(None)
        elif token == "[":
            path.append(0)
        elif token in ("}", "]"):
            path.pop()
        elif token == ":":
            path[-1] = last_string
        elif token == ",":
            if isinstance(path[-1], int):
                path[-1] += 1
        elif token.startswith('"'):
            last_string = json.loads(token)
        elif token not in _WORDS and not _finite(token):
            return [p for p in path if p is not None], token
    return None


def _finite(token: str) -> bool:
    try:
        return math.isfinite(float(token))
    except ValueError:
        return True  # not a number at all: not this check's business


def dotted(path: list[str | int]) -> str:
    """``["data", "items", 0, "price"]`` as ``data.items[0].price``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
