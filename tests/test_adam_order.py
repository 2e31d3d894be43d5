"""Descending order in any ``order:`` (``-AVAL`` or ``{var: AVAL, desc: true}``)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from pydantic import ValidationError

from cdiscflow.adam.derivations import (
    derive_var_extreme_flag,
    derive_var_obs_number,
    derive_vars_merged,
)
from cdiscflow.adam.spec import STEP_KINDS

VS = pd.DataFrame({
    "USUBJID": ["A", "A", "A", "B", "B"],
    "ADT": [10.0, 10.0, 12.0, 11.0, 11.0],
    "AVAL": [120.0, 140.0, 130.0, math.nan, 90.0],
})


def test_spec_spellings_load_as_the_minus_form() -> None:
    step = STEP_KINDS["derive_var_obs_number"].model_validate(
        {"order": ["ADT", {"var": "AVAL", "desc": True}, {"var": "USUBJID"}, "-ADT"]})
    assert step.order == ["ADT", "-AVAL", "USUBJID", "-ADT"]  # type: ignore[attr-defined]
    for bad in ({"var": "AVAL", "descending": True}, "--AVAL", 3, {"var": "AVAL", "desc": 1}):
        with pytest.raises(ValidationError, match="order"):
            STEP_KINDS["derive_var_obs_number"].model_validate({"order": [bad]})


def test_obs_number_with_a_descending_key() -> None:
    out = derive_var_obs_number(VS, ["USUBJID"], ["ADT", "-AVAL"])
    # A: day 10 has 140 then 120, then day 12; B: 90 first, the missing AVAL last
    assert out["ASEQ"].tolist() == [2.0, 1.0, 3.0, 2.0, 1.0]


def test_extreme_flag_highest_value_first() -> None:
    out = derive_var_extreme_flag(VS, ["USUBJID"], ["-AVAL"], "WORSTFL", "first")
    assert out["WORSTFL"].tolist() == [None, "Y", None, None, "Y"]
    # ascending keeps the old meaning
    out = derive_var_extreme_flag(VS, ["USUBJID"], ["AVAL"], "LOWFL", "first")
    assert out["LOWFL"].tolist() == ["Y", None, None, None, "Y"]


def test_merged_last_by_descending_date_is_the_first_date() -> None:
    adsl = pd.DataFrame({"USUBJID": ["A", "B"]})
    out = derive_vars_merged(adsl, VS, ["USUBJID"], {"FIRSTVAL": "AVAL"}, order=["-ADT"],
                             mode="last")
    # last in descending date order is the earliest date; ties keep the records' order
    assert out["FIRSTVAL"].tolist()[0] == 140.0
    assert out["FIRSTVAL"].tolist()[1] == 90.0
