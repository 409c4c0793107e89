"""The console's worker processes, seen from the app: start, ask, stop at the time limit, replace.

A query runs in a separate process (:mod:`esengine.console.worker`) so that neither its memory nor its
time can reach the app: the process has its own memory cap, and at the time limit it is killed, even in
the middle of one long operator where DuckDB's interrupt is never checked. A worker that answered is
kept for the next query (its tables stay mapped); one that was killed or ran out of memory is replaced.
"""
from __future__ import annotations

import atexit
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from esengine.console.tables import TableFiles

WORKER = str(Path(__file__).with_name("worker.py"))
START_TIMEOUT_S = 60.0  # a cold start on a busy machine; not part of the query's limit
_IDLE_KEPT = 1  # an idle worker holds about 110 MB (Python, DuckDB, Arrow)


class Stopped(Exception):
    """The worker was killed at the time limit, or died (out of memory); ``peak_kb`` is its peak RSS."""

    def __init__(self, reason: str, peak_kb: int):
        super().__init__(reason)
        self.reason, self.peak_kb = reason, peak_kb


@dataclass
class Answer:
    header: dict
    body: bytes


def _pipe(stream: IO[bytes] | None) -> IO[bytes]:
    if stream is None:  # never: the worker is started with both pipes
        raise RuntimeError("the console worker was started without a pipe")
    return stream


class Worker:
    """One worker process and the pipe to it."""

    def __init__(self, memory_mb: int, threads: int, directory: Path):
        self.memory_mb = memory_mb
        self._proc = subprocess.Popen([sys.executable, "-s", WORKER, str(memory_mb), str(threads)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      cwd=directory, close_fds=True)
        self._stdin, self._stdout = _pipe(self._proc.stdin), _pipe(self._proc.stdout)
        self._fd = self._stdout.fileno()
        self._buffer = b""
        try:
            self._line(time.monotonic() + START_TIMEOUT_S)
        except Stopped:
            self.kill()
            raise

    def ask(self, request: dict, timeout_s: float) -> Answer:
        """Send one request; the answer, or :class:`Stopped` (the worker is then dead) after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        try:
            self._stdin.write(json.dumps(request).encode() + b"\n")
            self._stdin.flush()
        except OSError:
            raise self._stop("died")
        header = json.loads(self._line(deadline))
        return Answer(header, self._exactly(header.get("size", 0), deadline))

    def peak_kb(self) -> int:
        """The process's peak resident memory so far (VmHWM), in kB; 0 once it is gone."""
        try:
            with open(f"/proc/{self._proc.pid}/status") as status:
                return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
        except (OSError, StopIteration):
            return 0

    def alive(self) -> bool:
        return self._proc.poll() is None

    def kill(self) -> None:
        self._proc.kill()
        self._proc.wait()
        for pipe in (self._stdin, self._stdout):
            try:
                pipe.close()
            except OSError:
                pass

    def _line(self, deadline: float) -> bytes:
        while b"\n" not in self._buffer:
            self._fill(deadline)
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def _exactly(self, size: int, deadline: float) -> bytes:
        while len(self._buffer) < size:
            self._fill(deadline)
        body, self._buffer = self._buffer[:size], self._buffer[size:]
        return body

    def _fill(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self._fd], [], [], left)[0]:
            raise self._stop("time")
        chunk = os.read(self._fd, 1 << 20)
        if not chunk:
            raise self._stop("died")
        self._buffer += chunk

    def _stop(self, reason: str) -> Stopped:
        peak = self.peak_kb()
        self._proc.kill()  # at once; reaping it (a process with large mappings takes a while) is not the caller's wait
        threading.Thread(target=self.kill, daemon=True).start()
        return Stopped(reason, peak)


class Sandbox:
    """Per engine: the private directory of table files and the idle workers."""

    def __init__(self, engine, threads: int):
        self.directory = Path(tempfile.mkdtemp(prefix="esengine-console-"))
        self.tables = TableFiles(engine.connection, self.directory, engine.writer.drain)
        self._threads = threads
        self._idle: list[Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def worker(self, memory_mb: int) -> Worker:
        """An idle worker with this memory cap, or a new one."""
        with self._lock:
            for dead in [w for w in self._idle if not w.alive()]:
                self._idle.remove(dead)
                dead.kill()  # reaps it and closes its pipes
            for i, worker in enumerate(self._idle):
                if worker.memory_mb == memory_mb:
                    return self._idle.pop(i)
        return Worker(memory_mb, self._threads, self.directory)

    def replace(self, memory_mb: int) -> None:
        """Start a worker for the next query in the background, so that it does not wait for one."""
        threading.Thread(target=self._start_spare, args=(memory_mb,), daemon=True).start()

    def _start_spare(self, memory_mb: int) -> None:
        try:
            self.give_back(Worker(memory_mb, self._threads, self.directory))
        except (Stopped, OSError):
            pass  # the next query starts its own

    def give_back(self, worker: Worker) -> None:
        """Keep ``worker`` for a next query; the oldest idle one goes if too many wait."""
        with self._lock:
            if self._closed:
                surplus = [worker]
            else:
                self._idle.append(worker)
                surplus, self._idle = self._idle[:-_IDLE_KEPT], self._idle[-_IDLE_KEPT:]
        for old in surplus:
            old.kill()

    def close(self) -> None:
        with self._lock:
            idle, self._idle, self._closed = self._idle, [], True
        for worker in idle:
            worker.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


_SANDBOXES: weakref.WeakKeyDictionary[object, Sandbox] = weakref.WeakKeyDictionary()
_SANDBOXES_LOCK = threading.Lock()


def sandbox_for(engine, threads: int = 2) -> Sandbox:
    """The engine's sandbox, made on first use and closed with the engine (or at exit)."""
    with _SANDBOXES_LOCK:
        box = _SANDBOXES.get(engine)
        if box is None:
            box = _SANDBOXES[engine] = Sandbox(engine, threads)
            weakref.finalize(engine, box.close)
        return box


def close_for(engine) -> None:
    """Stop the engine's console worker and remove its table copies (the engine is closing)."""
    with _SANDBOXES_LOCK:
        box = _SANDBOXES.pop(engine, None)
    if box is not None:
        box.close()


@atexit.register
def _close_all() -> None:
    for box in list(_SANDBOXES.values()):
        box.close()
