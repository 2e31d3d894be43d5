"""``cdiscflow spec export STUDY_DIR --xlsx SPEC.xlsx``: a study's spec as one workbook.

The study is loaded and checked first (a spec that does not load is not exported). Values come
from the files as written (not from the checked model), so what a file says, including keys
this version does not know, is what the workbook holds.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

from cdiscflow.atomic import write_bytes_atomic
from cdiscflow.specxlsx import workbook as wb
from cdiscflow.specxlsx.cells import to_cell
from cdiscflow.specxlsx.reference import reference_rows, variable_reference
from cdiscflow.specxlsx.yamlout import file_comments
from cdiscflow.yamlio import load_yaml

# fixed zip entry times and document dates: the same study gives the same workbook bytes
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _sheet(book: Any, title: str, header: list[str], rows: list[list[Any]],
           note: str | None = None) -> None:
    from openpyxl.styles import Font, PatternFill

    ws = book.create_sheet(title)
    if note:
        ws.append([note])
        ws.cell(1, 1).font = Font(italic=True)
    ws.append(header)
    head_row = ws.max_row
    for cell in ws[head_row]:
        cell.font = Font(bold=True)
        if cell.value in wb.READ_ONLY_COLUMNS or note:
            cell.fill = PatternFill("solid", fgColor="DDDDDD")
    for row in rows:
        ws.append(row)
    for cells in ws.iter_rows(min_row=head_row + 1):
        for cell in cells:
            # text that starts with "=" is a value, never a formula
            if isinstance(cell.value, str):
                cell.data_type = "s"
    ws.freeze_panes = ws.cell(head_row + 1, 1)
    for col in ws.columns:
        width = max((len(str(c.value)) for c in col if c.value is not None), default=8)
        ws.column_dimensions[col[0].column_letter].width = min(max(width + 2, 8), 60)


def export_workbook(study_dir: Path, target: Path) -> dict[str, int]:
    """Write ``target`` (.xlsx) from the spec files of ``study_dir``; returns rows per sheet."""
    from openpyxl import Workbook

    from cdiscflow.spec import DomainSpec, VariableSpec
    from cdiscflow.specload import load_study

    study = load_study(study_dir)
    study_data, study_lines = load_yaml(study.file)
    comments = [[wb.STUDY_SCOPE, wb.path_text(p), c]
                for p, c in file_comments(study.file, study_lines, study_data)]
    tables = [[wb.STUDY_SCOPE, name, rows] for name, rows in study_data.get("tables", {}).items()]
    study_rows = [[k, to_cell(v)] for k, v in wb.flatten(
        {k: v for k, v in study_data.items() if k != "tables"})]

    domains: list[tuple[str, dict[str, Any], Any]] = []
    for name, ld in zip(study.spec.domains, study.domains, strict=True):
        data, lines = load_yaml(ld.file)
        domains.append((name, data, ld))
        comments += [[name, wb.path_text(p), c] for p, c in file_comments(ld.file, lines, data)]
        tables += [[name, t, rows] for t, rows in data.get("tables", {}).items()]

    dataset_keys = wb.ordered_keys(wb.model_keys(DomainSpec), [d for _, d, _ in domains],
                                   {"variables", "tables"})
    dataset_rows = [[name, *(_cell(data, k) for k in dataset_keys)] for name, data, _ in domains]

    from cdiscflow.spec import SOURCE_KINDS

    all_vars = [v for _, d, _ in domains for v in d["variables"].values()]
    var_keys = wb.ordered_keys(wb.model_keys(VariableSpec), all_vars, set(SOURCE_KINDS))
    variable_rows = []
    for _, data, ld in domains:
        for order, (var, spec) in enumerate(data["variables"].items(), start=1):
            kind = next(k for k in spec if k in SOURCE_KINDS)
            ref = variable_reference(study, ld, var)
            variable_rows.append([order, ld.spec.domain, var, kind, to_cell(spec[kind]),
                                  *(_cell(spec, k) for k in var_keys),
                                  *(ref[c] for c in wb.READ_ONLY_COLUMNS)])

    table_columns: dict[str, None] = {}
    for _, _, rows in tables:
        for row in rows:
            table_columns.update(dict.fromkeys(row))
    table_rows = []
    for scope, name, rows in tables:
        if not rows:  # an empty table is kept: a row without a row number
            table_rows.append([scope, name, None])
        for i, row in enumerate(rows, start=1):
            table_rows.append([scope, name, i, *(_cell(row, c) for c in table_columns)])

    book = Workbook()
    book.remove(book.active)
    ref = reference_rows(study, [(d, ld) for _, d, ld in domains])
    sheets = {
        wb.STUDY: (list(wb.STUDY_COLUMNS), study_rows, None),
        wb.DATASETS: ([*wb.DATASET_FIXED, *dataset_keys], dataset_rows, None),
        wb.VARIABLES: ([*wb.VARIABLE_FIXED, *var_keys, *wb.READ_ONLY_COLUMNS], variable_rows,
                       None),
        wb.VALUE_LEVEL: (list(wb.VALUE_LEVEL_COLUMNS), ref[wb.VALUE_LEVEL], wb.REFERENCE_NOTE),
        wb.CODELISTS: (list(wb.CODELIST_COLUMNS), ref[wb.CODELISTS], wb.REFERENCE_NOTE),
        wb.METHODS: (list(wb.METHOD_COLUMNS), ref[wb.METHODS], wb.REFERENCE_NOTE),
        wb.COMMENTS: (list(wb.COMMENT_COLUMNS), comments, None),
        wb.TABLES: ([*wb.TABLE_FIXED, *table_columns], table_rows, None),
    }
    for title in wb.SHEET_ORDER:
        header, rows, note = sheets[title]
        _sheet(book, title, header, rows, note)
    created = study.spec.study.created
    book.properties.creator = "cdiscflow"
    book.properties.created = book.properties.modified = created
    write_bytes_atomic(Path(target), _deterministic(book, created))
    return {title: len(sheets[title][1]) for title in wb.SHEET_ORDER}


def _cell(data: dict[str, Any], key: str) -> Any:
    return to_cell(data[key]) if key in data else None


def _deterministic(book: Any, created: dt.datetime) -> bytes:
    """The workbook's bytes with fixed zip entry times (openpyxl stamps the wall clock)."""
    raw = io.BytesIO()
    book.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _fixed_dates(data, created)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, data)
    return out.getvalue()


def _fixed_dates(core: bytes, created: dt.datetime) -> bytes:
    import re

    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rb"\g<1>" + stamp + rb"\2",
                  core)

