"""`join`: add columns from another raw form or from a domain, matched on keys compared as text;
with `required: true` a row that matches nothing is rejected and reported."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdiscflow.codedtext import STRING
from cdiscflow.codes import Codes, factorised, row_codes, spread, take
from cdiscflow.errors import Defect
from cdiscflow.raw import SOURCE_FILE, SOURCE_ROW, read_header
from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext, Reconciliation
from cdiscflow.sdtm.domains import spec_error
from cdiscflow.sdtm.provenance import ColumnOrigin, form_text
from cdiscflow.sdtm.steps import StepKind
from cdiscflow.spec import FormSpec, LoadedDomain
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
    wild = (right[wild_cols].isna().any(axis=1).to_numpy(dtype=bool) if wild_cols
            else np.zeros(len(right), dtype=bool))
    exact_rows = right[~wild] if wild.any() else right
    if row_codes(*(exact_rows[v] for v in pairs.values())).size < len(exact_rows):
        raise spec_error(ld, f"join to {right_name} on {', '.join(pairs.values())} matches "
                         f"more than one record per key; join on a unique key", path=("steps",))
    # matched once per distinct key combination of the records (a million lab records hold
    # a few dozen test and sex pairs), and the matches spread through the records' codes
    keys, distinct = factorised(*(frame[k] for k in pairs))
    key_columns = [distinct[i] for i in range(len(pairs))]
    at = _key_positions(key_columns, right, ~wild, list(pairs.values()))
    if wild.any():
        exact = [i for i, v in enumerate(pairs.values()) if v not in wild_cols]
        exact_keys = [list(pairs.values())[i] for i in exact]
        if right[wild].duplicated(exact_keys).any():
            raise spec_error(ld, f"join to {right_name}: two rows with a blank "
                             f"{', '.join(wild_cols)} share the same "
                             f"{', '.join(exact_keys)}", path=("steps",))
        # a key no exact row matches takes the row whose blank columns match anything
        at = np.where(at >= 0, at, _key_positions([key_columns[i] for i in exact], right,
                                                  wild, exact_keys))
    merged = merge_at(frame, right, pairs, keys, at)
    if j.required and (at < 0).any():
        unmatched = (at < 0)[keys.codes]
        why = f"no match in {right_name} on {', '.join(pairs)}"
        for _, row in merged[unmatched].drop_duplicates(SOURCE_ROW).iterrows():
            ctx.record_defect(Defect(
                "error", ld.spec.domain, row[SOURCE_FILE], int(row[SOURCE_ROW]),
                "+".join(pairs), "/".join(str(row[k]) for k in pairs),
                f"record rejected: {why} (a subject or record missing from {right_name})"))
        merged = merged[~unmatched]
    return merged


def _key_positions(keys: list[pd.Series], right: pd.DataFrame, rows: np.ndarray,
                   right_keys: list[str]) -> np.ndarray:
    """For each distinct key combination (``keys``: aligned columns, one row per
    combination), the position in ``right`` of the row among ``rows`` (a mask) whose keys
    are equal as text; -1 where none is."""
    candidates = np.flatnonzero(rows)
    if not len(candidates):
        return np.full(len(keys[0]), -1, dtype=np.int64)
    table = right if len(candidates) == len(right) else right.iloc[candidates]
    at = match_rows(keys, [table[v] for v in right_keys])
    found = at.is_valid().to_numpy(zero_copy_only=False)
    local = pc.fill_null(at, 0).to_numpy(zero_copy_only=False).astype(np.int64)
    return np.where(found, candidates[local], -1)


def merge_at(frame: pd.DataFrame, right: pd.DataFrame, pairs: dict[str, str], keys: Codes,
             at: np.ndarray) -> pd.DataFrame:
    """The frame (its rows and order) with ``right``'s non-key columns taken, for each
    record, at the position ``at`` gives its key combination (``keys``: the records' codes
    of their key combinations; -1: no match, missing); keys compared as text are text.

    A text column is taken per key combination and spread through the records' codes, so
    its codes come with it: a million lab records take two range columns that later
    derivations number again."""
    merged = frame.copy(deep=False)
    for k in pairs:
        merged[k] = frame[k].astype("string")
    slot = np.where(at < 0, len(right), at)  # one missing row after the table's rows
    per_key = pd.RangeIndex(len(at))
    rows = None
    for c in right.columns:
        if c in pairs.values():
            continue
        if right[c].dtype == STRING:
            values = pd.concat([right[c], pd.Series([None], dtype=STRING)], ignore_index=True)
            merged[c] = spread(take(values, slot, per_key), keys, frame.index).rename(c)
        else:
            rows = at[keys.codes] if rows is None else rows
            merged[c] = take_matched(right[c], pa.array(rows, mask=rows < 0), frame.index)
    return merged


def reason(j: Any) -> str:
    return f"no match in {j.form or j.domain} on {', '.join(j.pairs)}"


def origin(j: Any, column: str, forms: Mapping[str, FormSpec], source: str
           ) -> ColumnOrigin | None:
    """A joined column comes from the joined form's field, or is copied from the domain."""
    if column not in j.columns:
        return None
    if j.form:
        return ColumnOrigin(f"{form_text(forms, j.form)}, field {column}")
    return ColumnOrigin(f"{j.domain}.{column}", domain=j.domain)


STEP = StepKind("join", columns, run, reason, "rejected", origin)
