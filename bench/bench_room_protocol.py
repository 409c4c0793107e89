"""A workshop room at the server: N sessions speaking Streamlit's own websocket protocol; round trips and CPU.

Run: ``.venv/bin/python bench/bench_room_protocol.py [--sessions 30] [--seconds 60] [--every 5] [--db PATH]``.

bench_room.py drives the room with 30 Chromium contexts on the server's own 2 cores, so its round trips
measure the browsers. Here the browsers are left out: each simulated tab is one websocket to
``/_stcore/stream`` that sends the very BackMsg frames a browser sent, and reads the ForwardMsgs back without
drawing them. The server cannot tell the difference: it runs the same scripts for the same widget states.

What it does, in one run:
1. copies the demo database (as bench_room.py: ``--db``, built once if missing), starts ``streamlit run app.py``
   on it and a bare Streamlit script (a title and one button) beside it, with the app's .streamlit/config.toml
   (bench_room.py's bare page keeps Streamlit's defaults, so its baseline pays the post-run GC the app does not);
2. RECORD, once, with Playwright and Debian's Chromium (one person, bench_room.py's ``Participant``): the
   HTTP requests (``/static/`` left out: a browser has its bundles cached) and the BackMsg frames of opening
   each page fresh, of *Create an order* sent from the Commands page (a customer and a product picked from the
   lists, a quantity), of *Previous* on Time travel for a few product streams; the bare page's open and button.
   Chromium's own round trip of each action is kept: one session alone, it is the browser's figure;
3. Chromium is closed; REPLAY, one session alone, sequentially: each kind's protocol round trip and the
   server's CPU per action of that kind, the bare page's open and button beside them;
4. the room: N participants, each with two tabs as in bench_room.py (a Commands tab on *Create an order* and
   a tab that steps through a product's history or opens any page fresh, so 2N Streamlit sessions), each
   acting every 2.5 to 7.5 s (``--every 5``) with bench_room.py's mix; then the same rhythm on the bare page
   (one tab per participant pressing its button);
5. after the servers stopped: the accepted CreateOrder rows added to the copy's command_log (read-only,
   through esengine) against the accepted messages the driver saw: a replay that silently did nothing would
   show here.

A round trip runs from the action's first byte (the page's HTTP request for a fresh page, the BackMsg for a
command or a step) until the ForwardMsg ``script_finished`` that ends the run (a run that ends early for a
rerun is waited through). Failures: an exception element in the run's deltas, a "Something went wrong"
alert, a ``page_not_found`` message, a command whose run shows no "accepted." alert, on Time travel an address
(``page_info_changed``: the stream and version) other than the one the browser got for the same frames (a step
that did not move), no end within 60 s.
A fragment timer (``auto_rerun``) is honoured as a browser does: the tab sends the fragment's rerun with its
last widget states. Server CPU is /proc/<pid>/stat of the streamlit process (bench_room.py's ``Meter``),
sampled before and after each phase; the driver's CPU is this process's. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from bench_room import (BARE_SCRIPT, CHROMIUM, CHROMIUM_ARGS, IDLE, PAGES, ROOT, TIMEOUT_MS, Meter, Participant,
                        Phase, Result, choose, demo_database, header, line, product_streams, rss_mb,
                        start_streamlit, stop)

TIMEOUT = TIMEOUT_MS / 1000
SUBPROTOCOL = Subprotocol("streamlit")
EARLY = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
COMPILE_ERROR = ForwardMsg.ScriptFinishedStatus.FINISHED_WITH_COMPILE_ERROR
ACCEPTED = "accepted."


# ---------------------------------------------------------------- what a browser sent
@dataclass
class Recorded:
    """One action as a browser did it: HTTP requests first (a fresh page), then BackMsg frames, each sent
    once the run of the previous one had ended."""
    paths: list[str]
    frames: list[bytes]
    browser_seconds: float  # Chromium's round trip of this action, one session alone
    query: str | None = None  # the address the run gave the browser last (page_info_changed), if it gave one

    def fragment_only(self) -> bool:
        return all(BackMsg.FromString(f).rerun_script.fragment_id for f in self.frames)


@dataclass
class Script:
    """Everything the replay needs, recorded once from Chromium."""
    opens: dict[str, Recorded] = field(default_factory=dict)  # page path -> a fresh visit (not Time travel)
    time_travel: list[Recorded] = field(default_factory=list)  # a fresh visit per recorded stream
    steps: list[list[Recorded]] = field(default_factory=list)  # per stream: Previous, Previous, ...
    commands_setup: list[Recorded] = field(default_factory=list)  # open Commands, pick "Create an order"
    commands: list[Recorded] = field(default_factory=list)  # Create an order, sent (several picks)
    bare_open: Recorded | None = None
    bare_press: list[Recorded] = field(default_factory=list)
    heartbeats: int = 0


class Recorder:
    """Listens to every page of a Playwright context: its requests to the server and its websocket frames."""

    def __init__(self, base: str):
        self.base = base
        self.events: dict[Any, list[tuple[str, Any]]] = {}

    def attach(self, page: Any) -> None:
        events = self.events.setdefault(page, [])

        def on_request(request: Any) -> None:
            url = request.url
            if url.startswith(self.base) and "/static/" not in url:
                parts = urlsplit(url)
                events.append(("http", parts.path + (f"?{parts.query}" if parts.query else "")))

        def on_received(payload: Any) -> None:
            if isinstance(payload, bytes):
                msg = ForwardMsg.FromString(payload)
                if msg.WhichOneof("type") == "page_info_changed":
                    events.append(("query", msg.page_info_changed.query_string))

        def on_websocket(ws: Any) -> None:
            if ws.url.endswith("/_stcore/stream"):
                ws.on("framesent", lambda payload: events.append(("sent", payload)))
                ws.on("framereceived", on_received)
        page.on("request", on_request)
        page.on("websocket", on_websocket)

    def mark(self, page: Any) -> int:
        return len(self.events.setdefault(page, []))

    def since(self, page: Any, mark: int, seconds: float, script: Script, address: bool = False) -> Recorded:
        """The action since ``mark``; with ``address``, the replay must reach the address the browser got (Time
        travel's stream and version: other pages may write the time of day there)."""
        paths, frames, query = [], [], None
        for kind, value in self.events[page][mark:]:
            if kind == "http":
                paths.append(value)
                continue
            if kind == "query":
                query = value
                continue
            if isinstance(value, str):
                raise SystemExit("a text frame on Streamlit's websocket: the protocol is not the one this bench knows")
            msg = BackMsg.FromString(value)
            if msg.WhichOneof("type") == "app_heartbeat":
                script.heartbeats += 1
            elif msg.WhichOneof("type") == "rerun_script" and not msg.rerun_script.is_auto_rerun:
                frames.append(bytes(value))
        if not frames:
            raise SystemExit("the browser sent no rerun for an action: the recording is empty")
        return Recorded(paths, frames, seconds, query if address else None)


async def record(base: str, bare_base: str, streams: list[str], commands: int, steps: int) -> Script:
    """One person in Chromium, alone: every action of the room once or a few times, its frames kept."""
    from playwright.async_api import async_playwright
    script = Script()
    recorder = Recorder(base)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1400, "height": 1000})
        context.on("page", recorder.attach)
        person: Any = Participant(context, base, streams[0], random.Random(1))  # its tabs are set below
        warm = await context.new_page()  # the server's first session reloads itself (ui/navigation.py): not kept
        await warm.goto(base)
        await warm.wait_for_function("() => [...document.querySelectorAll('h1')].some(h => h.textContent.trim() "
                                     "=== 'Overview') && " + IDLE, polling=25, timeout=TIMEOUT_MS)
        await warm.close()
        person.commands = await context.new_page()
        person.browse = await context.new_page()
        page = person.commands
        mark = recorder.mark(page)
        result = await person.open(page, "commands", "Commands")
        script.commands_setup.append(recorder.since(page, mark, result.seconds, script))
        mark = recorder.mark(page)
        await choose(page, "Command", "Create an order (CreateOrder)")
        await page.get_by_role("heading", name="Create an order").wait_for()
        await person.wait_idle(page)
        script.commands_setup.append(recorder.since(page, mark, float("nan"), script))
        for _ in range(commands):
            mark = recorder.mark(page)
            result = await person.command()
            if result.problems:
                raise SystemExit(f"recording a command failed: {result.problems}")
            script.commands.append(recorder.since(page, mark, result.seconds, script))
        page = person.browse
        for _ in range(2):  # the first open of each page warms its caches; the second is recorded
            for path, title in PAGES:
                if path == "time_travel":
                    continue
                mark = recorder.mark(page)
                result = await person.open(page, path, title)
                if result.problems:
                    raise SystemExit(f"recording the page {path} failed: {result.problems}")
                script.opens[path] = recorder.since(page, mark, result.seconds, script)
        for stream in streams:
            person.stream = stream
            mark = recorder.mark(page)
            result = await person.open_time_travel()
            script.time_travel.append(recorder.since(page, mark, result.seconds, script, address=True))
            script.steps.append([])
            for _ in range(steps):
                mark = recorder.mark(page)
                result = await person.step()
                if result.problems:
                    raise SystemExit(f"recording a time-travel step failed: {result.problems}")
                script.steps[-1].append(recorder.since(page, mark, result.seconds, script, address=True))
        bare = await context.new_page()
        for n in range(4):  # two opens and two presses, the second of each kept
            mark = recorder.mark(bare)
            started = time.perf_counter()
            await bare.goto(bare_base, wait_until="commit")
            await bare.wait_for_function("() => document.body.textContent.includes('Pressed 0 times') && " + IDLE,
                                         polling=25, timeout=TIMEOUT_MS)
            script.bare_open = recorder.since(bare, mark, time.perf_counter() - started, script)
            if n % 2:
                mark = recorder.mark(bare)
                started = time.perf_counter()
                await bare.get_by_role("button", name="Press").click()
                await bare.wait_for_function("() => document.body.textContent.includes('Pressed 1 times') && " + IDLE,
                                             polling=25, timeout=TIMEOUT_MS)
                script.bare_press = [recorder.since(bare, mark, time.perf_counter() - started, script)]
        await browser.close()
    return script


# ---------------------------------------------------------------- a tab that speaks the protocol
@dataclass
class Run:
    done: asyncio.Future
    texts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    query: str | None = None


class Tab:
    """One browser tab without the browser: a websocket to the server, one run at a time."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task | None = None
        self.run: Run | None = None
        self.lock = asyncio.Lock()
        self.last: BackMsg | None = None  # the last rerun sent: its widget states go with a fragment's timer
        self.timers: dict[str, asyncio.Task] = {}
        self.auto_reruns = 0

    async def visit(self, recorded: Recorded, kind: str = "open", expect: str | None = None) -> Result:
        """Open a page fresh: the page's HTTP requests, a new websocket (a new session), its frames."""
        await self.close()
        started = time.perf_counter()
        problems = []
        for n, path in enumerate(recorded.paths):
            # the page itself must be served; the frontend's probes for its base path get 404s in a browser too
            status = await http_get(self.host, self.port, path)
            if status >= 500 or (n == 0 and status != 200):
                problems.append(f"HTTP {status} for {path}")
        self.ws = await connect(f"ws://{self.host}:{self.port}/_stcore/stream", subprotocols=[SUBPROTOCOL],
                                max_size=None, open_timeout=TIMEOUT, ping_interval=None)
        self.reader = asyncio.create_task(self._read(self.ws))
        result = await self.act(recorded, kind, expect, started)
        result.problems[:0] = problems
        return result

    async def act(self, recorded: Recorded, kind: str, expect: str | None = None,
                  started: float | None = None) -> Result:
        started = time.perf_counter() if started is None else started
        texts, problems, query = [], [], None
        async with self.lock:
            for frame in recorded.frames:
                run = await self._send(frame)
                texts += run.texts
                problems += run.problems
                query = run.query or query
        if expect and not any(expect in t for t in texts):
            problems.append(f"no '{expect}' message: {' | '.join(t[:120] for t in texts) or 'no message at all'}")
        if recorded.query is not None and query != recorded.query:  # e.g. a step that did not move the cursor
            problems.append(f"the address became {query!r}, in the browser {recorded.query!r}")
        return Result(kind, time.perf_counter() - started, problems)

    async def _send(self, frame: bytes, msg: BackMsg | None = None) -> Run:
        msg = msg or BackMsg.FromString(frame)
        if not msg.rerun_script.fragment_id:  # a run of the whole page sets its fragments' timers again
            self._stop_timers()
            self.last = msg
        run = self.run = Run(asyncio.get_running_loop().create_future())
        if self.ws is None:
            raise RuntimeError("the tab has no websocket: open a page first")
        await self.ws.send(frame)
        try:
            await asyncio.wait_for(asyncio.shield(run.done), TIMEOUT)
        except TimeoutError:
            run.problems.append(f"no script_finished within {TIMEOUT:.0f} s")
        return run

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for data in ws:
                if isinstance(data, str):
                    continue
                msg = ForwardMsg.FromString(data)
                kind, run = msg.WhichOneof("type"), self.run
                if kind == "script_finished":
                    if msg.script_finished == COMPILE_ERROR and run:
                        run.problems.append("the script did not compile")
                    if msg.script_finished != EARLY and run and not run.done.done():
                        run.done.set_result(None)
                elif kind == "delta" and run and msg.delta.WhichOneof("type") == "new_element":
                    element = msg.delta.new_element
                    which = element.WhichOneof("type")
                    if which == "exception":
                        run.problems.append(f"exception: {element.exception.type}: {element.exception.message[:160]}")
                    elif which == "alert":
                        run.texts.append(element.alert.body)
                        if "Something went wrong" in element.alert.body:
                            run.problems.append(f"unexpected error message: {element.alert.body[:160]}")
                elif kind == "page_info_changed" and run:
                    run.query = msg.page_info_changed.query_string
                elif kind == "page_not_found" and run:
                    run.problems.append("page not found")
                elif kind == "auto_rerun":
                    fragment = msg.auto_rerun.fragment_id
                    if fragment in self.timers:
                        self.timers.pop(fragment).cancel()
                    self.timers[fragment] = asyncio.create_task(self._timer(fragment, msg.auto_rerun.interval))
        except ConnectionClosed:
            pass
        finally:
            if self.run and not self.run.done.done():
                self.run.problems.append("the connection closed during the run")
                self.run.done.set_result(None)

    async def _timer(self, fragment: str, interval: float) -> None:
        """A fragment with ``run_every``: the browser reruns it on a timer, with its current widget states."""
        while True:
            await asyncio.sleep(interval)
            if self.last is None:
                return
            msg = BackMsg()
            msg.CopyFrom(self.last)
            msg.rerun_script.fragment_id = fragment
            msg.rerun_script.is_auto_rerun = True
            async with self.lock:
                await self._send(msg.SerializeToString(), msg)
            self.auto_reruns += 1

    def _stop_timers(self) -> None:
        for task in self.timers.values():
            task.cancel()
        self.timers.clear()

    async def close(self) -> None:
        self._stop_timers()
        if self.ws is not None:
            await self.ws.close()
            if self.reader:
                await self.reader
        self.ws = self.reader = None


async def http_get(host: str, port: int, path: str) -> int:
    """A browser's GET of one of the app's URLs (no cache): the response's status."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
                 .encode())
    await writer.drain()
    response = await reader.read()
    writer.close()
    await writer.wait_closed()
    try:
        return int(response.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 599


# ---------------------------------------------------------------- people
class Person:
    """One participant, as bench_room.py's: a Commands tab on *Create an order*, and a tab that steps through
    a product stream's history on Time travel or opens any page fresh."""

    def __init__(self, script: Script, host: str, port: int, stream: int, rng: random.Random):
        self.script, self.rng, self.stream = script, rng, stream
        self.commands, self.browse = Tab(host, port), Tab(host, port)
        self.on_time_travel = False
        self.next_step = 0
        self.accepted = 0  # commands whose run showed the accepted message

    async def setup(self) -> list[Result]:
        out = [await self.commands.visit(self.script.commands_setup[0])]
        for recorded in self.script.commands_setup[1:]:
            out.append(await self.commands.act(recorded, "pick"))
        return [*out, await self.open_time_travel()]

    async def open_time_travel(self) -> Result:
        self.on_time_travel, self.next_step = True, 0
        return await self.browse.visit(self.script.time_travel[self.stream])

    async def act(self, kind: str) -> list[Result]:
        if kind == "command":
            result = await self.commands.act(self.rng.choice(self.script.commands), "command", ACCEPTED)
            self.accepted += not result.problems
            return [result]
        if kind == "step":
            before = [] if self.on_time_travel else [await self.open_time_travel()]
            steps = self.script.steps[self.stream]
            recorded = steps[self.next_step % len(steps)]  # after the last, the first: a jump back, then a step
            self.next_step += 1
            return [*before, await self.browse.act(recorded, "step")]
        path = self.rng.choice([p for p, _ in PAGES])
        if path == "time_travel":
            return [await self.open_time_travel()]
        self.on_time_travel = False
        return [await self.browse.visit(self.script.opens[path])]

    async def close(self) -> None:
        await self.commands.close()
        await self.browse.close()


# ---------------------------------------------------------------- phases
def address(base: str) -> tuple[str, int]:
    parts = urlsplit(base)
    return parts.hostname or "127.0.0.1", parts.port or 80


async def alone(script: Script, base: str, meter: Meter, repeat: int) -> tuple[list[Phase], int]:
    """Each kind alone, one person, one action after the other: round trips and the server's CPU per kind."""
    host, port = address(base)
    person = Person(script, host, port, 0, random.Random(1))
    await person.setup()
    for kind in ("command", "step"):  # warm-up, not measured
        await person.act(kind)
    phases = []
    for kind in ("command", "step"):
        before, results = meter.sample(), []
        for _ in range(repeat):
            results += [r for r in await person.act(kind) if r.kind == kind]
        phases.append(meter.phase(f"alone: {kind}", before, results))
    for path, _ in PAGES:
        recorded = script.time_travel[0] if path == "time_travel" else script.opens[path]
        await person.browse.visit(recorded)  # warm-up
        before = meter.sample()
        results = [await person.browse.visit(recorded) for _ in range(max(2, repeat // 3))]
        phases.append(meter.phase(f"alone: open {path}", before, results))
    await person.close()
    return phases, person.accepted


async def bare_alone(script: Script, base: str, meter: Meter, repeat: int) -> tuple[Phase, Phase]:
    assert script.bare_open is not None
    host, port = address(base)
    tab = Tab(host, port)
    await tab.visit(script.bare_open)  # warm-up
    before = meter.sample()
    opens = [await tab.visit(script.bare_open) for _ in range(repeat)]
    open_phase = meter.phase("bare: open", before, opens)
    before = meter.sample()
    presses = [await tab.act(script.bare_press[0], "click") for _ in range(repeat)]
    press_phase = meter.phase("bare: button", before, presses)
    await tab.close()
    return open_phase, press_phase


async def rhythm(n: int, every: float, seconds: float, rng_of: Any, act: Any) -> list[Result]:
    """n sessions, each acting 2.5 to 7.5 s apart (``every`` 5), for ``seconds``: bench_room.py's room."""
    results: list[Result] = []
    end = time.perf_counter() + seconds

    async def live(i: int) -> None:
        rng = rng_of(i)
        next_start = time.perf_counter() + rng.uniform(0, every)
        while True:
            await asyncio.sleep(max(0.0, next_start - time.perf_counter()))
            if time.perf_counter() >= end:
                return
            try:
                results.extend(await act(i))
            except (OSError, ConnectionClosed, RuntimeError) as e:
                results.append(Result("error", TIMEOUT, [f"{type(e).__name__}: {str(e)[:160]}"]))
            next_start += rng.uniform(every / 2, every * 1.5)
    await asyncio.gather(*(live(i) for i in range(n)))
    return results


async def room(script: Script, base: str, meter: Meter, args: argparse.Namespace) -> tuple[Phase, int, int]:
    host, port = address(base)
    people = [Person(script, host, port, i % len(script.time_travel), random.Random(100 + i))
              for i in range(args.sessions)]
    arriving = asyncio.Semaphore(4)  # the room arrives over some seconds, not in one instant

    async def arrive(p: Person) -> list[Result]:
        async with arriving:
            return await p.setup()
    arrivals = [r for rs in await asyncio.gather(*(arrive(p) for p in people)) for r in rs]
    failed = [p for r in arrivals for p in r.problems]
    if failed:
        print(f"arrival failures: {len(failed)}, e.g. {failed[0]}")
    kinds, weights = zip(*args.mix.items())
    before, memory = meter.sample(), rss_mb(meter.server_pid)
    results = await rhythm(args.sessions, args.every, args.seconds, lambda i: people[i].rng,
                           lambda i: people[i].act(people[i].rng.choices(kinds, weights)[0]))
    phase = meter.phase(f"room: {args.sessions} sessions", before, results)
    auto = sum(t.auto_reruns for p in people for t in (p.commands, p.browse))
    memory_end = rss_mb(meter.server_pid)
    for p in people:
        await p.close()
    print(f"server memory: {memory:.0f} MB when the room started, {memory_end:.0f} MB at its end")
    return phase, auto, sum(p.accepted for p in people)


async def bare_room(script: Script, base: str, meter: Meter, args: argparse.Namespace) -> Phase:
    assert script.bare_open is not None
    host, port = address(base)
    tabs = [Tab(host, port) for _ in range(args.sessions)]
    for tab in tabs:
        await tab.visit(script.bare_open)
    before = meter.sample()
    results = await rhythm(args.sessions, args.every, args.seconds, lambda i: random.Random(500 + i),
                           lambda i: _one(tabs[i].act(script.bare_press[0], "click")))
    phase = meter.phase(f"bare room: {args.sessions} sessions", before, results)
    for tab in tabs:
        await tab.close()
    return phase


async def _one(result: Any) -> list[Result]:
    return [await result]


# ---------------------------------------------------------------- the database afterwards
def accepted_orders(db: Path) -> int:
    """Accepted CreateOrder rows in the command log, read through esengine with the file opened read-only."""
    from esengine.store.connection import connect as connect_store
    con = connect_store(db, read_only=True)
    try:
        return con.execute("SELECT count(*) FROM command_log WHERE command_type = 'CreateOrder' "
                           "AND outcome = 'accepted'").fetchall()[0][0]
    finally:
        con.close()


# ---------------------------------------------------------------- printing
def report(script: Script, bare: tuple[Phase, Phase], phases: list[Phase], room_phase: Phase | None,
           bare_room_phase: Phase | None, args: argparse.Namespace) -> None:
    per = {p.name: p.server_cpu / max(1, len(p.results)) for p in [*bare, *phases]}
    bare_open, bare_press = bare
    header("Baseline: a bare Streamlit page (title + one button), one session, sequential, through the protocol")
    for p in bare:
        line(p.name, p.results, per[p.name])
    header("Each kind alone, one session, sequential, through the protocol (server CPU attributed per kind)")
    for p in phases:
        line(p.name, p.results, per[p.name], per[bare_open.name] if "open" in p.name else per[bare_press.name])
    for p in phases:
        for res in p.results:
            for problem in res.problems:
                print(f"  failure in {p.name}: {problem}")
    print("\nRendering in the browser: Chromium's round trip (one session alone, while recording) less the "
          "protocol's (alone, above), medians in ms")
    print(f"{'':<34} {'Chromium':>9} {'protocol':>9} {'browser':>9}")
    by_name = {p.name: p for p in phases}
    chromium = {"command": [r.browser_seconds for r in script.commands],
                "step": [r.browser_seconds for rs in script.steps for r in rs]}
    chromium.update({f"open {path}": [script.opens[path].browser_seconds] for path in script.opens})
    chromium["open time_travel"] = [r.browser_seconds for r in script.time_travel]
    bare_rows = {"bare: open": [script.bare_open.browser_seconds] if script.bare_open else [],
                 "bare: button": [r.browser_seconds for r in script.bare_press]}
    rows = [(f"alone: {k}", v, by_name.get(f"alone: {k}")) for k, v in chromium.items()]
    rows += [(k, v, {bare_open.name: bare_open, bare_press.name: bare_press}[k]) for k, v in bare_rows.items()]
    for name, browser, phase in rows:
        if not browser or phase is None or not phase.results:
            continue
        ours = statistics.median(r.seconds for r in phase.results) * 1000
        theirs = statistics.median(browser) * 1000
        print(f"{name:<34} {theirs:>9.0f} {ours:>9.0f} {theirs - ours:>9.0f}   ({len(browser)} in Chromium)")
    kinds = {"command": per.get("alone: command"), "step": per.get("alone: step"),
             "open": statistics.mean(v for k, v in per.items() if k.startswith("alone: open"))}
    for title, r in (("The room", room_phase), ("The bare page at the room's rhythm", bare_room_phase)):
        if r is None:
            continue
        header(f"{title}: {args.sessions} sessions, each acting every {args.every:g} s on average, {args.seconds:g} s")
        by_kind: dict[str, list[Result]] = {}
        for res in r.results:
            by_kind.setdefault(res.kind, []).append(res)
        line("all actions", r.results, r.server_cpu / max(1, len(r.results)))
        if r is room_phase:
            for kind, results in sorted(by_kind.items()):
                line(f"  {kind} (CPU alone)", results, kinds.get(kind),
                     per[bare_open.name] if kind == "open" else per[bare_press.name])
        print(f"server CPU: {r.server_cpu:.1f} s over {r.wall:.0f} s wall ({r.server_cpu / r.wall:.2f} cores); "
              f"driver CPU: {r.driver_cpu:.1f} s ({r.driver_cpu / r.wall:.2f} cores, "
              f"{r.driver_cpu / max(1, len(r.results)) * 1000:.0f} ms per action)")
        for problem, n in Counter(p for res in r.results for p in res.problems).most_common(12):
            print(f"  failure x{n}: {problem}")


# ---------------------------------------------------------------- main
async def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench_room_protocol_"))
    db = work / "room.duckdb"
    shutil.copy(demo_database(Path(args.db)), db)
    streams = product_streams(db, args.streams)
    orders_before = accepted_orders(db)
    (work / "bare.py").write_text(BARE_SCRIPT)
    shutil.copytree(ROOT / ".streamlit", work / ".streamlit")  # the bare page runs with the app's server settings
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
          f"database copy {db}")
    app, base = start_streamlit(ROOT / "app.py", ROOT, dict(os.environ, ESENGINE_DB=str(db)), work / "app.log", [])
    bare, bare_base = start_streamlit(work / "bare.py", work, dict(os.environ), work / "bare.log", [])
    room_phase = bare_room_phase = None
    seen = auto = 0
    try:
        started = time.perf_counter()
        script = await record(base, bare_base, streams, args.commands, args.steps)
        recorded_commands = len(script.commands)
        print(f"recorded in Chromium in {time.perf_counter() - started:.0f} s: {len(script.opens) + 1} pages, "
              f"{recorded_commands} commands, {len(streams)} streams x {args.steps} steps; "
              f"{script.heartbeats} heartbeats seen (not replayed)")
        meter = Meter(app.pid, {app.pid, bare.pid})
        bare_meter = Meter(bare.pid, {app.pid, bare.pid})
        baseline = await bare_alone(script, bare_base, bare_meter, max(3, args.repeat))
        phases, seen = await alone(script, base, meter, args.repeat)
        if args.sessions:
            room_phase, auto, accepted = await room(script, base, meter, args)
            seen += accepted
            bare_room_phase = await bare_room(script, bare_base, bare_meter, args)
        report(script, baseline, phases, room_phase, bare_room_phase, args)
    finally:
        stop(app)
        stop(bare)
    expected = seen + recorded_commands
    added = accepted_orders(db) - orders_before
    print(f"\ncommand_log: {added} accepted CreateOrder rows added; the driver saw {expected} accepted messages "
          f"({recorded_commands} from Chromium while recording, {expected - recorded_commands} replayed)"
          f"{'' if added == expected else '  <-- MISMATCH'}")
    print(f"fragment timers honoured in the room: {auto} auto reruns")
    print(f"load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"logs in {work}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30, help="participants (two tabs each)")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between a session's actions, on average")
    parser.add_argument("--db", default="/tmp/bench_room_demo.duckdb",
                        help="the demo database to copy (built here if missing)")
    parser.add_argument("--repeat", type=int, default=9, help="actions per kind in the sequential phases")
    parser.add_argument("--streams", type=int, default=5, help="product streams recorded for Time travel")
    parser.add_argument("--steps", type=int, default=6, help="Previous presses recorded per stream")
    parser.add_argument("--commands", type=int, default=4, help="Create-an-order sends recorded (random picks)")
    parser.add_argument("--mix", default="command=0.4,step=0.4,open=0.2",
                        type=lambda s: {k: float(v) for k, v in (kv.split("=") for kv in s.split(","))})
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
