"""Opening a database file: sealed, plainly refused when it cannot be used, and held under an OS lock.

DuckDB lets one process at a time open a file read-write, but when processes take turns on a file (open,
write, close) it can lose a commit that was acknowledged (docs/duckdb-handoff-loss.md reproduces it with
raw DuckDB). So :class:`Database` takes an OS lock of its own, ``fcntl.flock`` on a sibling file
``<db>.lock`` (exclusive to write, shared to read only), before ``duckdb.connect`` and gives it up only
after ``close()`` has returned, with a ``CHECKPOINT`` before the close so the write-ahead log is folded
into the file while the lock is still held. A process that finds the lock taken waits up to ``wait``
seconds (``$ESENGINE_LOCK_WAIT``, default 3) and then gets :class:`StoreUnavailable`.

The lock file is a sibling rather than the database itself because DuckDB holds POSIX record locks on
the database file, and those are dropped when *any* descriptor of the file closes in the process.
The lock file stays behind after close; removing it would let two processes lock two different files.
"""
from __future__ import annotations

import fcntl
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from esengine.errors import StoreUnavailable

LOCK_WAIT_ENV = "ESENGINE_LOCK_WAIT"
DEFAULT_LOCK_WAIT = 3.0
SEALED = {"enable_external_access": False, "autoinstall_known_extensions": False,
          "autoload_known_extensions": False}


def lock_wait() -> float:
    """How long to wait for a database another process holds: ``$ESENGINE_LOCK_WAIT`` seconds, else 3."""
    return seconds_setting(LOCK_WAIT_ENV, DEFAULT_LOCK_WAIT)


def seconds_setting(name: str, default: float, least: float = 0.0) -> float:
    """A number of seconds from the environment variable ``name`` (``default`` when unset)."""
    text = os.environ.get(name)
    try:
        return max(least, float(text)) if text else default
    except ValueError:
        raise StoreUnavailable(f"{name}={text!r} is not a number of seconds.") from None


def in_use(path: Path) -> StoreUnavailable:
    """The plain refusal for a file another process holds."""
    return StoreUnavailable(f"The database {path} is in use by another process (probably the running app). "
                            "Stop that process, or work on a copy of the file.")


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file sealed: no file or network access from SQL, settings locked later by the engine.

    All file I/O (imports, exports) goes through Python and Arrow instead, so the same connection
    can serve the read-only SQL console safely. This takes no OS lock: open through :class:`Database`
    whenever another process may use the file too.
    """
    path = Path(path)
    try:
        return duckdb.connect(str(path), read_only=read_only, config=dict(SEALED))
    except duckdb.IOException as e:
        if _held_by_duckdb(e):
            raise in_use(path) from e
        raise unreadable(path, e) from e
    except duckdb.Error as e:
        raise unreadable(path, e) from e


def unreadable(path: Path, error: Exception) -> StoreUnavailable:
    """The plain refusal for a file DuckDB cannot open or read (damaged, not a database, ...)."""
    if "permission denied" in str(error).lower():
        return StoreUnavailable(f"The database {path} cannot be opened: permission denied. Check the file's and "
                                "its folder's permissions, or work on a copy.")
    return StoreUnavailable(
        f"The database {path} cannot be opened: it is damaged or not an esengine database "
        f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else 'no detail'}). "
        "Restore it from a copy, or choose another file.")


def damaged(error: Exception) -> bool:
    """Whether a DuckDB error says the file itself is bad (as opposed to a query that is)."""
    bad_file = (duckdb.IOException, duckdb.SerializationException, duckdb.FatalException, duckdb.InternalException)
    return isinstance(error, bad_file) or type(error) is duckdb.Error  # checksum failures are plain Errors


def _held_by_duckdb(error: BaseException) -> bool:
    text = str(error).lower()  # "Could not set lock on file ...: Conflicting lock is held in ..."
    return "could not set lock" in text or "conflicting lock" in text


class Database:
    """One open database file: its sealed connection, and the OS lock held from before open to after close."""

    def __init__(self, path: str | Path, read_only: bool = False, wait: float | None = None):
        self.path = Path(path)
        self.read_only = read_only
        _check_file(self.path, read_only)
        deadline = time.monotonic() + (lock_wait() if wait is None else wait)
        lock = _LOCKS.acquire(self.path, read_only, deadline)
        self._lock: _Lock | None = lock
        try:
            self.connection = _connect_by(self.path, read_only, deadline)
        except BaseException:
            _LOCKS.release(lock)
            raise

    def close(self, checkpoint: bool = True) -> None:
        """Checkpoint, close the connection, then give up the lock (in that order); closing twice is harmless.

        ``checkpoint=False`` after a failed open: nothing to fold in, and the file may be damaged.
        """
        if self._lock is None:
            return
        if checkpoint and not self.read_only and self._lock.count == 1:  # the process's last user of the file
            try:
                self.connection.execute("CHECKPOINT")
            except duckdb.Error:
                pass  # DuckDB checkpoints on close as well; this one only makes it happen under our lock
        try:
            self.connection.close()
        except duckdb.ResourceInUseException:
            raise  # a cursor is mid-query: still open, still locked; the caller may try again
        except BaseException:
            self._release()
            raise
        self._release()

    def _release(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            _LOCKS.release(lock)


def _check_file(path: Path, read_only: bool) -> None:
    if path.is_dir():
        raise StoreUnavailable(f"{path} is a folder, not a database file. Give the path of a .duckdb file.")
    if path.exists():
        try:
            with open(path, "rb" if read_only else "r+b"):
                pass
        except OSError as e:
            raise StoreUnavailable(f"The database {path} cannot be {'read' if read_only else 'read and written'}: "
                                   f"{e.strerror}. Check the file's permissions, or work on a copy.") from e
    elif read_only:
        raise StoreUnavailable(f"There is no database at {path}.")
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreUnavailable(f"The folder for the database {path} cannot be created: {e.strerror}.") from e


def _connect_by(path: Path, read_only: bool, deadline: float) -> duckdb.DuckDBPyConnection:
    """``connect``, waiting while a process that does not take our lock (raw DuckDB) holds the file."""
    pause = 0.002
    while True:
        try:
            return connect(path, read_only)
        except StoreUnavailable as e:
            if not (e.__cause__ is not None and _held_by_duckdb(e.__cause__)) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


@dataclass
class _Lock:
    key: str
    fd: int | None  # None: read only, in a folder where no lock file exists or can be made
    shared: bool
    count: int = 1


class _ProcessLocks:
    """The OS locks this process holds, one per database file, shared by its connections to that file.

    ``flock`` belongs to an open file description, so a second descriptor in the same process would wait
    for the first; DuckDB, too, shares one database instance between a process's connections to a file.
    """

    def __init__(self):
        self._held: dict[str, _Lock] = {}
        self._opening: dict[str, threading.Lock] = {}  # one thread per file waits for the OS lock
        self._guard = threading.Lock()

    def acquire(self, path: Path, read_only: bool, deadline: float) -> _Lock:
        key = os.path.realpath(path)
        with self._guard:
            gate = self._opening.setdefault(key, threading.Lock())
        with gate:
            with self._guard:
                lock = self._held.get(key)
                if lock is not None:
                    lock.count += 1  # DuckDB refuses a mismatched read-only/read-write pair with a plain error
                    return lock
            fd = _open_lock_file(Path(key + ".lock"), read_only)
            if fd is not None:
                _flock_by(fd, path, fcntl.LOCK_SH if read_only else fcntl.LOCK_EX, deadline)
            with self._guard:
                lock = self._held[key] = _Lock(key, fd, read_only)
            return lock

    def release(self, lock: _Lock) -> None:
        with self._guard:
            lock.count -= 1
            if lock.count > 0:
                return
            del self._held[lock.key]
            if lock.fd is not None:
                os.close(lock.fd)  # closing the only descriptor releases the flock


def _open_lock_file(path: Path, read_only: bool) -> int | None:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as e:
        if read_only:
            try:
                return os.open(path, os.O_RDONLY)
            except OSError:
                return None  # a read-only folder: DuckDB's own lock still keeps writers out
        raise StoreUnavailable(f"The lock file {path} cannot be created: {e.strerror}. esengine needs to write "
                               "in the database's folder; check its permissions, or work on a copy.") from e


def _flock_by(fd: int, path: Path, mode: int, deadline: float) -> None:
    pause = 0.001
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise in_use(path) from None
        time.sleep(pause)
        pause = min(pause * 2, 0.005)  # a waiting process notices a release within 5 ms


_LOCKS = _ProcessLocks()

__all__ = ["Database", "connect", "lock_wait", "LOCK_WAIT_ENV", "DEFAULT_LOCK_WAIT"]
