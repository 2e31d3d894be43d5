"""The reviewer's tables, recomputed from ADaM only: demographics and baseline, TEAEs by
preferred term and grade, and response by reporting group.

Every table is a plain frame of text cells (first column the row label), so the same object is
written as CSV and rendered in HTML. What to tabulate comes from the study's ADaM index
(``report:``); nothing here knows a study.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import pandas as pd

from cdiscflow.adam.conditions import evaluate
from cdiscflow.adam.spec import ReportSpec


def _num(value: float) -> str:
    # whole numbers without a decimal point, others to one decimal (6.5 weeks, 44 years)
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def n_pct(n: int, total: int) -> str:
    """``n/N (x.x%)``; ``0/0`` when there is no denominator."""
    if total == 0:
        return "0/0"
    return f"{n}/{total} ({100 * n / total:.1f}%)"


def median_range(values: Sequence[float]) -> str:
    """``median (min-max)``, or ``-`` for no value."""
    vals = sorted(float(v) for v in values if pd.notna(v))
    if not vals:
        return "-"
    return f"{_num(statistics.median(vals))} ({_num(vals[0])}-{_num(vals[-1])})"


def groups(adsl: pd.DataFrame, spec: ReportSpec) -> dict[str, list[str]]:
    """Column label -> USUBJIDs: each reporting group in order, then the declared totals."""
    pop = adsl[adsl[spec.population] == "Y"]
    order = pop[[spec.group, spec.group_order]].drop_duplicates().sort_values(spec.group_order)
    out = {str(g): pop.loc[pop[spec.group] == g, "USUBJID"].tolist() for g in order[spec.group]}
    for label, where in spec.totals.items():
        out[label] = pop.loc[evaluate(where, pop), "USUBJID"].tolist()
    return out


def demographics(adsl: pd.DataFrame, spec: ReportSpec, labels: dict[str, str]) -> pd.DataFrame:
    cols = groups(adsl, spec)
    by_id = adsl.set_index("USUBJID")
    rows: list[list[str]] = [["N", *[str(len(ids)) for ids in cols.values()]]]
    for var in spec.demographics:
        values = by_id[var]
        if pd.api.types.is_numeric_dtype(values):
            rows.append([f"{labels.get(var, var)}, median (range)",
                         *[median_range(values[ids]) for ids in cols.values()]])
            continue
        rows.append([labels.get(var, var), *[""] * len(cols)])
        for level in sorted(v for v in values.unique() if v != ""):
            rows.append([f"  {level}", *[n_pct(int((values[ids] == level).sum()), len(ids))
                                         for ids in cols.values()]])
    return pd.DataFrame(rows, columns=["", *cols])


def ae_summary(adsl: pd.DataFrame, adae: pd.DataFrame, spec: ReportSpec) -> pd.DataFrame:
    """Subjects with at least one event of each flagged kind, n/N (%) per group."""
    cols = groups(adsl, spec)
    rows = []
    for label, flag in spec.ae_flags.items():
        hit = set(adae.loc[adae[flag] == "Y", "USUBJID"])
        rows.append([label, *[n_pct(len(hit & set(ids)), len(ids)) for ids in cols.values()]])
    return pd.DataFrame(rows, columns=["", *cols])


def ae_by_term_grade(adsl: pd.DataFrame, adae: pd.DataFrame, spec: ReportSpec,
                     emergent_flag: str = "TRTEMFL") -> pd.DataFrame:
    """Subjects by preferred term and worst grade (all subjects of the population), n (%)."""
    pop = adsl.loc[adsl[spec.population] == "Y", "USUBJID"]
    total = len(pop)
    te = adae[(adae[emergent_flag] == "Y") & adae["USUBJID"].isin(pop)].copy()
    te["_grade"] = pd.to_numeric(te[spec.ae_grade], errors="coerce")
    worst = te.groupby(["USUBJID", spec.ae_term])["_grade"].max().reset_index()
    grades = sorted(int(g) for g in worst["_grade"].dropna().unique())
    rows = []
    for term, rows_t in sorted(worst.groupby(spec.ae_term),
                               key=lambda kv: (-kv[1]["USUBJID"].nunique(), kv[0])):
        cells = [n_pct(int((rows_t["_grade"] == g).sum()), total) for g in grades]
        rows.append([str(term), *cells, n_pct(rows_t["USUBJID"].nunique(), total)])
    return pd.DataFrame(rows, columns=["Preferred term", *[f"Grade {g}" for g in grades],
                                       "Any grade"])


def response(adsl: pd.DataFrame, adrs: pd.DataFrame, spec: ReportSpec) -> pd.DataFrame:
    """Per group: each Y/N parameter as n/N (%), each numeric parameter as median (range)
    among the subjects with ``summary_among`` = Y, and each subject flag as n/N (%)."""
    cols = groups(adsl, spec)
    params = adrs[["PARAMCD", "PARAM"]].drop_duplicates().set_index("PARAMCD")["PARAM"]
    rows = []
    for pc in spec.response_params:
        yes = set(adrs.loc[(adrs["PARAMCD"] == pc) & (adrs["AVALC"] == "Y"), "USUBJID"])
        rows.append([params[pc], *[n_pct(len(yes & set(ids)), len(ids))
                                   for ids in cols.values()]])
    among = None
    if spec.summary_among:
        among = set(adrs.loc[(adrs["PARAMCD"] == spec.summary_among)
                             & (adrs["AVALC"] == "Y"), "USUBJID"])
    for pc in spec.summary_params:
        recs = adrs[(adrs["PARAMCD"] == pc)]
        if among is not None:
            recs = recs[recs["USUBJID"].isin(among)]
        among_label = f" [{params[spec.summary_among]}]" if spec.summary_among else ""
        rows.append([f"{params[pc]}: median (range){among_label}",
                     *[median_range(recs.loc[recs["USUBJID"].isin(ids), "AVAL"])
                       for ids in cols.values()]])
    by_id = adsl.set_index("USUBJID")
    for label, flag in spec.subject_flags.items():
        rows.append([label, *[n_pct(int((by_id.loc[ids, flag] == "Y").sum()), len(ids))
                              for ids in cols.values()]])
    return pd.DataFrame(rows, columns=["", *cols])
