"""`cdiscflow trace` and `cdiscflow diff` on the bundled example study."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdiscflow.cli import main
from cdiscflow.diff import compare
from cdiscflow.trace import trace

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "mappings" / "nct04014166"
RAW = ROOT / "examples" / "nct04014166" / "raw"
AE_MAPPING = STUDY / "ae.yaml"


def _line_of(path: Path, start: str) -> int:
    """The line of the mapping file that starts (after indentation) with ``start``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.strip().startswith(start))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    """The example as shipped, and again with one AE term edited and one CM record deleted."""
    base = tmp_path_factory.mktemp("runs")
    raw_b = base / "raw_b"
    shutil.copytree(RAW, raw_b)
    ae = raw_b / "adverse_events.csv"
    lines = ae.read_text(encoding="utf-8").splitlines(keepends=True)
    assert ",Fatigue,Fatigue," in lines[1]
    lines[1] = lines[1].replace(",Fatigue,Fatigue,", ",Tiredness,Fatigue,", 1)
    ae.write_text("".join(lines), encoding="utf-8")
    cm = raw_b / "conmeds.csv"
    cm_lines = cm.read_text(encoding="utf-8").splitlines(keepends=True)
    del cm_lines[3]  # subject 003's second concomitant medication
    cm.write_text("".join(cm_lines), encoding="utf-8")
    runner = CliRunner()
    out_a, out_b = base / "a", base / "b"
    for out, raw in ((out_a, RAW), (out_b, raw_b)):
        result = runner.invoke(main, ["run", str(STUDY), "--raw", str(raw), "--out", str(out),
                                      "--no-adam"])
        assert result.exit_code == 0, result.output
    return out_a, out_b


def test_trace_ae_value_to_raw_line_and_mapping_line(runs):
    out_a, _ = runs
    traces = trace(out_a, "NCT04014166-01-002", "AE.AETERM", study_dir=STUDY)
    assert [(t.dataset, t.record, t.raw_file, t.raw_position) for t in traces] == [
        ("AE", 1, "adverse_events.csv", "line 2"), ("AE", 2, "adverse_events.csv", "line 3"),
        ("AE", 3, "adverse_events.csv", "line 4")]
    first = traces[0].values
    assert len(first) == 1
    v = first[0]
    assert (v.variable, v.value, v.source) == ("AETERM", "Fatigue", "field")
    assert Path(v.mapping_file).resolve() == AE_MAPPING.resolve()
    assert v.mapping_line == _line_of(AE_MAPPING, "AETERM:")
    assert [(r.file, r.position, r.field, r.value) for r in v.raw] == [
        ("adverse_events.csv", "line 2", "AETERM", "Fatigue")]


def test_trace_date_and_coded_values_and_supp(runs):
    out_a, _ = runs
    traces = trace(out_a, "NCT04014166-01-002", "AE", study_dir=STUDY)
    values = {v.variable: v for v in traces[0].values}
    start = values["AESTDTC"]
    assert start.value == "2019-12-14"
    assert [(r.field, r.value) for r in start.raw] == [("AESTDAT", "14-DEC-2019"),
                                                       ("AESTTIM", "")]
    assert (values["AEACN"].value, values["AEACN"].raw[0].value) == ("DOSE NOT CHANGED",
                                                                    "Dose not changed")
    assert values["AESTDY"].uses == ["AESTDTC", "DM.RFSTDTC"]
    assert values["USUBJID"].uses == ["DM.USUBJID (joined)"]
    supp = values["SUPPAE.AEINFRR"]
    assert (supp.value, supp.mapping_line) == ("N", _line_of(AE_MAPPING, "AEINFRR:"))


def test_trace_stacked_lab_value_names_its_raw_column(runs):
    out_a, _ = runs
    traces = trace(out_a, "NCT04014166-01-002", "LB.LBORRES", study_dir=STUDY)
    fields = [t.values[0].raw[0].field for t in traces[:8]]
    assert fields == ["PLT", "WBC", "HGB", "ALT", "AST", "TBIL", "URATE", "CREAT"]
    assert {t.raw_position for t in traces[:8]} == {"line 20"}


def test_trace_joined_form_gives_its_own_file_and_line(runs):
    out_a, _ = runs
    [dm] = trace(out_a, "NCT04014166-01-002", "DM.ARMCD", study_dir=STUDY)
    assert [(r.file, r.position, r.field, r.value) for r in dm.values[0].raw] == [
        ("enrolment.csv", "line 3", "PHASE", "Dose escalation"),
        ("enrolment.csv", "line 3", "COHORT", "0.5")]


def test_trace_command_text_and_errors(runs):
    out_a, _ = runs
    runner = CliRunner()
    result = runner.invoke(main, ["trace", str(out_a), "NCT04014166-01-002", "AE.AETERM",
                                  "--study", str(STUDY)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == [
        "AE record 1: from adverse_events.csv line 2",
        f"  AETERM = 'Fatigue'  [field] {traces_path()}:{_line_of(AE_MAPPING, 'AETERM:')}  "
        f"raw AETERM='Fatigue' (adverse_events.csv line 2)"]
    as_json = runner.invoke(main, ["trace", str(out_a), "NCT04014166-01-002", "AE.AETERM",
                                   "--study", str(STUDY), "--json"])
    assert json.loads(as_json.output)[1]["values"][0]["value"] == "insomnia"
    missing = runner.invoke(main, ["trace", str(out_a), "NOBODY", "--study", str(STUDY)])
    assert missing.exit_code == 2
    assert "USUBJID 'NOBODY' has no records" in missing.output
    bad = runner.invoke(main, ["trace", str(out_a), "NCT04014166-01-002", "AE.NOPE",
                               "--study", str(STUDY)])
    assert bad.exit_code == 2
    assert "AE.NOPE is not a variable of" in bad.output


def traces_path() -> str:
    try:
        return AE_MAPPING.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(AE_MAPPING)


def test_diff_counts_changed_removed_and_renumbered_records(runs):
    out_a, out_b = runs
    result = compare(out_a, out_b)
    assert result.datasets_added == [] and result.datasets_removed == []
    by_name = {d.dataset: d for d in result.datasets}
    ae = by_name["AE"]
    assert (ae.records_a, ae.records_b, ae.added, ae.removed, ae.changed) == (30, 30, 0, 0, 1)
    assert ae.keys == ["STUDYID", "USUBJID", "AESEQ"]
    [aeterm] = ae.variables
    assert (aeterm.variable, aeterm.changed, aeterm.examples) == ("AETERM", 1, [
        {"key": "STUDYID=NCT04014166, USUBJID=NCT04014166-01-002, AESEQ=1",
         "a": "Fatigue", "b": "Tiredness"}])
    cm = by_name["CM"]
    # subject 003 had two medications: CMSEQ 2 is gone, CMSEQ 1 is now the other one
    assert (cm.records_a, cm.records_b, cm.added, cm.removed, cm.changed) == (27, 26, 0, 1, 1)
    assert cm.removed_examples == ["STUDYID=NCT04014166, USUBJID=NCT04014166-01-003, CMSEQ=2"]
    assert {v.variable: v.changed for v in cm.variables}["CMTRT"] == 1
    same = [d.dataset for d in result.datasets if not d.differs]
    # the example ships its trial design (SE, SV, TA, TE, TV) since the package issue
    assert same == ["DM", "EX", "LB", "RS", "SE", "SUPPAE", "SUPPDM", "SUPPEX", "SUPPRS", "SV",
                    "TA", "TE", "TI", "TS", "TV"]


def test_diff_command_exit_codes(runs, tmp_path):
    out_a, out_b = runs
    runner = CliRunner()
    same = runner.invoke(main, ["diff", str(out_a), str(out_a)])
    assert (same.exit_code, same.output.splitlines()[-1]) == (0, "no differences")
    differ = runner.invoke(main, ["diff", str(out_a), str(out_b)])
    assert differ.exit_code == 1
    assert ("AE: 30 -> 30 records; 0 added, 0 removed, 1 changed (keys: STUDYID, USUBJID, "
            "AESEQ)") in differ.output.splitlines()
    data = json.loads(runner.invoke(main, ["diff", str(out_a), str(out_b), "--json"]).output)
    assert data["differs"] is True
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = runner.invoke(main, ["diff", str(out_a), str(empty)])
    assert nothing.exit_code == 2
    assert "no XPT datasets found" in nothing.output


def test_diff_reports_dataset_only_in_one_and_attributes(runs, tmp_path):
    out_a, _ = runs
    folder = tmp_path / "flat"
    sdtm = next(out_a.rglob("ae.xpt")).parent
    folder.mkdir()
    for name in ("ae.xpt", "dm.xpt"):
        shutil.copy(sdtm / name, folder / name)
    other = tmp_path / "flat2"
    other.mkdir()
    shutil.copy(sdtm / "dm.xpt", other / "dm.xpt")
    shutil.copy(sdtm / "cm.xpt", other / "cm.xpt")
    result = compare(folder, other)
    assert (result.datasets_added, result.datasets_removed) == (["CM"], ["AE"])
    assert [d.dataset for d in result.datasets] == ["DM"]
    assert result.datasets[0].keys == [] and not result.datasets[0].differs


def test_our_own_ts_is_not_flagged_by_our_validator(runs):
    # TSVCDREF "ISO 8601" and "ClinicalTrials.gov" are the IG's names (TS examples), which the
    # extensible DICTNAM codelist lacks; they were CF.CT_EXT warnings before
    out_a, _ = runs
    report = json.loads((out_a / "report" / "validation.json").read_text())
    ts = [f for f in report["findings"] if f["dataset"] == "TS" and f["variable"] == "TSVCDREF"]
    assert ts == []
    sdtm = next(out_a.rglob("ts.xpt")).parent
    from cdiscflow.xpt import read_xpt

    frame, _ = read_xpt(sdtm / "ts.xpt")
    assert set(frame["TSVCDREF"]) == {"", "CDISC CT", "ISO 8601", "ClinicalTrials.gov"}
