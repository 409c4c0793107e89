"""One operation at a time per projection version: a rebuild, a catch-up, a promotion or a drop."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from esengine.errors import EsEngineError


class VersionLocks:
    """A lock per (projection, version): wait for the operation that holds it, or refuse with a message."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, int], threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def exclusive(self, name: str, version: int, doing: str, wait: bool = False) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault((name, version), threading.Lock())
        if not lock.acquire(blocking=wait):
            raise EsEngineError(f"Projection '{name}' v{version} is busy (another session is rebuilding or "
                                f"catching it up); wait for that to finish before you {doing}.")
        try:
            yield
        finally:
            lock.release()

    def is_busy(self, name: str, version: int) -> bool:
        lock = self._locks.get((name, version))
        return lock is not None and lock.locked()
