"""ADaM rules: a clean control and a planted defect each, exact findings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.validation_study import adae, adam, adlb, adsl, found, run, sdtm


def _bds() -> pd.DataFrame:
    """ADLB with baseline and change: S1-001 baseline 20 (day -1), 5 at day 8."""
    frame = adlb()
    frame["BASE"] = [20.0, 20.0, 45.0]
    frame["CHG"] = [0.0, -15.0, 0.0]
    frame["PCHG"] = [0.0, -75.0, 0.0]
    frame["ADTM"] = [22348 * 86400 + 3600.0, 22356 * 86400 + 0.0, np.nan]
    frame["ATM"] = [3600.0, 0.0, np.nan]
    return frame


def _run(**frames: pd.DataFrame):
    return run({**sdtm(), **adam(**frames)})


def test_flags_as_adamig_lists_them() -> None:
    assert found(_run(ADLB=_bds()), "CF.ADAM_FLAG") == []
    frame = _bds()
    frame.loc[1, "ABLFL"] = "N"  # record-level: Y or null
    frame["ANL01FL"] = ["Y", "", "YES"]  # a placeholder family member
    s = adsl()
    s.loc[1, "SAFFL"] = "Y "  # trailing blank: the value is Y
    s["ITTFL"] = ["Y", "U"]  # population flag: Y or N
    e = adae()
    e["AOCCFL"] = ["Y", "N", "1"]  # a flag ADaMIG does not describe: Y, N or null
    result = _run(ADLB=frame, ADSL=s, ADAE=e)
    assert found(result, "CF.ADAM_FLAG") == [
        ("ADAE", 3, "S1-002", "AOCCFL", "1"), ("ADLB", 2, "S1-001", "ABLFL", "N"),
        ("ADLB", 3, "S1-002", "ANL01FL", "YES"), ("ADSL", 2, "S1-002", "ITTFL", "U")]
    assert result.of_rule("CF.ADAM_FLAG")["message"].tolist()[-1] == (
        "ITTFL must be Y or N or null")


def test_date_and_time_parts_of_datetime() -> None:
    assert found(_run(ADLB=_bds()), "CF.ADAM_DTM") == []
    frame = _bds()
    frame.loc[0, "ADT"] = 22349.0  # ADTM is on day 22348
    frame.loc[1, "ATM"] = 60.0  # ADTM is at midnight
    assert found(_run(ADLB=frame), "CF.ADAM_DTM") == [("ADLB", 1, "S1-001", "ADT", "22349"),
                                                      ("ADLB", 2, "S1-001", "ATM", "60")]


def test_base_constant_within_subject_and_parameter() -> None:
    assert found(_run(ADLB=_bds()), "CF.BASE_CONST") == []
    frame = _bds()
    frame.loc[1, ["BASE", "CHG", "PCHG"]] = [21.0, -16.0, -16 / 21 * 100]
    assert found(_run(ADLB=frame), "CF.BASE_CONST") == [("ADLB", 1, "S1-001", "BASE", "20"),
                                                        ("ADLB", 2, "S1-001", "BASE", "21")]
    # another baseline definition may have another BASE
    frame["BASETYPE"] = ["LAST", "FIRST", "LAST"]
    assert found(_run(ADLB=frame), "CF.BASE_CONST") == []


def test_change_from_baseline() -> None:
    assert found(_run(ADLB=_bds()), "CF.CHG_CALC") == []
    frame = _bds()
    frame.loc[1, "CHG"] = 15.0  # BASE - AVAL
    frame.loc[2, "PCHG"] = 1.0
    frame.loc[0, "CHG"] = 1e-12  # floating-point noise is not a difference
    assert found(_run(ADLB=frame), "CF.CHG_CALC") == [("ADLB", 2, "S1-001", "CHG", "15"),
                                                      ("ADLB", 3, "S1-002", "PCHG", "1")]
