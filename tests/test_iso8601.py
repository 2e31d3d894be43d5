"""The one ISO 8601 reader SDTM, ADaM and the expression language share (cdiscflow/iso8601.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cdiscflow import iso8601
from cdiscflow.adam.dates import impute_date
from cdiscflow.expr import Expression
from cdiscflow.sdtm import dates

NAN = np.nan
# value -> (year, month, day, hour, minute, second) as written
CASES = {
    "2020": (2020, NAN, NAN, NAN, NAN, NAN),
    "2020-05": (2020, 5, NAN, NAN, NAN, NAN),
    "2020-05-12": (2020, 5, 12, NAN, NAN, NAN),
    "2020---12": (2020, NAN, 12, NAN, NAN, NAN),
    "2020-05-12T08": (2020, 5, 12, 8, NAN, NAN),
    "2020-05-12T08:36": (2020, 5, 12, 8, 36, NAN),
    "2020-05-12T08:36:15": (2020, 5, 12, 8, 36, 15),
    "2020-05-12T08:36:15.5": (2020, 5, 12, 8, 36, 15.5),
    " 2020-05-12 ": (2020, 5, 12, NAN, NAN, NAN),
    "2020-05T08:36": (2020, 5, NAN, 8, 36, NAN),
    "2021-02-30": (2021, 2, 30, NAN, NAN, NAN),  # parts as written; not a day (below)
    "": (NAN,) * 6,
    "   ": (NAN,) * 6,
    "12/05/2020": (NAN,) * 6,
    "2020-5-12": (NAN,) * 6,
    "2020-05-12 08:36": (NAN,) * 6,
    "20200512": (NAN,) * 6,
    "UNK": (NAN,) * 6,
    "2020-05-12Tnoon": (NAN,) * 6,
}


def _series(values: list[str | None]) -> pd.Series:
    return pd.Series(values, dtype="string[pyarrow]")


def test_parts_of_every_form() -> None:
    values = [*CASES, None]
    parsed = iso8601.parse(_series(values))
    got = np.column_stack([parsed.part(name) for name in iso8601.PARTS])
    expected = np.array([*CASES.values(), (NAN,) * 6], dtype=float)
    np.testing.assert_array_equal(got, expected)


def test_days_only_for_real_complete_dates() -> None:
    values = ["1970-01-01", "1970-01-02T23:59", "2020-02-29", "2021-02-29", "2021-02-30",
              "2021-13-01", "2021-04-31", "2021-04-00", "0000-01-01", "2020-05", "2020", "",
              None, "junk", "2020---12"]
    days = iso8601.parse(_series(values)).days()
    np.testing.assert_array_equal(
        days, [0, 1, 18321, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN])


def test_seconds_need_a_real_date_and_time() -> None:
    values = ["1970-01-02T01:02:03", "1970-01-01T00:00", "1970-01-01T23:59:59.9",
              "1970-01-01T08", "1970-01-01T24:00", "1970-01-01T12:60", "1970-01-01T12:00:60",
              "2021-02-30T08:00", "2020-05T08:00", "1970-01-01"]
    secs = iso8601.parse(_series(values)).seconds()
    np.testing.assert_array_equal(
        secs, [86400 + 3723, 0, 86399, NAN, NAN, NAN, NAN, NAN, NAN, NAN])


def test_period_of_partial_dates() -> None:
    values = ["2020", "2020-02", "2021-02", "2020-12", "2020-13", "2020-02-03", "", "x"]
    first, last = iso8601.parse(_series(values)).period()
    day = np.datetime64("1970-01-01", "D")
    expected_first = ["2020-01-01", "2020-02-01", "2021-02-01", "2020-12-01"]
    expected_last = ["2020-12-31", "2020-02-29", "2021-02-28", "2020-12-31"]
    for got, want in ((first, expected_first), (last, expected_last)):
        assert [str(day + int(v)) for v in got[:4]] == want
        assert np.isnan(got[4:]).all()


def test_each_distinct_value_read_once_and_spread() -> None:
    column = _series(["2020-05-12", None, "2020-05-12", "2020", None, "2020"] * 500)
    parsed = iso8601.parse(column)
    assert len(parsed) == 3000
    assert len(parsed.distinct["year"]) == 3  # two dates and the missing value
    np.testing.assert_array_equal(parsed.part("year")[:6], [2020, NAN, 2020, 2020, NAN, 2020])


def test_arrow_input_and_empty_input() -> None:
    parsed = iso8601.parse_array(pa.chunked_array([["2020-05-12", None], ["2020-05"]]))
    np.testing.assert_array_equal(parsed.part("month"), [5, NAN, 5])
    np.testing.assert_array_equal(parsed.days(), [18394, NAN, NAN])
    empty = iso8601.parse(_series([]))
    assert empty.days().shape == (0,) and empty.period()[0].shape == (0,)


def test_non_text_column_read_as_text() -> None:
    parsed = iso8601.parse(pd.Series([2020, None], dtype=object))
    np.testing.assert_array_equal(parsed.part("year"), [2020, NAN])


def test_month_start_runs_past_december() -> None:
    got = iso8601.month_start(np.array([1970, 1969, 2020, NAN]), np.array([13, 1, 3, 1]))
    np.testing.assert_array_equal(got, [365, -365, 18322, NAN])


# --- the three users agree on the same values --------------------------------------------------

def test_sdtm_adam_and_expressions_agree_on_an_impossible_date() -> None:
    values = _series(["2021-02-28", "2021-02-30", "2021-02", "junk", None])
    sdtm_days = dates.date_part(values)
    assert [str(v)[:10] for v in sdtm_days] == ["2021-02-28", "NaT", "NaT", "NaT", "NaT"]
    frame = pd.DataFrame({"DTC": values, "T": _series(["2021-02-28T08:00"] * 5)})
    got, _, _ = Expression.parse("sas_date(DTC)").evaluate(frame, {"DTC": "date"})
    assert [None if pd.isna(v) else float(v) for v in got] == [22339.0, None, None, None, None]
    got, _, _ = Expression.parse("month(DTC)").evaluate(frame, {"DTC": "date"})
    assert [None if pd.isna(v) else float(v) for v in got] == [2.0, 2.0, 2.0, None, None]
    got, _, _ = Expression.parse("year(T)").evaluate(frame, {"T": "date"})
    assert [float(v) for v in got] == [2021.0] * 5
    # ADaM refuses an impossible date loudly rather than take it as missing
    with pytest.raises(ValueError, match="day is out of range"):
        impute_date(values, "n")
    ok, flags = impute_date(_series(["2021-02-28", "2021-02", None]), "D")
    assert list(ok) == [22339.0, 22312.0, pytest.approx(NAN, nan_ok=True)]
    assert list(flags) == [None, "D", None]


def test_sdtm_days_between_and_period_bounds() -> None:
    later = _series(["2021-03-01", "2021-03-01T10:00", "2021-02-30", "2021-03", None])
    earlier = _series(["2021-02-28", "2021-02-28", "2021-02-01", "2021-02-01", "2021-02-01"])
    assert list(dates.days_between(later, earlier)) == [1, 1, pd.NA, pd.NA, pd.NA]
    first, last = dates.period_bounds(_series(["2021-02", "2021", "2021-02-03"]))
    assert [str(v)[:10] for v in first] == ["2021-02-01", "2021-01-01", "NaT"]
    assert [str(v)[:10] for v in last] == ["2021-02-28", "2021-12-31", "NaT"]
