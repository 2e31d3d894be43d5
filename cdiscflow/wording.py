"""Parameter values in words, for the method texts a reviewer reads in define.xml: lists joined
with commas and "and", booleans as yes/no, never Python notation (``[False, True]``). Shared by
the SDTM derivations, which word their own methods, and the ADaM define."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def words(value: Any) -> str:
    """A parameter value as text: lists joined with commas and "and", booleans as yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        items = [words(v) for v in value]
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + " and " + items[-1]
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {words(v)}" for k, v in value.items())
    return str(value)


def either(value: Any) -> str:
    """One value, or a list of them joined by "or"."""
    items = [words(v) for v in value] if isinstance(value, (list, tuple)) else [words(value)]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
