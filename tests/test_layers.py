"""The import contracts in pyproject.toml ([tool.importlinter]): layers point one way, no cycles."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold():
    done = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_every_package_and_module_of_the_bot_sits_in_a_layer():
    """A new top-level module or package must be given a layer, or the contract would not see it."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]
    layered = {name.strip() for layer in config["layers"] for name in layer.split("|")}
    found = {f"bot.{p.stem}" for p in (REPO / "bot").iterdir()
             if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    assert found - layered == set()
