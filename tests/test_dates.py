import pandas as pd
import pytest

from cdiscflow.sdtm.dates import before, days_between, on_or_before, parse_dates


def iso(values, fmt, times=None):
    out, problems = parse_dates(pd.Series(values, dtype="string"), fmt,
                                None if times is None else pd.Series(times, dtype="string"))
    return [None if pd.isna(v) else v for v in out], problems


def test_site_format_day_month_year():
    out, problems = iso(["12/03/1975", "1/2/2020", None, ""], "DD/MM/YYYY")
    assert out == ["1975-03-12", "2020-02-01", None, None]
    assert problems == []


def test_partial_dates_keep_their_precision_and_never_invent_a_day():
    out, problems = iso(["UNK-MAR-2021", "UNK-UNK-2021", "05-Mar-2021", "12-UNK-2021"],
                        "DD-MON-YYYY")
    assert out == ["2021-03", "2021", "2021-03-05", "2021---12"]
    assert problems == []


def test_iso_values_cut_short_are_partial_dates():
    out, _ = iso(["2021-03", "2021", "2021-03-04"], "YYYY-MM-DD")
    assert out == ["2021-03", "2021", "2021-03-04"]


@pytest.mark.parametrize("value,message", [
    ("2021-02-30", "not a calendar date"),
    ("2021-13-01", "not a calendar date"),
    ("03/04/2021", "expected a date in the format YYYY-MM-DD"),
])
def test_impossible_or_malformed_dates_are_problems_not_values(value, message):
    out, problems = iso(["2021-01-01", value], "YYYY-MM-DD")
    assert out == ["2021-01-01", None]
    assert [(p.index, p.value, p.message) for p in problems] == [(1, value, message)]


def test_unknown_month_name_is_reported():
    out, problems = iso(["12-XYZ-2021"], "DD-MON-YYYY")
    assert out == [None]
    assert problems[0].message.startswith("month not recognised")


def test_times_join_complete_dates_only():
    out, problems = iso(["2021-03-04", "2021-03", "2021-03-04", "2021-03-04"], "YYYY-MM-DD",
                        ["8:05", "10:00", None, "25:00"])
    assert out == ["2021-03-04T08:05", "2021-03", "2021-03-04", "2021-03-04"]
    assert [(p.index, p.severity) for p in problems] == [(3, "error"), (1, "warning")]


def test_comparisons_use_the_precision_both_sides_have():
    dtc = pd.Series(["2021-03-04T08:00", "2021-03-04", "2021-03", "2021-03-05", "2021-03-04T09:00"])
    ref = pd.Series(["2021-03-04T09:00"] * 5)
    assert on_or_before(dtc, ref).tolist() == [True, True, pd.NA, False, True]
    assert before(dtc, ref).tolist() == [True, False, pd.NA, False, False]
    assert list(days_between(dtc, ref)) == [0, 0, pd.NA, 1, 0]


def test_comparisons_per_distinct_pair_on_large_input():
    # many records sharing a few (value, reference) pairs: worked out per pair, same answers
    dtc = pd.Series(["2021-03-04T08:00", "2021-03-04", "2021-03", None] * 500,
                    index=pd.RangeIndex(7, 2007))
    ref = pd.Series(["2021-03-04T09:00"] * 1000 + ["2021-03-03"] * 1000, index=dtc.index)
    expected = [True, True, pd.NA, pd.NA] * 250 + [False, False, pd.NA, pd.NA] * 250
    assert on_or_before(dtc, ref).tolist() == expected
    assert list(on_or_before(dtc, ref).index) == list(dtc.index)
    assert list(days_between(dtc, ref)) == [0, 0, pd.NA, pd.NA] * 250 + [1, 1, pd.NA, pd.NA] * 250
    assert len(days_between(dtc.iloc[:0], ref.iloc[:0])) == 0
