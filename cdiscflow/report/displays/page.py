"""The displays' files: each table as CSV (``report/displays/<id>.csv``), each figure as PNG
and SVG, and ``report/displays.html``, one self-contained page (inline CSS, figures as SVG data
URIs, no script) laid out to fit a 1366-pixel-wide screen."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from cdiscflow.adam.spec import AdamSpecError
from cdiscflow.atomic import write_bytes_atomic, write_text_atomic
from cdiscflow.errors import CdiscflowError
from cdiscflow.report import _inline_svg
from cdiscflow.report.displays.base import Data, DisplayBase, Rendered
from cdiscflow.report.figures import render as render_figure

PAGE = "displays.html"
FOLDER = "displays"

_CSS = """
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:1em auto;max-width:1300px;
color:#222;line-height:1.35;padding:0 16px;box-sizing:border-box}
h1{font-size:1.35em}h2{font-size:1.1em;margin-top:2em;border-bottom:1px solid #ddd}
p.meta{font-size:.85em;color:#444;margin:.2em 0}
div.wide{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.5em 0;font-size:.85em}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left;white-space:pre}
thead th{background:#f2f2f2}
caption{text-align:left;font-weight:bold;padding:.3em 0}
img{max-width:100%;height:auto}
ol.foot{font-size:.8em;color:#444}
"""


def _table_html(caption: str, frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return (f"<div class='wide'><table><caption>{html.escape(caption)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def _render(display: DisplayBase, data: Data, index_file: str, number: int) -> Rendered:
    from cdiscflow.report.displays import KINDS

    try:
        return KINDS[display.kind].render(display, data)
    except KeyError as exc:
        raise AdamSpecError(f"displays.{number} ({display.id}): no {exc.args[0]} in the data",
                            file=index_file) from None
    except ValueError as exc:  # data a display cannot use (a missing time to event)
        raise CdiscflowError(f"{index_file}: displays.{number} ({display.id}): {exc}"
                             ) from None


def write_page(displays: list[DisplayBase], datasets: dict[str, pd.DataFrame],
               labels: dict[str, dict[str, str]], sdtm: dict[str, pd.DataFrame],
               folder: Path, index_file: str) -> dict[str, str]:
    """Draw each display, write its tables (CSV) and figure (PNG, SVG) to ``folder``/displays/
    and the page ``folder``/displays.html; returns name -> file relative to ``folder``."""
    data = Data(datasets=datasets, labels=labels, sdtm=sdtm)
    files = folder / FOLDER
    files.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}
    parts = ["<h1>Displays</h1><p class='meta'>Every number on this page is computed from the "
             "ADaM datasets written by this run; each table is also a CSV file and each figure "
             f"a PNG and SVG file in {FOLDER}/.</p>"]
    for number, display in enumerate(displays):
        out = _render(display, data, index_file, number)
        parts.append(f"<h2 id='{display.id}'>{html.escape(display.title)}</h2>"
                     f"<p class='meta'>Population: subjects with ADSL.{display.population} = "
                     f"Y; columns: {html.escape(display.group)}"
                     + (" with " + html.escape(", ".join(display.totals))
                        if display.totals else "") + ".</p>")
        for table in out.tables:
            stem = display.id + (f"_{table.suffix}" if table.suffix else "")
            path = files / f"{stem}.csv"
            write_text_atomic(path, table.frame.to_csv(index=False, lineterminator="\n"))
            written[stem] = f"{FOLDER}/{path.name}"
            parts.append(_table_html(table.caption, table.frame))
        if out.figure is not None:
            png, svg = render_figure(out.figure)
            write_bytes_atomic(files / f"{display.id}.png", png)
            write_bytes_atomic(files / f"{display.id}.svg", svg)
            written[f"{display.id}.png"] = f"{FOLDER}/{display.id}.png"
            written[f"{display.id}.svg"] = f"{FOLDER}/{display.id}.svg"
            parts.append(f"<figure>{_inline_svg(svg, display.title)}</figure>")
        parts += [f"<p class='meta'>{html.escape(n)}</p>" for n in out.notes]
        if display.footnotes:
            parts.append("<ol class='foot'>" + "".join(
                f"<li>{html.escape(f)}</li>" for f in display.footnotes) + "</ol>")
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width'>"
            f"<title>Displays</title><style>{_CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")
    write_text_atomic(folder / PAGE, page)
    written["html"] = PAGE
    return written
