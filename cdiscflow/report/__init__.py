"""The reviewer's report: the paper's tables recomputed from ADaM (CSV and one self-contained
HTML page) and two figures (PNG and SVG). See docs/adam-spec.md (``report:``)."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from cdiscflow.adam.spec import ReportSpec
from cdiscflow.atomic import write_bytes_atomic, write_text_atomic
from cdiscflow.report import figures, tables

_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1100px;color:#222;line-height:1.4}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
thead th{background:#f2f2f2}
figure{margin:1em 0}figcaption{font-size:.9em;color:#555}
img{max-width:100%;height:auto}
p.note{font-size:.85em;color:#555}
"""


def _table_html(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _inline_svg(svg: bytes, alt: str) -> str:
    # a data URI keeps each figure a document of its own: matplotlib's glyph and clip-path ids
    # would otherwise repeat across two <svg> elements of one page
    data = base64.b64encode(svg).decode("ascii")
    return f"<img alt='{html.escape(alt)}' src='data:image/svg+xml;base64,{data}'>"


def write_report(adsl: pd.DataFrame, adae: pd.DataFrame, adrs: pd.DataFrame,
                 sdtm: dict[str, pd.DataFrame], spec: ReportSpec, labels: dict[str, str],
                 folder: Path) -> dict[str, Path]:
    """Write the tables (CSV), the figures (PNG, SVG) and ``adam-report.html``; returns the
    paths by name."""
    built = {
        "demographics": ("Demographics and baseline characteristics",
                         tables.demographics(adsl, spec, labels)),
        "ae_summary": ("Treatment-emergent adverse events: subjects with at least one",
                       tables.ae_summary(adsl, adae, spec)),
        "teae_by_pt_grade": ("Treatment-emergent adverse events by preferred term and worst "
                             "grade (all subjects)", tables.ae_by_term_grade(adsl, adae, spec)),
        "response": ("Response by reporting group", tables.response(adsl, adrs, spec)),
    }
    written: dict[str, Path] = {}
    for name, (_, frame) in built.items():
        path = folder / f"{name}.csv"
        write_text_atomic(path, frame.to_csv(index=False, lineterminator="\n"))
        written[name] = path
    groups = tables.groups(adsl, spec)
    figs = {
        "mean_over_time": ("Mean (s.e.m.) by reporting group over time",
                                figures.mean_over_time(adsl, adrs, spec, groups)),
    }
    subjects = int((adsl[spec.population] == "Y").sum())
    swimmer_title = "Response, rescue therapy and concomitant medication per subject"
    too_many = spec.swimmer_max_subjects is not None and subjects > spec.swimmer_max_subjects
    if not too_many:
        figs["swimmer"] = (swimmer_title, figures.swimmer(adsl, adrs, spec, groups,
                                                         figures.interval_records(sdtm, spec)))
    svgs = {}
    for name, (_, fig) in figs.items():
        png, svg = figures.render(fig)
        write_bytes_atomic(folder / f"{name}.png", png)
        write_bytes_atomic(folder / f"{name}.svg", svg)
        written[f"{name}.png"], written[f"{name}.svg"] = (folder / f"{name}.png",
                                                          folder / f"{name}.svg")
        svgs[name] = svg
    parts = [f"<h1>{html.escape(spec.title)}</h1>",
             "<p class='note'>Every number on this page is computed from the ADaM datasets "
             "(ADSL, ADAE, ADRS) written by this run; the tables are also in CSV beside this "
             "file.</p>"]
    for title, frame in built.values():
        parts.append(f"<h2>{html.escape(title)}</h2>{_table_html(frame)}")
    for name, (title, _) in figs.items():
        parts.append(f"<h2>{html.escape(title)}</h2><figure>{_inline_svg(svgs[name], title)}"
                     f"<figcaption>{html.escape(title)} ({name}.png, {name}.svg)"
                     "</figcaption></figure>")
    if too_many:
        parts.append(f"<h2>{html.escape(swimmer_title)}</h2><p class='note'>Not drawn: "
                     f"{subjects} subjects, more than the {spec.swimmer_max_subjects} lanes "
                     "the report spec allows (swimmer_max_subjects).</p>")
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(spec.title)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")
    write_text_atomic(folder / "adam-report.html", page)
    written["html"] = folder / "adam-report.html"
    return written
