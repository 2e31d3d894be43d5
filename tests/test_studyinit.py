"""`cdiscflow init`: a study guessed from each example study's raw folder passes the spec check
and runs; the guesses are the ones the raw fields call for, each marked for review."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdiscflow.cli import main
from cdiscflow.specload import load_study
from cdiscflow.studyinit.write import init_study

ROOT = Path(__file__).resolve().parent.parent
# the domains each raw folder's forms are placed in, and the forms left for the reviewer
EXPECTED = {
    "nct04014166": (["DM", "AE", "CM", "EX"],
                    ["baseline.csv", "bleeding.csv", "enrolment.csv", "lab_ranges.csv",
                     "labs.csv", "README.md"]),
    "nct02218437": (["DM", "AE", "CM", "EX", "DS"],
                    ["enrolment.csv", "labs.csv", "treatment_failure.csv", "README.md"]),
    "ctr20221330": (None, None),
    "cdiscpilot01": (None, None),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_init_on_each_example_raw_folder_runs(name, tmp_path):
    raw = ROOT / "examples" / name / "raw"
    study_dir = tmp_path / "study"
    result = init_study(raw, study_dir)
    domains, left = EXPECTED[name]
    if domains is not None:
        assert list(result.domains) == domains
        assert [file for file, _ in result.forms_left] == left
    study = load_study(study_dir)
    assert [d.spec.domain for d in study.domains] == list(result.domains)
    assert result.reviews > 0
    cwd = os.getcwd()
    os.chdir(study_dir)  # `cdiscflow run` with no STUDY_DIR runs the study just made
    try:
        # the raw folder lies outside the study folder: named with --raw, as init says
        run = CliRunner().invoke(main, ["run", "--raw", str(raw), "--out", "out",
                                        "--no-adam"])
    finally:
        os.chdir(cwd)
    # 1: validation findings (required values the raw forms do not hold, such as COUNTRY);
    # never 2 (spec) or 3 (data defects from a wrong guess)
    assert run.exit_code in (0, 1), run.output
    assert "bundled example" not in run.output
    assert (study_dir / "out" / "report" / "run.json").is_file()


def test_init_guesses_for_the_bundled_example(tmp_path):
    study_dir = tmp_path / "study"
    init_study(ROOT / "examples" / "nct04014166" / "raw", study_dir)
    study = load_study(study_dir)
    assert study.spec.study.studyid == "NCT04014166"
    assert study.spec.raw.dir == os.path.relpath(ROOT / "examples" / "nct04014166" / "raw",
                                                 study_dir)
    ae = study.domain("AE").spec.variables
    assert ae["AESTDTC"].date.model_dump(exclude_defaults=True) == {
        "date": "AESTDAT", "time": "AESTTIM", "format": "DD-MON-YYYY"}
    assert ae["AESER"].ct.model_dump(exclude_defaults=True) == {"field": "AESER",
                                                                "codelist": "NY"}
    assert ae["AETERM"].field == "AETERM"
    assert ae["AESEQ"].derive.model_extra == {"order": ["AESTDTC", "AESPID"]}
    dm = study.domain("DM").spec.variables
    assert dm["SEX"].ct.codelist == "SEX"
    assert dm["RFICDTC"].date.format == "DD/MM/YYYY"
    assert dm["USUBJID"].derive.model_extra == {"parts": ["STUDYID", "SITEID", "SUBJID"]}
    text = (study_dir / "ae.yaml").read_text()
    assert ("  # REVIEW: AESTDAT and AESTTIM: dates read as DD-MON-YYYY\n"
            "  AESTDTC: {date: {date: AESTDAT, time: AESTTIM, format: DD-MON-YYYY}}\n") in text
    assert ("# REVIEW: fields of adverse_events.csv not mapped: AEHLTCD, AEHLGTCD, AEONGO, "
            "AEINFRR, AEDLT\n") in text
    study_text = (study_dir / "study.yaml").read_text()
    assert "# REVIEW: labs.csv not placed: its fields name no domain's variables" in study_text


def test_sites_numbering_their_own_patients_join_on_site_and_subject(tmp_path):
    study = load_study(init_study(ROOT / "examples" / "ctr20221330" / "raw",
                                  tmp_path / "s").study_dir)
    join = study.domain("AE").spec.steps[0].join
    assert join.pairs == {"SITEID": "SITEID", "SUBJID": "SUBJID"}


def test_init_command_and_its_errors(tmp_path):
    runner = CliRunner()
    raw = ROOT / "examples" / "nct02218437" / "raw"
    result = runner.invoke(main, ["init", str(raw), str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:3] == [f"study NCT02218437 in {tmp_path / 's'}:",
                         "  DM from demographics.csv (dm.yaml)",
                         "  AE from adverse_events.csv (ae.yaml)"]
    # the raw folder is outside the study folder: the next command names it with --raw
    assert lines[-1].endswith(f"the files pass the spec check. Next: cdiscflow run "
                              f"{tmp_path / 's'} --raw {raw}")
    again = runner.invoke(main, ["init", str(raw), str(tmp_path / "s")])
    assert again.exit_code == 2 and "exists; --force replaces it" in again.output
    assert runner.invoke(main, ["init", str(raw), str(tmp_path / "s"), "--force"]
                         ).exit_code == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.csv").write_text("A,B\n1,2\n")
    none = runner.invoke(main, ["init", str(empty), str(tmp_path / "t")])
    assert none.exit_code == 2
    assert "no form has a subject identifier field" in none.output
    assert not (tmp_path / "t").exists()


def test_a_raw_folder_inside_the_study_runs_without_raw_option(tmp_path):
    # the usual start: the extracts in STUDY_DIR/raw, init and run from STUDY_DIR
    study_dir = tmp_path / "study"
    shutil.copytree(ROOT / "examples" / "nct02218437" / "raw", study_dir / "raw")
    cwd = os.getcwd()
    os.chdir(study_dir)
    try:
        made = CliRunner().invoke(main, ["init", "raw"])
        run = CliRunner().invoke(main, ["run", "--out", "out", "--no-adam"])
    finally:
        os.chdir(cwd)
    assert made.exit_code == 0, made.output
    assert made.output.splitlines()[-1].endswith("Next: cdiscflow run .")
    assert load_study(study_dir).spec.raw.dir == "raw"
    assert run.exit_code in (0, 1), run.output
    assert "bundled example" not in run.output
