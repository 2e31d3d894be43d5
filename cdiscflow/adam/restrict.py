"""admiral's ``restrict_derivation``: a derivation applied only to the records meeting a
condition; the other records pass through unchanged (missing in any variable it adds)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cdiscflow.adam.conditions import Where, evaluate

_ROW = "__restrict_row__"


def restrict_derivation(df: pd.DataFrame, derivation: Callable[[pd.DataFrame], pd.DataFrame],
                        filter: Where) -> pd.DataFrame:
    """``derivation`` run on the records of ``df`` meeting ``filter`` alone (by-group steps
    see only those records), then the others put back. Records keep their places (a record
    the derivation adds goes after all of them), so a later stable sort breaks ties as it
    would have without the restriction."""
    chosen = evaluate(filter, df).to_numpy(dtype=bool)
    numbered = df.assign(**{_ROW: np.arange(len(df), dtype=float)})
    derived = derivation(numbered[chosen].reset_index(drop=True))
    if _ROW not in derived.columns:
        raise ValueError("the restricted derivation dropped its records' numbers")
    added = len(derived) - int(chosen.sum())
    if added > 0:
        # steps append the records they add; a copy of a record (derive_extreme_records)
        # carries its number, so clear it: added records go after every record
        derived = derived.reset_index(drop=True)
        derived.loc[len(derived) - added:, _ROW] = np.nan
    rest = numbered[~chosen]
    new_vars = [c for c in derived.columns if c not in rest.columns]
    if rest.empty:
        out = derived
    elif derived.empty:
        out = rest.assign(**{c: None for c in new_vars})
    else:
        out = pd.concat([derived, rest], ignore_index=True)
    out = out.sort_values(_ROW, kind="mergesort", na_position="last")
    return out.drop(columns=[_ROW]).reset_index(drop=True)
