"""A workbook is read by its cells, not by what its <dimension> record claims (reliability
issue, section 2): a dimension smaller than the data loses no record, and a dimension declaring
the whole sheet (A1:XFD1048576) with one far cell is read at once, the far cell named."""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from cdiscflow.errors import RawDataError
from cdiscflow.raw import SOURCE_ROW, read_form


def _workbook(path: Path, rows: list[list[object]], dimension: str | None = None,
              far_cell: str | None = None) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    for row in rows:
        ws.append(row)
    book.save(path)
    if dimension is None:
        return path
    # rewrite the sheet's XML as another program might have written it
    with zipfile.ZipFile(path) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{dimension}"/>', sheet)
    if far_cell:
        number = re.sub(r"[A-Z]", "", far_cell)
        sheet = sheet.replace("</sheetData>", f'<row r="{number}"><c r="{far_cell}" '
                              f't="inlineStr"><is><t>far</t></is></c></row></sheetData>')
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    return path


def test_a_dimension_smaller_than_the_data_loses_no_record(tmp_path):
    rows = [["SUBJID", "AGE"], *[[f"{i:03d}", str(20 + i)] for i in range(1, 27)]]
    path = _workbook(tmp_path / "dm.xlsx", rows, dimension="A1:M10")
    frame = read_form(path)
    assert len(frame) == 26
    assert frame[SOURCE_ROW].tolist() == list(range(2, 28))
    assert frame["SUBJID"].tolist()[-1] == "026"


def test_a_dimension_declaring_the_whole_sheet_is_read_by_its_cells(tmp_path):
    path = _workbook(tmp_path / "dm.xlsx", [["SUBJID", "AGE"], ["001", "30"]],
                     dimension="A1:XFD1048576", far_cell="XFD1048576")
    assert path.stat().st_size < 10_000
    start = time.monotonic()
    with pytest.raises(RawDataError) as caught:
        read_form(path)
    assert time.monotonic() - start < 60
    assert str(caught.value) == (f"{path}: row 1048576: cell XFD1048576 value 'far' is right "
                                 f"of the last named column")


def test_a_whole_sheet_dimension_without_far_cells_reads_the_records(tmp_path):
    path = _workbook(tmp_path / "dm.xlsx", [["SUBJID", "AGE"], ["001", "30"], ["002", "41"]],
                     dimension="A1:XFD1048576")
    frame = read_form(path)
    assert frame["SUBJID"].tolist() == ["001", "002"]
    assert frame[SOURCE_ROW].tolist() == [2, 3]
