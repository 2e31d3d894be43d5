"""`stack`: wide to long, one row per raw record and group of columns (one per lab test), a
group's constants (its unit) on its rows; `drop_empty` or a `keep:` condition leaves out a row
that was not collected (counted as not done)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from cdiscflow.codedtext import STRING, arrow, text_series
from cdiscflow.codes import Codes, factorised, spread, spread_values, take
from cdiscflow.expr import BOOL, Expression
from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import STACK_FIELD, BuildContext, Reconciliation
from cdiscflow.sdtm.provenance import ColumnOrigin, form_text
from cdiscflow.sdtm.steps import StepKind
from cdiscflow.spec import FormSpec, LoadedDomain


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
    stacked = {c: _group_major(frame, s, groups, c) for c in new_cols}
    keep = None
    if s.drop_empty:
        keep = stacked[s.drop_empty].is_valid().to_numpy(zero_copy_only=False)[order]
        if keep.all():
            keep = None  # every long row kept: no selection of a million positions

    def kept(positions: np.ndarray) -> np.ndarray:
        if keep is not None:
            positions = positions[keep]
        positions.flags.writeable = False  # (shared as codes, not copied)
        return positions

    # the stacked values' positions, kept rows only: each column is taken once
    picked = pa.array(kept(order))
    rows = kept(np.repeat(np.arange(n, dtype=np.int32), k))
    index = pd.RangeIndex(len(rows))
    # with every raw record still present, a text column's codes on the long rows are its
    # codes on the raw rows repeated (still in order of first appearance): passed on with
    # it, so the derivations that number USUBJID, the visit or the date later do not hash a
    # million values again
    whole = n * k > 0 and (keep is None or bool(keep.reshape(n, k).any(axis=1).all()))
    # the long rows numbered by their raw record: every repeated column's codes map it, so
    # columns combined later (USUBJID and the date) are combined per raw record
    records = Codes.of(rows, n) if whole else None
    long = {c: _repeated(frame[c], rows, index, records) for c in ident}
    # the key's codes (the group of each row) are known: passed on, not hashed later
    names = text_series(pa.array(groups, type=pa.large_string()), pd.RangeIndex(k))
    group_of = kept(np.tile(np.arange(k, dtype=np.int32), n))
    if keep is None and n:
        # every record has every group: the groups first appear in declared order, so the
        # group numbers are the codes already
        long[s.key] = spread(names, Codes.of(group_of, k), index, distinct=True)
    else:
        long[s.key] = spread_values(names, group_of, index)
    long[STACK_FIELD] = long[s.key]
    for c in new_cols:
        long[c] = text_series(stacked[c].take(picked), index)
    out = pd.DataFrame(long, copy=False)  # (pandas copies a dict's numpy columns otherwise)
    dropped = 0 if keep is None else int((~keep).sum())
    if s.keep is not None:
        kept = Expression.parse(s.keep).mask(out).to_numpy(dtype=bool)
        dropped += int((~kept).sum())
        out = out[kept].reset_index(drop=True)
    recon.cells_not_done += dropped
    return out


def _repeated(col: pd.Series, rows: np.ndarray, index: pd.RangeIndex,
              records: Codes | None) -> pd.Series:
    """``col`` at ``rows`` (each raw row repeated for its groups), with its codes through
    ``records`` (the long rows' raw records, given when every raw row is among ``rows``)."""
    if records is None or col.dtype != STRING:
        return take(col, rows, index)
    known, distinct = factorised(col)
    return spread(distinct[0].rename(col.name),
                  Codes.through(records, known.codes, known.size), index, distinct=True)


def _group_major(frame: pd.DataFrame, s: Any, groups: list[str], column: str) -> pa.Array:
    """A stacked column's values, group after group (group g's rows at g * n + r), as text:
    the raw column of each group, or its constant (a unit per test), or blank where the
    group lacks the column."""
    parts = []
    for g in groups:
        raw = s.groups[g].get(column)
        if isinstance(raw, str):
            parts.append(arrow(frame[raw]))
        else:
            value = pa.array([None if raw is None else str(raw.constant)],
                             type=pa.large_string())
            parts.append(value.take(pa.array(np.zeros(len(frame), dtype=np.int64))))
    return pa.concat_arrays(parts) if parts else pa.array([], type=pa.large_string())


def origin(s: Any, column: str, forms: Mapping[str, FormSpec], source: str
           ) -> ColumnOrigin | None:
    """A stacked column comes from one field per group (test) of the source form, or is a
    constant the mapping assigns per group (a unit per test), collected nowhere; its key
    column holds the group's name."""
    if column == s.key:
        return ColumnOrigin(f"{form_text(forms, source)}, the name of the group of fields each "
                            f"record was stacked from ({', '.join(s.groups)})")
    if not any(column in g for g in s.groups.values()):
        return None
    fields = [cols[column] for g in s.groups if column in (cols := s.raw_columns(g))]
    if fields:
        return ColumnOrigin(f"{form_text(forms, source)}, one record per test from fields "
                            f"{', '.join(fields)}")
    values = ", ".join(f"{g[column].constant} ({name})"
                       for name, g in s.groups.items() if column in g)
    return ColumnOrigin(f"assigned per test by the mapping: {values}")


STEP = StepKind("stack", columns, run, lambda s: "", None, origin)
