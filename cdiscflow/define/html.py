"""define.html: the define.xml's content as one self-contained page a reviewer opens offline
(no script, no stylesheet or font fetched from anywhere; links are relative to the folder)."""

from __future__ import annotations

from html import escape

from cdiscflow.define.model import Dataset, Define, Item
from cdiscflow.define.xml import part_names

_STYLE = """
body{font-family:sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
th,td{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#e8eef4}
h2{border-bottom:2px solid #36c;padding-bottom:.2em;margin-top:2em}
.small{color:#555;font-size:90%}
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def _table(head: list[str], rows: list[list[str]]) -> str:
    """Cells are already escaped HTML."""
    out = ["<table><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _origin(item: Item) -> str:
    o = item.origin
    text = _e(o.type) + (f" ({_e(o.source)})" if o.source else "")
    if o.description:
        text += f"<br><span class=small>{_e(o.description)}</span>"
    if item.method is not None:
        text += f'<br><a href="#{_e(item.method.oid)}">{_e(item.method.name)}</a>'
    return text


def _dataset_section(ds: Dataset) -> str:
    files = ", ".join(f'<a href="{_e(f)}">{_e(f)}</a>' for f in ds.files)
    parts = [f'<h2 id="{_e(ds.name)}">{_e(ds.name)}: {_e(ds.label)}</h2>',
             f"<p>Class {_e(ds.class_name)}; structure: {_e(ds.structure)}; keys: "
             f"{_e(', '.join(ds.keys))}; file(s): {files}</p>"]
    if ds.comment:
        parts.append(f"<p class=small>{_e(ds.comment)}</p>")
    rows = []
    for item in ds.items:
        cl = item.codelist
        rows.append([
            _e(item.name), _e(item.label), _e(item.data_type),
            _e(item.display_length if item.display_length is not None else ""),
            _e(item.display_format or ""),
            f'<a href="#{_e(cl.oid)}">{_e(cl.name)}</a>' if cl else "",
            _origin(item),
        ])
    parts.append(_table(["Variable", "Label", "Type", "Length", "Format", "Codelist",
                         "Origin / method"], rows))
    for item in ds.items:
        if not item.values:
            continue
        parts.append(f"<h3>{_e(ds.name)}.{_e(item.name)} by value</h3>")
        parts.append(_table(
            ["Where", "Type", "Length", "Origin"],
            [[f"{_e(v.where_var)} = {_e(v.where_value)}", _e(v.data_type),
              _e(v.length if v.length is not None else ""),
              _e(v.origin.type) + (f"<br><span class=small>{_e(v.origin.description)}</span>"
                                   if v.origin.description else "")]
             for v in item.values]))
    return "".join(parts)


def _analysis_results(define: Define) -> str:
    """The analysis results metadata (arm:ResultDisplay), one row per analysis result; empty
    without displays, so a define without them reads as before."""
    rows = []
    for rd in define.result_displays:
        for result in rd.results:
            datasets = "<br>".join(
                _e(f"{d.name}: {', '.join(d.variables) or '-'}"
                   + (" where " + " and ".join(f"{v} = {x}" for v, x in d.where)
                      if d.where else "")) for d in result.datasets)
            rows.append([f'<span id="RD.{_e(rd.name)}">{_e(rd.name)}</span>', _e(rd.title),
                         _e(f"{result.reason}; {result.purpose}"), datasets,
                         _e(result.documentation)])
    if not rows:
        return ""
    return "<h2>Analysis results</h2>" + _table(
        ["Display", "Title", "Reason; purpose", "Datasets: variables", "Method"], rows)


def define_html(define: Define) -> str:
    toc = _table(["Dataset", "Label", "Class", "Files"], [
        [f'<a href="#{_e(ds.name)}">{_e(ds.name)}</a>', _e(ds.label), _e(ds.class_name),
         ", ".join(f'<a href="{_e(f)}">{_e(n)}</a>' for n, f in zip(part_names(ds), ds.files,
                                                                    strict=True))]
        for ds in define.datasets])
    standards = _table(["Name", "Type", "Version"], [
        [_e(s.name + (f" ({s.publishing_set})" if s.publishing_set else "")), _e(s.type),
         _e(s.version)] for s in define.standards])
    codelists = "".join(
        f'<h3 id="{_e(cl.oid)}">{_e(cl.name)} ({_e(cl.code or "sponsor")})</h3>'
        + _table(["Value", "NCI code", "Preferred term"],
                 [[_e(t.value), _e(t.code or "extended"), _e(t.decode or "")]
                  for t in cl.terms])
        for cl in define.codelists())
    methods = "".join(
        f'<h3 id="{_e(m.oid)}">{_e(m.name)}</h3><p>{_e(m.description)}</p>'
        for m in define.methods())
    body = "".join(_dataset_section(ds) for ds in define.datasets)
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{_e(define.mdv_name)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_e(define.mdv_name)}</h1><p>{_e(define.description)}</p>"
        f"<p class=small>Define-XML 2.1, created {_e(define.created.isoformat())}; "
        f"the machine-readable version is define.xml beside this file.</p>"
        f"<h2>Standards</h2>{standards}<h2>Datasets</h2>{toc}{body}"
        f"<h2>Codelists</h2>{codelists or '<p>None.</p>'}"
        f"<h2>Methods</h2>{methods or '<p>None.</p>'}{_analysis_results(define)}"
        "</body></html>\n"
    )
