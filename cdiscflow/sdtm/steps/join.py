"""`join`: add columns from another raw form or from a domain, matched on keys compared as text;
with `required: true` a row that matches nothing is rejected and reported."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cdiscflow.errors import Defect
from cdiscflow.raw import SOURCE_FILE, SOURCE_ROW, read_header
from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext, Reconciliation, spec_error
from cdiscflow.sdtm.steps import StepKind
from cdiscflow.spec import LoadedDomain
from cdiscflow.textops import match_rows, take_matched


def columns(c: Check, j: Any, cols: list[str]) -> list[str]:
    if j.form:
        right = read_header(c.ctx.form_path(j.form), **c.ctx.read_options(j.form))
    else:
        if j.domain not in c.ctx._work:
            raise c.error(f"join to unknown domain {j.domain}")
        right = list(c.ctx._work[j.domain].loaded.spec.variables)
    for left_col, right_col in j.pairs.items():
        if left_col not in cols:
            raise c.error(f"join key {left_col!r} is not a column here")
        if right_col not in right:
            raise c.error(f"join key {right_col!r} is not in {j.form or j.domain}")
    for col in j.columns:
        if col not in right:
            raise c.error(f"join column {col!r} is not in {j.form or j.domain}")
        if col in cols and col not in j.pairs:
            raise c.error(f"join column {col!r} is already a column here; a join adds new "
                          f"columns only")
    return cols + [col for col in j.columns if col not in cols]


def run(ctx: BuildContext, ld: LoadedDomain, frame: pd.DataFrame, j: Any,
        recon: Reconciliation) -> pd.DataFrame:
    pairs = j.pairs
    if j.form:
        right = ctx.form(j.form)
        right_name = ctx.study.spec.raw.forms[j.form].file
    else:
        right = ctx.domain_frame(j.domain)
        right_name = j.domain
    right = right[[*pairs.values(), *[c for c in j.columns if c not in pairs.values()]]]
    wild_cols = list(j.blank_matches_any)
    wild = (right[wild_cols].isna().any(axis=1) if wild_cols
            else pd.Series(False, index=right.index))
    if right[~wild].duplicated(list(pairs.values())).any():
        raise spec_error(ld, f"join to {right_name} on {', '.join(pairs.values())} matches "
                         f"more than one record per key; join on a unique key", path=("steps",))
    merged = merge_on(frame, right[~wild], pairs)
    if wild.any():
        exact_keys = {k: v for k, v in pairs.items() if v not in wild_cols}
        if right[wild].duplicated(list(exact_keys.values())).any():
            raise spec_error(ld, f"join to {right_name}: two rows with a blank "
                             f"{', '.join(wild_cols)} share the same "
                             f"{', '.join(exact_keys.values())}", path=("steps",))
        fallback = merge_on(frame, right[wild].drop(columns=wild_cols), exact_keys)
        use = (merged["__join"] == "left_only") & (fallback["__join"] == "both")
        for c in j.columns:
            if c in fallback.columns:
                merged.loc[use, c] = fallback.loc[use, c]
        merged.loc[use, "__join"] = "both"
    unmatched = merged["__join"] == "left_only"
    if j.required and unmatched.any():
        why = f"no match in {right_name} on {', '.join(pairs)}"
        for _, row in merged[unmatched].drop_duplicates(SOURCE_ROW).iterrows():
            ctx.record_defect(Defect(
                "error", ld.spec.domain, row[SOURCE_FILE], int(row[SOURCE_ROW]),
                "+".join(pairs), "/".join(str(row[k]) for k in pairs),
                f"record rejected: {why} (a subject or record missing from {right_name})"))
        merged = merged[~unmatched]
    return merged.drop(columns=["__join"])


def merge_on(frame: pd.DataFrame, right: pd.DataFrame, pairs: dict[str, str]) -> pd.DataFrame:
    """Left join on keys compared as text, keeping the frame's rows and order; ``__join`` says
    which rows matched ("both") and which did not ("left_only"). ``right`` has unique keys:
    a positional take, not a merge of a million rows."""
    at = match_rows([frame[k] for k in pairs], [right[v] for v in pairs.values()])
    merged = frame.copy(deep=False)
    for k in pairs:
        merged[k] = frame[k].astype("string")
    for c in right.columns:
        if c not in pairs.values():
            merged[c] = take_matched(right[c], at, frame.index)
    merged["__join"] = np.where(at.is_valid().to_numpy(zero_copy_only=False), "both",
                                "left_only")
    return merged


def reason(j: Any) -> str:
    return f"no match in {j.form or j.domain} on {', '.join(j.pairs)}"


STEP = StepKind("join", columns, run, reason, "rejected")
