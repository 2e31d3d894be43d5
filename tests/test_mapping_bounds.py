"""Values no dataset can hold are data defects at mapping time, named by raw file, line and
column (reliability issue, section 2): a date in year 0000, and Infinity, NaN or 1e309 as a
number or as a lab result."""

from __future__ import annotations

from click.testing import CliRunner
from conftest import MINI_RAW, write_study

from cdiscflow.cli import main


def _errors(tmp_path, raw_changes: dict[str, str]) -> list[str]:
    raw = {**MINI_RAW, **raw_changes}
    study = write_study(tmp_path / "s", raw=raw)
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(out), "--no-adam"])
    assert result.exit_code == 3  # data defects: everything written, defects listed
    assert "Traceback" not in result.output
    return (out / "report" / "defects.csv").read_text().splitlines()


def test_year_0000_is_a_date_defect(tmp_path):
    lines = _errors(tmp_path, {"demographics.csv": "SITEID,SUBJID,ICDAT,BRTHDAT,SEX\n"
                                                   "01,001,01/03/2021,15/06/0000,Female\n"
                                                   "01,002,02/03/0000,20/01/1990,Male\n"})
    assert ("error,DM,demographics.csv,2,BRTHDAT,15/06/0000,BRTHDTC: year 0000 is not a date "
            "(years start at 0001)") in lines
    assert ("error,DM,demographics.csv,3,ICDAT,02/03/0000,RFICDTC: year 0000 is not a date "
            "(years start at 0001)") in lines


def test_infinity_and_nan_as_numbers_are_rejected_with_the_raw_line(tmp_path):
    lines = _errors(tmp_path, {
        "exposure.csv": "SUBJID,INFNUM,EXSTDAT,EXSTTIM,EXDOSE\n"
                        "001,1,2021-03-10,09:00,Infinity\n001,2,2021-03-17,09:30,NaN\n"
                        "002,1,2021-03-12,10:00,-1e309\n",
        "labs.csv": "SUBJID,VISIT,LBDAT,LBTIM,PLT,PLT_U,HGB,HGB_U\n"
                    "001,Day 1,2021-03-10,08:00,Infinity,10^9/L,1e400,g/dL\n"
                    "002,Day 1,2021-03-12,09:00,-inf,G/L,130,g/L\n"})
    finite = "expected a finite number (no dataset holds infinity or NaN)"
    assert f"error,EX,exposure.csv,2,EXDOSE,Infinity,EXDOSE: {finite}" in lines
    assert "error,EX,exposure.csv,3,EXDOSE,NaN,EXDOSE: expected a number" in lines
    assert f"error,EX,exposure.csv,4,EXDOSE,-1e309,EXDOSE: {finite}" in lines
    assert ("error,LB,labs.csv,2,PLT,Infinity,LBSTRESN: result is not a finite number"
            in lines)
    assert "error,LB,labs.csv,2,HGB,1e400,LBSTRESN: result is not a finite number" in lines
    assert "error,LB,labs.csv,3,PLT,-inf,LBSTRESN: result is not a finite number" in lines
    # the datasets were still written (to be inspected), without the impossible numbers
    assert (tmp_path / "o" / "m5" / "datasets" / "mini1" / "tabulations" / "sdtm" /
            "lb.xpt").is_file()
