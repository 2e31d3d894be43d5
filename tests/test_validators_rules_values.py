"""Rules on result values and text: a clean control and a planted defect each, exact findings."""

from __future__ import annotations

import numpy as np

from tests.validation_study import adsl, found, lb, run, sdtm


def test_range_of_categorical_result() -> None:
    # the clean LB has a censored result, <5, with its ranges: a number, not a defect
    assert found(run(sdtm()), "CF.RANGE_CATEG") == []
    frame = lb()
    frame.loc[0, ["LBORRES", "LBSTRESC", "LBSTRESN"]] = ["POSITIVE", "POSITIVE", np.nan]
    frame.loc[1, ["LBORRES", "LBSTRESC"]] = [">= 1000", ">= 1000"]  # censored: no finding
    frame.loc[3, ["LBORRES", "LBORNRLO", "LBORNRHI", "LBSTRESC", "LBSTRESN", "LBSTNRLO",
                  "LBSTNRHI"]] = ["NEGATIVE", "", "", "NEGATIVE", np.nan, np.nan, 350.0]
    result = run(sdtm(LB=frame))
    assert found(result, "CF.RANGE_CATEG") == [
        ("LB", 1, "S1-001", "LBORNRHI", "POSITIVE"), ("LB", 1, "S1-001", "LBORNRLO", "POSITIVE"),
        ("LB", 1, "S1-001", "LBSTNRHI", "POSITIVE"), ("LB", 1, "S1-001", "LBSTNRLO", "POSITIVE"),
        ("LB", 4, "S1-002", "LBSTNRHI", "NEGATIVE")]
    assert result.of_rule("CF.RANGE_CATEG")["message"].tolist()[-1] == (
        "LBSTRESC is not a number but LBSTNRHI is given")


def test_not_done_needs_a_reason() -> None:
    frame = lb()
    frame["LBSTAT"] = ["", "NOT DONE", "", ""]
    frame["LBREASND"] = ["", "SAMPLE LOST", "", ""]
    assert found(run(sdtm(LB=frame)), "CF.STAT_REASND") == []
    frame.loc[1, "LBREASND"] = " "
    assert found(run(sdtm(LB=frame)), "CF.STAT_REASND") == [("LB", 2, "S1-001", "LBSTAT",
                                                             "NOT DONE")]
    assert found(run(sdtm(LB=frame.drop(columns="LBREASND"))), "CF.STAT_REASND") == [
        ("LB", 2, "S1-001", "LBSTAT", "NOT DONE")]


def test_stresn_agrees_with_stresc_up_to_formatting() -> None:
    frame = lb()
    # the same numbers written differently are not a disagreement
    frame["LBSTRESC"] = ["20.0", "<5", "1.25E2", "45"]
    frame.loc[2, "LBSTRESN"] = np.nextafter(125.0, 200.0)  # 125 but for the last bit
    assert found(run(sdtm(LB=frame)), "CF.STRESN") == []
    frame.loc[3, "LBSTRESN"] = 45.1
    assert found(run(sdtm(LB=frame)), "CF.STRESN") == [("LB", 4, "S1-002", "LBSTRESN",
                                                         "45.1")]


def test_leading_space() -> None:
    frame = lb()
    frame.loc[2, "LBORRESU"] = "  "  # all blank: a missing value, not a leading blank
    assert found(run(sdtm(LB=frame)), "CF.LEADING_SPACE") == []
    frame.loc[1, "LBTEST"] = " Platelets"
    a = adsl()
    a.loc[0, "RACE"] = " ASIAN"
    result = run({**sdtm(LB=frame), "ADSL": a})
    assert found(result, "CF.LEADING_SPACE") == [("ADSL", 1, "S1-001", "RACE", " ASIAN"),
                                                 ("LB", 2, "S1-001", "LBTEST", " Platelets")]


def test_text_over_200_bytes() -> None:
    frame = lb()
    frame["LBCOM"] = ["x" * 200, "", "é" * 100, ""]  # 200 bytes each: fits
    assert found(run(sdtm(LB=frame)), "CF.TEXT_200") == []
    frame.loc[3, "LBCOM"] = "y" * 201
    frame.loc[1, "LBCOM"] = "é" * 101
    result = run(sdtm(LB=frame))
    assert [(d, r, v) for d, r, _u, v, _x in found(result, "CF.TEXT_200")] == [
        ("LB", 2, "LBCOM"), ("LB", 4, "LBCOM")]


def test_every_catalogue_rule_is_documented() -> None:
    from pathlib import Path

    from cdiscflow.validators import RULES

    doc = (Path(__file__).resolve().parent.parent / "docs" / "validation.md").read_text()
    assert [r for r in RULES if f"| `{r}` | {RULES[r].severity} |" not in doc] == []
