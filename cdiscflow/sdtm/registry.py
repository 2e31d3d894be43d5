"""Finding the constructs of a package: every module of it defines one, under one attribute
name (``SOURCE`` in ``sources/``, ``STEP`` in ``steps/``), keyed by the word a mapping file
writes. Adding a construct is adding a module; nothing else lists it."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from typing import Any


def discover(package: str, path: Iterable[str], attribute: str) -> dict[str, Any]:
    """Each module's ``attribute`` of the package, by its ``kind``."""
    found: dict[str, Any] = {}
    for module in pkgutil.iter_modules(path):
        construct = getattr(importlib.import_module(f"{package}.{module.name}"), attribute)
        found[construct.kind] = construct
    return found
