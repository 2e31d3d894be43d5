"""The command line's exit codes and messages."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from cdiscflow.cli import main
from tests.conftest import MINI_DOMAINS, MINI_RAW, write_study

ROOT = Path(__file__).resolve().parent.parent


def test_no_arguments_runs_the_bundled_example(tmp_path):
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = runner.invoke(main, ["run", "--out", str(tmp_path / "o")])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    assert "NCT04014166: raw records to SDTM" in result.output
    sdtm = tmp_path / "o" / "m5" / "datasets" / "nct04014166" / "tabulations" / "sdtm"
    assert (sdtm / "dm.xpt").is_file()


def test_raw_data_errors_exit_3_and_are_listed(mini_study, tmp_path):
    result = CliRunner().invoke(main, ["run", str(mini_study), "--out", str(tmp_path / "o")])
    assert result.exit_code == 3
    assert "adverse_events.csv:3 AESER value 'Maybe'" in result.output
    assert "error(s) in the raw data" in result.output
    assert (tmp_path / "o" / "report" / "defects.csv").is_file()


def test_clean_raw_data_exits_0(tmp_path):
    raw = dict(MINI_RAW)
    raw["adverse_events.csv"] = ("SUBJID,AESPID,AETERM,AESTDAT,AESER,KEEP\n"
                                 "001,1,headache,12-MAR-2021,N,Y\n")
    raw["labs.csv"] = "\n".join(MINI_RAW["labs.csv"].splitlines()[:4] + [""])
    folder = write_study(tmp_path / "s", raw=raw)
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output


def test_spec_error_exits_2_naming_file_and_variable(tmp_path):
    domains = dict(MINI_DOMAINS)
    domains["ae.yaml"] = MINI_DOMAINS["ae.yaml"].replace("function: seq", "function: nope")
    folder = write_study(tmp_path / "s", domains=domains)
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "ae.yaml" in result.output and "variable AESEQ" in result.output
    assert "unknown derivation 'nope'" in result.output
    assert not (tmp_path / "o").exists()  # nothing is written for a bad spec


def test_raw_dir_option_overrides_the_study_file(mini_study, tmp_path):
    moved = tmp_path / "elsewhere"
    (mini_study / "raw").rename(moved)
    result = CliRunner().invoke(main, ["run", str(mini_study), "--raw", str(moved),
                                       "--out", str(tmp_path / "o")])
    assert result.exit_code == 3  # the mini study has deliberate raw errors, but it ran
    assert (tmp_path / "o" / "m5" / "datasets" / "mini1" / "tabulations" / "sdtm" / "lb.xpt"
            ).is_file()
