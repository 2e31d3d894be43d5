"""min_dates/max_dates in datetime imputation (derive_vars_dtm), as in date imputation."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from cdiscflow.adam.derivations import derive_vars_dtm


def secs(iso: str) -> float:
    """SAS datetime of an ISO datetime, computed independently of cdiscflow."""
    return (dt.datetime.fromisoformat(iso) - dt.datetime(1960, 1, 1)).total_seconds()


def day(iso: str) -> float:
    return float((dt.date.fromisoformat(iso) - dt.date(1960, 1, 1)).days)


AE = pd.DataFrame({
    "AESTDTC": ["2021-03", "2021-03-05", "2021-03-05T10:00", "2021-04", "2021-03-05T07"],
    "TRTSDTM": [secs("2021-03-05T08:30:00")] * 5,
    "TRTSDT": [day("2021-03-05")] * 5,
    "DCUTDTM": [secs("2021-03-20T12:00:00")] * 5,
})


def test_a_minimum_datetime_in_range_is_used() -> None:
    out = derive_vars_dtm(AE, "AST", "AESTDTC", "M", "first", "first", min_dates=["TRTSDTM"])
    assert out["ASTDTM"].tolist() == [
        secs("2021-03-05T08:30:00"),  # March: the first dose's datetime is inside the month
        secs("2021-03-05T08:30:00"),  # that day with no time: the dose's time
        secs("2021-03-05T10:00:00"),  # complete: kept
        secs("2021-04-01T00:00:00"),  # April does not contain the first dose
        secs("2021-03-05T07:00:00"),  # 07:00-07:59 does not contain 08:30
    ]
    assert out["ASTDTF"].tolist() == ["D", None, None, "D", None]
    assert out["ASTTMF"].tolist() == ["H", "H", "S", "H", "M"]


def test_a_date_reference_counts_from_midnight_and_a_maximum_to_the_end_of_day() -> None:
    out = derive_vars_dtm(AE, "AST", "AESTDTC", "M", "first", "first", min_dates=["TRTSDT"])
    assert out["ASTDTM"].tolist()[:2] == [secs("2021-03-05T00:00:00")] * 2
    out = derive_vars_dtm(AE, "AEN", "AESTDTC", "M", "last", "last", max_dates=["DCUTDTM"])
    assert out["AENDTM"].tolist()[0] == secs("2021-03-20T12:00:00")
    assert out["AENDTM"].tolist()[3] == secs("2021-04-30T23:59:59")
    out = derive_vars_dtm(AE, "AEN", "AESTDTC", "M", "last", "last", max_dates=["TRTSDT"])
    assert out["AENDTM"].tolist()[:2] == [secs("2021-03-05T23:59:59")] * 2


def test_missing_references_change_nothing() -> None:
    ae = AE.assign(TRTSDTM=math.nan)
    plain = derive_vars_dtm(AE, "AST", "AESTDTC", "M", "first", "first")
    out = derive_vars_dtm(ae, "AST", "AESTDTC", "M", "first", "first", min_dates=["TRTSDTM"])
    assert out["ASTDTM"].tolist() == plain["ASTDTM"].tolist()
