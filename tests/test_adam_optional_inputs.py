"""``optional:`` in adam.yaml: SDTM datasets and variables a study may lack, read as empty."""

from __future__ import annotations

import pandas as pd
import pytest

from cdiscflow.adam.optional_inputs import missing_inputs, with_optional_inputs
from cdiscflow.adam.spec import AdamIndex

SDTM = {
    "DM": pd.DataFrame({"USUBJID": ["S-1", "S-2"], "AGE": [50.0, 61.0],
                        "SAFETY": ["Y", None]}),
    "SC": pd.DataFrame({"USUBJID": ["S-1"], "SCTESTCD": ["EDULEVEL"], "SCSTRESN": [12.0]}),
}


def test_what_is_missing_is_named_dataset_or_variable() -> None:
    optional = {"DM": ["SAFETY", "ITT"], "SC": ["SCTESTCD"], "QSMM": ["QSCAT", "QSSTRESN"]}
    assert missing_inputs(SDTM, optional) == ["DM.ITT", "QSMM"]
    assert missing_inputs(SDTM, {}) == []


def test_absent_inputs_are_read_empty_and_present_ones_untouched() -> None:
    out = with_optional_inputs(SDTM, {"DM": ["SAFETY", "ITT"], "QSMM": ["QSCAT", "QSSTRESN"]})
    assert list(out["DM"].columns) == ["USUBJID", "AGE", "SAFETY", "ITT"]
    assert out["DM"]["ITT"].isna().all()
    assert out["DM"]["SAFETY"].iloc[0] == "Y"
    assert out["DM"]["SAFETY"].isna().tolist() == [False, True]
    assert list(out["QSMM"].columns) == ["USUBJID", "QSCAT", "QSSTRESN"]
    assert len(out["QSMM"]) == 0
    assert out["SC"] is SDTM["SC"]  # nothing optional of it: the same frame
    assert "ITT" not in SDTM["DM"].columns  # the caller's frames are not changed


def test_names_are_checked_when_the_index_is_loaded() -> None:
    assert AdamIndex(datasets=["adsl"], optional={"SUPPDM": ["SAFETY"]}).optional == {
        "SUPPDM": ["SAFETY"]}
    with pytest.raises(ValueError, match="String should match pattern"):
        AdamIndex(datasets=["adsl"], optional={"dm": ["SAFETY"]})
    with pytest.raises(ValueError, match="String should match pattern"):
        AdamIndex(datasets=["adsl"], optional={"DM": ["SAFETY FLAG"]})


def test_an_absent_variable_has_its_sdtmig_type() -> None:
    # SCSTRESN is Num in SDTMIG: read as a missing number, so what is merged from it is
    # numeric as it would be from the data; QSMM is a split QS, typed from QS
    out = with_optional_inputs({}, {"SC": ["SCTESTCD", "SCSTRESN"], "QSMM": ["QSSTRESN"],
                                    "DM": ["SAFETY"]})
    assert out["SC"].dtypes.astype(str).to_dict() == {
        "USUBJID": "object", "SCTESTCD": "object", "SCSTRESN": "float64"}
    assert str(out["QSMM"]["QSSTRESN"].dtype) == "float64"
    assert str(out["DM"]["SAFETY"].dtype) == "object"  # a SUPPDM qualifier: text
