"""Time-to-event with a declared day offset (AVAL = ADT - STARTDT + 1, as the CDISC pilot)."""

from __future__ import annotations

import pandas as pd
import pytest

from cdiscflow.adam.response import derive_param_tte
from cdiscflow.adam.spec import STEP_KINDS
from cdiscflow.adam.tte import TteSource, derive_param_tte_sources

D1 = 21915.0  # 2020-01-01
ADSL = pd.DataFrame({"STUDYID": ["S"] * 2, "USUBJID": ["A", "B"], "TRTSDT": [D1, D1]})
DS = pd.DataFrame({"USUBJID": ["A", "B"], "DSDECOD": ["DEATH", "COMPLETED"],
                   "DSSTDTC": ["2020-03-01", "2020-01-01"]})


def test_sources_with_offset_one_count_the_start_day() -> None:
    args = (pd.DataFrame(), ADSL, ["STUDYID", "USUBJID"], "TRTSDT",
            [TteSource(DS[DS["DSDECOD"] == "DEATH"], "DSSTDTC")], [TteSource(DS, "DSSTDTC")],
            {"PARAMCD": "OS"})
    plain = derive_param_tte_sources(*args)
    counted = derive_param_tte_sources(*args, day_offset=1)
    # A died on day 61 of treatment (60 days after the start); B censored on the first day
    assert plain["AVAL"].tolist() == [60.0, 0.0]
    assert counted["AVAL"].tolist() == [61.0, 1.0]
    weeks = derive_param_tte_sources(*args, unit="WEEKS", day_offset=1)
    assert weeks["AVAL"].tolist() == pytest.approx([61 / 7, 1 / 7])


def test_records_with_offset() -> None:
    adrs = pd.DataFrame({"USUBJID": ["A", "A"], "ADT": [D1 + 9, D1 + 20], "AVALC": ["R", "R"]})
    out = derive_param_tte(adrs, ADSL, ["USUBJID"], "TRTSDT", "AVALC = 'R'", None,
                           {"PARAMCD": "TTR"}, day_offset=1)
    assert out["AVAL"].tolist()[2:] == [10.0]


def test_spec_keys() -> None:
    step = STEP_KINDS["derive_param_tte_sources"].model_validate({
        "start_date": "TRTSDT", "day_offset": 1, "set_values_to": {"PARAMCD": "OS"},
        "event_sources": [{"dataset": "DS", "date": "DSSTDTC"}]})
    assert step.day_offset == 1  # type: ignore[attr-defined]
    assert STEP_KINDS["derive_param_tte"].model_validate({
        "start_date": "TRTSDT", "event": "AVALC = 'R'",
        "set_values_to": {"PARAMCD": "T"}}).day_offset == 0  # type: ignore[attr-defined]
