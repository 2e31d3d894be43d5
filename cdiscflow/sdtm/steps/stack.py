"""`stack`: wide to long, one row per raw record and group of columns (one per lab test), a
group's constants (its unit) on its rows; `drop_empty` or a `keep:` condition leaves out a row
that was not collected (counted as not done)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cdiscflow.expr import BOOL, Expression
from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import STACK_FIELD, BuildContext, Reconciliation
from cdiscflow.sdtm.steps import StepKind
from cdiscflow.spec import LoadedDomain


def _used(s: Any) -> set[str]:
    return {raw for g in s.groups for raw in s.raw_columns(g).values()}


def columns(c: Check, s: Any, cols: list[str]) -> list[str]:
    used = _used(s)
    for raw_col in sorted(used):
        if raw_col not in cols:
            raise c.error(f"stack column {raw_col!r} is not a column here")
    new_cols = {col for g in s.groups.values() for col in g}
    if s.drop_empty and s.drop_empty not in new_cols:
        raise c.error(f"drop_empty names {s.drop_empty!r}, not a stacked column")
    after = [col for col in cols if col not in used] + [s.key, *sorted(new_cols)]
    if s.keep is not None:
        Check(c.ctx, c.ld, set(after), c.path).expression(Expression.parse(s.keep), "keep",
                                                         want=BOOL)
    return after


def run(ctx: BuildContext, ld: LoadedDomain, frame: pd.DataFrame, s: Any,
        recon: Reconciliation) -> pd.DataFrame:
    """One row per raw record and group, in raw order, each record's groups in declared
    order; every column is gathered with a single take (no concat, sort or copy of the
    whole frame per group)."""
    used = _used(s)
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
    rows = np.repeat(np.arange(n), k)[keep]
    names = np.array(groups, dtype=object)[np.tile(np.arange(k), n)[keep]]
    long = {c: frame[c].iloc[rows].reset_index(drop=True) for c in ident}
    long[s.key] = pd.Series(names, dtype="string")
    long[STACK_FIELD] = long[s.key]
    for c in new_cols:
        long[c] = stacked[c][keep].reset_index(drop=True)
    out = pd.DataFrame(long)
    dropped = int((~keep).sum())
    if s.keep is not None:
        kept = Expression.parse(s.keep).mask(out).to_numpy(dtype=bool)
        dropped += int((~kept).sum())
        out = out[kept].reset_index(drop=True)
    recon.cells_not_done += dropped
    return out


def _stacked_column(frame: pd.DataFrame, s: Any, groups: list[str], column: str,
                    order: np.ndarray) -> pd.Series:
    parts = []
    for g in groups:
        raw = s.groups[g].get(column)
        if isinstance(raw, str):
            part = frame[raw]
        else:  # a constant of the group (a unit per test), or blank where the group lacks it
            part = pd.Series(pd.NA if raw is None else raw.constant, index=frame.index,
                             dtype="string")
        parts.append(part.astype("string").reset_index(drop=True))
    return pd.concat(parts, ignore_index=True).iloc[order].reset_index(drop=True)


STEP = StepKind("stack", columns, run, lambda s: "", None)
