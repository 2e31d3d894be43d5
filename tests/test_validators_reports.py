"""Reports (JSON, HTML, JUnit, terminal) and the ``cdiscflow validate`` command's exit codes."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from lxml import etree

from cdiscflow.cli import main
from cdiscflow.standards import sdtm_dataset_label, sdtm_variables
from cdiscflow.validators import ValidationResult, validate_folder
from cdiscflow.validators.findings import FIELDS
from cdiscflow.validators.report import grouped, to_html, to_json, to_json_text, to_junit
from cdiscflow.xpt import XptVariable, write_xpt
from tests.validation_study import ae, dm, ex, run, sdtm

WHEN = dt.datetime(2024, 1, 1)


def _broken() -> ValidationResult:
    frame = ae()
    frame.loc[2, "AESER"] = "X"  # error: NY is not extensible
    frame.loc[2, "AESHOSP"] = ""  # (a criterion Y with AESER not Y would be a second error)
    dose = ex()
    dose.loc[0, "EXDOSU"] = "pills"  # warning: UNIT is extensible
    return run(sdtm(AE=frame, EX=dose))


def test_json_has_stable_fields() -> None:
    doc = to_json(_broken())
    assert set(doc) == {"format", "tool", "source", "errors", "warnings", "datasets", "rules",
                        "findings"}
    assert doc["format"] == 1
    assert (doc["errors"], doc["warnings"]) == (1, 1)
    assert doc["findings"] == [
        {"dataset": "AE", "row": 3, "usubjid": "S1-002", "variable": "AESER", "value": "X",
         "rule": "CF.CT_NONEXT", "severity": "error",
         "message": "'X' is not in non-extensible codelist NY (C66742)"},
        {"dataset": "EX", "row": 1, "usubjid": "S1-001", "variable": "EXDOSU", "value": "pills",
         "rule": "CF.CT_EXT", "severity": "warning",
         "message": "'pills' is not in extensible codelist UNIT (C71620)"},
    ]
    assert doc["datasets"][0] == {"dataset": "DM", "records": 2, "errors": 0, "warnings": 0}
    assert [r["id"] for r in doc["rules"]] == ["CF.CT_NONEXT", "CF.CT_EXT"]  # catalogue order
    assert doc["rules"][0]["fda"] == "CT2001"
    json.dumps(doc)  # serialisable as is


def test_junit_parses_and_fails_each_broken_rule() -> None:
    xml = to_junit(_broken())
    root = etree.fromstring(xml.encode("utf-8"))
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["DM", "AE", "EX", "LB", "SUPPAE"]
    ae_fail = suites["AE"].xpath("testcase[failure]")
    assert [c.get("name") for c in ae_fail] == ["CF.CT_NONEXT"]
    failure = ae_fail[0].find("failure")
    assert failure.get("type") == "error"
    assert failure.get("message") == ("1 finding(s): Value is not in the non-extensible "
                                      "codelist")
    assert failure.text == ("row 3 S1-002 AESER='X': 'X' is not in non-extensible codelist "
                            "NY (C66742)")
    assert suites["DM"].get("failures") == "0"
    assert root.get("failures") == "2"
    # the standard library parser reads it too
    assert ET.fromstring(xml).get("tests") == root.get("tests")


def test_html_is_self_contained_and_lists_findings() -> None:
    page = to_html(_broken())
    assert page.startswith("<!DOCTYPE html>")
    assert "<link" not in page and "<script" not in page and "http" not in page
    assert "<h2>Summary by dataset and severity</h2>" in page
    # one row per dataset, rule, variable, value and message: findings, subjects, records
    assert ("<tr class=\"error\"><td>AE</td><td>CF.CT_NONEXT</td><td class=\"sev\">error</td>"
            "<td>AESER</td><td>X</td>"
            "<td>&#x27;X&#x27; is not in non-extensible codelist NY (C66742)</td>"
            "<td class=\"n\">1</td><td class=\"n\">1</td><td>3</td></tr>") in page


def _findings(rows: list[tuple]) -> pd.DataFrame:
    cols = list(FIELDS)
    frame = pd.DataFrame(rows, columns=cols).astype({c: "str" for c in cols if c != "row"})
    return frame.astype({"row": "Int64"})


def test_html_groups_findings_of_the_same_issue() -> None:
    msg = "'pills' is not in extensible codelist UNIT (C71620)"
    rows = [("EX", None, "", "EXDOSFRM", "", "CF.EXP_VAR", "warning", "Expected variable")]
    rows += [("EX", r, f"S1-{r % 3:03d}", "EXDOSU", "pills", "CF.CT_EXT", "warning", msg)
             for r in range(1, 14)]
    rows += [("EX", 20, "S1-001", "EXDOSU", "tabs", "CF.CT_EXT", "warning", "other")]
    table = grouped(_findings(rows))
    assert table[["variable", "value", "findings", "subjects", "records"]].values.tolist() == [
        ["EXDOSFRM", "", 1, 0, ""],
        ["EXDOSU", "pills", 13, 3, "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... (3 more)"],
        ["EXDOSU", "tabs", 1, 1, "20"],
    ]
    page = to_html(ValidationResult({"EX": 20}, _findings(rows)))
    assert page.count("<tr class=\"warning\"><td>EX</td>") == 3
    # a finding about the dataset as a whole shows no subject count
    assert ("<td>Expected variable</td><td class=\"n\">1</td><td class=\"n\"></td><td></td>"
            in page)


def test_json_text_is_json_dumps_of_the_report() -> None:
    rows = [("AE", None, "", "AETERM", "", "CF.EXP_VAR", "warning", "Expected"),
            ("AE", 3, "S1-\u00e9", "AETERM", "tab\there \"q\" <&>", "CF.CT_EXT", "warning",
             "line\nbreak \\ \u4e2d"),
            ("DM", 12, "S1-001", "AGE", "40", "CF.TYPE", "error", "expected Char")]
    for frame in (_findings(rows), _findings([])):
        result = ValidationResult({"AE": 3, "DM": 12}, frame, "out/sdtm")
        assert to_json_text(result) == json.dumps(to_json(result), indent=2) + "\n"


def _write(folder: Path, name: str, frame: pd.DataFrame) -> None:
    ig = {v.name: v for v in sdtm_variables(name)}
    variables = [XptVariable(c, ig[c].label, ig[c].type) for c in frame.columns]
    write_xpt(frame, folder / f"{name.lower()}.xpt", dataset=name,
              label=sdtm_dataset_label(name), variables=variables, created=WHEN)


def _folder(tmp_path: Path, frames: dict[str, pd.DataFrame]) -> Path:
    folder = tmp_path / "sdtm"
    folder.mkdir()
    for name, frame in frames.items():
        _write(folder, name, frame)
    return folder


def test_validate_folder_reads_xpt(tmp_path: Path) -> None:
    result = validate_folder(_folder(tmp_path, sdtm()))
    assert result.datasets == {"AE": 3, "DM": 2, "EX": 3, "LB": 4, "SUPPAE": 2}
    assert len(result.findings) == 0


def test_cli_exit_0_when_clean(tmp_path: Path) -> None:
    folder = _folder(tmp_path, sdtm())
    out = CliRunner().invoke(main, ["validate", str(folder), "--json", str(tmp_path / "v.json"),
                                    "--html", str(tmp_path / "v.html"),
                                    "--junit", str(tmp_path / "v.xml")])
    assert out.exit_code == 0, out.output
    assert "0 error(s), 0 warning(s)" in out.output
    assert json.loads((tmp_path / "v.json").read_text())["findings"] == []
    assert (tmp_path / "v.html").read_text().count("No findings.") == 1
    assert etree.parse(str(tmp_path / "v.xml")).getroot().get("failures") == "0"


def test_cli_exit_1_on_errors(tmp_path: Path) -> None:
    frame = dm()
    frame.loc[0, "SEX"] = "female"
    folder = _folder(tmp_path, sdtm(DM=frame))
    out = CliRunner().invoke(main, ["validate", str(folder), "--report-dir", str(tmp_path / "r")])
    assert out.exit_code == 1
    assert "1 error(s), 0 warning(s)" in out.output
    # the terminal names the rule and the offending value
    assert "CF.CT_NONEXT" in out.output and "'female' is not in non-extensible" in out.output


def test_cli_warnings_fail_only_on_request(tmp_path: Path) -> None:
    folder = _folder(tmp_path, sdtm(EX=ex().drop(columns=["EXDOSFRM"])))
    reports = ["--report-dir", str(tmp_path / "r")]
    assert CliRunner().invoke(main, ["validate", str(folder), *reports]).exit_code == 0
    out = CliRunner().invoke(main, ["validate", str(folder), "--fail-on", "warning",
                                    "--report-dir", str(tmp_path / "r")])
    assert out.exit_code == 1
    assert "0 error(s), 1 warning(s)" in out.output


def test_cli_exit_2_when_unreadable(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "dm.xpt").write_bytes(b"this is not a transport file")
    out = CliRunner().invoke(main, ["validate", str(bad)])
    assert out.exit_code == 2
    assert "cannot be read as SAS XPORT" in out.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert CliRunner().invoke(main, ["validate", str(empty)]).exit_code == 2
    assert CliRunner().invoke(main, ["validate", str(tmp_path / "nowhere")]).exit_code == 2


def test_run_validates_what_it_wrote_and_exits_1_on_errors(tmp_path: Path) -> None:
    from tests.conftest import MINI_DOMAINS, MINI_RAW, write_study

    raw = dict(MINI_RAW)  # the mini study without its deliberate raw-data errors
    raw["adverse_events.csv"] = ("SUBJID,AESPID,AETERM,AESTDAT,AESER,KEEP\n"
                                 "001,1,headache,12-MAR-2021,N,Y\n")
    raw["labs.csv"] = "\n".join(MINI_RAW["labs.csv"].splitlines()[:4] + [""])
    domains = dict(MINI_DOMAINS)
    # a mapping mistake no raw check can see: EXSTDY counted from consent, not from RFSTDTC
    domains["ex.yaml"] = MINI_DOMAINS["ex.yaml"].replace(
        "ref: DM.RFSTDTC", "ref: DM.RFICDTC")
    folder = write_study(tmp_path / "s", raw=raw, domains=domains)
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "validation: 3 error(s)" in result.output
    report = json.loads((out / "report" / "validation.json").read_text())
    assert [(f["dataset"], f["row"], f["variable"], f["value"], f["rule"])
            for f in report["findings"] if f["severity"] == "error"] == [
        ("EX", 1, "EXSTDY", "10", "CF.DY_CALC"), ("EX", 2, "EXSTDY", "17", "CF.DY_CALC"),
        ("EX", 3, "EXSTDY", "11", "CF.DY_CALC")]
    assert (out / "report" / "validation.html").is_file()
    assert etree.parse(str(out / "report" / "validation.xml")).getroot().get("failures") != "0"
