"""Sort orders of the ADaM spec (every ``order:``): variables, each ascending or descending.

An order is written as a list whose items are a variable name (ascending), the name with a
leading minus (``-AVAL``: descending) or ``{var: AVAL, desc: true}``. Both spellings become the
minus form when the spec is loaded, so derivations see one form. Missing values sort last in
either direction (as dplyr's ``arrange``, which admiral uses), and ties keep the records' order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

import pandas as pd
from pydantic import BeforeValidator

_ITEM = re.compile(r"^-?[A-Za-z_][A-Za-z0-9_.]*$")


def _normalise(item: Any) -> str:
    if isinstance(item, dict):
        unknown = set(item) - {"var", "desc"}
        if unknown or not isinstance(item.get("var"), str):
            raise ValueError("an order item is a name, -NAME or {var: NAME, desc: true}"
                             + (f" (unknown key {sorted(unknown)[0]!r})" if unknown else ""))
        if not isinstance(item.get("desc", False), bool):
            raise ValueError("desc is true or false")
        item = ("-" if item.get("desc") else "") + item["var"]
    if not isinstance(item, str) or not _ITEM.match(item):
        raise ValueError(f"an order item is a name, -NAME or {{var: NAME, desc: true}}, "
                         f"not {item!r}")
    return item


# one item of an ``order:`` list, as loaded: "AVAL" or "-AVAL"
OrderItem = Annotated[str, BeforeValidator(_normalise)]


def order_vars(order: Sequence[str]) -> list[str]:
    """The variables an order reads (without the minus signs)."""
    return [o.lstrip("-") for o in order]


def sort_records(frame: pd.DataFrame, by_vars: Sequence[str], order: Sequence[str] = ()
                 ) -> pd.DataFrame:
    """``frame`` sorted by ``by_vars`` (ascending) then ``order``; stable, so ties keep the
    records' order (SAS and admiral behave the same way)."""
    names = [*by_vars, *order_vars(order)]
    ascending = [True] * len(by_vars) + [not o.startswith("-") for o in order]
    if not names:
        return frame
    return frame.sort_values(names, ascending=ascending, kind="mergesort")
