"""A plain `pip install cdiscflow` must give a working CLI: every module the package imports is
either in the standard library or declared in setup.cfg's install_requires."""

from __future__ import annotations

import ast
import configparser
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# import name -> distribution name, where they differ
DISTRIBUTION = {"yaml": "pyyaml", "PIL": "pillow"}


def _imported_top_levels() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted((ROOT / "cdiscflow").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def _install_requires() -> set[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    lines = cfg["options"]["install_requires"].strip().splitlines()
    return {re.split(r"[<>=!~\[; ]", line.strip())[0].lower() for line in lines if line.strip()}


def test_every_third_party_import_is_a_runtime_dependency() -> None:
    declared = _install_requires()
    missing = {
        name: where
        for name, where in _imported_top_levels().items()
        if name not in sys.stdlib_module_names and name != "cdiscflow"
        and DISTRIBUTION.get(name, name).lower() not in declared
    }
    assert missing == {}


def test_constraints_pin_every_runtime_dependency() -> None:
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[name.lower().replace("_", "-")] = version
    assert all(version for version in pinned.values())
    assert {d.replace("_", "-") for d in _install_requires()} - set(pinned) == set()
