"""Shared fixtures: engines on real DuckDB files, a demo database, a running app and a browser."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

def _datasets() -> Path:
    """The shared real event logs: ``$ESENGINE_DATASETS``, else ``../shared/datasets`` beside the checkout
    (this workplace keeps them at /work/shared/datasets, also when the checkout lives elsewhere)."""
    candidates = [Path(os.environ["ESENGINE_DATASETS"])] if os.environ.get("ESENGINE_DATASETS") else []
    candidates += [ROOT.parent / "shared" / "datasets", Path("/work/shared/datasets")]
    return next((c for c in candidates if c.is_dir()), candidates[0])


DATASETS = _datasets()
DEMO_END = datetime(2026, 6, 1)  # a fixed end, so the demo history is the same in every run
SERVER_LOGS: dict[str, Path] = {}  # a running app's base URL -> the file its output goes to
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture
def engine(tmp_path):
    """A fresh, empty engine (Orders domain wired) on a DuckDB file in tmp_path."""
    from esengine import Engine
    with Engine(tmp_path / "store.duckdb") as e:
        yield e


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A demo database (20k events, seed 7, ending 2026-06-01), built once per test session. Do not write to it:
    use ``demo_copy`` or ``demo_engine``."""
    from esengine.demo import create_demo_database
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    create_demo_database(path, end=DEMO_END)
    return path


@pytest.fixture
def demo_copy(demo_db, tmp_path) -> Path:
    """A private copy of the demo database, free to change."""
    target = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, target)
    return target


@pytest.fixture
def demo_engine(demo_copy):
    from esengine import Engine
    with Engine(demo_copy) as e:
        yield e


def app_on(db: Path, monkeypatch, **env: str):
    """For AppTest: point the app at ``db`` (``env`` added to the environment) with fresh engine and data caches,
    cleared again afterwards (use with ``yield from`` in a fixture)."""
    import streamlit as st
    monkeypatch.setenv("ESENGINE_DB", str(db))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield db
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def app_env(demo_copy, monkeypatch):
    """For AppTest: point the app at a private demo copy, with a fresh engine cache."""
    yield from app_on(demo_copy, monkeypatch)


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def app_server(demo_copy):
    """A real `streamlit run app.py` on a free port over a private demo copy; yields its base URL."""
    yield from serve_app(demo_copy)


def serve_app(db: Path, **extra: str):
    """Start `streamlit run app.py` on a free port over ``db`` (``extra`` added to its environment), yield its
    base URL once it answers, and stop it afterwards (use with ``yield from`` in a fixture)."""
    port = _free_port()
    env = dict(os.environ, ESENGINE_DB=str(db), **extra)
    log = open(db.with_suffix(".log"), "w")  # noqa: SIM115 - the server writes to it until teardown
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false",
                             "--server.fileWatcherType", "none"],  # nothing changes under a test: watch nothing
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    SERVER_LOGS[base] = Path(log.name)
    deadline = time.monotonic() + 120
    while True:
        try:
            if urllib.request.urlopen(base + "/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app did not start; see {log.name}")
            time.sleep(0.3)  # polling a port that is not open yet, not waiting for work to finish
    yield base
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    SERVER_LOGS.pop(base, None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test's report carries what the app printed and what the page showed as an error: a
    failure seen only in CI can then be told from the report alone."""
    report = yield
    if report.when == "call" and report.failed:
        for value in item.funcargs.values():
            if isinstance(value, str) and value in SERVER_LOGS:
                lines = SERVER_LOGS[value].read_text(encoding="utf-8", errors="replace").splitlines()
                report.sections.append(("the app's output (last 60 lines)", "\n".join(lines[-60:])))
        page = item.funcargs.get("page")
        if page is not None:
            try:
                shown = page.locator('[data-testid="stException"], [data-testid="stAlert"], '
                                     '[data-testid="stDownloadButtonError"]').all_inner_texts()
            except Exception as e:  # noqa: BLE001 - a page that is gone is itself worth reporting
                shown = [f"(the page could not be read: {e})"]
            report.sections.append(("errors and notices on the page", "\n---\n".join(shown) or "(none)"))
    return report


@pytest.fixture(scope="session")
def browser():
    """Debian's headless chromium through Playwright. Under CI=true a missing browser fails the test."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def wait_for_app(page) -> None:
    """Wait until Streamlit has finished running the script (the status widget is gone)."""
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=120_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)


def settle(page) -> None:
    """Wait until the run is over and no element of the previous run is left (Streamlit marks them stale)."""
    wait_for_app(page)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=120_000)


def app_test(path: str, timeout: float = 60):
    """An AppTest of a project file given from the project root, e.g. ``app_test("pages/overview.py")``."""
    from streamlit.testing.v1 import AppTest
    return AppTest.from_file(str(ROOT / path), default_timeout=timeout)


def unlocked_page(path: str, given: str | None = None, timeout: float = 120, **params):
    """An AppTest of a page opened with ``params`` in its URL, the facilitator's passphrase ``given`` typed in."""
    at = app_test(path, timeout=timeout)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if given is not None:
        at.sidebar.text_input(key="room_passphrase_input").input(given).run()
    return at
