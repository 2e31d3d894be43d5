"""Swimmer plot: one lane per subject of the population, from day 1 to the subject's last
assessment, coloured by reporting group, with the days of each declared response code marked
(one marker per code); lanes grouped by group, subjects by SUBJID. Above ``max_subjects`` the
plot is not drawn and the page says so."""

from __future__ import annotations

from typing import Literal

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from pydantic import Field

from cdiscflow.adam.conditions import Where, evaluate, text_of, variables
from cdiscflow.adam.report_spec import SourceSpec
from cdiscflow.report import figures
from cdiscflow.report.displays.base import (
    Data,
    DisplayBase,
    Kind,
    Rendered,
    columns,
    decoded,
)
from cdiscflow.report.figures import PALETTE, RC


class Swimmer(DisplayBase):
    kind: Literal["swimmer"]
    dataset: str = "ADRS"
    param: str  # PARAMCD of the per-assessment response
    codes: list[str] = Field(min_length=1)  # AVALC values marked, each its own marker
    day: str = "ADY"
    where: Where | None = None
    max_subjects: int = Field(default=100, ge=1)
    # bars per subject: label -> SDTM records with --STDTC/--ENDTC (e.g. rescue therapy in CM)
    intervals: dict[str, SourceSpec] = {}

    def reads(self) -> dict[str, list[str]]:
        own = ["USUBJID", "PARAMCD", "AVALC", self.day]
        if self.where is not None:
            own += variables(self.where)
        adsl = ["USUBJID", "SUBJID", *self.adsl_reads(), *(["TRTSDT"] if self.intervals else [])]
        return {"ADSL": adsl, self.dataset: own}

    def analysed(self) -> dict[str, list[str]]:
        return {self.dataset: ["AVALC", self.day]}

    def parameter(self) -> tuple[str, str] | None:
        return (self.dataset, self.param)


_MARKERS = ["*", "o", "s", "D", "^", "v"]


def render(display: Swimmer, data: Data) -> Rendered:
    adsl = data.datasets["ADSL"]
    cols = columns(display, adsl)
    groups = {u: g for g, ids in list(cols.items())[:len(cols) - len(display.totals)]
              for u in ids}
    if len(groups) > display.max_subjects:
        return Rendered(notes=[f"Not drawn: {len(groups)} subjects, more than the "
                               f"{display.max_subjects} lanes allowed (max_subjects)."])
    frame = data.datasets[display.dataset]
    recs = frame[(frame["PARAMCD"] == display.param) & evaluate(display.where, frame)]
    recs = recs.assign(_d=pd.to_numeric(recs[display.day], errors="coerce"))
    last = recs.groupby("USUBJID")["_d"].max()
    subjid = adsl.set_index("USUBJID")["SUBJID"]
    order = list(dict.fromkeys(groups.values()))
    lanes = sorted(groups, key=lambda u: (order.index(groups[u]), str(subjid[u])))
    y_of = {u: len(lanes) - 1 - i for i, u in enumerate(lanes)}
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(9, 0.3 * len(lanes) + 1.6))
        ax = fig.add_subplot()
        colour = {g: PALETTE[k % len(PALETTE)] for k, g in enumerate(order)}
        for u in lanes:
            ax.barh(y_of[u], float(last.get(u, 1.0)), left=0, height=0.5,
                    color=colour[groups[u]], alpha=0.3, linewidth=0)
        _interval_bars(display, data, ax, y_of, last)
        for k, code in enumerate(display.codes):
            hit = recs[(recs["AVALC"] == code) & recs["USUBJID"].isin(y_of)]
            ax.scatter(hit["_d"], [y_of[u] for u in hit["USUBJID"]], s=24,
                       marker=_MARKERS[k % len(_MARKERS)], color="#000000", linewidths=0,
                       zorder=3, label=decoded(display, "AVALC", code))
        ax.set_yticks(list(y_of.values()), [str(subjid[u]) for u in y_of])
        ax.set_xlabel(f"Study day ({display.day})")
        ax.set_ylabel("Subject")
        ax.set_xlim(left=0)
        handles, labels = ax.get_legend_handles_labels()
        handles += [Patch(color=colour[g], alpha=0.4) for g in order]
        labels += order
        ax.legend(handles, labels, frameon=False, fontsize=7, loc="center left",
                  bbox_to_anchor=(1.0, 0.5))
        fig.tight_layout()
    return Rendered(figure=fig)


_SHADES = ["#D55E00", "#555555", "#009E73", "#CC79A7"]


def _interval_bars(display: Swimmer, data: Data, ax, y_of: dict[str, int],
                   last: pd.Series) -> None:
    """A thin bar per SDTM interval record of each declared kind, on its subject's lane, in
    study days from TRTSDT (a partial start at its earliest day, a missing end ongoing to the
    last assessment)."""
    if not display.intervals:
        return
    trtsdt = data.datasets["ADSL"].set_index("USUBJID")["TRTSDT"].astype(float)
    offsets = np.linspace(0.18, -0.18, max(len(display.intervals), 1))
    for k, (label, source) in enumerate(display.intervals.items()):
        frame = data.sdtm[source.dataset]
        recs = frame[evaluate(source.where, frame)]
        if recs.empty:  # nobody had one: no bar, no legend entry
            continue
        first = True
        for subj, lo, hi in sorted(figures._intervals(recs, figures._prefix(recs), trtsdt,
                                                      last)):
            if subj in y_of:
                ax.plot([max(lo, 0), max(hi, 0.5)], [y_of[subj] + offsets[k]] * 2,
                        color=_SHADES[k % len(_SHADES)], linewidth=2.2,
                        solid_capstyle="butt", label=label if first else None)
                first = False


def method(display: Swimmer) -> str:
    where = "" if display.where is None else f" where {text_of(display.where)}"
    return (f"Per subject with ADSL.{display.population} = Y, grouped by {display.group}: a "
            f"bar from day 0 to the last {display.day} of the {display.dataset} records with "
            f"PARAMCD = {display.param}{where}, and a marker at each {display.day} whose AVALC "
            f"is {', '.join(display.codes)}"
            + "".join(f"; {label}: {s.dataset} records"
                      + (f" where {text_of(s.where)}" if s.where is not None else "")
                      + " from their start to end day" for label, s in display.intervals.items())
            + ".")


DISPLAY = Kind("swimmer", Swimmer, render, method)
