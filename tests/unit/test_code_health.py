"""The linter and the type checker pass on the whole project (configured in pyproject.toml), and the engine's
packages do not import each other in a circle."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def test_ruff_finds_nothing() -> None:
    done = _run(str(BIN / "ruff"), "check", ".", "--no-cache", "--output-format", "concise")
    assert done.returncode == 0, f"ruff check . found problems:\n{done.stdout}{done.stderr}"


def test_mypy_finds_nothing() -> None:
    done = _run(sys.executable, "-m", "mypy")  # the files and options are in pyproject.toml
    assert done.returncode == 0, f"mypy found problems:\n{done.stdout}{done.stderr}"


def _imports(package: str) -> dict[str, set[str]]:
    """For each module of ``package`` (``esengine.x.y``), the esengine modules it imports at any level."""
    graph: dict[str, set[str]] = {}
    for path in (ROOT / package.replace(".", "/")).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        graph[module] = {name for name in found if name.startswith("esengine.")}
    return graph


def _package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_core_and_store_do_not_import_each_other_both_ways() -> None:
    """``esengine.core`` may use the store or the store the core, not both: a cycle between them would mean
    neither can be read, tested or replaced alone."""
    uses = {package: {_package_of(name) for module, names in _imports(package).items() for name in names}
            for package in ("esengine.core", "esengine.store")}
    core_uses_store = "esengine.store" in uses["esengine.core"]
    store_uses_core = "esengine.core" in uses["esengine.store"]
    assert not (core_uses_store and store_uses_core), (
        f"esengine.core imports {sorted(uses['esengine.core'])}; esengine.store imports {sorted(uses['esengine.store'])}")


def test_no_two_packages_of_the_engine_import_each_other_in_a_circle() -> None:
    """Each package of the engine (``esengine.core``, ``.store``, ``.projections``, ``.timetravel``, ``.domains``,
    ...) can be read and tested with only what it imports: the packages form layers, with no circle through
    several of them (``domains -> projections -> timetravel -> domains`` was one). The top-level ``esengine``
    only re-exports the public API, so it is left out."""
    uses: dict[str, set[str]] = {}
    for module, names in _imports("esengine").items():
        package = _package_of(module)
        uses.setdefault(package, set()).update(_package_of(n) for n in names if _package_of(n) != package)
    uses.pop("esengine", None)

    def circle_from(start: str) -> list[str] | None:
        paths = [[start]]
        while paths:
            path = paths.pop()
            for after in sorted(uses.get(path[-1], ())):
                if after == start:
                    return [*path, start]
                if after not in path and after != "esengine":
                    paths.append([*path, after])
        return None

    circles = [" -> ".join(c) for p in sorted(uses) if (c := circle_from(p))]
    assert not circles, "packages importing each other in a circle:\n" + "\n".join(circles)
