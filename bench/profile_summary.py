"""Summarise py-spy's collapsed stacks (``bench_room.py --profile DIR``): where the server's CPU goes per phase.

Run: ``.venv/bin/python bench/profile_summary.py DIR [--top 25]``. For each file in DIR, prints the share of
the samples (inclusive: a function counts every sample it is on the stack of) for the project's own functions
(app.py, pages/, ui/, esengine/) and, by package, where the time finally lands (the innermost frame's
package: streamlit, pandas, duckdb, plotly, pyarrow, tornado, ...). Multiply a share by the CPU per action
that bench_room.py printed for the same phase to get milliseconds.
"""
from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")
OWN = ("app.py", "pages/", "ui/", "esengine/")
PAGE_FILES = {p.name for p in (Path(__file__).resolve().parents[1] / "pages").glob("*.py")}
# Innermost frames where a thread waits rather than works (py-spy's --nonblocking mode samples some of them).
IDLE = (("polling_path_watcher.py", "task"), ("selectors.py", "select"), ("concurrent/futures/thread.py", "_worker"),
        ("threading.py", "wait"))


def own(file: str) -> bool:
    return file.startswith(OWN) or "/" not in file and file in PAGE_FILES


def idle(func: str, file: str) -> bool:
    return any(file.endswith(f) and (func == fn or func.endswith("." + fn) or fn in func) for f, fn in IDLE)


def frames(line: str) -> tuple[list[tuple[str, str]], int]:
    stack, count = line.rsplit(" ", 1)
    parsed = []
    for part in stack.split(";"):
        m = FRAME.match(part)
        if m:
            parsed.append((m["func"], m["file"]))
    return parsed, int(count)


MARKED = {("ScriptRunner._on_script_finished", "streamlit/runtime/scriptrunner/script_runner.py"),
          ("AppSession._handle_rerun_script_request", "streamlit/runtime/app_session.py"),
          ("StaticFiles.get_response", "starlette/staticfiles.py")}


def short(file: str) -> str:
    return re.sub(r".*/(app\.py|pages/|ui/|esengine/)", r"\1", file)


def package(file: str) -> str:
    if own(file):
        return "project: " + short(file)
    if "gc.collect" in file:
        return file
    return file.split("/", 1)[0].removesuffix(".py")


def summarise(path: Path, top: int) -> None:
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = skipped = 0
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        stack, count = frames(line)
        if not stack or idle(*stack[-1]):
            skipped += count
            continue
        total += count
        seen = set()
        for func, file in stack:
            if own(file) or (func, file) in MARKED:
                name = f"{func} ({short(file)})"
                if name not in seen:
                    seen.add(name)
                    inclusive[name] += count
        func, file = stack[-1]
        leaves["gc.collect after the run (runner.postScriptGC)" if "_on_script_finished" in func
               else package(file)] += count
    print(f"\n== {path.stem}: {total} busy samples ({skipped} idle left out)")
    if not total:
        return
    for name, n in inclusive.most_common(top):
        print(f"  {100 * n / total:5.1f}%  {name}")
    print("  -- where the time lands (innermost frame's package):")
    for name, n in leaves.most_common(12):
        print(f"  {100 * n / total:5.1f}%  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    for path in sorted(Path(args.folder).glob("*.txt")):
        summarise(path, args.top)


if __name__ == "__main__":
    main()
