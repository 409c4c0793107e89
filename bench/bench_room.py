"""A workshop room at once: N browser sessions acting every 5 s on the app; round trips and server CPU per action.

Run: ``.venv/bin/python bench/bench_room.py [--sessions 30] [--seconds 60] [--db PATH] [--browsers 1]``.

What it does, in one run:
1. copies the demo database (``--db``, built once with ``esengine.demo.create_demo_database`` if missing) and
   starts ``streamlit run app.py`` on it, and a bare Streamlit script (a title and one button) beside it;
2. the baseline: one session, sequentially, presses the bare page's button and opens the bare page fresh;
3. each kind of action alone, sequentially, one session: the server's CPU per action kind;
4. the room: N sessions (browser contexts, spread over ``--browsers`` Chromium processes), each acting every
   5 s on average (2.5 to 7.5 s apart): send a command on the Commands page (Create an order: pick a
   customer and a product from the lists, type a quantity, send), a time-travel step (the Previous button),
   or open a page fresh (a new page load of any of the app's pages).

A round trip is measured in the driver from the click (or the navigation) until the expected element
shows (the accepted/refused message of this send, the heading of the new version, the page's title) and
Streamlit's status widget is gone; the condition is polled in the page every 25 ms. Server CPU is the
streamlit process's user+system time from /proc/<pid>/stat, sampled before and after each phase; the
driver's CPU (this process, Playwright's node driver, every Chromium process) is sampled the same way.
Failures: an exception box on a page, a "Something went wrong" message, a refused command (every command
sent here should be accepted), a "Page not found" dialog, a round trip over 60 s. Prints figures; asserts
nothing.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DEMO_END = datetime(2026, 6, 1)
TICK = os.sysconf("SC_CLK_TCK")
TIMEOUT_MS = 60_000
IDLE_SECONDS = 10  # the server's upkeep with a session open and nobody acting, measured before the kinds alone
PAGES = [("overview", "Overview"), ("commands", "Commands"), ("event_browser", "Event browser"),
         ("time_travel", "Time travel"), ("projections", "Projections"), ("analytics", "Analytics"),
         ("temporal_queries", "Temporal queries"), ("import_export", "Import and export")]
BARE_SCRIPT = '''import streamlit as st
st.title("Bare")
if st.button("Press"):
    st.session_state.n = st.session_state.get("n", 0) + 1
st.markdown(f"Pressed {st.session_state.get('n', 0)} times")
'''
IDLE = "!document.querySelector('[data-testid=\"stStatusWidget\"]')"
# The page's verdict: an exception box, or an unexpected-error message, or a "Page not found" dialog.
PROBLEMS = """() => {
  const out = [];
  if (document.querySelector('[data-testid="stException"]')) out.push('exception on the page');
  if ([...document.querySelectorAll('[data-testid="stAlert"]')].some(a => a.textContent.includes('Something went wrong')))
    out.push('unexpected error message');
  if ([...document.querySelectorAll('[role="dialog"]')].some(d => d.textContent.includes('Page not found')))
    out.push('Page not found dialog');
  return out;
}"""


# ---------------------------------------------------------------- processes and their CPU
def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    """Resident memory of a live process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def driver_cpu(exclude: set[int]) -> tuple[float, float]:
    """(this process + Playwright's node driver, every Chromium process) CPU seconds, servers excluded."""
    own, chromium = cpu_seconds(os.getpid()), 0.0
    skip = set(exclude)
    for pid in exclude:
        skip.update(descendants(pid))
    for pid in descendants(os.getpid()):
        if pid in skip:
            continue
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except FileNotFoundError:
            continue
        if "chrom" in name:
            chromium += cpu_seconds(pid)
        else:
            own += cpu_seconds(pid)
    return own, chromium


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_streamlit(script: Path, cwd: Path, env: dict, log: Path, options: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false",
                             "--server.runOnSave", "false", "--server.fileWatcherType", "none", *options],
                            cwd=cwd, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)  # noqa: SIM115 - the child keeps it
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if urllib.request.urlopen(base + "/_stcore/health", timeout=2).status == 200:
                return proc, base
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{script} did not start; see {log}")
            time.sleep(0.3)  # polling a port that is not open yet


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


# ---------------------------------------------------------------- one person in the room
@dataclass
class Result:
    kind: str
    seconds: float
    problems: list[str] = field(default_factory=list)


class Participant:
    """One person: a Commands tab with the Create-an-order form, and a tab that steps through time or opens pages."""

    def __init__(self, context, base: str, stream: str, rng: random.Random):
        self.context, self.base, self.stream, self.rng = context, base, stream, rng
        self.commands = self.browse = None
        self.on_time_travel = False
        self.last_alert = ""

    async def setup(self) -> None:
        self.commands = await self.context.new_page()
        self.browse = await self.context.new_page()
        for p in (self.commands, self.browse):
            p.set_default_timeout(TIMEOUT_MS)
        await self.open(self.commands, "commands", "Commands")
        await choose(self.commands, "Command", "Create an order (CreateOrder)")
        await self.commands.get_by_role("heading", name="Create an order").wait_for()
        await self.wait_idle(self.commands)
        await self.open_time_travel()

    async def wait_idle(self, page) -> None:
        await page.wait_for_function(f"() => {IDLE}", polling=25, timeout=TIMEOUT_MS)

    async def open(self, page, path: str, title: str, query: str = "") -> Result:
        started = time.perf_counter()
        await page.goto(f"{self.base}/{path}{query}", wait_until="commit")
        await page.wait_for_function(
            "(t) => [...document.querySelectorAll('h1')].some(h => h.textContent.trim() === t) && " + IDLE,
            arg=title, polling=25, timeout=TIMEOUT_MS)
        return Result("open", time.perf_counter() - started, await problems(page))

    async def open_time_travel(self) -> Result:
        result = await self.open(self.browse, "time_travel", "Time travel", f"?stream={self.stream}")
        await self.browse.get_by_role("heading", name=" · ").first.wait_for()
        self.on_time_travel = True
        return result

    async def act(self, kind: str) -> list[Result]:
        if kind == "command":
            return [await self.command()]
        if kind == "step":
            before = [] if self.on_time_travel else [await self.open_time_travel()]
            return before + [await self.step()]
        path, title = self.rng.choice(PAGES)
        self.on_time_travel = path == "time_travel"
        result = await self.open(self.browse, path, title, f"?stream={self.stream}" if self.on_time_travel else "")
        if self.on_time_travel:
            await self.browse.get_by_role("heading", name=" · ").first.wait_for()
        return [result]

    async def command(self) -> Result:
        page = self.commands
        await choose(page, "Customer", None, self.rng.randrange(8))
        await choose(page, "Product 1", None, self.rng.randrange(8))
        await page.get_by_label("Quantity 1", exact=True).fill(str(self.rng.randint(1, 5)))
        started = time.perf_counter()
        await page.get_by_role("button", name="Send the command").click()
        text = await page.wait_for_function(
            """(prev) => { const a = [...document.querySelectorAll('[data-testid="stAlert"]')]
                 .map(e => e.textContent).find(t => /accepted\\.|[Rr]efused|Please correct|Conflict/.test(t));
               return a && a !== prev && """ + IDLE + """ ? a : null; }""",
            arg=self.last_alert, polling=25, timeout=TIMEOUT_MS)
        seconds = time.perf_counter() - started
        self.last_alert = await text.json_value()
        found = await problems(page)
        if "accepted." not in self.last_alert:
            found.append(f"command refused: {self.last_alert[:160]}")
        return Result("command", seconds, found)

    async def step(self) -> Result:
        page = self.browse
        heading = await page.get_by_role("heading", name=" · ").first.inner_text()
        version = int(heading.split(" ", 1)[0].lstrip("v"))
        button, target = ("Previous", version - 1) if version > 0 else ("Last", None)
        started = time.perf_counter()
        await page.get_by_role("button", name=button, exact=True).click()
        await page.wait_for_function(
            """([old, target]) => { const h = [...document.querySelectorAll('h3')].map(e => e.textContent)
                 .find(t => / · /.test(t) && /^v\\d+/.test(t));
               if (!h || (target === null ? h.startsWith(old + ' ') : !h.startsWith('v' + target + ' '))) return false;
               return """ + IDLE + "; }",
            arg=[f"v{version}", target], polling=25, timeout=TIMEOUT_MS)
        return Result("step", time.perf_counter() - started, await problems(page))


async def choose(page, label: str, option: str | None, index: int = 0) -> None:
    """Pick from a Streamlit select box as a person does: open it, click an option (by text, or the n-th)."""
    await page.get_by_label(label, exact=True).click()
    listbox = page.get_by_role("option")
    target = listbox.filter(has_text=option).first if option else listbox.nth(index)
    await target.click()


async def problems(page) -> list[str]:
    return await page.evaluate(PROBLEMS)


# ---------------------------------------------------------------- phases
@dataclass
class Phase:
    name: str
    results: list[Result]
    server_cpu: float
    driver_cpu: float
    chromium_cpu: float
    wall: float


class Meter:
    def __init__(self, server_pid: int, servers: set[int]):
        self.server_pid, self.servers = server_pid, servers

    def sample(self) -> tuple[float, float, float, float]:
        own, chromium = driver_cpu(self.servers)
        return cpu_seconds(self.server_pid), own, chromium, time.perf_counter()

    def phase(self, name: str, before, results: list[Result]) -> Phase:
        after = self.sample()
        return Phase(name, results, *(a - b for a, b in zip(after, before)))


async def new_contexts(playwright, sessions: int, browsers: int):
    opened = [await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
              for _ in range(max(1, browsers))]
    contexts = [await opened[i % len(opened)].new_context(viewport={"width": 1400, "height": 1000})
                for i in range(sessions)]
    return opened, contexts


async def bare_baseline(playwright, base: str, meter: Meter, repeat: int) -> tuple[Phase, Phase]:
    browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = await (await browser.new_context()).new_page()
    opens, clicks = [], []
    await page.goto(base)  # warm-up, not measured: the server's first session
    await page.wait_for_function(f"() => document.body.textContent.includes('Pressed 0 times') && {IDLE}",
                                 polling=25, timeout=TIMEOUT_MS)
    before = meter.sample()
    for _ in range(repeat):
        started = time.perf_counter()
        await page.goto(base, wait_until="commit")
        await page.wait_for_function("() => [...document.querySelectorAll('h1')].some(h => h.textContent.trim() "
                                     "=== 'Bare') && " + IDLE, polling=25, timeout=TIMEOUT_MS)
        opens.append(Result("open", time.perf_counter() - started))
    open_phase = meter.phase("bare: open", before, opens)
    before = meter.sample()
    for n in range(1, repeat + 1):
        started = time.perf_counter()
        await page.get_by_role("button", name="Press").click()
        await page.wait_for_function(f"() => document.body.textContent.includes('Pressed {n} times') && {IDLE}",
                                     polling=25, timeout=TIMEOUT_MS)
        clicks.append(Result("click", time.perf_counter() - started))
    click_phase = meter.phase("bare: button", before, clicks)
    await browser.close()
    return open_phase, click_phase


class Profiler:
    """py-spy recording the server while one phase runs (``--profile DIR``): collapsed stacks per phase."""

    def __init__(self, pid: int, folder: str | None):
        self.pid, self.folder, self.proc = pid, Path(folder) if folder else None, None

    def start(self, name: str) -> None:
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)
            out = self.folder / f"{name.replace(' ', '_').replace(':', '')}.txt"
            self.proc = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                                          str(self.pid), "--rate", "200", "--nonblocking", "--format", "raw",
                                          "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.proc:
            self.proc.send_signal(2)  # SIGINT: py-spy writes its file and exits
            self.proc.wait(30)
            self.proc = None


async def alone(playwright, base: str, stream: str, meter: Meter, repeat: int, profiler: Profiler,
                kinds: tuple[str, ...] = ("command", "step", "open")) -> list[Phase]:
    """Each kind of action alone (of ``kinds``), one session, one after the other: the server's CPU per action."""
    browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    person = Participant(context, base, stream, random.Random(1))
    await person.setup()
    for kind in ("command", "step"):  # warm-up, not measured: first imports and caches
        await person.act(kind)
    for path, title in PAGES:
        await person.open(person.browse, path, title)
    person.on_time_travel = False
    before = meter.sample()  # the server with this session's two tabs open and nobody acting: its own upkeep
    await asyncio.sleep(IDLE_SECONDS)
    phases = [meter.phase("alone: idle", before, [])]
    for kind in (k for k in ("command", "step") if k in kinds):
        profiler.start(kind)
        before, results = meter.sample(), []
        for _ in range(repeat):
            results += await person.act(kind)
        phases.append(meter.phase(f"alone: {kind}", before, results))
        profiler.stop()
    for path, title in PAGES if "open" in kinds else []:
        profiler.start(f"open {path}")
        before = meter.sample()
        results = [await person.open(person.browse, path, title) for _ in range(max(2, repeat // 3))]
        phases.append(meter.phase(f"alone: open {path}", before, results))
        profiler.stop()
    await browser.close()
    return phases


async def room(playwright, base: str, streams: list[str], meter: Meter, args) -> Phase:
    browsers, contexts = await new_contexts(playwright, args.sessions, args.browsers)
    people = [Participant(c, base, streams[i % len(streams)], random.Random(100 + i)) for i, c in enumerate(contexts)]
    setup = asyncio.Semaphore(4)  # the room arrives over a minute, not in one instant

    async def arrive(p):
        async with setup:
            await p.setup()
    await asyncio.gather(*(arrive(p) for p in people))
    before = meter.sample()  # everybody's tabs open, nobody acting: the server's upkeep for this many sessions
    await asyncio.sleep(IDLE_SECONDS)
    idle = meter.phase("room: idle", before, [])
    print(f"server upkeep with {args.sessions} sessions open and nobody acting: "
          f"{idle.server_cpu / idle.wall * 1000:.1f} ms per s of wall time")
    kinds, weights = zip(*args.mix.items())
    results: list[Result] = []
    end = time.perf_counter() + args.seconds

    async def live(p: Participant):
        next_start = time.perf_counter() + p.rng.uniform(0, args.every)
        while True:
            await asyncio.sleep(max(0.0, next_start - time.perf_counter()))
            if time.perf_counter() >= end:
                return
            kind = p.rng.choices(kinds, weights)[0]
            try:
                results.extend(await p.act(kind))
            except Exception as e:  # noqa: BLE001 - a timeout or a missing element is a failed action
                results.append(Result(kind, TIMEOUT_MS / 1000, [f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"]))
                p.on_time_travel = False
                p.last_alert = ""
            next_start += p.rng.uniform(args.every / 2, args.every * 1.5)
    before, memory = meter.sample(), rss_mb(meter.server_pid)
    await asyncio.gather(*(live(p) for p in people))
    phase = meter.phase(f"room: {args.sessions} sessions", before, results)
    print(f"server memory: {memory:.0f} MB when the room started, {rss_mb(meter.server_pid):.0f} MB at its end")
    for b in browsers:
        await b.close()
    return phase


# ---------------------------------------------------------------- printing
def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def line(name: str, results: list[Result], cpu_per_action: float | None, bare: float | None = None) -> None:
    rt = [r.seconds * 1000 for r in results]
    ratio = f"{cpu_per_action / bare:7.1f}x bare" if cpu_per_action is not None and bare else ""
    cpu = f"{cpu_per_action * 1000:8.0f} ms" if cpu_per_action is not None else " " * 11
    print(f"{name:<34} {len(results):>5} {sum(bool(r.problems) for r in results):>5} "
          f"{statistics.median(rt) if rt else float('nan'):>9.0f} {pct(rt, .95):>9.0f} {cpu} {ratio}")


def header(title: str) -> None:
    print(f"\n{title}\n{'':<34} {'acts':>5} {'fail':>5} {'median':>9} {'p95':>9} {'server CPU':>11}  (round trips in ms;"
          " CPU per action)")


def report(bare: tuple[Phase, Phase], phases: list[Phase], room_phase: Phase, args) -> None:
    bare_open, bare_click = bare
    per = {p.name: p.server_cpu / max(1, len(p.results)) for p in [bare_open, bare_click, *phases]}
    header("Baseline: a bare Streamlit page (title + one button), one session, sequential")
    for p in bare:
        line(p.name, p.results, per[p.name])
    idle = next((p for p in phases if p.name == "alone: idle"), None)
    phases = [p for p in phases if p is not idle]
    upkeep = idle.server_cpu / idle.wall if idle else 0.0
    header("Each kind alone, one session, sequential (server CPU attributed per kind)")
    if idle:
        print(f"{'idle (two tabs open, no action)':<34} {'':>5} {'':>5} {'':>9} {'':>9} {upkeep * 1000:8.1f} ms per s"
              " of wall time (the upkeep: file watchers, the worker's check, websockets)")
    for p in phases:
        bare_cpu = per[bare_click.name] if "open" not in p.name else per[bare_open.name]
        line(p.name, p.results, per[p.name], bare_cpu)
        if idle and p.results:
            own = (p.server_cpu - upkeep * p.wall) / len(p.results)
            print(f"{'  the action itself, upkeep out':<34} {'':>5} {'':>5} {'':>9} {'':>9} {own * 1000:8.0f} ms "
                  f"({p.wall / len(p.results):.1f} s of wall time per action)")
    for p in phases:
        for res in p.results:
            for problem in res.problems:
                print(f"  failure in {p.name}: {problem}")
    kinds = {kind: statistics.mean(cpu) for kind in ("command", "step", "open")
             if (cpu := [c for name, c in per.items() if name.startswith(f"alone: {kind}")])}
    r = room_phase
    if r is None:
        return
    header(f"The room: {args.sessions} sessions, each acting every {args.every:g} s on average, {args.seconds:g} s, "
           f"{args.browsers} Chromium process(es)")
    by_kind: dict[str, list[Result]] = {}
    for res in r.results:
        by_kind.setdefault(res.kind, []).append(res)
    line("all actions", r.results, r.server_cpu / max(1, len(r.results)))
    for kind, results in sorted(by_kind.items()):
        line(f"  {kind} (CPU alone)", results, kinds.get(kind), per[bare_click.name] if kind != "open"
             else per[bare_open.name])
    expected = sum(kinds.get(res.kind, 0) for res in r.results)
    print(f"\nserver CPU in the room: {r.server_cpu:.1f} s over {r.wall:.0f} s wall "
          f"({r.server_cpu / r.wall:.2f} cores); the kinds alone predict {expected:.1f} s")
    print(f"driver CPU in the room: Chromium {r.chromium_cpu:.1f} s ({r.chromium_cpu / max(1, len(r.results)) * 1000:.0f} "
          f"ms per action, {r.chromium_cpu / r.wall:.2f} cores), Python + Playwright node {r.driver_cpu:.1f} s")
    problems: dict[str, int] = {}
    for res in r.results:
        for p in res.problems:
            problems[p] = problems.get(p, 0) + 1
    for p, n in sorted(problems.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  failure x{n}: {p}")
    print(f"load average after the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


# ---------------------------------------------------------------- main
def demo_database(path: Path) -> Path:
    if not path.exists():
        from esengine.demo import create_demo_database
        t = time.perf_counter()
        create_demo_database(path, end=DEMO_END)
        print(f"built the demo database {path} in {time.perf_counter() - t:.0f} s")
    return path


def product_streams(db: Path, n: int) -> list[str]:
    import duckdb
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT stream_id FROM events WHERE stream_type = 'product' "
                                          "GROUP BY 1 ORDER BY max(version) DESC, 1 LIMIT ?", [n]).fetchall()]
    finally:
        con.close()


async def run(args) -> None:
    from playwright.async_api import async_playwright
    work = Path(tempfile.mkdtemp(prefix="bench_room_"))
    db = work / "room.duckdb"
    shutil.copy(demo_database(Path(args.db)), db)
    streams = product_streams(db, 25)
    (work / "bare.py").write_text(BARE_SCRIPT)
    print(f"streamlit options: {' '.join(args.option) or '(defaults)'}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
          f"database copy {db}")
    app, base = start_streamlit(ROOT / "app.py", ROOT, dict(os.environ, ESENGINE_DB=str(db)), work / "app.log", args.option)
    bare, bare_base = start_streamlit(work / "bare.py", work, dict(os.environ), work / "bare.log", args.option)
    if args.driver_nice:  # Playwright's node and Chromium start after this and inherit it; the servers do not
        os.setpriority(os.PRIO_PROCESS, 0, args.driver_nice)
        print(f"driver (this process, Playwright, Chromium) at nice {args.driver_nice}; the servers at nice 0")
    try:
        async with async_playwright() as pw:
            bare_meter = Meter(bare.pid, {app.pid, bare.pid})
            meter = Meter(app.pid, {app.pid, bare.pid})
            baseline = await bare_baseline(pw, bare_base, bare_meter, max(3, args.repeat))
            phases = await alone(pw, base, streams[0], meter, args.repeat, Profiler(app.pid, args.profile),
                                 tuple(args.kinds.split(","))) if args.repeat else []
            room_phase = await room(pw, base, streams, meter, args) if args.sessions else None
        report(baseline, phases, room_phase, args)
    finally:
        stop(app)
        stop(bare)
        print(f"logs in {work}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--db", default="/tmp/bench_room_demo.duckdb",
                        help="the demo database to copy (built here if missing)")
    parser.add_argument("--browsers", type=int, default=1, help="Chromium processes the sessions are spread over")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between a session's actions, on average")
    parser.add_argument("--repeat", type=int, default=9, help="actions per kind in the sequential phases")
    parser.add_argument("--kinds", default="command,step,open",
                        help="the kinds measured alone (sequential phases), e.g. --kinds command")
    parser.add_argument("--mix", default="command=0.4,step=0.4,open=0.2",
                        type=lambda s: {k: float(v) for k, v in (kv.split("=") for kv in s.split(","))})
    parser.add_argument("--option", action="append", default=[], metavar="--SECTION.NAME=VALUE",
                        help="a streamlit option for both servers, e.g. --option=--runner.postScriptGC=false")
    parser.add_argument("--driver-nice", type=int, default=0, metavar="N",
                        help="run the browsers at this niceness (e.g. 19), so that on one machine they take only the "
                             "CPU the server leaves, as participants' own machines would")
    parser.add_argument("--profile", metavar="DIR", help="record the server with py-spy in each sequential phase "
                        "(collapsed stacks, one file per phase; summarise with bench/profile_summary.py)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
