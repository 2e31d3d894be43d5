"""The calendar check of collected dates (worked out on numbers, as pandas' to_datetime with
``%Y-%m-%d`` had it) and the order of the problems found: exact values for the edge cases."""

import pandas as pd

from cdiscflow.sdtm.dates import parse_dates


def _parse(values, fmt, times=None, cutoff=None):
    out, problems = parse_dates(pd.Series(values, dtype="string"), fmt,
                                None if times is None else pd.Series(times, dtype="string"),
                                cutoff)
    return ([None if pd.isna(v) else v for v in out],
            [(int(p.index), p.value, p.message, p.severity) for p in problems])


def test_leap_days_month_ends_and_year_zero() -> None:
    out, problems = _parse(["29/02/2000", "29/02/1900", "29/02/2024", "31/04/2021", "30/04/2021",
                            "00/01/2021", "01/00/2021", "05/06/0000", "UN/13/2021",
                            "01/01/0001", "31/12/9999"], "DD/MM/YYYY")
    assert out == ["2000-02-29", None, "2024-02-29", None, "2021-04-30", None, None, None,
                   None, "0001-01-01", "9999-12-31"]
    assert problems == [
        (1, "29/02/1900", "not a calendar date", "error"),
        (3, "31/04/2021", "not a calendar date", "error"),
        (5, "00/01/2021", "not a calendar date", "error"),
        (6, "01/00/2021", "not a calendar date", "error"),
        (7, "05/06/0000", "year 0000 is not a date (years start at 0001)", "error"),
        (8, "UN/13/2021", "not a calendar date", "error"),
    ]


def test_two_digit_years_outside_four_digits_are_not_dates() -> None:
    # a cutoff of 50 reads 49 as year 149 and 50 as year 50: not four digits of year
    out, problems = _parse(["01/02/49", "01/02/50", "UN/02/49"], "DD/MM/YY", cutoff=50)
    assert out == [None, None, "149-02"]
    assert [p[:3] for p in problems] == [(0, "01/02/49", "not a calendar date"),
                                         (1, "01/02/50", "not a calendar date")]


def test_problems_in_order_of_kind_then_record() -> None:
    out, problems = _parse(["12/03/2021 25:00", "UN/03/2021 10:00", "xx", "31/02/2021 10:00",
                            "01-JAN-2021", "12/03/2021 09:30"],
                           ["DD/MM/YYYY HH:MI", "DD-MON-YYYY"])
    assert out == [None, "2021-03", None, None, "2021-01-01", "2021-03-12T09:30"]
    assert problems == [
        (3, "31/02/2021 10:00", "not a calendar date", "error"),
        (0, "12/03/2021 25:00", "not a time of day (HH:MI or HH:MI:SS)", "error"),
        (1, "UN/03/2021 10:00", "time ignored: the date is partial", "warning"),
        (2, "xx", "expected a date in one of the formats DD/MM/YYYY HH:MI, DD-MON-YYYY",
         "error"),
    ]
