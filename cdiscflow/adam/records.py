"""Steps that add records built from other records, named as admiral names them:

* ``derive_summary_records``: one record per by group summarising its records (visit averages
  with DTYPE AVERAGE);
* ``derive_extreme_records``: a copy of the first/last record of each by group (end-of-treatment
  records);
* ``derive_param_computed``: a parameter computed from other parameters of the same by group
  (MAP from SYSBP and DIABP, BMI from WEIGHT and HEIGHT).

New records are appended after the existing ones. Their values are set by ``set_values_to``: a
constant, ``{expr: ...}`` computed on the new record, or (summary records) a summary such as
``{mean: AVAL}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import pandas as pd

from cdiscflow.adam.conditions import Where, evaluate
from cdiscflow.adam.derivations import DerivationError
from cdiscflow.adam.ordering import sort_records
from cdiscflow.adam.values import is_expr, set_values
from cdiscflow.expr import Expression

# summaries of derive_summary_records: missing values are left out (as na.rm = TRUE in R)
SUMMARIES = ("mean", "median", "sum", "min", "max", "n", "sd")


def is_summary(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in SUMMARIES


def _append(df: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    if new.empty:
        return df.reset_index(drop=True)
    if df.empty:
        return new.reset_index(drop=True)
    return pd.concat([df, new], ignore_index=True)


def derive_summary_records(df: pd.DataFrame, dataset_add: pd.DataFrame, by_vars: Sequence[str],
                           set_values_to: Mapping[str, Any], filter_add: Where | None = None
                           ) -> pd.DataFrame:
    """One new record per ``by_vars`` group of ``dataset_add``'s records meeting
    ``filter_add``: the by values, each summary of ``set_values_to`` (``{mean: AVAL}``, also
    median, sum, min, max, n, sd over the group's non-missing values) and its other values
    (constants, expressions on the new record)."""
    add = dataset_add[evaluate(filter_add, dataset_add)]
    grouped = add.groupby(list(by_vars), sort=True, dropna=False)
    new = grouped.size().reset_index()[list(by_vars)]
    for name, value in set_values_to.items():
        if not is_summary(value):
            continue
        (function, var), = value.items()
        numbers = pd.to_numeric(add[var], errors="coerce")
        by_group = numbers.groupby([add[b] for b in by_vars], sort=True, dropna=False)
        result = by_group.count() if function == "n" else by_group.agg(
            "std" if function == "sd" else function)
        if function == "sum":  # a group of missing values sums to missing, not 0
            result = result.where(by_group.count() > 0)
        new[name] = result.to_numpy(dtype=float)
    rest = {k: v for k, v in set_values_to.items() if not is_summary(v)}
    return _append(df, set_values(new, rest))


def derive_extreme_records(df: pd.DataFrame, dataset_add: pd.DataFrame, by_vars: Sequence[str],
                           order: Sequence[str], mode: Literal["first", "last"],
                           set_values_to: Mapping[str, Any], filter_add: Where | None = None
                           ) -> pd.DataFrame:
    """A copy of the first/last record (by ``order``) of each ``by_vars`` group of
    ``dataset_add``'s records meeting ``filter_add``, with ``set_values_to`` applied."""
    add = dataset_add[evaluate(filter_add, dataset_add)]
    ordered = sort_records(add, by_vars, order)
    grouped = ordered.groupby(list(by_vars), sort=False, dropna=False)
    chosen = (grouped.head(1) if mode == "first" else grouped.tail(1))
    chosen = chosen.sort_values(list(by_vars), kind="mergesort").reset_index(drop=True)
    return _append(df, set_values(chosen, set_values_to))


def _wide_names(set_values_to: Mapping[str, Any], parameters: Sequence[str]
                ) -> dict[str, list[str]]:
    """PARAMCD -> the variables ``X`` its ``X.PARAMCD`` names read in the expressions."""
    needed: dict[str, list[str]] = {p: [] for p in parameters}
    for value in set_values_to.values():
        if not is_expr(value):
            continue
        for name in Expression.parse(value["expr"]).names:
            var, _, param = name.rpartition(".")
            if var and param in needed and var not in needed[param]:
                needed[param].append(var)
    return needed


def _one_parameter(src: pd.DataFrame, param: str, by_vars: Sequence[str], names: list[str]
                   ) -> pd.DataFrame:
    rows = src[src["PARAMCD"] == param]
    if rows.duplicated(list(by_vars)).any():
        dup = rows[rows.duplicated(list(by_vars), keep=False)][list(by_vars)].iloc[0].tolist()
        raise DerivationError(f"more than one {param} record per {list(by_vars)} "
                              f"(e.g. {dup}); narrow it with filter")
    return rows[[*by_vars, *names]].rename(columns={n: f"{n}.{param}" for n in names})


def parameters_wide(src: pd.DataFrame, by_vars: Sequence[str], parameters: Sequence[str],
                    expressions: Sequence[str], constant_parameters: Sequence[str] = (),
                    constant_by_vars: Sequence[str] = (), keep_nas: bool = False
                    ) -> pd.DataFrame:
    """One row per ``by_vars`` group having a record of every parameter, with the variables
    the ``expressions`` read as ``X.PARAMCD`` (constant parameters matched by
    ``constant_by_vars``); without ``keep_nas`` a row missing any of them is left out."""
    if constant_parameters and not constant_by_vars:
        raise DerivationError("constant_parameters need constant_by_vars")
    needed = _wide_names({str(i): {"expr": e} for i, e in enumerate(expressions)},
                         [*parameters, *constant_parameters])
    missing = [f"{v}.{p}" for p, vs in needed.items() for v in vs if v not in src.columns]
    if missing:
        raise DerivationError(f"no variable {missing[0].split('.')[0]!r} for {missing[0]!r}")
    wide: pd.DataFrame | None = None
    for param in parameters:
        part = _one_parameter(src, param, by_vars, needed[param])
        wide = part if wide is None else wide.merge(part, on=list(by_vars), how="inner")
    if wide is None:
        raise DerivationError("parameters lists none")
    for param in constant_parameters:
        part = _one_parameter(src, param, constant_by_vars, needed[param])
        wide = wide.merge(part, on=list(constant_by_vars), how="inner")
    read = [f"{v}.{p}" for p, vs in needed.items() for v in vs]
    if not keep_nas and read:
        values = wide[read]
        # blank text is missing too (the one missing value of the expression language)
        complete = ~(values.isna() | values.astype(object).eq("")).any(axis=1)
        wide = wide[complete.to_numpy(dtype=bool)]
    return wide.sort_values(list(by_vars), kind="mergesort").reset_index(drop=True)


def derive_param_computed(df: pd.DataFrame, by_vars: Sequence[str], parameters: Sequence[str],
                          set_values_to: Mapping[str, Any], filter: Where | None = None,
                          constant_parameters: Sequence[str] = (),
                          constant_by_vars: Sequence[str] = (), keep_nas: bool = False
                          ) -> pd.DataFrame:
    """A new record for each ``by_vars`` group that has a record of every one of
    ``parameters`` (among the records meeting ``filter``): the by values and ``set_values_to``,
    whose expressions read a parameter's variable as ``AVAL.SYSBP``. ``constant_parameters``
    (e.g. HEIGHT, measured once) are matched by ``constant_by_vars`` (e.g. USUBJID) instead.
    Unless ``keep_nas``, a group where a value the expressions read is missing gets no record."""
    src = df[evaluate(filter, df)]
    expressions = [v["expr"] for v in set_values_to.values() if is_expr(v)]
    wide = parameters_wide(src, by_vars, parameters, expressions, constant_parameters,
                           constant_by_vars, keep_nas)
    new = set_values(wide, set_values_to)
    return _append(df, new[[*by_vars, *set_values_to]])



def derive_vars_computed(df: pd.DataFrame, dataset_add: pd.DataFrame, by_vars: Sequence[str],
                         parameters: Sequence[str], new_vars: Mapping[str, str],
                         filter_add: Where | None = None,
                         constant_parameters: Sequence[str] = (),
                         constant_by_vars: Sequence[str] = ()) -> pd.DataFrame:
    """Variables computed from parameters of ``dataset_add`` (admiral's derive_vars_computed:
    BMIBL from the baseline WEIGHT and HEIGHT records): ``new_vars`` (name -> expression
    reading ``AVAL.WEIGHT``) of each ``by_vars`` group having every parameter, merged onto
    ``df`` by ``by_vars``; missing where the group lacks a parameter or a value."""
    clash = [n for n in new_vars if n in df.columns]
    if clash:
        raise DerivationError(f"variables {clash} already exist; a derivation adds new ones")
    src = dataset_add[evaluate(filter_add, dataset_add)]
    wide = parameters_wide(src, by_vars, parameters, list(new_vars.values()),
                           constant_parameters, constant_by_vars)
    computed = set_values(wide, {k: {"expr": v} for k, v in new_vars.items()})
    return df.merge(computed[[*by_vars, *new_vars]], on=list(by_vars), how="left",
                    validate="many_to_one")
