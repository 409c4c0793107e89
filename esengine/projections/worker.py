"""The background worker that runs asynchronous projections behind the writes.

It is started explicitly (the app starts it when it opens the database; scripts and tests usually call
``catch_up`` instead). Each round applies at most ``batch_size`` events per projection version and then
waits ``interval`` seconds, so a burst of commands leaves a lag that drains: that is the eventual
consistency the Projections page demonstrates. :data:`PACES` are the paces a facilitator picks from:
at the normal pace the lag is gone before a page redraws; slowed to one event per round, it is visible.
"""
from __future__ import annotations

import atexit
import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb

from esengine.core.events import utcnow
from esengine.errors import EsEngineError

if TYPE_CHECKING:
    from esengine.projections.runner import ProjectionRunner

log = logging.getLogger(__name__)


NORMAL_PACE = (2.0, 1000)
PACES = {  # name: (seconds between rounds, events per round, paused)
    "normal": (*NORMAL_PACE, False),
    "slow": (2.0, 1, False),
    "paused": (*NORMAL_PACE, True),
}


class ProjectionWorker:
    """A daemon thread that catches up the asynchronous projections every ``interval`` seconds."""

    def __init__(self, runner: ProjectionRunner, interval: float = NORMAL_PACE[0], batch_size: int = NORMAL_PACE[1]):
        self._runner = runner
        self.interval, self.batch_size = interval, batch_size
        self.paused = False
        self.rounds = 0
        self.last_round_at: datetime | None = None
        self.last_error: str | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._round = threading.Lock()  # held while a round applies events

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def state(self) -> str:
        """'paused', 'running' or 'stopped' (never started, or stopped with its engine)."""
        return "paused" if self.paused and self.running else ("running" if self.running else "stopped")

    @property
    def pace(self) -> str:
        """The name of the :data:`PACES` entry the worker runs at, or 'custom'."""
        now = (self.interval, self.batch_size, self.paused)
        if self.paused:
            return "paused"
        return next((name for name, pace in PACES.items() if pace == now), "custom")

    def set_pace(self, name: str) -> None:
        """Run at one of the :data:`PACES` (the whole room's worker: every session sees the same lag)."""
        interval, batch_size, paused = PACES[name]
        self.configure(interval=interval, batch_size=batch_size, paused=paused)

    def start(self) -> None:
        """Start the thread if it is not running yet (safe to call from every session)."""
        with self._lock:
            if self.running:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="esengine-projections", daemon=True)
            self._thread.start()
            atexit.register(self.stop)  # never let the interpreter tear DuckDB down under a running round

    def configure(self, interval: float | None = None, batch_size: int | None = None,
                  paused: bool | None = None) -> None:
        """Change the pace: seconds between rounds, events per round, or pause it (the lag then grows)."""
        if interval is not None:
            self.interval = max(0.1, float(interval))
        if batch_size is not None:
            self.batch_size = max(1, int(batch_size))
        if paused is not None:
            self.paused = paused
            if paused:
                with self._round:  # a round already under way finishes first: after this, nothing moves
                    pass
        self._wake.set()

    def wake(self) -> None:
        """New events arrived from elsewhere (another instance's commit): run a round now, at the normal pace."""
        if self.pace == "normal":
            self._wake.set()

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            atexit.unregister(self.stop)
            self._stop.set()
            self._wake.set()
            thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._round:
                if not self.paused:
                    try:
                        self._runner.catch_up_async(limit=self.batch_size)
                        self.last_error = None
                    except (EsEngineError, duckdb.Error) as e:  # keep running: the next round may succeed
                        self.last_error = str(e)
                        log.warning("projection worker round failed: %s", e)
                    self.rounds += 1
                    self.last_round_at = utcnow()
            self._wake.wait(self.interval)
            self._wake.clear()
