"""The command bus, the query bus and the event publisher."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

from esengine.application.context import CommandContext
from esengine.application.messages import Command, Query
from esengine.application.recording import RecordingRepository, new_record
from esengine.core.events import StoredEvent, utcnow
from esengine.errors import ConcurrencyError, DomainRuleViolation, EsEngineError, NotFound, ValidationError

log = logging.getLogger(__name__)


@dataclass
class CommandResult:
    """What a command did: the events it stored, per stream, and the handler's return value."""

    command_id: str
    command_type: str
    value: Any = None
    events: list[StoredEvent] = field(default_factory=list)

    @property
    def stream_id(self) -> str | None:
        return self.events[0].stream_id if self.events else (self.value if isinstance(self.value, str) else None)

    @property
    def new_version(self) -> int | None:
        return self.events[-1].version if self.events else None


class CommandScope:
    """What a handler works with: the repositories, the command's context, and the events it saved."""

    def __init__(self, repositories: dict[str, Any], context: CommandContext):
        self.record = new_record()  # None unless a caller records (esengine.application.recording)
        self._repositories = repositories if self.record is None else \
            {k: RecordingRepository(r, self.record) for k, r in repositories.items()}
        self.context = context
        self.saved: list[StoredEvent] = []
        self._pending: list[tuple[Any, Any, Any, dict[str, list[dict]]]] = []

    def repository(self, aggregate_type: str):
        return self._repositories[aggregate_type]

    def __getattr__(self, name: str):
        repos = self.__dict__.get("_repositories", {})
        if name in repos:
            return repos[name]
        raise AttributeError(name)

    def save(self, aggregate) -> None:
        """Keep the aggregate's new events for the command's one commit (see :meth:`commit`)."""
        if self.record is not None:
            self.record.saved.append(aggregate)
        repository = self._repositories[aggregate.aggregate_type]
        prepared = repository.prepare(aggregate, self.context)
        if prepared is not None:
            self._pending.append((repository, aggregate, *prepared))

    @property
    def stream_ids(self) -> list[str]:
        return [append.stream_id for _, _, append, _ in self._pending]

    def commit(self, writer, rows: dict[str, list[dict]]) -> None:
        """Write every saved aggregate's events, their snapshots and ``rows`` in ONE transaction."""
        merged: dict[str, list[dict]] = {}
        for _, _, _, extra in self._pending:
            for table, items in extra.items():
                merged.setdefault(table, []).extend(items)
        for table, items in rows.items():
            merged.setdefault(table, []).extend(items)
        results = writer.commit([append for _, _, append, _ in self._pending], merged)
        for (repository, aggregate, _, _), result in zip(self._pending, results):
            repository.committed(aggregate, result)
            self.saved.extend(result.events)


Handler = Callable[[Command, CommandScope], Any]


class CommandBus:
    """Routes each command to its one handler and records every outcome in the command log.

    An accepted command is one commit: its events, snapshots, inline read-model rows and its
    command-log row share one transaction. A refused command writes only its log row.
    """

    def __init__(self, repositories: dict[str, Any], writer):
        self._handlers: dict[type[Command], Handler] = {}
        self._repositories = repositories
        self._writer = writer

    def register(self, command_cls: type[Command], handler: Handler) -> None:
        if command_cls in self._handlers:
            raise EsEngineError(f"{command_cls.__name__} already has a handler; a command has exactly one.")
        self._handlers[command_cls] = handler

    @property
    def command_types(self) -> dict[str, type[Command]]:
        return {cls.type_name(): cls for cls in self._handlers}

    def submit(self, command_type: str, payload: Any, context: CommandContext | None = None) -> CommandResult:
        """Validate a raw payload (a form, a CLI argument) into the named command and dispatch it."""
        context = context or CommandContext()
        cls = self.command_types.get(command_type)
        if cls is None:
            raise NotFound(f"There is no command '{command_type}'. Known: {', '.join(sorted(self.command_types))}.")
        try:
            command = cls.parse(payload)
        except ValidationError as e:
            self._writer.write_rows({"command_log": [self._log_row(command_type, payload, context, None, e)]})
            raise
        return self.dispatch(command, context)

    def dispatch(self, command: Command, context: CommandContext | None = None) -> CommandResult:
        """Run the command's handler and commit what it saved; a refusal is logged, then raised."""
        context = (context or CommandContext()).model_copy(update={"command_type": command.type_name()})
        handler = self._handlers.get(type(command))
        if handler is None:
            raise NotFound(f"No handler is registered for {command.type_name()}.")
        scope = CommandScope(self._repositories, context)
        payload = command.model_dump(mode="json")
        try:
            with self._writer.preparing():
                value = handler(command, scope)
                stream_id = next(iter(scope.stream_ids), value if isinstance(value, str) else None)
                log_row = self._log_row(command.type_name(), payload, context, stream_id, None)
            scope.commit(self._writer, {"command_log": [log_row]})
        except (DomainRuleViolation, ConcurrencyError, ValidationError, NotFound) as e:
            self._writer.write_rows({"command_log": [self._log_row(command.type_name(), payload, context, None, e)]})
            raise
        return CommandResult(context.command_id, command.type_name(), value, scope.saved)

    @staticmethod
    def _log_row(command_type: str, payload: Any, context: CommandContext, stream_id: str | None,
                 error: Exception | None) -> dict[str, Any]:
        return {
            "command_id": context.command_id, "command_type": command_type, "payload": _json_text(payload),
            "user_id": context.user_id, "correlation_id": context.correlation_id, "stream_id": stream_id,
            "outcome": "refused" if error else "accepted",
            "error_kind": type(error).__name__ if error else None, "message": str(error) if error else None,
            "occurred_at": context.occurred_at or utcnow(), "recorded_at": utcnow(),
        }


def _json_text(payload: Any) -> str:
    """The payload as standard JSON text, whatever it is (a refused payload may be anything)."""
    try:
        return json.dumps(payload, default=str, allow_nan=False)
    except (TypeError, ValueError):
        return json.dumps(repr(payload))


class QueryBus:
    """Routes each query to its handler, which reads a read model."""

    def __init__(self) -> None:
        self._handlers: dict[type[Query], Callable[[Query], Any]] = {}

    def register(self, query_cls: type[Query], handler: Callable[[Query], Any]) -> None:
        self._handlers[query_cls] = handler

    def ask(self, query: Query) -> Any:
        try:
            return self._handlers[type(query)](query)
        except KeyError:
            raise NotFound(f"No handler is registered for {query.type_name()}.") from None


class EventPublisher:
    """Delivers committed events to subscribers (by event type, or ``*`` for all).

    A subscriber's failure is logged and kept in ``failures``; it never undoes the commit or stops
    the other subscribers.
    """

    def __init__(self) -> None:
        self._subscribers: dict[str, list[Callable[[StoredEvent], None]]] = {}
        self.failures: list[tuple[str, str]] = []

    def subscribe(self, event_type: str, handler: Callable[[StoredEvent], None]) -> None:
        self._subscribers.setdefault(event_type, []).append(handler)

    def publish(self, events: list[StoredEvent]) -> None:
        for event in events:
            for handler in self._subscribers.get(event.event_type, []) + self._subscribers.get("*", []):
                try:
                    handler(event)
                except Exception as e:  # a subscriber must not undo a commit
                    log.exception("subscriber %r failed on event %s", handler, event.position)
                    self.failures.append((event.event_id, f"{type(e).__name__}: {e}"))
