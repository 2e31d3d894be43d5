"""`stack`: wide to long, one row per raw record and group of columns (one per lab test);
`drop_empty` leaves out a group whose value was not collected (counted as not done)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import STACK_FIELD, BuildContext, Reconciliation
from cdiscflow.sdtm.steps import StepKind
from cdiscflow.spec import LoadedDomain


def columns(c: Check, s: Any, cols: list[str]) -> list[str]:
    used = {raw for g in s.groups.values() for raw in g.values()}
    for raw_col in sorted(used):
        if raw_col not in cols:
            raise c.error(f"stack column {raw_col!r} is not a column here")
    new_cols = {col for g in s.groups.values() for col in g}
    if s.drop_empty and s.drop_empty not in new_cols:
        raise c.error(f"drop_empty names {s.drop_empty!r}, not a stacked column")
    return [col for col in cols if col not in used] + [s.key, *sorted(new_cols)]


def run(ctx: BuildContext, ld: LoadedDomain, frame: pd.DataFrame, s: Any,
        recon: Reconciliation) -> pd.DataFrame:
    """One row per raw record and group, in raw order, each record's groups in declared
    order; every column is gathered with a single take (no concat, sort or copy of the
    whole frame per group)."""
    used = {raw for g in s.groups.values() for raw in g.values()}
    ident = [c for c in frame.columns if c not in used]
    groups = list(s.groups)
    new_cols = list(dict.fromkeys(c for g in groups for c in s.groups[g]))
    n, k = len(frame), len(groups)
    # long row r * k + g holds raw row r, group g; group-major stacking puts it at g * n + r
    order = np.arange(n * k).reshape(k, n).T.ravel()
    stacked = {c: _stacked_column(frame, s, groups, c, order) for c in new_cols}
    keep = np.ones(n * k, dtype=bool)
    if s.drop_empty:
        keep = ~pd.isna(stacked[s.drop_empty]).to_numpy(dtype=bool)
        recon.cells_not_done += int((~keep).sum())
    rows = np.repeat(np.arange(n), k)[keep]
    names = np.array(groups, dtype=object)[np.tile(np.arange(k), n)[keep]]
    long = {c: frame[c].iloc[rows].reset_index(drop=True) for c in ident}
    long[s.key] = pd.Series(names, dtype="string")
    long[STACK_FIELD] = long[s.key]
    for c in new_cols:
        long[c] = stacked[c][keep].reset_index(drop=True)
    return pd.DataFrame(long)


def _stacked_column(frame: pd.DataFrame, s: Any, groups: list[str], column: str,
                    order: np.ndarray) -> pd.Series:
    parts = []
    for g in groups:
        raw = s.groups[g].get(column)
        part = frame[raw] if raw else pd.Series(pd.NA, index=frame.index, dtype="string")
        parts.append(part.astype("string").reset_index(drop=True))
    return pd.concat(parts, ignore_index=True).iloc[order].reset_index(drop=True)


STEP = StepKind("stack", columns, run, lambda s: "", None)
