"""sas_date(d): ISO dates as ADaM's numeric dates (days since 1960-01-01)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from cdiscflow.expr import NUMBER, Expression, ExprSyntaxError


def day(iso: str) -> float:
    return float((dt.date.fromisoformat(iso) - dt.date(1960, 1, 1)).days)


def test_complete_dates_and_datetimes_give_days_partial_gives_missing() -> None:
    frame = pd.DataFrame({"AESTDTC": ["2021-03-05", "1960-01-01", "1959-12-31T23:00",
                                      "2021-03", "", None, "2021-02-30"]})
    values, kind, problems = Expression.parse("sas_date(AESTDTC)").evaluate(frame)
    assert kind == NUMBER and problems == []
    got = [None if pd.isna(v) else float(v) for v in values]
    assert got == [day("2021-03-05"), 0.0, -1.0, None, None, None, None]
    assert day("2021-03-05") == 22344.0 and not math.isnan(got[0])  # type: ignore[arg-type]


def test_a_number_is_refused() -> None:
    with pytest.raises(ExprSyntaxError, match="sas_date's argument 1 takes date, got number"):
        Expression.parse("sas_date(AGE)").check({"AGE": NUMBER})


def test_an_impossible_day_is_no_date_for_any_date_function() -> None:
    frame = pd.DataFrame({"A": ["2021-02-28", "2021-02-29", "2020-02-29", "2021-04-31"]})
    frame = frame.assign(B=["2021-02-01"] * 4)
    values, _, _ = Expression.parse("days_between(B, A)").evaluate(frame, {"A": "date",
                                                                            "B": "date"})
    assert [None if pd.isna(v) else float(v) for v in values] == [27.0, None, -338.0, None]
    values, _, _ = Expression.parse("add_days(A, 1)").evaluate(frame, {"A": "date"})
    assert [None if pd.isna(v) else v for v in values] == ["2021-03-01", None, "2020-03-01",
                                                           None]


def test_sas_datetime_needs_a_time_and_counts_seconds_from_1960() -> None:
    frame = pd.DataFrame({"EXSTDTC": ["1960-01-01T00:00", "1960-01-02T01:02:03",
                                      "2021-03-05T08:36", "2021-03-05", "2021-03-05T25:00",
                                      "2021-03", None]})
    values, kind, problems = Expression.parse("sas_datetime(EXSTDTC)").evaluate(frame)
    assert kind == NUMBER and problems == []
    got = [None if pd.isna(v) else float(v) for v in values]
    assert got == [0.0, 86400.0 + 3723.0, day("2021-03-05") * 86400 + 8 * 3600 + 36 * 60,
                   None, None, None, None]
    assert Expression.parse("sas_datetime(EXSTDTC)").words() == "EXSTDTC as a SAS datetime"
