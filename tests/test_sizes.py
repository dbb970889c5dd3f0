"""Classes and functions a reader can hold in their head: in ``bot/`` and ``ingestion/`` no class is over
150 lines and no function over 60, unless its docstring gives the reason on a line starting
"Long because"."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "ingestion")
MAX_LINES = {"class": 150, "function": 60}
REASON = "Long because"


def too_long(source: str, where: str) -> list[str]:
    """Every class and function (methods and nested ones too) over its limit without a reason."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        kind = "class" if isinstance(node, ast.ClassDef) else "function"
        lines = node.end_lineno - node.lineno + 1
        reasons = [line for line in (ast.get_docstring(node) or "").splitlines() if line.startswith(REASON)]
        if lines > MAX_LINES[kind] and not reasons:
            found.append(f"{where}:{node.lineno} {kind} {node.name}: {lines} lines")
    return found


def test_no_class_or_function_is_too_long_without_a_reason():
    found = [problem for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))
             for problem in too_long(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))]
    assert found == [], (f"split these, or say why in their docstring (a line starting {REASON!r}): "
                         + "; ".join(found))


def test_the_check_finds_a_long_function_and_accepts_its_reason():
    body = "".join(f"    x{i} = {i}\n" for i in range(60))
    bare = f"def long():\n{body}"
    reasoned = f'def long():\n    """Adds.\n\n    {REASON} it is a table.\n    """\n{body}'
    method = "class Holder:\n" + textwrap.indent(bare, "    ")
    assert too_long(bare, "m.py") == ["m.py:1 function long: 61 lines"]
    assert too_long(reasoned, "m.py") == []
    assert too_long(method, "m.py") == ["m.py:2 function long: 61 lines"]
