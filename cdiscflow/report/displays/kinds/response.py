"""Response by reporting group: per parameter (a subject-level PARAMCD whose AVALC says
whether the subject responded), responders n/N (%) with the exact (Clopper-Pearson)
confidence interval. N is every subject of the column: no record counts as no response."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field

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


class Response(DisplayBase):
    kind: Literal["response"]
    dataset: str = "ADRS"
    params: list[str] = Field(min_length=1)  # PARAMCDs, in row order
    responders: list[str] = ["Y"]  # AVALC values that count as a response
    where: Where | None = None  # records considered (besides PARAMCD)
    conf_level: float = Field(default=0.95, gt=0, lt=1)

    def reads(self) -> dict[str, list[str]]:
        own = ["USUBJID", "PARAMCD", "PARAM", "AVALC"]
        if self.where is not None:
            own += variables(self.where)
        return {"ADSL": ["USUBJID", *self.adsl_reads()], self.dataset: own}

    def analysed(self) -> dict[str, list[str]]:
        return {self.dataset: ["AVALC"]}

    def parameter(self) -> tuple[str, str] | None:
        return (self.dataset, self.params[0]) if len(self.params) == 1 else None


def cell(x: int, n: int, conf: float) -> str:
    """``x/N (p%) [lo%, hi%]``; ``0/0`` for an empty column."""
    if n == 0:
        return "0/0"
    lo, hi = stats.clopper_pearson(x, n, conf)
    return (f"{x}/{n} ({stats.fmt(100 * x / n, 1)}%) "
            f"[{stats.fmt(100 * lo, 1)}, {stats.fmt(100 * hi, 1)}]")


def render(display: Response, data: Data) -> Rendered:
    cols = columns(display, data.datasets["ADSL"])
    adrs = data.datasets[display.dataset]
    adrs = adrs[evaluate(display.where, adrs)]
    rows = []
    for pc in display.params:
        recs = adrs[adrs["PARAMCD"] == pc]
        if recs.empty:
            raise KeyError(f"PARAMCD {pc} (no {display.dataset} record)")
        yes = set(recs.loc[recs["AVALC"].isin(display.responders), "USUBJID"])
        rows.append([str(recs["PARAM"].iloc[0]),
                     *[cell(len(yes & set(ids)), len(ids), display.conf_level)
                       for ids in cols.values()]])
    pct = stats.fmt(100 * display.conf_level, 0)
    frame = pd.DataFrame(rows, columns=[f"Responders n/N (%) [{pct}% CI]", *headers(cols)])
    return Rendered(tables=[Table("", display.title, frame)])


def method(display: Response) -> str:
    where = "" if display.where is None else f" among records where {text_of(display.where)}"
    return (f"Per PARAMCD ({', '.join(display.params)}) of {display.dataset}{where}: subjects "
            f"with AVALC in ({', '.join(display.responders)}) among the subjects with ADSL."
            f"{display.population} = Y of each {display.group} column, with the exact "
            f"Clopper-Pearson {stats.fmt(100 * display.conf_level, 0)}% confidence interval.")


DISPLAY = Kind("response", Response, render, method)
