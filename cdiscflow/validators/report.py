"""Validation reports: a rich table for the terminal, JSON for machines, a self-contained HTML
page for a reviewer, and JUnit XML so CI shows each failed rule as a failed test."""

from __future__ import annotations

import html
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console
from rich.table import Table

from cdiscflow import __version__
from cdiscflow.atomic import write_text_atomic
from cdiscflow.validators.catalogue import ERROR, RULES, WARNING
from cdiscflow.validators.findings import FIELDS

# JSON report layout version: bump when a field is renamed or removed, never otherwise
JSON_FORMAT = 1


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in frame[list(FIELDS)].itertuples(index=False, name=None):
        item = dict(zip(FIELDS, rec, strict=True))
        item["row"] = None if pd.isna(item["row"]) else int(item["row"])
        out.append(item)
    return out


def summary(result: Any) -> list[dict[str, Any]]:
    """Per dataset: records, errors, warnings (every validated dataset, clean ones too)."""
    f = result.findings
    counts = f.groupby(["dataset", "severity"]).size()
    rows = []
    for name, n in result.datasets.items():
        rows.append({"dataset": name, "records": int(n),
                     "errors": int(counts.get((name, ERROR), 0)),
                     "warnings": int(counts.get((name, WARNING), 0))})
    return rows


def _head(result: Any) -> dict[str, Any]:
    """The JSON report without its findings."""
    used = set(result.findings["rule"].unique())
    return {
        "format": JSON_FORMAT,
        "tool": f"cdiscflow {__version__}",
        "source": result.source,
        "errors": result.errors,
        "warnings": result.warnings,
        "datasets": summary(result),
        "rules": [{"id": r.id, "severity": r.severity, "message": r.message, "scope": r.scope,
                   "fda": r.fda, "cdisc": r.cdisc} for r in RULES.values() if r.id in used],
    }


def to_json(result: Any) -> dict[str, Any]:
    return {**_head(result), "findings": _records(result.findings)}


def to_json_text(result: Any) -> str:
    """``json.dumps(to_json(result), indent=2)`` plus a newline, the same text, with the
    findings written from the columns: one json.dumps per distinct value, not per record."""
    head = json.dumps(_head(result), indent=2)
    body = _findings_json(result.findings)
    findings = f"[\n{body}\n  ]" if body else "[]"
    # the head ends with "\n}": the findings go in as its last key
    return f'{head[:-2]},\n  "findings": {findings}\n}}\n'


def _findings_json(frame: pd.DataFrame) -> str:
    """The findings as the items of an indent=2 JSON list two levels deep, joined by ',\n'."""
    if not len(frame):
        return ""
    pieces: list[pa.Array | str] = []
    for i, f in enumerate(FIELDS):
        pieces.append(("    {\n" if i == 0 else ",\n") + f'      "{f}": ')
        pieces.append(_json_values(frame[f]))
    pieces.append("\n    }")
    records = pc.binary_join_element_wise(*pieces, "")
    whole = pa.ListArray.from_arrays(pa.array([0, len(records)], type=pa.int32()), records)
    return pc.binary_join(whole, ",\n")[0].as_py()


def _json_values(s: pd.Series) -> pa.Array:
    """Each value as JSON text (null when missing), encoding each distinct value once."""
    if pd.api.types.is_integer_dtype(s.dtype):  # record numbers: all distinct, and plain
        return pc.fill_null(pc.cast(pa.array(s, type=pa.int64()), pa.string()), "null")
    codes, uniques = pd.factorize(s)
    encoded = [json.dumps(v.item() if hasattr(v, "item") else v) for v in uniques]
    texts = pa.array([*encoded, "null"], type=pa.string())
    return texts.take(pa.array(np.where(codes < 0, len(encoded), codes)))


def write_json(result: Any, path: str | os.PathLike[str]) -> None:
    write_text_atomic(Path(path), to_json_text(result))


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin-bottom:2em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}
td.n{text-align:right}
tr.error td.sev{color:#b00020;font-weight:bold}
tr.warning td.sev{color:#a36a00}
.ok{color:#1b7f3a}
"""


def to_html(result: Any) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>cdiscflow validation: {e(result.source)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Validation of {e(result.source or 'datasets')}</h1>",
        # no timestamp: equal inputs give identical reports (a rerun is byte-identical)
        f"<p>{result.errors} error(s), {result.warnings} warning(s); cdiscflow {__version__}."
        "</p>",
        "<h2>Summary by dataset and severity</h2>",
        "<table><thead><tr><th>dataset</th><th>records</th><th>errors</th><th>warnings</th>"
        "</tr></thead><tbody>",
    ]
    for s in summary(result):
        parts.append(f"<tr><td>{e(s['dataset'])}</td><td class=\"n\">{s['records']}</td>"
                     f"<td class=\"n\">{s['errors']}</td><td class=\"n\">{s['warnings']}</td>"
                     "</tr>")
    parts.append("</tbody></table>")
    by_rule = result.findings.groupby(["rule", "severity"]).size()
    if len(by_rule):
        parts.append("<h2>Summary by rule</h2><table><thead><tr><th>rule</th><th>severity</th>"
                     "<th>findings</th><th>FDA / P21</th><th>CDISC</th><th>message</th></tr>"
                     "</thead><tbody>")
        for (rid, sev), n in by_rule.items():
            r = RULES[rid]
            parts.append(f"<tr class=\"{e(sev)}\"><td>{e(rid)}</td><td class=\"sev\">{e(sev)}"
                         f"</td><td class=\"n\">{n}</td><td>{e(r.fda)}</td><td>{e(r.cdisc)}</td>"
                         f"<td>{e(r.message)}</td></tr>")
        parts.append("</tbody></table>")
    parts.append("<h2>Findings</h2>")
    if not len(result.findings):
        parts.append("<p class=\"ok\">No findings.</p>")
    else:
        parts.append(f"<p>One row per dataset, rule, variable, value and message: how many "
                     f"records have it, of how many subjects, and the first {SHOWN_RECORDS} "
                     f"record numbers (1-based, as a SAS viewer shows them). "
                     f"validation.json lists every finding.</p>")
        heads = [*GROUP_KEY, "findings", "subjects", "records"]
        parts.append("<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in heads)
                     + "</tr></thead><tbody>")
        for g in grouped(result.findings).itertuples(index=False):
            cells = [f"<td class=\"sev\">{e(v)}</td>" if k == "severity" else f"<td>{e(v)}</td>"
                     for k, v in zip(GROUP_KEY, g, strict=False)]
            subjects = g.subjects if g.records else ""  # a finding about the dataset
            cells += [f"<td class=\"n\">{g.findings}</td>", f"<td class=\"n\">{subjects}</td>",
                      f"<td>{e(g.records)}</td>"]
            parts.append(f"<tr class=\"{e(g.severity)}\">{''.join(cells)}</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


# the HTML report's findings table: one row per distinct combination of these
GROUP_KEY = ("dataset", "rule", "severity", "variable", "value", "message")
SHOWN_RECORDS = 10


def grouped(frame: pd.DataFrame) -> pd.DataFrame:
    """Findings grouped by ``GROUP_KEY``, in the order of each group's first finding, with
    ``findings`` (how many), ``subjects`` (distinct non-blank USUBJIDs) and ``records`` (the
    first ``SHOWN_RECORDS`` record numbers, '' for a finding about the dataset or variable).

    A study with one unlisted term in a million records gets one row, not a million."""
    frame = frame.reset_index(drop=True)
    groups = frame.groupby(list(GROUP_KEY), sort=False, dropna=False)
    out = groups.size().rename("findings").reset_index()
    number = groups.ngroup()  # 0, 1, ... in the same first-finding order as ``out``
    subject = frame["usubjid"].where(frame["usubjid"] != "")
    out["subjects"] = subject.groupby(number).nunique().to_numpy()
    out["records"] = _first_records(number.to_numpy(), frame["row"], len(out))
    return out


def _first_records(group: np.ndarray, rows: pd.Series, n_groups: int) -> list[str]:
    """Per group, its first ``SHOWN_RECORDS`` record numbers, then how many more."""
    order = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[order], np.arange(n_groups + 1))
    text = rows.astype("str").fillna("").to_numpy(dtype=object)[order]
    out = []
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        shown = ", ".join(t for t in text[a:min(b, a + SHOWN_RECORDS)] if t)
        more = b - a - SHOWN_RECORDS
        out.append(f"{shown}, ... ({more} more)" if more > 0 and shown else shown)
    return out


def write_html(result: Any, path: str | os.PathLike[str]) -> None:
    write_text_atomic(Path(path), to_html(result))


def to_junit(result: Any) -> str:
    """One testsuite per dataset, one testcase per catalogue rule that applies to it; a rule
    with findings fails (errors) or is reported as a failure of type 'warning'."""
    f = result.findings
    suites = ET.Element("testsuites", name="cdiscflow validate", tests="0", failures="0")
    total = failures = 0
    # one pass over the findings, not a filter per dataset and rule
    by_case = dict(iter(f.groupby(["dataset", "rule"], sort=False)))
    # findings about no validated dataset (define.xml as a whole, a dataset only the define
    # names) get a suite of their own, with the rules that fired there
    extra = [n for n in dict.fromkeys(f["dataset"]) if n not in result.datasets]
    for name in [*result.datasets, *extra]:
        kind = "ADaM" if name.startswith("AD") and len(name) > 2 else "SDTM"
        rules = [r for r in RULES.values() if kind in r.scope] if name in result.datasets \
            else [RULES[rid] for rid in dict.fromkeys(f.loc[f["dataset"] == name, "rule"])]
        suite = ET.SubElement(suites, "testsuite", name=name, tests=str(len(rules)))
        failed = 0
        for r in rules:
            case = ET.SubElement(suite, "testcase", classname=f"{name}", name=r.id)
            hits = by_case.get((name, r.id))
            if hits is not None:
                failed += 1
                lines = [f"row {'' if pd.isna(h.row) else int(h.row)} {h.usubjid} {h.variable}="
                         f"{h.value!r}: {h.message}" for h in hits.head(200).itertuples()]
                if len(hits) > 200:
                    lines.append(f"... and {len(hits) - 200} more")
                fail = ET.SubElement(case, "failure", type=r.severity,
                                     message=f"{len(hits)} finding(s): {r.message}")
                fail.text = "\n".join(lines)
        suite.set("failures", str(failed))
        total += len(rules)
        failures += failed
    suites.set("tests", str(total))
    suites.set("failures", str(failures))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") \
        + "\n"


def write_junit(result: Any, path: str | os.PathLike[str]) -> None:
    write_text_atomic(Path(path), to_junit(result))


def print_table(result: Any, console: Console, limit: int = 50) -> None:
    """The summary per dataset, then findings (the first ``limit``, errors first)."""
    if result.source:
        console.print(f"Validation of {result.source}", highlight=False)
    table = Table()
    for col in ("dataset", "records", "errors", "warnings"):
        table.add_column(col, justify="left" if col == "dataset" else "right")
    for s in summary(result):
        table.add_row(s["dataset"], str(s["records"]),
                      f"[red]{s['errors']}[/]" if s["errors"] else "0", str(s["warnings"]))
    console.print(table)
    f = result.findings
    if not len(f):
        console.print("[green]No findings.[/]")
        return
    rules = Table(title="By rule")
    for col in ("rule", "severity", "findings", "datasets", "message"):
        rules.add_column(col, justify="right" if col == "findings" else "left")
    for (rid, sev), group in f.groupby(["rule", "severity"], sort=True):
        rules.add_row(rid, sev, str(len(group)), ", ".join(sorted(set(group["dataset"]))),
                      RULES[rid].message, style="red" if sev == ERROR else "yellow")
    console.print(rules)
    if limit <= 0:
        return
    ordered = pd.concat([f[f["severity"] == ERROR], f[f["severity"] != ERROR]])
    detail = Table(title="Findings")
    for col in FIELDS:
        detail.add_column(col, overflow="fold")
    for rec in _records(ordered.head(limit)):
        style = "red" if rec["severity"] == ERROR else "yellow"
        detail.add_row(*("" if rec[c] is None else str(rec[c]) for c in FIELDS), style=style)
    console.print(detail)
    if len(f) > limit:
        console.print(f"... and {len(f) - limit} more finding(s) in the reports", highlight=False)
