"""Mean (with SE or SD) of one parameter at each visit, by reporting group: a figure (one
line per group, visits in AVISITN order) and the table behind it (n, mean and SE or SD)."""

from __future__ import annotations

from typing import Literal

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cdiscflow.adam.conditions import Where, evaluate, text_of, variables
from cdiscflow.report.displays import stats
from cdiscflow.report.displays.base import (
    Data,
    DisplayBase,
    Kind,
    Rendered,
    Table,
    columns,
    headers,
)
from cdiscflow.report.figures import PALETTE, RC


class MeanOverTime(DisplayBase):
    kind: Literal["mean_over_time"]
    dataset: str
    param: str  # PARAMCD
    value: str = "AVAL"  # or CHG
    visit: str = "AVISIT"
    visit_n: str = "AVISITN"
    error: Literal["se", "sd"] = "se"
    where: Where | None = None  # records analysed (besides PARAMCD), e.g. "ANL01FL = 'Y'"
    decimals: int = 1

    def reads(self) -> dict[str, list[str]]:
        own = ["USUBJID", "PARAMCD", "PARAM", self.value, self.visit, self.visit_n]
        if self.where is not None:
            own += variables(self.where)
        return {"ADSL": ["USUBJID", *self.adsl_reads()], self.dataset: own}

    def analysed(self) -> dict[str, list[str]]:
        return {self.dataset: [self.value, self.visit]}

    def parameter(self) -> tuple[str, str] | None:
        return (self.dataset, self.param)


def _stats(display: MeanOverTime, data: Data) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """(records, {column: per-visit n/mean/error frame}, visits in order)."""
    frame = data.datasets[display.dataset]
    recs = frame[(frame["PARAMCD"] == display.param) & evaluate(display.where, frame)].copy()
    if recs.empty:
        raise KeyError(f"PARAMCD {display.param} (no {display.dataset} record)")
    recs["_v"] = pd.to_numeric(recs[display.value], errors="coerce")
    recs = recs[recs["_v"].notna()]
    visits = (recs[[display.visit_n, display.visit]].drop_duplicates(display.visit_n)
              .sort_values(display.visit_n))
    per = {}
    for label, ids in columns(display, data.datasets["ADSL"]).items():
        mine = recs[recs["USUBJID"].isin(ids)]
        agg = mine.groupby(display.visit_n)["_v"].agg(["count", "mean", "std"])
        agg["err"] = agg["std"] / np.sqrt(agg["count"]) if display.error == "se" else agg["std"]
        per[label] = (len(ids), agg)
    return recs, per, visits


def render(display: MeanOverTime, data: Data) -> Rendered:
    recs, per, visits = _stats(display, data)
    d, err = display.decimals, display.error.upper()
    rows = []
    for vn, visit in zip(visits[display.visit_n], visits[display.visit], strict=True):
        cells = []
        for _, agg in per.values():
            if vn in agg.index:
                r = agg.loc[vn]
                cells.append(f"{int(r['count'])}; {stats.fmt(r['mean'], d)} "
                             f"({stats.fmt(r['err'], d + 1)})")
            else:
                cells.append("0")
        rows.append([str(visit), *cells])
    cols = {label: [None] * n for label, (n, _) in per.items()}
    table = pd.DataFrame(rows, columns=[f"Visit: n; mean ({err})", *headers(cols)])
    unit = sorted({str(u) for u in recs.get("AVALU", []) if str(u).strip()})
    param = str(recs["PARAM"].iloc[0])
    ylabel = param if not unit or unit[0] in param else f"{param} ({unit[0]})"
    ylabel += f", mean ({err})" + (" change from baseline" if display.value == "CHG" else "")
    return Rendered(tables=[Table("", display.title, table)],
                    figure=_figure(per, visits, display, ylabel))


def _figure(per: dict, visits: pd.DataFrame, display: MeanOverTime, ylabel: str) -> Figure:
    with matplotlib.rc_context(RC):
        pos = {v: i for i, v in enumerate(visits[display.visit_n])}
        fig = Figure(figsize=(9, 4.8))
        ax = fig.add_subplot()
        for k, (label, (n, agg)) in enumerate(per.items()):
            shift = (k - (len(per) - 1) / 2) * 0.08
            ax.errorbar([pos[v] + shift for v in agg.index], agg["mean"],
                        yerr=agg["err"].fillna(0), marker="o", markersize=3.5, capsize=2,
                        linewidth=1.2, color=PALETTE[k % len(PALETTE)],
                        label=f"{label} (N={n})")
        ax.set_xticks(range(len(pos)), [str(v) for v in visits[display.visit]],
                      rotation=60, ha="right")
        ax.set_ylabel(ylabel)
        ax.set_xlabel("Visit")
        ax.grid(axis="y", linewidth=0.4, color="#cccccc")
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
    return fig


def method(display: MeanOverTime) -> str:
    where = "" if display.where is None else f" where {text_of(display.where)}"
    kind = "standard error (SD / sqrt(n))" if display.error == "se" else "standard deviation"
    return (f"{display.dataset} records with PARAMCD = {display.param}{where} and a "
            f"{display.value}, of subjects with ADSL.{display.population} = Y: per "
            f"{display.visit_n} and {display.group}, n, the mean of {display.value} and its "
            f"{kind}.")


DISPLAY = Kind("mean_over_time", MeanOverTime, render, method)
