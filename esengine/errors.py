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
    def from_pydantic(cls, what: str, error) -> "ValidationError":
        fields = {}
        for item in error.errors():
            name = ".".join(str(p) for p in item.get("loc", ())) or "(input)"
            fields.setdefault(name, item.get("msg", "invalid value"))
        listed = "; ".join(f"{k}: {v}" for k, v in fields.items())
        return cls(f"{what} was refused: {listed}", fields, summary=f"{what} was refused")


class NotFound(EsEngineError):
    """A stream, event, projection or other named thing does not exist."""


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


class SnapshotCorrupt(EsEngineError):
    """A stored snapshot could not be read; it is ignored and the state is rebuilt from events."""


class NotPermitted(EsEngineError):
    """A facilitator's action (reset, promote, drop, ...) was asked for without the facilitator's passphrase."""
