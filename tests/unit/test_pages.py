"""What every page of the app must do before it draws anything, checked in its source."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ui.navigation import PAGES

ROOT = Path(__file__).resolve().parents[2]


def _module_level_calls(file: str) -> list[str]:
    """The page's module-level statements that call something, in order, as source text."""
    tree = ast.parse((ROOT / file).read_text(encoding="utf-8"))
    return [ast.unparse(node) for node in tree.body
            if (isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant))  # not the docstring
            or isinstance(node, ast.With) or (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call))]


@pytest.mark.parametrize("file", [file for file, _, _ in PAGES])
def test_a_page_calls_the_first_visit_guard_before_it_draws_anything(file):
    """A page opened by its URL as the first visit to a server runs outside app.py's router; the guard must be the
    first thing the page does, or the browser shows only what was drawn before it (ui/navigation.py)."""
    calls = _module_level_calls(file)
    assert calls and calls[0] == "stay_on_the_router()", f"{file} first runs {calls[:1]}"


def test_no_page_imports_the_router():
    """A page that imported app.py would run the router twice and draw the page twice."""
    for file, _, _ in PAGES:
        tree = ast.parse((ROOT / file).read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "app" not in names, file
