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
OWN = ("/app.py", "/pages/", "/ui/", "/esengine/")


def frames(line: str) -> tuple[list[tuple[str, str]], int]:
    stack, count = line.rsplit(" ", 1)
    parsed = []
    for part in stack.split(";"):
        m = FRAME.match(part)
        if m:
            parsed.append((m["func"], m["file"]))
    return parsed, int(count)


def package(file: str) -> str:
    if any(o in file for o in OWN):
        return "project: " + re.sub(r".*/(app\.py|pages/|ui/|esengine/)", r"\1", file)
    m = re.search(r"site-packages/([^/]+)", file) or re.search(r"python3\.\d+/([^/]+)", file)
    return m[1].removesuffix(".py") if m else file


def summarise(path: Path, top: int) -> None:
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        stack, count = frames(line)
        total += count
        seen = set()
        for func, file in stack:
            if any(o in file for o in OWN):
                name = f"{func} ({re.sub(r'.*/(app.py|pages/|ui/|esengine/)', r'\1', file)})"
                if name not in seen:
                    seen.add(name)
                    inclusive[name] += count
        if stack:
            leaves[package(stack[-1][1])] += count
    print(f"\n== {path.stem}: {total} samples")
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
