"""The report's two figures, drawn with matplotlib from ADaM (plus SDTM records for the
swimmer plot's medication intervals), as PNG and SVG.

Byte-identical reruns: the Agg backend, a fixed SVG hash salt, no creation date or software
stamp in the files, text drawn as paths with the font matplotlib ships (DejaVu Sans), a fixed
size and resolution, and every series in a sorted order.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cdiscflow.adam.conditions import evaluate
from cdiscflow.adam.dates import impute_date
from cdiscflow.adam.spec import ReportSpec

matplotlib.use("Agg")

RC = {
    "svg.hashsalt": "cdiscflow",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "figure.dpi": 100,
    "savefig.dpi": 100,
}
# colour-blind-safe palette (Okabe-Ito), in group order
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000"]


def render(fig: Figure) -> tuple[bytes, bytes]:
    """(PNG bytes, SVG bytes) of a figure, with no date or software stamp."""
    with matplotlib.rc_context(RC):
        png, svg = io.BytesIO(), io.BytesIO()
        fig.savefig(png, format="png", metadata={"Software": None})
        fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png.getvalue(), svg.getvalue()


def mean_over_time(adsl: pd.DataFrame, adrs: pd.DataFrame, spec: ReportSpec,
                   groups: dict[str, list[str]]) -> Figure:
    """Mean (+- s.e.m.) of the plotted parameter by reporting group at each scheduled visit
    from the first dose on (unscheduled visits, numbered x.01..., are left out)."""
    with matplotlib.rc_context(RC):
        recs = adrs[(adrs["PARAMCD"] == spec.plot_param)
                    & (pd.to_numeric(adrs[spec.plot_day], errors="coerce") >= 1)].copy()
        visit_n = pd.to_numeric(recs[spec.plot_visit_n], errors="coerce")
        recs = recs[visit_n == np.floor(visit_n)]
        visits = (recs[[spec.plot_visit_n, spec.plot_visit]].drop_duplicates()
                  .sort_values(spec.plot_visit_n))
        pos = {v: i for i, v in enumerate(visits[spec.plot_visit_n])}
        fig = Figure(figsize=(9, 4.8))
        ax = fig.add_subplot()
        group_names = [g for g in groups if g in set(adsl[spec.group])]
        for k, name in enumerate(group_names):
            mine = recs[recs["USUBJID"].isin(groups[name])]
            stats = mine.groupby(spec.plot_visit_n)["AVAL"].agg(["mean", "std", "count"])
            sem = (stats["std"] / np.sqrt(stats["count"])).fillna(0)
            x = [pos[v] + (k - (len(group_names) - 1) / 2) * 0.08 for v in stats.index]
            ax.errorbar(x, stats["mean"], yerr=sem, marker="o", markersize=3.5, capsize=2,
                        linewidth=1.2, color=PALETTE[k % len(PALETTE)],
                        label=f"{name} (n={len(groups[name])})")
        ax.set_xticks(range(len(pos)), [str(v).title() for v in visits[spec.plot_visit]],
                      rotation=60, ha="right")
        unit = recs["AVALU"].dropna().iloc[0] if recs["AVALU"].notna().any() else ""
        param = recs["PARAM"].iloc[0] if len(recs) else spec.plot_param
        ax.set_ylabel(f"{param}, mean (s.e.m.)" if not unit or unit in param
                      else f"{param} ({unit}), mean (s.e.m.)")
        ax.set_xlabel("Visit")
        ax.grid(axis="y", linewidth=0.4, color="#cccccc")
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
    return fig


def _intervals(records: pd.DataFrame, prefix: str, trtsdt: pd.Series, last_day: pd.Series
               ) -> list[tuple[str, float, float]]:
    """(USUBJID, first study day, last study day) of SDTM interval records; a partial start is
    taken at its earliest day, a missing end as ongoing to the subject's last assessment."""
    start, _ = impute_date(records[f"{prefix}STDTC"], "M", "first")
    end, _ = impute_date(records[f"{prefix}ENDTC"], "M", "last")
    out = []
    for subj, s, e in zip(records["USUBJID"], start, end, strict=True):
        if subj not in trtsdt.index or np.isnan(s):
            continue
        ref = trtsdt[subj]
        lo = s - ref + 1 if s >= ref else s - ref
        hi = (e - ref + 1) if not np.isnan(e) else last_day.get(subj, lo)
        out.append((str(subj), float(lo), float(hi)))
    return out


def swimmer(adsl: pd.DataFrame, adrs: pd.DataFrame, spec: ReportSpec,
            groups: dict[str, list[str]], intervals: dict[str, pd.DataFrame]) -> Figure:
    """One lane per subject, from the first dose to the last assessment: response assessments
    as markers, each declared interval kind (e.g. rescue therapy, concomitant medication) as a
    bar; lanes grouped by reporting group."""
    with matplotlib.rc_context(RC):
        pop = adsl[adsl[spec.population] == "Y"].sort_values([spec.group_order, "USUBJID"])
        trtsdt = pop.set_index("USUBJID")["TRTSDT"].astype(float)
        per_visit = adrs[adrs["PARAMCD"] == spec.swimmer_param]
        last_day = per_visit.groupby("USUBJID")[spec.plot_day].max()
        lanes = {u: i for i, u in enumerate(reversed(pop["USUBJID"].tolist()))}
        fig = Figure(figsize=(9, 0.32 * len(lanes) + 1.6))
        ax = fig.add_subplot()
        group_of = pop.set_index("USUBJID")[spec.group]
        colours = {g: PALETTE[k % len(PALETTE)] for k, g in enumerate(groups)}
        for u, y in lanes.items():
            end = float(last_day.get(u, 1.0))
            ax.barh(y, end, left=0, height=0.5, color=colours[group_of[u]], alpha=0.25,
                    linewidth=0)
        shades = ["#D55E00", "#555555", "#009E73", "#CC79A7"]
        offsets = np.linspace(0.18, -0.18, max(len(intervals), 1))
        for k, (label, recs) in enumerate(intervals.items()):
            if recs.empty:  # e.g. a study where nobody needed rescue therapy
                continue
            spans = _intervals(recs, _prefix(recs), trtsdt, last_day)
            first = True
            for subj, lo, hi in sorted(spans):
                if subj not in lanes:
                    continue
                ax.plot([max(lo, 0), max(hi, 0.5)], [lanes[subj] + offsets[k]] * 2,
                        color=shades[k % len(shades)], linewidth=2.2, solid_capstyle="butt",
                        label=label if first else None)
                first = False
        resp = per_visit[per_visit["AVALC"].isin(spec.swimmer_response_codes)]
        markers = ["*", "o", "s", "D"]
        for k, code in enumerate(spec.swimmer_response_codes):
            mine = resp[(resp["AVALC"] == code) & resp["USUBJID"].isin(lanes)]
            ax.scatter(mine[spec.plot_day].astype(float), [lanes[u] for u in mine["USUBJID"]],
                       marker=markers[k % len(markers)], s=28 if k == 0 else 14,
                       color="#000000" if k == 0 else "#0072B2", zorder=3, label=code,
                       linewidths=0)
        ax.set_yticks(list(lanes.values()),
                      [f"{pop.set_index('USUBJID').loc[u, 'SUBJID']}" for u in lanes])
        ax.set_xlabel("Study day")
        ax.set_ylabel("Subject")
        ax.set_xlim(left=0)
        handles, labels = ax.get_legend_handles_labels()
        from matplotlib.patches import Patch

        handles += [Patch(color=colours[g], alpha=0.35) for g in groups if g in colours
                     and g in set(group_of)]
        labels += [g for g in groups if g in set(group_of)]
        ax.legend(handles, labels, frameon=False, fontsize=7, loc="center left",
                  bbox_to_anchor=(1.0, 0.5))
        fig.tight_layout()
    return fig


def _prefix(records: pd.DataFrame) -> str:
    domains: Sequence[str] = records["DOMAIN"].dropna().unique().tolist() if "DOMAIN" in \
        records else []
    if len(domains) != 1:
        raise ValueError("interval records must come from one SDTM domain")
    return str(domains[0])


def interval_records(sdtm: dict[str, pd.DataFrame], spec: ReportSpec) -> dict[str, pd.DataFrame]:
    out = {}
    for label, src in spec.swimmer_intervals.items():
        frame = sdtm[src.dataset]
        out[label] = frame[evaluate(src.where, frame)]
    return out
