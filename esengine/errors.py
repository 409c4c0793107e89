"""The one error hierarchy of esengine.

Every error the engine raises on purpose is an :class:`EsEngineError`; driver errors (DuckDB, pydantic)
are translated with ``raise ... from e`` so that callers, pages and the CLI can catch one family and
show ``str(error)``, which is written for a person: what happened and what to do.
"""
from __future__ import annotations


class EsEngineError(Exception):
    """Base of every error esengine raises on purpose."""


class ConcurrencyError(EsEngineError):
    """The stream moved on since the caller read it (optimistic concurrency)."""

    def __init__(self, stream_id: str, expected: int, actual: int):
        self.stream_id, self.expected, self.actual = stream_id, expected, actual
        super().__init__(
            f"Stream '{stream_id}' is at version {actual}, but the command expected version {expected}: "
            "someone else changed it meanwhile. Reload it and try again."
        )


class DomainRuleViolation(EsEngineError):
    """A command broke a rule of the aggregate; nothing was written."""

    def __init__(self, message: str, rule: str | None = None):
        self.rule = rule or message
        super().__init__(message)


class ValidationError(EsEngineError):
    """Input refused before anything was written; ``field_errors`` maps each field to its message."""

    def __init__(self, message: str, field_errors: dict[str, str] | None = None, summary: str | None = None):
        self.field_errors = field_errors or {}
        self.summary = (summary or message).rstrip(".")
        super().__init__(message)

    @classmethod
    def from_pydantic(cls, what: str, error, descriptions: dict[str, str] | None = None) -> ValidationError:
        """Translate pydantic's errors into plain words, one per field (keyed by the field's path).

        ``descriptions`` (field path -> what the field expects) explain a value of the wrong form,
        instead of showing a regular expression.
        """
        fields: dict[str, str] = {}
        for item in error.errors():
            name = ".".join(str(p) for p in item.get("loc", ())) or "(input)"
            fields.setdefault(name, plain_message(item, (descriptions or {}).get(_generic_path(name))))
        return cls.for_fields(what, fields)

    @classmethod
    def for_fields(cls, what: str, fields: dict[str, str]) -> ValidationError:
        listed = "; ".join(f"{readable_path(k)} {v}" if k != "(input)" else v for k, v in fields.items())
        return cls(f"{what} was refused: {listed}.", fields, summary=f"{what} was refused")


def readable_path(path: str) -> str:
    """``items.0.quantity`` -> ``items, line 1, quantity``: a field path as a person reads it."""
    parts = []
    for part in path.split("."):
        parts.append(f"line {int(part) + 1}" if part.isdigit() else part.replace("_", " "))
    return ", ".join(parts)


def _generic_path(path: str) -> str:
    return ".".join("*" if p.isdigit() else p for p in path.split("."))


def plain_message(item: dict, description: str | None = None) -> str:
    """One pydantic error in plain words (no regular expressions, no type names)."""
    kind, ctx, value = item.get("type", ""), item.get("ctx") or {}, item.get("input")
    if kind == "missing":
        return "is required"
    if kind == "string_too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else f"needs at least {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return f"is too long: at most {ctx.get('max_length')} characters"
    if kind == "string_pattern_mismatch":
        return f"is not in the expected form ({description[:1].lower()}{description[1:]})" if description else "contains characters that are not allowed"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        words = {"greater_than": "must be more than", "greater_than_equal": "must be at least",
                 "less_than": "must be less than", "less_than_equal": "must be at most"}[kind]
        limit = next(iter(ctx.values()), "")
        too = "too large" if kind.startswith("less") else "too small"
        return f"is {too}: it {words} {limit:,}" if isinstance(limit, (int, float)) else f"{words} {limit}"
    if kind in ("int_from_float", "int_parsing", "int_type"):
        return "must be a whole number (like 3, not 2.5)" if kind == "int_from_float" else "must be a whole number"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return "must be a finite number (like 12.50)"
    if kind in ("too_short", "too_long"):
        n = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        return f"needs at least {n} item(s)" if kind == "too_short" else f"may have at most {n} items"
    if kind == "extra_forbidden":
        return "is not a field of this command; remove it"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be an object of named fields, not {type(value).__name__}"
    if kind in ("list_type",):
        return f"must be a list, not {type(value).__name__}"
    if kind in ("string_type",):
        return f"must be text, not {type(value).__name__}"
    if kind in ("enum", "literal_error"):
        return f"must be one of {ctx.get('expected', 'the listed values')}"
    message = str(item.get("msg", "is not a valid value"))
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


class ConditionError(ValidationError):
    """A condition on a stream's state (``total < 0``) that could not be read; ``position`` is where (0-based)."""

    def __init__(self, message: str, text: str, position: int):
        self.text, self.position = text, position
        shown = text if len(text) <= 120 else text[:120] + "..."
        pointer = f"\n  {shown}\n  {' ' * min(position, len(shown))}^" if text else ""
        super().__init__(f"The condition could not be read at position {position + 1}: {message}.{pointer}",
                         {"condition": f"at position {position + 1}: {message}"},
                         summary="The condition could not be read")


class NotFound(EsEngineError):
    """A stream, event, projection or other named thing does not exist."""


class WrongStreamType(NotFound):
    """A command or append aimed at a stream of another aggregate type; nothing was written."""

    def __init__(self, stream_id: str, expected_type: str, actual_type: str):
        self.stream_id, self.expected_type, self.actual_type = stream_id, expected_type, actual_type
        super().__init__(f"'{stream_id}' is a {actual_type}, not a{'n' if expected_type[:1] in 'aeiou' else ''} "
                         f"{expected_type}. Pick a{'n' if expected_type[:1] in 'aeiou' else ''} {expected_type}.")


class UnknownDomain(EsEngineError):
    """A domain named for the engine cannot be imported or has no ``register(engine)``."""


class StoreUnavailable(EsEngineError):
    """The database file cannot be opened (held by another process, unreadable, newer schema...)."""


class ImportRejected(EsEngineError):
    """A file to import was refused; nothing was written. ``line`` and ``column`` say where, if known."""

    def __init__(self, message: str, line: int | None = None, column: str | None = None):
        self.line, self.column = line, column
        where = ""
        if line is not None:
            where += f" (line {line}"
            where += f", column '{column}')" if column else ")"
        elif column:
            where += f" (column '{column}')"
        super().__init__(message + where)


class QueryRejected(EsEngineError):
    """A query for the read-only console was refused or failed; the store is unchanged."""

    peak_memory_mb: float | None = None  # the worker's peak resident memory, when the worker answered


class SnapshotCorrupt(EsEngineError):
    """A stored snapshot could not be read; it is ignored and the state is rebuilt from events."""


class NotPermitted(EsEngineError):
    """A facilitator's action (reset, promote, drop, ...) was asked for without the facilitator's passphrase."""
