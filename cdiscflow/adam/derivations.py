"""Generic ADaM derivations, one plain function each, named as admiral names them.

Every function takes a frame and returns a new frame (the input is never modified: pandas'
copy-on-write makes a shallow copy safe to add columns to), with the variables it derives
added. Dates are SAS numbers (days since 1960-01-01), datetimes seconds since 1960-01-01T00:00;
see :mod:`cdiscflow.adam.dates`. No function knows about any study: what to derive comes from
the arguments, which the ADaM spec files supply.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from cdiscflow.adam.conditions import Where, evaluate
from cdiscflow.adam.dates import impute_date, impute_datetime
from cdiscflow.adam.ordering import order_vars, sort_records
from cdiscflow.codes import per_distinct
from cdiscflow.errors import CdiscflowError


class DerivationError(CdiscflowError):
    """Data a derivation cannot derive from (e.g. two records where one was promised)."""


def _check_new(df: pd.DataFrame, names: Sequence[str], overwrite: bool = False) -> None:
    clash = [n for n in names if n in df.columns]
    if clash and not overwrite:
        raise DerivationError(f"variables {clash} already exist; a derivation adds new ones")


def _select(dataset_add: pd.DataFrame, filter_add: Where | None, order: Sequence[str] | None,
            by_vars: Sequence[str], mode: str | None) -> pd.DataFrame:
    add = dataset_add[evaluate(filter_add, dataset_add)]
    if mode is not None:
        # stable sort so ties keep the source order (SAS and admiral behave the same way)
        add = sort_records(add, by_vars, order or [])
        add = add.groupby(list(by_vars), sort=False).head(1) if mode == "first" else \
            add.groupby(list(by_vars), sort=False).tail(1)
    elif add.duplicated(list(by_vars)).any():
        dup = add[add.duplicated(list(by_vars), keep=False)][list(by_vars)].iloc[0].tolist()
        raise DerivationError(f"more than one record per {list(by_vars)} to merge (e.g. {dup}); "
                              "give order and mode")
    return add


def combine_supp(parent: pd.DataFrame, supp: pd.DataFrame | None) -> pd.DataFrame:
    """Supplemental qualifiers (SUPP--) as columns of their parent domain, named by QNAM.

    A qualifier points at its parent by IDVAR/IDVARVAL (or at the subject when IDVAR is blank).
    Values stay text, as SUPP-- holds them.
    """
    out = parent.copy(deep=False)
    if supp is None or supp.empty:
        return out
    for qnam, rows in supp.groupby("QNAM", sort=False):
        idvar = rows["IDVAR"].fillna("").iloc[0]
        # (the last qualifier where SUPP-- repeats one, as a dict built from the rows keeps)
        qval = rows["QVAL"].to_numpy(dtype=object)
        if idvar:
            key = out[idvar]
            key = key.map(_id_text) if key.dtype == object else per_distinct(
                lambda v: v.map(_id_text), key)
            table = pd.MultiIndex.from_arrays([rows["USUBJID"], rows["IDVARVAL"].astype(str)])
            last = ~table.duplicated(keep="last")
            at = table[last].get_indexer(pd.MultiIndex.from_arrays([out["USUBJID"], key]))
            values = np.full(len(out), None, dtype=object)
            values[at >= 0] = qval[last][at[at >= 0]]
            # a list, as before: its values decide the column's type (text, or all missing)
            out[str(qnam)] = list(values)
        else:
            last = ~rows["USUBJID"].duplicated(keep="last").to_numpy()
            out[str(qnam)] = out["USUBJID"].map(pd.Series(qval[last],
                                                          index=rows["USUBJID"][last]))
    return out


def _id_text(value: object) -> str:
    """An IDVAR value as SUPP--.IDVARVAL holds it: whole numbers without ".0", missing as ""."""
    if pd.isna(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def derive_vars_merged(df: pd.DataFrame, dataset_add: pd.DataFrame, by_vars: Sequence[str],
                       new_vars: dict[str, str], filter_add: Where | None = None,
                       order: Sequence[str] | None = None,
                       mode: Literal["first", "last"] | None = None,
                       overwrite: bool = False) -> pd.DataFrame:
    """Add ``new_vars`` (new name -> name in ``dataset_add``) from the matching record of
    ``dataset_add`` (by ``by_vars``; the first/last by ``order`` when several match).
    ``overwrite`` replaces variables already present (for records added since the last merge)."""
    _check_new(df, list(new_vars), overwrite)
    add = _select(dataset_add, filter_add, order, by_vars, mode)
    add = add[[*by_vars, *new_vars.values()]].rename(columns={v: k for k, v in new_vars.items()})
    base = df.drop(columns=[c for c in new_vars if c in df.columns])
    mixed = [b for b in by_vars if pd.api.types.is_numeric_dtype(base[b])
             != pd.api.types.is_numeric_dtype(add[b])]
    if not mixed:
        return base.merge(add, on=list(by_vars), how="left", validate="many_to_one")
    # a number on one side and text on the other (VISITNUM 13.0 and "13"): compared by value
    # through working key columns, so each side keeps its own values
    keys = {b: f"__key_{b}__" for b in mixed}
    left = base.assign(**{k: per_distinct(_key_text, base[b]) for b, k in keys.items()})
    right = add.assign(**{k: _key_text(add[b]) for b, k in keys.items()}).drop(columns=mixed)
    on = [keys.get(b, b) for b in by_vars]
    if right.duplicated(on).any():
        raise DerivationError(f"more than one record per {list(by_vars)} to merge once the "
                              "keys are compared by value; give order and mode")
    return left.merge(right, on=on, how="left").drop(columns=list(keys.values()))


def derive_var_merged_exist_flag(df: pd.DataFrame, dataset_add: pd.DataFrame,
                                 by_vars: Sequence[str], new_var: str, condition: Where | None,
                                 filter_add: Where | None = None, true_value: str = "Y",
                                 false_value: str | None = "N") -> pd.DataFrame:
    """``new_var`` = ``true_value`` where some record of ``dataset_add`` meets ``condition``."""
    _check_new(df, [new_var])
    add = dataset_add[evaluate(filter_add, dataset_add)]
    hits = add[evaluate(condition, add)][list(by_vars)].drop_duplicates()
    hits = hits.assign(**{new_var: true_value})
    out = df.merge(hits, on=list(by_vars), how="left")
    out[new_var] = out[new_var].astype(object).where(out[new_var].notna(), false_value)
    return out


def derive_var_merged_summary(df: pd.DataFrame, dataset_add: pd.DataFrame, by_vars: Sequence[str],
                              new_var: str,
                              analysis: Literal["count", "sum", "min", "max", "mean"],
                              analysis_var: str | None = None, filter_add: Where | None = None
                              ) -> pd.DataFrame:
    """``new_var`` = a summary over the matching records of ``dataset_add`` (count 0 if none)."""
    _check_new(df, [new_var])
    add = dataset_add[evaluate(filter_add, dataset_add)]
    grouped = add.groupby(list(by_vars))
    if analysis == "count":
        summary = grouped.size().rename(new_var)
    else:
        if analysis_var is None:
            raise DerivationError(f"{analysis} needs analysis_var")
        values = pd.to_numeric(add[analysis_var], errors="coerce")
        summary = values.groupby([add[b] for b in by_vars]).agg(analysis).rename(new_var)
    out = df.merge(summary.reset_index(), on=list(by_vars), how="left")
    if analysis == "count":
        out[new_var] = out[new_var].fillna(0).astype(float)
    return out


def derive_vars_transposed(df: pd.DataFrame, dataset_merge: pd.DataFrame,
                           by_vars: Sequence[str], key_var: str, value_var: str,
                           new_vars: dict[str, str], filter: Where | None = None
                           ) -> pd.DataFrame:
    """Values of several records of ``dataset_merge`` as variables of one record: for each
    ``new_vars`` entry (new name -> value of ``key_var``, e.g. ANC -> a PARAMCD), the
    ``value_var`` of the record with that key and the same ``by_vars`` (e.g. subject and
    date), so a criterion can test several results of one assessment together."""
    _check_new(df, list(new_vars))
    src = dataset_merge[evaluate(filter, dataset_merge)]
    src = src[src[key_var].isin(list(new_vars.values()))]
    if src.duplicated([*by_vars, key_var]).any():
        dup = src[src.duplicated([*by_vars, key_var], keep=False)][[*by_vars, key_var]]
        raise DerivationError(f"more than one {value_var} per {[*by_vars, key_var]} "
                              f"(e.g. {dup.iloc[0].tolist()})")
    wide = src.pivot(index=list(by_vars), columns=key_var, values=value_var)
    wide = wide.reindex(columns=list(new_vars.values()))
    wide.columns = list(new_vars)
    return df.merge(wide.reset_index(), on=list(by_vars), how="left")


def derive_vars_merged_lookup(df: pd.DataFrame, table: pd.DataFrame, by_vars: Sequence[str],
                              new_vars: Sequence[str]) -> pd.DataFrame:
    """Add ``new_vars`` from a lookup table matched on ``by_vars``; every record must match
    (a value the table does not list is a gap in the spec, reported with the value). Keys are
    compared by value: a VISITNUM of 13.0 finds the table's 13 (or "13")."""
    _check_new(df, list(new_vars))
    keys = pd.DataFrame({b: per_distinct(_key_text, df[b]) for b in by_vars}, index=df.index)
    tab = table.copy()
    for b in by_vars:
        tab[b] = _key_text(tab[b])
    merged = keys.merge(tab[[*by_vars, *new_vars]], on=list(by_vars), how="left",
                        validate="many_to_one", indicator=True)
    unmatched = merged["_merge"] != "both"
    if unmatched.any():
        bad = keys[unmatched.to_numpy()].drop_duplicates().to_dict("records")
        raise DerivationError(f"no row of the lookup table for {bad}")
    out = df.copy(deep=False)
    for v in new_vars:
        out[v] = merged[v].to_numpy()
    return out


def _key_text(values: pd.Series) -> pd.Series:
    """Lookup keys compared by value: a number, or text that reads as one, as its shortest
    text (13, 13.0 and "13.0" are all "13"; "1.50" is "1.5"); other text as it is, stripped
    of surrounding blanks; missing as ""."""
    def one(v: Any) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return ""
        text = str(v).strip()
        try:
            number = float(text)
        except ValueError:
            return text
        if not np.isfinite(number):
            return text
        return str(int(number)) if number.is_integer() else repr(number)
    return pd.Series([one(v) for v in values.astype(object)], index=values.index, dtype=object)


def derive_vars_dt(df: pd.DataFrame, new_vars_prefix: str, dtc: str,
                   highest_imputation: str = "n", date_imputation: str = "first",
                   flag_imputation: bool = True, min_dates: Sequence[str] = (),
                   max_dates: Sequence[str] = ()) -> pd.DataFrame:
    """``<prefix>DT`` (SAS date) from ISO 8601 ``dtc``, imputing partial dates up to
    ``highest_imputation`` (D or M) to the ``first``/``mid``/``last`` day, or to a
    ``min_dates``/``max_dates`` variable when the partial date's range contains it; and the
    imputation flag ``<prefix>DTF`` (D/M) when ``flag_imputation``."""
    names = [f"{new_vars_prefix}DT"] + ([f"{new_vars_prefix}DTF"] if flag_imputation else [])
    _check_new(df, names)
    value, flag = impute_date(df[dtc], highest_imputation, date_imputation,
                              [df[c] for c in min_dates], [df[c] for c in max_dates])
    out = df.copy(deep=False)
    out[names[0]] = value
    if flag_imputation:
        out[names[1]] = flag
    return out


def derive_vars_dtm(df: pd.DataFrame, new_vars_prefix: str, dtc: str,
                    highest_imputation: str = "n", date_imputation: str = "first",
                    time_imputation: Literal["first", "last"] = "first",
                    flag_imputation: bool = True, min_dates: Sequence[str] = (),
                    max_dates: Sequence[str] = ()) -> pd.DataFrame:
    """``<prefix>DTM`` (SAS datetime) with ``<prefix>DTF`` and ``<prefix>TMF`` flags; a
    ``min_dates``/``max_dates`` variable inside the partial value's range is used instead
    (a datetime variable as it is; a date variable, named *DT, at 00:00:00 as a minimum and
    23:59:59 as a maximum, as admiral takes it)."""
    names = [f"{new_vars_prefix}DTM"]
    if flag_imputation:
        names += [f"{new_vars_prefix}DTF", f"{new_vars_prefix}TMF"]
    _check_new(df, names)
    value, dflag, tflag = impute_datetime(
        df[dtc], highest_imputation, date_imputation, time_imputation,
        [_as_seconds(df[c], c, 0) for c in min_dates],
        [_as_seconds(df[c], c, 86399) for c in max_dates])
    out = df.copy(deep=False)
    out[names[0]] = value
    if flag_imputation:
        # --DTF may already have come from derive_vars_dt on the same value: keep one
        out[names[1]] = dflag
        out[names[2]] = tflag
    return out


def _as_seconds(col: pd.Series, name: str, time_of_day: float) -> pd.Series:
    """A reference of datetime imputation in seconds: a date variable (SAS days, named *DT)
    at ``time_of_day`` seconds after midnight; a datetime as it is."""
    values = pd.to_numeric(col, errors="coerce").astype(float)
    return values * 86400 + time_of_day if name.upper().endswith("DT") else values


def derive_vars_dy(df: pd.DataFrame, reference_date: str, source_vars: dict[str, str]
                   ) -> pd.DataFrame:
    """Study days (new name -> date variable): date - reference + 1 on or after the reference
    day, date - reference before it (there is no day 0)."""
    _check_new(df, list(source_vars))
    out = df.copy(deep=False)
    ref = pd.to_numeric(df[reference_date], errors="coerce")
    for new, src in source_vars.items():
        diff = pd.to_numeric(df[src], errors="coerce") - ref
        out[new] = diff.where(diff < 0, diff + 1)
    return out


def derive_vars_duration(df: pd.DataFrame, new_var: str, start_date: str, end_date: str,
                         out_unit: Literal["days", "weeks"] = "days", add_one: bool = True
                         ) -> pd.DataFrame:
    """Duration from ``start_date`` to ``end_date`` (+1 day when ``add_one``, admiral's
    default), in days or weeks."""
    _check_new(df, [new_var])
    days = pd.to_numeric(df[end_date], errors="coerce") - pd.to_numeric(df[start_date],
                                                                         errors="coerce")
    days = days + (1 if add_one else 0)
    out = df.copy(deep=False)
    out[new_var] = days / 7 if out_unit == "weeks" else days
    return out


def derive_var_trtemfl(df: pd.DataFrame, new_var: str = "TRTEMFL", start_date: str = "ASTDT",
                       end_date: str = "AENDT", trt_start_date: str = "TRTSDT",
                       trt_end_date: str | None = None, end_window: int | None = None
                       ) -> pd.DataFrame:
    """Treatment-emergent flag: the event starts on or after the first dose and on or before
    ``trt_end_date`` + ``end_window`` days (no upper bound when ``trt_end_date`` is None). An
    event with no start date counts when it has not ended before the first dose."""
    _check_new(df, [new_var])
    start = pd.to_numeric(df[start_date], errors="coerce")
    end = pd.to_numeric(df[end_date], errors="coerce") if end_date else pd.Series(np.nan,
                                                                                  index=df.index)
    trt_start = pd.to_numeric(df[trt_start_date], errors="coerce")
    emergent = (start >= trt_start) | (start.isna() & trt_start.notna()
                                       & (end.isna() | (end >= trt_start)))
    if trt_end_date is not None:
        limit = pd.to_numeric(df[trt_end_date], errors="coerce") + (end_window or 0)
        emergent &= limit.isna() | start.isna() | (start <= limit)
    out = df.copy(deep=False)
    out[new_var] = np.where(emergent, "Y", None)
    return out


def derive_var_extreme_flag(df: pd.DataFrame, by_vars: Sequence[str], order: Sequence[str],
                            new_var: str, mode: Literal["first", "last"],
                            filter: Where | None = None, true_value: str = "Y",
                            false_value: str | None = None) -> pd.DataFrame:
    """Flag the first/last record (by ``order``) of each by group among those meeting
    ``filter``; the others get ``false_value``."""
    _check_new(df, [new_var])
    out = df.copy(deep=False)
    candidates = out[evaluate(filter, out)]
    ordered = sort_records(candidates, by_vars, order)
    grouped = ordered.groupby(list(by_vars), sort=False, dropna=False)
    chosen = (grouped.head(1) if mode == "first" else grouped.tail(1)).index
    out[new_var] = false_value
    out[new_var] = out[new_var].astype(object)
    out.loc[chosen, new_var] = true_value
    return out


def derive_var_base(df: pd.DataFrame, by_vars: Sequence[str], source_var: str = "AVAL",
                    new_var: str = "BASE", flag_var: str = "ABLFL") -> pd.DataFrame:
    """``new_var`` = ``source_var`` of the by group's record flagged ``flag_var`` = Y."""
    _check_new(df, [new_var])
    base = df[df[flag_var] == "Y"]
    if base.duplicated(list(by_vars)).any():
        raise DerivationError(f"more than one {flag_var} record per {list(by_vars)}")
    base = base[[*by_vars, source_var]].rename(columns={source_var: new_var})
    return df.merge(base, on=list(by_vars), how="left")


def derive_var_chg(df: pd.DataFrame) -> pd.DataFrame:
    """CHG = AVAL - BASE."""
    _check_new(df, ["CHG"])
    out = df.copy(deep=False)
    out["CHG"] = pd.to_numeric(df["AVAL"], errors="coerce") - pd.to_numeric(df["BASE"],
                                                                             errors="coerce")
    return out


def derive_var_analysis_ratio(df: pd.DataFrame, numer_var: str, denom_var: str, new_var: str
                              ) -> pd.DataFrame:
    """``new_var`` = numerator / denominator (R2BASE = AVAL / BASE); missing for a zero base."""
    _check_new(df, [new_var])
    den = pd.to_numeric(df[denom_var], errors="coerce")
    out = df.copy(deep=False)
    out[new_var] = pd.to_numeric(df[numer_var], errors="coerce") / den.where(den != 0)
    return out


def derive_vars_cat(df: pd.DataFrame, new_var: str, categories: Sequence[tuple[Where, Any, Any]],
                    new_var_n: str | None = None) -> pd.DataFrame:
    """Categorise records: the first of ``categories`` (condition, value, numeric value) whose
    condition holds gives ``new_var`` (and ``new_var_n``); none -> missing."""
    _check_new(df, [new_var] + ([new_var_n] if new_var_n else []))
    out = df.copy(deep=False)
    values = pd.Series([None] * len(df), index=df.index, dtype=object)
    numbers = pd.Series(np.nan, index=df.index)
    done = pd.Series(False, index=df.index)
    for where, value, number in categories:
        hit = evaluate(where, df) & ~done
        values[hit] = value
        if number is not None:
            numbers[hit] = float(number)
        done |= hit
    out[new_var] = values
    if new_var_n:
        out[new_var_n] = numbers
    return out


def derive_var_flag(df: pd.DataFrame, new_var: str, condition: Where, true_value: str = "Y",
                    false_value: str | None = None) -> pd.DataFrame:
    """``new_var`` = ``true_value`` where ``condition`` holds, else ``false_value``."""
    _check_new(df, [new_var])
    out = df.copy(deep=False)
    out[new_var] = np.where(evaluate(condition, df), true_value, false_value)
    out[new_var] = out[new_var].astype(object).where(out[new_var].notna(), None)
    return out


def derive_vars_assign(df: pd.DataFrame, values: dict[str, tuple[str, Any, str | None]],
                       drop: Sequence[str] = (), overwrite: bool = False) -> pd.DataFrame:
    """Copy, set or compute variables, in order: new name -> ("var", source, type),
    ("constant", value, type) or ("expr", expression text, type), an expression seeing the
    variables assigned before it; type Num converts text to numbers, Char numbers to text
    (admiral does this with mutate); then remove the ``drop`` variables (a rename is a copy
    plus a drop). ``overwrite`` lets a value replace a variable already there (admiral
    users do this with mutate, e.g. AVAL rounded in place)."""
    from cdiscflow.adam.values import compute  # values builds on this module's error

    _check_new(df, list(values), overwrite)
    out = df.copy(deep=False)
    for name, (kind, source, typ) in values.items():
        if kind == "expr":
            col = compute(out, source)
        elif kind == "var":
            col = out[source].copy()
        else:
            col = pd.Series([source] * len(df), index=df.index, dtype=object)
        if typ == "Num":
            col = pd.to_numeric(col, errors="coerce").astype(float)
        elif typ == "Char":
            col = col.map(lambda v: None if pd.isna(v) else
                          (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)))
        out[name] = col
    return out.drop(columns=list(drop))


def derive_var_obs_number(df: pd.DataFrame, by_vars: Sequence[str], order: Sequence[str],
                          new_var: str = "ASEQ") -> pd.DataFrame:
    """Sequence number 1..n within each by group, by ``order``."""
    _check_new(df, [new_var])
    # only the key columns are sorted; the numbers go back to the records by index label
    keys = sort_records(df[list(dict.fromkeys([*by_vars, *order_vars(order)]))], by_vars,
                        order)
    out = df.copy(deep=False)
    out[new_var] = keys.groupby(list(by_vars), sort=False).cumcount().astype(float) + 1
    return out if out.index.is_monotonic_increasing else out.sort_index()
