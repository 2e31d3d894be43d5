"""Identifier derivations: USUBJID and --SEQ."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdiscflow.codes import factorised, row_codes, stable_order
from cdiscflow.sdtm.derivations.registry import Param, derivation
from cdiscflow.textops import coerce_numbers
from cdiscflow.wording import words as in_words


@derivation(
    "usubjid",
    words=lambda p: (f"{in_words(p['parts'])} joined by "
                     f"'{p.get('separator', '-')}'; blank if any part is blank."),
    parts=Param("columns", doc="columns joined in order, e.g. [STUDYID, SITEID, SUBJID]"),
    separator=Param("value", required=False, default="-"),
)
def derive_usubjid(df: pd.DataFrame, *, new_var: str, parts: list[str], separator: str = "-"
                   ) -> pd.DataFrame:
    """USUBJID as the declared identifier parts joined by a separator (missing if any part is)."""
    out = df.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    value = out[parts[0]].astype("string")
    for part in parts[1:]:
        value = value + separator + out[part].astype("string")
    out[new_var] = value
    return out


@derivation(
    "seq",
    words=lambda p: (f"Sequence number 1, 2, ... within each "
                     f"{in_words(p.get('by') or ['USUBJID'])}, records ordered by "
                     f"{in_words(p['order'])}."),
    by=Param("columns", required=False, default=["USUBJID"], doc="grouping, usually [USUBJID]"),
    order=Param("columns", doc="sort keys within the group that fix the numbering"),
)
def derive_seq(df: pd.DataFrame, *, new_var: str, order: list[str], by: list[str] | None = None
               ) -> pd.DataFrame:
    """--SEQ: 1, 2, ... per group in the declared order (stable: ties keep file order)."""
    by = by or ["USUBJID"]
    out = df.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    keys = [*by, *order]
    columns = []
    for key in keys:
        col = out[key]
        if key in order and (pd.api.types.is_string_dtype(col) or col.dtype == object) \
                and _may_be_numbers(col):
            # a text key holding only numbers (AESPID 2, 10) sorts as numbers, not as text
            nums = coerce_numbers(col)
            if nums.notna().sum() == col.notna().sum() and col.notna().any():
                col = nums
        columns.append(col)
    order_rows = stable_order(columns)
    # numbered within each group in sorted order, without reordering the whole frame: the
    # order sorts by the group's keys first, so each group's rows are one run in it and a
    # row's place is its distance from the start of its run
    groups = row_codes(*(out[b] for b in by)).codes[order_rows]
    n = len(groups)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    seq = np.empty(n, dtype=np.int64)
    seq[order_rows] = np.arange(1, n + 1) - run_start
    out[new_var] = pd.arrays.IntegerArray(seq, np.zeros(n, dtype=bool))  # (no copy of seq)
    return out


def _may_be_numbers(col: pd.Series) -> bool:
    """False when a value is certainly not a number: the first distinct value does not read
    as one (dates, names), so the whole column is not converted to find that out."""
    first = factorised(col)[1][0].dropna()[:1]
    return not len(first) or bool(pd.to_numeric(first.astype(object), errors="coerce").notna()
                                  .all())
