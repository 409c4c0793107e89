"""A workshop room: one database that many browser sessions share, and what its facilitator may do to it.

:class:`Room` owns the room's one :class:`Engine`: it opens it (writing the demo history on a first
start) with the asynchronous projections' worker running from that moment, and it can replace the
database by a fresh demo or an empty store while other sessions use it. The new file is written beside
the old one (``<file>.partial``) while the old engine keeps serving; only then is the old engine closed,
the file renamed into place and a new engine opened, so nobody ever sees a half-written store.

Destructive actions need the facilitator's passphrase, set when the app starts. :class:`FacilitatorGate`
checks the passphrase a session typed at the moment of each action, on the server, in constant time.
"""
from __future__ import annotations

import hmac
import os
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from collections.abc import Mapping

import duckdb
import pandas as pd

from esengine.core.events import utcnow
from esengine.demo import build_database_file, create_demo_database, generate_demo
from esengine.domains.orders.queries import ListOrders
from esengine.engine import Engine
from esengine.errors import EsEngineError, NotPermitted
from esengine.store.postgres import is_url

PASSPHRASE_ENV = "ESENGINE_FACILITATOR_PASSPHRASE"
PASSPHRASE_SECRET = "facilitator_passphrase"
HOW_TO_ENABLE = (f"Facilitator actions (reset, empty store, rebuild, promote, drop, poison events) are off: no "
                 f"passphrase is set. To enable them, start the app with {PASSPHRASE_ENV}=<a passphrase> in its "
                 f"environment, or put {PASSPHRASE_SECRET} = \"<a passphrase>\" in .streamlit/secrets.toml.")


def configured_passphrase(secrets: Mapping[str, Any] | None = None) -> str | None:
    """The facilitator's passphrase: ``$ESENGINE_FACILITATOR_PASSPHRASE``, else ``facilitator_passphrase`` in
    ``secrets`` (the app passes Streamlit's secrets); None when neither is set."""
    value = os.environ.get(PASSPHRASE_ENV) or (secrets or {}).get(PASSPHRASE_SECRET)
    return str(value) if value else None


class FacilitatorGate:
    """Says whether a session may run a facilitator's action: only with the passphrase the app started with."""

    def __init__(self, passphrase: str | None):
        self._passphrase = passphrase.encode() if passphrase else None

    @property
    def enabled(self) -> bool:
        """Whether a passphrase is configured at all (without one, every facilitator action is refused)."""
        return self._passphrase is not None

    def allows(self, given: str | None) -> bool:
        return self._passphrase is not None and hmac.compare_digest((given or "").encode(), self._passphrase)

    def check(self, given: str | None, action: str = "do this") -> None:
        """Raise :class:`NotPermitted` unless ``given`` is the passphrase (compared in constant time)."""
        if not self.enabled:
            raise NotPermitted(HOW_TO_ENABLE)
        if not self.allows(given):
            raise NotPermitted(f"Only the facilitator may {action}: the passphrase is missing or wrong. "
                               "Nothing was changed.")


class Room:
    """The room's database and its one engine, shared by every session of the app."""

    def __init__(self, path: str | Path, gate: FacilitatorGate, demo_events: int = 20_000):
        self.path, self.gate, self.demo_events = Path(path), gate, demo_events
        self.url = str(path) if is_url(path) else None  # a postgresql:// URL (Path() would mangle it)
        self.generation = 0  # how many times the database was replaced since the app started
        self.opened_at: datetime | None = None
        self._engine: Engine | None = None
        self._lock = threading.RLock()
        self._replacing = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self._engine is not None

    @property
    def engine(self) -> Engine:
        """The open engine, opened on first use (a missing file gets the demo history first)."""
        with self._lock:
            if self._engine is None:
                engine = self._open()
                engine.projections.worker.start()  # asynchronous read models run from the start, not from a page
                self._engine, self.opened_at = engine, utcnow()
            return self._engine

    def _open(self) -> Engine:
        if self.url is None:
            create_demo_database(self.path, events=self.demo_events)
            return Engine(self.path)
        engine = Engine(self.url)  # a PostgreSQL store: a new, empty database gets the demo history too
        if engine.is_empty():
            generate_demo(engine, events=self.demo_events)
        return engine

    def reset(self, given: str | None, demo: bool = True) -> Engine:
        """Replace the database by a fresh demo history (``demo``) or an empty store; the facilitator's passphrase
        is checked first. Returns the new engine; the old one is closed."""
        self.gate.check(given, "reset the room's database" if demo else "start an empty store")
        if self.url is not None:
            raise EsEngineError("This room's store is a PostgreSQL database shared with other instances: it is not "
                                "replaced from here. Drop and create the database (dropdb, createdb), then restart.")
        if not self._replacing.acquire(blocking=False):
            raise EsEngineError("The room's database is being replaced already; wait for that to finish.")
        try:
            partial = build_database_file(self.path, demo=demo, events=self.demo_events)
            with self._lock:  # sessions asking for the engine meanwhile wait for the new one
                if self._engine is not None:
                    try:
                        _close_when_idle(self._engine)
                    except EsEngineError:
                        self._engine.projections.worker.start()  # the old database goes on as it was
                        partial.unlink(missing_ok=True)
                        raise
                    self._engine = None
                self.path.with_name(self.path.name + ".wal").unlink(missing_ok=True)  # the old file's, if any
                os.replace(partial, self.path)
                self.generation += 1
            return self.engine
        finally:
            self._replacing.release()

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
                self._engine = None


def _close_when_idle(engine: Engine, timeout: float = 30.0) -> None:
    """Close an engine that other sessions may still be reading from: DuckDB refuses to close a connection while
    one of its cursors runs a query, and those queries are short, so try again until they are done."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            engine.close()
            return
        except duckdb.ResourceInUseException as e:
            if time.monotonic() > deadline:
                raise EsEngineError("The room's database is still busy after 30 s; nothing was replaced. "
                                    "Try again in a moment.") from e
            time.sleep(0.02)


def command_feed(engine: Engine, since: datetime | None = None, stream_id: str | None = None,
                 limit: int = 50) -> pd.DataFrame:
    """The newest commands (accepted and refused), newest first: when, who, what, on which stream, the outcome.

    ``since`` keeps those recorded from then on; ``stream_id`` those about one stream (a refused command
    has no stream of its own, so its payload's order, customer or product id counts).
    """
    frame = engine.store.cursor().execute("""
        SELECT * FROM (
            SELECT recorded_at, coalesce(user_id, '') AS who, command_type AS command,
                   coalesce(stream_id, payload->>'order_id', payload->>'customer_id', payload->>'product_id') AS stream,
                   outcome, error_kind, message
            FROM command_log WHERE recorded_at >= ?)
        WHERE ? IS NULL OR stream = ?
        ORDER BY recorded_at DESC LIMIT ?""", [since or datetime(1, 1, 1), stream_id, stream_id, limit]).df()
    return frame


def collision_candidates(engine: Engine, limit: int = 30) -> list[dict[str, Any]]:
    """Pending orders, newest first: each can take an item and a confirmation, the two steps of the exercise."""
    return engine.queries.ask(ListOrders(status="pending", limit=limit)).rows
