"""Kaplan-Meier curves of one time-to-event parameter by reporting group: each curve with
its pointwise log-log confidence band and censoring marks, the numbers at risk under the time
axis, and a table of N, events, censored and the median with its confidence interval
(Brookmeyer-Crowley; "NE" where a limit is not reached)."""

from __future__ import annotations

import re
from typing import Literal

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
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
)
from cdiscflow.report.figures import PALETTE, RC


class KaplanMeier(DisplayBase):
    kind: Literal["kaplan_meier"]
    dataset: str = "ADTTE"
    param: str  # PARAMCD
    where: Where | None = None  # records analysed (besides PARAMCD)
    conf_level: float = Field(default=0.95, gt=0, lt=1)
    risk_times: list[float] = []  # times of the numbers at risk (default: the axis ticks)
    time_scale: float = Field(default=1.0, gt=0)  # AVAL divided by this (e.g. 30.4375)
    time_unit: str | None = None  # axis unit after scaling (default: AVALU)

    def reads(self) -> dict[str, list[str]]:
        own = ["USUBJID", "PARAMCD", "PARAM", "AVAL", "CNSR"]
        if self.where is not None:
            own += variables(self.where)
        return {"ADSL": ["USUBJID", *self.adsl_reads()], self.dataset: own}

    def analysed(self) -> dict[str, list[str]]:
        return {self.dataset: ["AVAL", "CNSR"]}

    def parameter(self) -> tuple[str, str] | None:
        return (self.dataset, self.param)


def _records(display: KaplanMeier, data: Data) -> pd.DataFrame:
    tte = data.datasets[display.dataset]
    recs = tte[(tte["PARAMCD"] == display.param) & evaluate(display.where, tte)]
    if recs.empty:
        raise KeyError(f"PARAMCD {display.param} (no {display.dataset} record)")
    bad = recs[pd.to_numeric(recs["AVAL"], errors="coerce").isna()]
    if len(bad):
        raise ValueError(f"{display.dataset} PARAMCD {display.param}: AVAL is missing for "
                         f"USUBJID {bad['USUBJID'].iloc[0]}")
    return recs


def _limit(value: float, decimals: int = 1) -> str:
    return "NE" if np.isnan(value) else stats.fmt(value, decimals)


def render(display: KaplanMeier, data: Data) -> Rendered:
    cols = columns(display, data.datasets["ADSL"])
    recs = _records(display, data)
    unit = display.time_unit or ", ".join(sorted({str(u).lower() for u in recs.get("AVALU", [])
                                                  if str(u).strip()})) or "time"
    pct = stats.fmt(100 * display.conf_level, 0)
    curves, rows = {}, []
    for label, ids in cols.items():
        mine = recs[recs["USUBJID"].isin(ids)]
        time = mine["AVAL"].astype(float).to_numpy() / display.time_scale
        event = mine["CNSR"].astype(float).to_numpy() == 0
        table = stats.km_curve(time, event, display.conf_level)
        curves[label] = (time, event, table)
        med, lo, hi = stats.km_median(table) if len(table) else (np.nan,) * 3
        rows.append([label, str(len(mine)), str(int(event.sum())), str(int((~event).sum())),
                     _limit(med), f"{_limit(lo)}, {_limit(hi)}"])
    frame = pd.DataFrame(rows, columns=["", "N", "Events", "Censored", f"Median ({unit})",
                                        f"{pct}% CI"])
    param = str(recs["PARAM"].iloc[0])
    if display.time_scale != 1:  # "Overall survival (days)" drawn in years: drop its unit
        param = re.sub(r"\s*\([^()]*\)$", "", param)
    fig = _figure(display, curves, param, unit)
    return Rendered(tables=[Table("", f"{display.title}: median time", frame)], figure=fig)


def _figure(display: KaplanMeier, curves: dict, param: str, unit: str) -> Figure:
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(9, 5.6))
        ax = fig.add_axes((0.17, 0.34, 0.8, 0.58))
        end = max((float(t.max()) for t, _, _ in curves.values() if len(t)), default=1.0)
        for k, (label, (time, _, table)) in enumerate(curves.items()):
            colour = PALETTE[k % len(PALETTE)]
            x = np.concatenate([[0.0], table["time"].to_numpy(float)])
            y = np.concatenate([[1.0], table["survival"].to_numpy(float)])
            ax.step(x, y, where="post", color=colour, linewidth=1.4,
                    label=f"{label} (n={len(time)})")
            ax.fill_between(x, np.concatenate([[1.0], table["lower"].to_numpy(float)]),
                            np.concatenate([[1.0], table["upper"].to_numpy(float)]),
                            step="post", color=colour, alpha=0.15, linewidth=0)
            cens = table[table["n_censor"] > 0]
            ax.plot(cens["time"], cens["survival"], linestyle="none", marker="+",
                    markersize=7, color=colour)
        ax.set_xlim(0, end * 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_title(param, fontsize=9, loc="left")
        ax.set_ylabel("Probability without event")
        ax.grid(linewidth=0.4, color="#cccccc")
        ax.legend(frameon=False, fontsize=8, loc="lower left")
        ticks = display.risk_times or [t for t in ax.get_xticks() if 0 <= t <= end * 1.02]
        ax.set_xticks(ticks)
        ax.set_xlabel(f"Time ({unit}); + censored; band: "
                      f"{stats.fmt(100 * display.conf_level, 0)}% confidence limits")
        risk = fig.add_axes((0.17, 0.04, 0.8, 0.16), sharex=ax)
        risk.set_ylim(-0.5, len(curves) - 0.5)
        for k, (time, _, _) in enumerate(curves.values()):
            y = len(curves) - 1 - k
            for t, n in zip(ticks, stats.at_risk(time, ticks), strict=True):
                risk.text(t, y, str(n), ha="center", va="center", fontsize=8,
                          color=PALETTE[k % len(PALETTE)])
        risk.set_yticks(range(len(curves)), list(reversed(list(curves))), fontsize=8)
        risk.tick_params(axis="x", labelbottom=False, length=0)
        risk.tick_params(axis="y", length=0, pad=14)  # clear of the first count
        for side in ("top", "right", "bottom", "left"):
            risk.spines[side].set_visible(False)
        risk.set_title("Number at risk", fontsize=8, loc="left")
    return fig


def method(display: KaplanMeier) -> str:
    where = "" if display.where is None else f" where {text_of(display.where)}"
    return (f"{display.dataset} records with PARAMCD = {display.param}{where}, of subjects "
            f"with ADSL.{display.population} = Y, by {display.group}: Kaplan-Meier estimate of "
            "the survival function from AVAL with CNSR = 0 an event (events before censorings "
            "at a tie), Greenwood variance, pointwise "
            f"{stats.fmt(100 * display.conf_level, 0)}% log-log confidence limits; the median "
            "is the first time the estimate is 0.5 or less, its confidence interval "
            "(Brookmeyer-Crowley) the first times the lower and upper limits are.")


DISPLAY = Kind("kaplan_meier", KaplanMeier, render, method)
