"""`stack` with a group's constants (a unit per test) and a `keep:` condition (a record when a
result or a "not done" flag was collected)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cdiscflow.errors import SpecError
from cdiscflow.sdtm.engine import Engine
from cdiscflow.specload import load_study
from tests.conftest import write_study

STUDY = """\
    study: {studyid: VS1, created: 2024-01-01T00:00:00}
    raw:
      dir: raw
      forms:
        demog: {file: demog.csv, keys: [PATNUM]}
        vitals: {file: vitals.csv}
    domains: [dm, vs]
    """

RAW = {
    "demog.csv": """\
        PATNUM,SEX
        1,F
        2,M
        """,
    "vitals.csv": """\
        PATNUM,VSDAT,SYSBP,SYSBP_ND,PULSE,PULSE_ND
        1,2023-01-10,120,,72,
        1,2023-01-17,,Y,,
        2,2023-01-11,,,80,
        """,
}

DM = """\
    domain: DM
    source: demog
    variables:
      STUDYID: {constant: VS1}
      DOMAIN: {constant: DM}
      SUBJID: {field: PATNUM}
      SITEID: {constant: "01"}
      USUBJID: {expr: "concat('VS1-', PATNUM)"}
      SEX: {ct: {field: SEX, codelist: SEX}}
      ARMCD: {constant: A}
      ARM: {constant: Arm A}
      COUNTRY: {constant: CHN}
    """

VS = """\
    domain: VS
    source: vitals
    steps:
      - join: {domain: DM, on: {PATNUM: SUBJID}, columns: [USUBJID], required: true}
      - stack:
          key: TEST
          groups:
            SYSBP: {ORRES: SYSBP, ND: SYSBP_ND, ORRESU: {constant: mmHg}}
            PULSE: {ORRES: PULSE, ND: PULSE_ND, ORRESU: {constant: beats/min}}
          keep: "ORRES is not missing or ND = 'Y'"
    variables:
      STUDYID: {constant: VS1}
      DOMAIN: {constant: VS}
      USUBJID: {field: USUBJID}
      VSTESTCD: {field: TEST}
      VSTEST: {ct: {field: TEST, codelist: VSTEST, from_codelist: VSTESTCD}}
      VSORRES: {field: ORRES}
      VSORRESU: {field: ORRESU, where: "ORRES is not missing"}
      VSSTAT: {constant: NOT DONE, where: "ND = 'Y'"}
      VSDTC: {date: {date: VSDAT}}
      VSSEQ: {derive: {function: seq, order: [VSDTC]}}
    """


def _built(tmp_path: Path, vs: str = VS):
    study = write_study(tmp_path / "s", STUDY, {"dm.yaml": DM, "vs.yaml": vs}, RAW)
    engine = Engine(load_study(study))
    return engine, engine.run()


def _col(frame: pd.DataFrame, name: str) -> list:
    return [None if pd.isna(v) else v for v in frame[name]]


def test_a_record_per_result_or_not_done_flag_with_the_groups_unit(tmp_path):
    engine, results = _built(tmp_path)
    vs = results["VS"]
    assert list(zip(_col(vs.data, "USUBJID"), _col(vs.data, "VSTESTCD"),
                    _col(vs.data, "VSORRES"), _col(vs.data, "VSORRESU"),
                    _col(vs.data, "VSSTAT"), strict=True)) == [
        ("VS1-1", "SYSBP", "120", "mmHg", None),
        ("VS1-1", "PULSE", "72", "beats/min", None),
        ("VS1-1", "SYSBP", None, None, "NOT DONE"),
        ("VS1-2", "PULSE", "80", "beats/min", None)]
    # PULSE of the second visit and SYSBP of subject 2: neither result nor flag
    assert vs.recon.cells_not_done == 2
    assert vs.recon.balanced
    assert engine.defects.defects == []


def test_keep_is_checked_on_load(tmp_path):
    with pytest.raises(SpecError) as err:
        _built(tmp_path, VS.replace("ND = 'Y'\"", "NDX = 'Y'\""))
    assert "keep: 'NDX' is not a column here (did you mean ND?)" in err.value.message
