"""Raw forms as SAS7BDAT, XPT, Excel and Parquet: the same text frame as from CSV, typed cells as
the documented text (docs/mapping-language.md, section 2), named errors, and a study end to end."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest
from click.testing import CliRunner

from cdiscflow.cli import main
from cdiscflow.errors import RawDataError, SpecError
from cdiscflow.raw import SOURCE_FILE, SOURCE_ROW, read_form, read_header
from cdiscflow.specload import load_study
from tests.conftest import MINI_DOMAINS, MINI_RAW, MINI_STUDY, write_study

STRING = pd.StringDtype("pyarrow")

# one small form: leading zeros, padding, a blank value, a value that is not a number
HEADER = ["SUBJID", "VISIT", "PLT"]
RECORDS = [["007", "Day 1", "20"], [" 010 ", "Week 1", "<5"], ["011", "", "45"]]
TEXT = {"SUBJID": ["007", "010", "011"], "VISIT": ["Day 1", "Week 1", None],
        "PLT": ["20", "<5", "45"]}


def col(frame: pd.DataFrame, name: str) -> list:
    return [None if pd.isna(v) else v for v in frame[name]]


def write_csv(path: Path, header: list, records: list) -> Path:
    path.write_text("\n".join(",".join(r) for r in [header, *records]) + "\n")
    return path


def write_xlsx(path: Path, rows: list, sheet: str = "Sheet1", formats: dict | None = None
               ) -> Path:
    """``rows`` as worksheet rows from row 1; ``formats``: cell -> number format."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    for cell, fmt in (formats or {}).items():
        ws[cell].number_format = fmt
    book.save(path)
    return path


def write_parquet(path: Path, columns: dict) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


def write_xpt(path: Path, frame: pd.DataFrame, formats: dict | None = None) -> Path:
    pyreadstat.write_xport(frame, str(path), variable_format=formats or {})
    return path


# ---- the same form in every format ----------------------------------------------------------

def test_the_same_form_reads_to_the_same_frame_in_every_format(tmp_path):
    csv = read_form(write_csv(tmp_path / "f.csv", HEADER, RECORDS))
    xlsx = read_form(write_xlsx(tmp_path / "f.xlsx", [HEADER, *RECORDS]))
    parquet = read_form(write_parquet(tmp_path / "f.parquet",
                                      {h: [r[i] for r in RECORDS] for i, h in enumerate(HEADER)}))
    xpt = read_form(write_xpt(tmp_path / "f.xpt", pd.DataFrame(RECORDS, columns=HEADER)))
    expected = pd.DataFrame(TEXT, dtype=STRING)
    for frame, name in ((csv, "f.csv"), (xlsx, "f.xlsx"), (parquet, "f.parquet"),
                        (xpt, "f.xpt")):
        assert list(frame.columns) == [*HEADER, SOURCE_FILE, SOURCE_ROW]
        pd.testing.assert_frame_equal(frame[HEADER], expected)
        assert list(frame[SOURCE_FILE]) == [name] * 3
        assert frame[SOURCE_ROW].dtype == np.int64
    # a CSV line and a worksheet row count the header as 1; SAS and Parquet count records
    assert list(csv[SOURCE_ROW]) == list(xlsx[SOURCE_ROW]) == [2, 3, 4]
    assert list(parquet[SOURCE_ROW]) == list(xpt[SOURCE_ROW]) == [1, 2, 3]
    pd.testing.assert_frame_equal(csv, xlsx.assign(**{SOURCE_FILE: "f.csv"}))


@pytest.mark.parametrize("name", ["f.xlsx", "f.XLSM", "f.parquet", "f.pq", "f.xpt"])
def test_format_follows_the_extension(tmp_path, name):
    path = tmp_path / name
    if name.lower().endswith(("xlsx", "xlsm")):
        write_xlsx(path, [HEADER, *RECORDS])
    elif name.endswith("xpt"):
        write_xpt(path, pd.DataFrame(RECORDS, columns=HEADER))
    else:
        write_parquet(path, {h: [r[i] for r in RECORDS] for i, h in enumerate(HEADER)})
    assert read_header(path) == HEADER
    assert col(read_form(path), "PLT") == ["20", "<5", "45"]


def test_a_declared_format_overrides_the_extension(tmp_path):
    path = write_parquet(tmp_path / "export.dat", {"A": ["1"]})
    assert col(read_form(path, fmt="parquet"), "A") == ["1"]
    with pytest.raises(RawDataError, match=r"export\.dat: unknown raw format '\.dat'"):
        read_form(path)


# ---- typed cells become the documented text -------------------------------------------------

def test_xpt_numbers_dates_datetimes_and_times_as_text(tmp_path):
    frame = pd.DataFrame({
        "NUM": [1.0, 2.5, 1234567.891, 1 / 3, np.nan],
        "DAT": [dt.date(2014, 1, 2), dt.date(1999, 12, 31), None, None, None],
        "DTM": [dt.datetime(2014, 1, 2, 10, 5), dt.datetime(2014, 1, 2, 23, 59, 59), None,
                None, None],
        "TIM": [dt.time(10, 5), dt.time(0, 0), None, None, None],
        "CHR": ["a", "  b ", "", "", ""],
    })
    path = write_xpt(tmp_path / "t.xpt", frame,
                     {"DAT": "DATE9.", "DTM": "DATETIME20.", "TIM": "TIME8."})
    out = read_form(path)
    assert col(out, "NUM") == ["1", "2.5", "1234567.891", "0.3333333333", None]
    assert col(out, "DAT") == ["2014-01-02", "1999-12-31", None, None, None]
    assert col(out, "DTM") == ["2014-01-02T10:05:00", "2014-01-02T23:59:59", None, None, None]
    assert col(out, "TIM") == ["10:05:00", "00:00:00", None, None, None]
    assert col(out, "CHR") == ["a", "b", None, None, None]
    assert list(out[SOURCE_ROW]) == [1, 2, 3, 4, 5]
    assert all(out[c].dtype == STRING for c in frame.columns)


def test_parquet_types_as_text(tmp_path):
    path = write_parquet(tmp_path / "t.parquet", {
        "INT": pa.array([1, None, 12345678901], pa.int64()),
        "FLT": pa.array([1.0, 2.50, None], pa.float64()),
        "DEC": pa.array([decimal.Decimal("2.50"), decimal.Decimal("10.00"), None],
                        pa.decimal128(5, 2)),
        "BOOL": pa.array([True, False, None]),
        "DATE": pa.array([dt.date(2014, 1, 2), None, dt.date(2020, 2, 29)]),
        # a SAS-born float datetime a microsecond short of 10:05 is 10:05:00, not 10:04:59
        "DTM": pa.array([dt.datetime(2014, 1, 2, 10, 4, 59, 999999), None,
                         dt.datetime(2014, 1, 2, 10, 5)], pa.timestamp("us")),
        "ZONED": pa.array([dt.datetime(2014, 1, 2, 9, 5)] * 3,
                          pa.timestamp("s", tz="UTC")).cast(pa.timestamp("s",
                                                                         tz="Asia/Shanghai")),
        "TIME": pa.array([dt.time(10, 5), None, dt.time(23, 0, 1)], pa.time64("us")),
        "CAT": pa.array(["x", " y ", ""]).dictionary_encode(),
        "NULL": pa.nulls(3),
    })
    out = read_form(path)
    assert col(out, "INT") == ["1", None, "12345678901"]
    assert col(out, "FLT") == ["1", "2.5", None]
    assert col(out, "DEC") == ["2.5", "10", None]
    assert col(out, "BOOL") == ["Y", "N", None]
    assert col(out, "DATE") == ["2014-01-02", None, "2020-02-29"]
    assert col(out, "DTM") == ["2014-01-02T10:05:00", None, "2014-01-02T10:05:00"]
    assert col(out, "ZONED") == ["2014-01-02T17:05:00"] * 3  # the wall clock of its zone
    assert col(out, "TIME") == ["10:05:00", None, "23:00:01"]
    assert col(out, "CAT") == ["x", "y", None]
    assert col(out, "NULL") == [None] * 3


def test_excel_cells_as_text_and_worksheet_row_numbers(tmp_path):
    rows = [
        ["ID", "NUM", "DAT", "DTM", "TIM", "FLAG", "MIXED"],
        ["001", 34, dt.date(2014, 1, 2), dt.datetime(2014, 1, 2, 10, 5), dt.time(10, 5),
         True, 5],
        [],  # an empty row is skipped, and the next record keeps its real row number
        [7, 2.50, dt.date(2020, 2, 29), dt.datetime(2014, 1, 3), None, False, "<5"],
        ["  ", 1 / 3, None, None, dt.time(0, 0, 30), None, 1.5],
        ["#N/A", 10**20, None, None, None, None, None],
    ]
    # a date and time at midnight keeps its time: the cell's number format says it has one
    path = write_xlsx(tmp_path / "t.xlsx", rows, formats={"D4": "yyyy-mm-dd h:mm:ss"})
    out = read_form(path)
    assert col(out, "ID") == ["001", "7", None, "#N/A"]
    assert col(out, "NUM") == ["34", "2.5", "0.3333333333", "1e+20"]
    assert col(out, "DAT") == ["2014-01-02", "2020-02-29", None, None]
    assert col(out, "DTM") == ["2014-01-02T10:05:00", "2014-01-03T00:00:00", None, None]
    assert col(out, "TIM") == ["10:05:00", None, "00:00:30", None]
    assert col(out, "FLAG") == ["Y", "N", None, None]
    assert col(out, "MIXED") == ["5", "<5", "1.5", None]
    assert list(out[SOURCE_ROW]) == [2, 4, 5, 6]


def test_excel_sheet_by_name_and_missing_sheet_lists_the_sheets(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", [["A"], [1]], sheet="Cover")
    book = openpyxl.load_workbook(path)
    ws = book.create_sheet("Demographics")
    ws.append(["SUBJID"])
    ws.append(["001"])
    book.save(path)
    assert read_header(path) == ["A"]  # the first sheet by default
    assert col(read_form(path, sheet="Demographics"), "SUBJID") == ["001"]
    with pytest.raises(RawDataError, match=r"t\.xlsx: no sheet 'DM' in the workbook "
                                           r"\(sheets: Cover, Demographics\)"):
        read_header(path, sheet="DM")


def test_excel_trailing_empty_header_cells_and_values_right_of_the_header(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", [["A", "B", None], ["1", "2", None]])
    assert read_header(path) == ["A", "B"]
    path = write_xlsx(tmp_path / "u.xlsx", [["A", "B"], ["1", "2"], ["3", "4", "oops"]])
    with pytest.raises(RawDataError, match=r"u\.xlsx: row 3: cell C3 value 'oops' is right of "
                                           r"the last named column"):
        read_form(path)


def test_a_value_with_no_text_form_is_named_with_file_row_and_column(tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", [["A", "DUR"], ["1", "x"], ["2", dt.timedelta(hours=2)]])
    with pytest.raises(RawDataError, match=r"t\.xlsx: row 3 column DUR: "
                                           r"datetime\.timedelta\(seconds=7200\) has no text"):
        read_form(path)
    path = write_parquet(tmp_path / "t.parquet", {"A": [[1, 2]]})
    with pytest.raises(RawDataError, match=r"t\.parquet: column A: 'a column of type "
                                           r"list<element: int64>' has no text form"):
        read_form(path)


# ---- headers: names without the data, the same checks as CSV ---------------------------------

def test_parquet_header_comes_from_the_schema_alone(tmp_path, monkeypatch):
    path = write_parquet(tmp_path / "t.parquet", {"A": ["1"], "B": ["2"]})
    monkeypatch.setattr(pq, "read_table", lambda *a, **k: pytest.fail("data read"))
    assert read_header(path) == ["A", "B"]


def test_xpt_header_reads_metadata_only(tmp_path, monkeypatch):
    path = write_xpt(tmp_path / "t.xpt", pd.DataFrame(RECORDS, columns=HEADER))
    calls = []
    real = pyreadstat.read_xport

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(pyreadstat, "read_xport", spy)
    assert read_header(path) == HEADER
    assert calls == [{"encoding": None, "metadataonly": True}]


def test_duplicate_and_unnamed_columns(tmp_path):
    table = pa.Table.from_arrays([pa.array(["1"]), pa.array(["2"])], names=["A", "A"])
    pq.write_table(table, tmp_path / "d.parquet")
    with pytest.raises(RawDataError, match=r"d\.parquet: column name\(s\) A appear more than "
                                           r"once"):
        read_header(tmp_path / "d.parquet")
    write_xlsx(tmp_path / "d.xlsx", [["A", "A"], ["1", "2"]])
    with pytest.raises(RawDataError, match=r"d\.xlsx:1: column name\(s\) A appear more than"):
        read_header(tmp_path / "d.xlsx")
    write_xlsx(tmp_path / "e.xlsx", [["A", None, "C"], ["1", "2", "3"]])
    with pytest.raises(RawDataError, match=r"e\.xlsx:1: column 2 has no name"):
        read_form(tmp_path / "e.xlsx")


@pytest.mark.parametrize("name", ["e.sas7bdat", "e.xpt", "e.xlsx", "e.parquet"])
def test_an_empty_file_is_named(tmp_path, name):
    (tmp_path / name).write_bytes(b"")
    with pytest.raises(RawDataError, match=rf"{name}: the file is empty \(no header row\)"):
        read_header(tmp_path / name)


def test_an_empty_sheet_and_an_empty_header_row(tmp_path):
    write_xlsx(tmp_path / "e.xlsx", [])
    with pytest.raises(RawDataError, match=r"e\.xlsx: the first sheet is empty"):
        read_form(tmp_path / "e.xlsx")
    write_xlsx(tmp_path / "f.xlsx", [[None], ["x"]])
    with pytest.raises(RawDataError, match=r"f\.xlsx:1: row 1 of the first sheet, the header "
                                           r"row, is empty"):
        read_form(tmp_path / "f.xlsx")


def test_header_only_files_have_no_records(tmp_path):
    write_parquet(tmp_path / "h.parquet", {"A": pa.array([], pa.string())})
    write_xlsx(tmp_path / "h.xlsx", [["A"]])
    for name in ("h.parquet", "h.xlsx"):
        frame = read_form(tmp_path / name)
        assert len(frame) == 0 and list(frame.columns) == ["A", SOURCE_FILE, SOURCE_ROW]


@pytest.mark.parametrize("name, reason", [
    ("bad.sas7bdat", r"cannot be read as SAS7BDAT \(pyreadstat\): \w"),
    ("bad.xpt", r"cannot be read as SAS XPORT \(pyreadstat\): Invalid file"),
    ("bad.xlsx", r"cannot be read as an Excel workbook \(openpyxl\): File is not a zip file"),
    ("bad.parquet", r"cannot be read as Parquet \(pyarrow\): \w"),
])
def test_a_corrupt_file_names_the_file_and_the_library_reason(tmp_path, name, reason):
    (tmp_path / name).write_bytes(b"this is not what the extension says\n" * 20)
    with pytest.raises(RawDataError, match=rf"bad\.\w+: {reason}"):
        read_header(tmp_path / name)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(RawDataError, match=r"gone\.parquet: raw file not found"):
        read_form(tmp_path / "gone.parquet")


# ---- SAS7BDAT: pyreadstat cannot write one, and no installed package ships one ---------------

def test_sas7bdat_is_read_by_pyreadstat_with_the_declared_encoding(tmp_path, monkeypatch):
    """read_sas7bdat is called as documented; its frame (here pyreadstat's own reading of the
    same data as XPT, which goes through the same conversions) becomes the usual text."""
    xpt = write_xpt(tmp_path / "same.xpt",
                    pd.DataFrame({"SUBJID": ["001", "002"], "AGE": [34.0, 2.5],
                                  "BRTHDT": [dt.date(1980, 6, 15), None]}),
                    {"BRTHDT": "DATE9."})
    calls = []

    def read_sas7bdat(path, **kwargs):
        calls.append((Path(path).name, kwargs))
        return pyreadstat.read_xport(str(xpt), **kwargs)

    monkeypatch.setattr(pyreadstat, "read_sas7bdat", read_sas7bdat)
    path = tmp_path / "dm.sas7bdat"
    path.write_bytes(b"stands in for a SAS7BDAT file")
    frame = read_form(path, "latin-1")
    assert calls == [("dm.sas7bdat", {"encoding": "iso8859-1", "metadataonly": True}),
                     ("dm.sas7bdat", {"encoding": "iso8859-1"})]
    assert col(frame, "SUBJID") == ["001", "002"]
    assert col(frame, "AGE") == ["34", "2.5"]
    assert col(frame, "BRTHDT") == ["1980-06-15", None]
    assert list(frame[SOURCE_ROW]) == [1, 2] and set(frame[SOURCE_FILE]) == {"dm.sas7bdat"}
    calls.clear()
    read_header(path)  # nothing declared: the encoding the file's header records
    assert calls == [("dm.sas7bdat", {"encoding": None, "metadataonly": True})]
    with pytest.raises(RawDataError, match="unknown encoding 'klingon'"):
        read_header(path, "klingon")


# ---- the study file ------------------------------------------------------------------------

FORM_LINE = "demographics: {file: demographics.csv, keys: [SUBJID]}"


def study_with(tmp_path: Path, form: str) -> Path:
    return write_study(tmp_path / "s", study=MINI_STUDY.replace(FORM_LINE, form))


@pytest.mark.parametrize("form, message", [
    ("demographics: {file: dm.txt}",
     r"study\.yaml:\d+: raw\.forms\.demographics: raw file 'dm\.txt': the extension does not "
     r"tell its format; declare format: \(one of csv, sas7bdat, xpt, xlsx, parquet\)"),
    ("demographics: {file: dm.csv, sheet: DM}",
     r"raw\.forms\.demographics: sheet: is for Excel files; 'dm\.csv' is csv"),
    ("demographics: {file: dm.xlsx, encoding: latin-1}",
     r"raw\.forms\.demographics: encoding: does not apply to xlsx"),
    ("demographics: {file: dm.csv, format: dbf}", r"raw\.forms\.demographics\.format: Input "
                                                  r"should be 'csv', 'sas7bdat'"),
])
def test_study_file_errors_name_the_file_and_the_form(tmp_path, form, message):
    with pytest.raises(SpecError, match=message):
        load_study(study_with(tmp_path, form))


def test_encodings_by_format(tmp_path):
    raw = load_study(study_with(tmp_path, "demographics: {file: dm.xpt}\n"
                                          "        dm2: {file: dm2.xpt, encoding: cp1252}\n"
                                          "        dm3: {file: dm3.xlsx}")).spec.raw
    assert [raw.encoding_of(f) for f in ("demographics", "dm2", "dm3", "labs")] == [
        None, "cp1252", None, "utf-8"]
    declared = MINI_STUDY.replace(FORM_LINE, "demographics: {file: dm.xpt}").replace(
        "dir: raw\n", "dir: raw\n      encoding: latin-1\n")
    raw = load_study(write_study(tmp_path / "t", study=declared)).spec.raw
    assert raw.encoding_of("demographics") == "latin-1"


# ---- a study end to end ----------------------------------------------------------------------

def excel_and_parquet_study(tmp_path: Path) -> Path:
    """The mini study with DM from an Excel workbook of typed cells and AE from Parquet."""
    raw = {k: v for k, v in MINI_RAW.items()
           if k not in ("demographics.csv", "adverse_events.csv")}
    raw["labs.csv"] = "\n".join(MINI_RAW["labs.csv"].splitlines()[:4] + [""])
    study = MINI_STUDY.replace(
        FORM_LINE, "demographics: {file: demographics.xlsx, sheet: DM, keys: [SUBJID]}"
    ).replace("{file: adverse_events.csv,", "{file: adverse_events.parquet,")
    domains = dict(MINI_DOMAINS)
    domains["dm.yaml"] = MINI_DOMAINS["dm.yaml"].replace("format: DD/MM/YYYY", "format: "
                                                         "YYYY-MM-DD")
    folder = write_study(tmp_path / "s", study=study, domains=domains, raw=raw)
    write_xlsx(folder / "raw" / "demographics.xlsx", [
        ["SITEID", "SUBJID", "ICDAT", "BRTHDAT", "SEX"],
        ["01", "001", dt.date(2021, 3, 1), dt.date(1980, 6, 15), "Female"],
        [],
        ["01", "002", dt.date(2021, 3, 2), dt.date(1990, 1, 20), "Male"],
    ], sheet="DM")
    write_parquet(folder / "raw" / "adverse_events.parquet", {
        "SUBJID": ["001", "002"], "AESPID": pa.array([1, 1], pa.int32()),
        "AETERM": ["headache", "rash"], "AESTDAT": ["12-MAR-2021", "13-MAR-2021"],
        "AESER": [False, False], "KEEP": ["Y", "Y"]})
    return folder


def test_a_study_from_excel_and_parquet_runs_and_lineage_names_file_and_row(tmp_path):
    study = excel_and_parquet_study(tmp_path)
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(out), "--layout", "flat",
                                       "--no-adam"])
    assert result.exit_code in (0, 1), result.output  # 1: validation findings, not input
    dm = pd.read_csv(out / "lineage" / "dm.csv", dtype=str)
    assert list(dm["SOURCE_FILE"]) == ["demographics.xlsx"] * 2
    assert list(dm["SOURCE_ROW"]) == ["2", "4"]  # worksheet rows; row 3 is empty
    ae = pd.read_csv(out / "lineage" / "ae.csv", dtype=str)
    assert list(ae["SOURCE_FILE"]) == ["adverse_events.parquet"] * 2
    assert list(ae["SOURCE_ROW"]) == ["1", "2"]  # record numbers
    sdtm = pd.read_sas(out / "sdtm" / "dm.xpt", format="xport", encoding="utf-8")
    assert list(sdtm["BRTHDTC"]) == ["1980-06-15", "1990-01-20"]
    assert list(sdtm["AGE"]) == [40.0, 31.0]
    ae_out = pd.read_sas(out / "sdtm" / "ae.xpt", format="xport", encoding="utf-8")
    assert list(ae_out["AESER"]) == ["N", "N"]  # the Parquet boolean False, as N


def test_defects_and_messages_say_record_for_parquet(tmp_path):
    study = excel_and_parquet_study(tmp_path)
    write_parquet(study / "raw" / "adverse_events.parquet", {
        "SUBJID": ["001", "002"], "AESPID": ["1", "1"], "AETERM": ["headache", "céphalée"],
        "AESTDAT": ["12-MAR-2021", "13-MAR-2021"], "AESER": ["N", "N"],
        "KEEP": ["Y", "Y"]})
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "o")])
    assert result.exit_code == 3  # a data defect: the run goes on and writes everything
    # the non-ASCII value is a defect traced to the Parquet record (a record, not a line)
    ascii_defects = [line for line in result.output.splitlines() if "not ASCII" in line]
    assert ascii_defects[0].startswith("ERROR [AE] adverse_events.parquet:2 AETERM value "
                                       "'céphalée': not ASCII"), result.output
    assert all(" line " not in line for line in ascii_defects)


def test_a_corrupt_raw_file_is_exit_2_without_traceback(tmp_path):
    study = excel_and_parquet_study(tmp_path)
    (study / "raw" / "adverse_events.parquet").write_bytes(b"PAR1 broken")
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "adverse_events.parquet: cannot be read as Parquet (pyarrow)" in result.output
    assert "Traceback" not in result.output


def test_csv_line_numbers_count_the_empty_lines_pyarrow_skips(tmp_path: Path) -> None:
    # lineage and defects must name the record's real line, blank lines in the export or not
    path = tmp_path / "form.csv"
    path.write_text("A,B\n1,2\n\n3,4\n\n\n5,6\n")
    frame = read_form(path)
    assert frame["A"].tolist() == ["1", "3", "5"]
    assert frame["__row"].tolist() == [2, 4, 7]
    path.write_bytes(b"A,B\r\n1,2\r\n\r\n3,4\r\n")
    assert read_form(path)["__row"].tolist() == [2, 4]


def test_a_real_sas7bdat_file_reads_to_the_documented_text() -> None:
    path = Path(__file__).parent / "data" / "typed.sas7bdat"
    assert read_header(path) == ["SUBJID", "AGE", "VISDT", "VISDTM", "NOTE"]
    frame = read_form(path)
    assert {c: [None if pd.isna(v) else v for v in frame[c]] for c in frame.columns} == {
        "SUBJID": ["001", "002", "003"],
        "AGE": ["34", None, "2.5"],
        "VISDT": ["2014-01-02", None, "1959-12-31"],
        "VISDTM": ["2014-01-02T10:05:00", None, "2020-02-29T23:59:59"],
        "NOTE": ["a", None, "padded"],
        SOURCE_FILE: ["typed.sas7bdat"] * 3,
        SOURCE_ROW: [1, 2, 3],
    }
