"""The mapping constructs real CRF extracts need: text operations, several date formats per
field, `map` defaults for other and blank values, lookups that may miss, and `where`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cdiscflow.errors import SpecError
from cdiscflow.sdtm import dates
from cdiscflow.sdtm.engine import Engine
from cdiscflow.specload import load_study
from tests.conftest import write_study

STUDY = """\
    study: {studyid: TXT1, created: 2024-01-01T00:00:00}
    raw:
      dir: raw
      forms:
        demog: {file: demog.csv, keys: [PATNUM]}
    domains: [dm]
    tables:
      sites:
        - {SITE: "701", COUNTRY: USA}
    """

RAW = {"demog.csv": """\
    PATNUM,SEX,ETH,EXTRA,ICDAT,DCD,ARMRAW
    701-1015,Female,  Not   Hispanic ,,01/02/2014,Completed,Scrnfail
    701-1023,Male,,Site note,2003,,Pbo
    702-7,Male,,,03/2014,Adverse Event,Pbo
    bad,Female,,,13/45/2014,,Pbo
    """}

DM = """\
    domain: DM
    source: demog
    variables:
      STUDYID: {constant: TXT1}
      DOMAIN: {constant: DM}
      USUBJID: {text: {template: "01-{PATNUM}"}}
      SITEID: {text: {field: PATNUM, extract: '^(\\d+)-'}}
      SUBJID: {text: {field: PATNUM, split: "-", part: -1}}
      SEX: {ct: {field: SEX, codelist: SEX}}
      COUNTRY: {lookup: {table: sites, match: {SITE: SITEID}, value: COUNTRY, missing: blank}}
      ETHNIC: {text: {field: ETH, trim: true, case: upper}}
      ARMCD: {field: ARMRAW}
      ARM: {constant: Arm}
      RFICDTC: {date: {date: ICDAT, format: [MM/DD/YYYY, MM/YYYY, YYYY]}}
      NOTE: {text: {coalesce: [EXTRA, DCD], case: lower}, supp: {qlabel: Note}}
      DCAT: {map: {field: DCD, values: {Completed: COMPLETED}, other: DISCONTINUED,
                   blank: NOT REPORTED}, supp: {qlabel: Disposition Category}}
      ARMNRS: {map: {field: ARMRAW, values: {Scrnfail: SCREEN FAILURE}, other: null}}
      DMDTC: {field: RFICDTC, where: {column: SEX, equals: F}}
    """


def _built(tmp_path: Path, dm: str = DM) -> tuple[Engine, pd.DataFrame]:
    folder = write_study(tmp_path / "s", STUDY, {"dm.yaml": dm}, RAW)
    engine = Engine(load_study(folder))
    results = engine.run()
    return engine, results["DM"]


def _col(frame: pd.DataFrame, name: str) -> list:
    return [None if pd.isna(v) else v for v in frame[name]]


def test_text_template_extract_split_trim_case(tmp_path: Path) -> None:
    _, dm = _built(tmp_path)
    assert _col(dm.data, "USUBJID") == ["01-701-1015", "01-701-1023", "01-702-7", "01-bad"]
    assert _col(dm.data, "SITEID") == ["701", "701", "702", None]
    assert _col(dm.data, "SUBJID") == ["1015", "1023", "7", "bad"]
    assert _col(dm.data, "ETHNIC") == ["NOT HISPANIC", None, None, None]


def test_lookup_missing_blank_gives_no_defect(tmp_path: Path) -> None:
    engine, dm = _built(tmp_path)
    assert _col(dm.data, "COUNTRY") == ["USA", "USA", None, None]
    assert not [d for d in engine.defects.defects if d.column == "SITEID"]


def test_extract_that_does_not_match_is_an_error_naming_row_and_value(tmp_path: Path) -> None:
    engine, _ = _built(tmp_path)
    found = [(d.file, d.row, d.column, d.value, d.message) for d in engine.defects.defects
             if "pattern" in d.message]
    assert found == [("demog.csv", 5, "PATNUM", "bad",
                      "SITEID: the value does not match the pattern '^(\\\\d+)-'")]


def test_several_date_formats_for_one_field(tmp_path: Path) -> None:
    engine, dm = _built(tmp_path)
    assert _col(dm.data, "RFICDTC") == ["2014-01-02", "2003", "2014-03", None]
    bad = [(d.row, d.value, d.message) for d in engine.defects.defects if d.column == "ICDAT"]
    assert bad == [(5, "13/45/2014", "RFICDTC: not a calendar date")]


def test_map_other_and_blank_and_where(tmp_path: Path) -> None:
    engine, dm = _built(tmp_path)
    assert _col(dm.data, "ARMNRS") == ["SCREEN FAILURE", None, None, None]
    assert _col(dm.data, "DMDTC") == ["2014-01-02", None, None, None]
    supp = dm.supp
    dcat = supp[supp["QNAM"] == "DCAT"]
    assert dcat["QVAL"].tolist() == ["COMPLETED", "NOT REPORTED", "DISCONTINUED",
                                     "NOT REPORTED"]
    note = supp[supp["QNAM"] == "NOTE"]
    assert note["QVAL"].tolist() == ["completed", "site note", "adverse event"]
    assert not [d for d in engine.defects.defects if d.column in ("DCD", "ARMRAW")]


def test_unmatched_format_lists_every_format() -> None:
    iso, problems = dates.parse_dates(pd.Series(["2014/01/02", "01/2014"]),
                                      ["MM/DD/YYYY", "MM/YYYY"])
    assert iso.tolist()[1] == "2014-01"
    assert [(p.value, p.message) for p in problems] == [
        ("2014/01/02", "expected a date in one of the formats MM/DD/YYYY, MM/YYYY")]


@pytest.mark.parametrize("fmt, ok", [("YYYY", True), ("MM/YYYY", True), ("MON-YYYY", True),
                                     ("DD/YYYY", False), ("MM/DD", False),
                                     ("YYYY-MM-DD-YYYY", False), ("MM-MON-YYYY", False)])
def test_date_formats_partial_allowed(fmt: str, ok: bool) -> None:
    assert dates.known_date_format(fmt) is ok


@pytest.mark.parametrize("variable, message", [
    ("SITEID: {text: {field: PATNUM, extract: '(a)(b)'}}", "has 2 groups"),
    ("SITEID: {text: {field: PATNUM, extract: '(?<=a)b'}}", "not a valid regular expression"),
    ("SITEID: {text: {template: '01-{PATNUM'}}", "must enclose a column name"),
    ("SITEID: {text: {field: PATNUM, split: '-'}}", "split and part go together"),
    ("SITEID: {text: {field: PATNUM, split: '-', part: 0}}", "part counts from 1"),
    ("SITEID: {text: {field: PATNUM, coalesce: [A, B]}}", "exactly one of field, template"),
    ("SITEID: {text: {template: '{NOPE}-x'}}", "text column 'NOPE' is neither a raw column"),
    ("SITEID: {date: {date: ICDAT, format: [MM/DD/YYYY, DD/YYYY]}}", "date format 'DD/YYYY'"),
    ("SITEID: {field: PATNUM, where: {column: NOPE, equals: x}}",
     "where: 'NOPE' is not a column here at position 1"),
])
def test_spec_mistakes_name_file_domain_variable(tmp_path: Path, variable: str,
                                                 message: str) -> None:
    dm = "\n".join("      " + variable if line.startswith("      SITEID:") else line
                   for line in DM.splitlines())
    with pytest.raises(SpecError) as info:
        _built(tmp_path, dm)
    err = info.value
    assert message in str(err)
    assert err.file.endswith("dm.yaml")
    assert err.domain == "DM"
    assert err.variable == "SITEID"
