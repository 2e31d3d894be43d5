"""Comparing ISO 8601 dates as numbers (``dates.compare_instants``, used by EPOCH) and the
first/last complete date per subject (``extreme_date``): exact results for the edge cases
(a time on one side only, partial dates, invalid dates, ties, missing subjects)."""

from __future__ import annotations

import operator

import pandas as pd

from cdiscflow.sdtm import dates
from cdiscflow.sdtm.derivations.timing import derive_epoch, derive_extreme_date


def _answer(holds: bool, fails: bool) -> bool | None:
    assert not (holds and fails)
    return True if holds else False if fails else None


def test_compare_instants_at_the_precision_both_share() -> None:
    dtc = pd.Series(["2021-01-10T08:00", "2021-01-10T09:00", "2021-01-10", "2021-01-10T09:00",
                     "2020-12", "2021-01", "2021", "2022", "2021-02-30", None, "2021---10",
                     "2021-01-09"], dtype="string")
    ref = pd.Series(["2021-01-10T09:00", "2021-01-10T09:00", "2021-01-10T09:00", "2021-01-10",
                     "2021-01-10", "2021-01-10", "2021-01-10", "2021-01-10", "2021-01-10",
                     "2021-01-10", "2021-01-10", "2021-01"], dtype="string")
    a, b = dates.Instants.of(dtc), dates.Instants.of(ref)
    for op, expected in (
        (operator.le, [True, True, True, True, True, None, None, False, None, None, None,
                       None]),
        (operator.lt, [True, False, False, False, True, None, None, False, None, None, None,
                       None]),
    ):
        holds, fails = dates.compare_instants(a, b, op)
        assert [_answer(h, f) for h, f in zip(holds, fails, strict=True)] == expected
        # complete dates as on_or_before / before answer; partial ones unknown there
        pairwise = dates.on_or_before if op is operator.le else dates.before
        assert [None if pd.isna(v) else bool(v) for v in pairwise(dtc, ref)] == [
            *expected[:4], *[None] * 8]


def test_epoch_of_partial_dates_and_ends_missing() -> None:
    df = pd.DataFrame({
        "DTC": ["2020-12", "2021-01", "2021-02", "2021", "2021-01-10", "2021-01-10"],
        "S": ["2021-01-10"] * 5 + [None], "E": ["2021-01-31"] * 6,
    })
    out = derive_epoch(df, new_var="EPOCH", dtc="DTC", epochs=["A", "B", "C"], ends=["S", "E"],
                       ends_inclusive=[False, True])
    assert out["EPOCH"].astype(object).where(out["EPOCH"].notna(), None).tolist() == [
        "A", None, "C", None, "B", None]


def test_extreme_date_ties_and_missing_subjects() -> None:
    dm = pd.DataFrame({"USUBJID": pd.Series(["A", "B", "C", None], dtype="string")})
    src = pd.DataFrame({
        "USUBJID": pd.Series(["B", "A", "A", None, "A", "B", "C"], dtype="string"),
        "VALUE": pd.Series(["2021-01-01", "2021-01-05", "2021-01-05T10:00", "2020-01-01",
                            "2021-01-04", "2021-01-01", "2021-01"], dtype="string"),
    })
    first = derive_extreme_date(dm, new_var="X", sources=src, mode="first")["X"]
    last = derive_extreme_date(dm, new_var="X", sources=src, mode="last")["X"]
    assert first.astype(object).where(first.notna(), None).tolist() == [
        "2021-01-04", "2021-01-01", None, None]
    assert last.astype(object).where(last.notna(), None).tolist() == [
        "2021-01-05T10:00", "2021-01-01", None, None]


def test_age_on_leap_days_and_unreal_dates() -> None:
    from cdiscflow.sdtm.derivations.timing import derive_age

    df = pd.DataFrame({
        "B": ["2000-02-29", "2000-02-29", "2000-02-29", "1980-02-30", "1980-06-15T08:00",
              "1980-06-15"],
        "R": ["2021-02-28", "2021-03-01", "2024-02-29", "2020-06-15", "2020-06-15",
              "2020-06-14T23:59"],
    })
    age = derive_age(df, new_var="AGE", birth="B", ref="R")["AGE"]
    assert str(age.dtype) == "Int64"
    assert [None if pd.isna(v) else int(v) for v in age] == [20, 21, 24, None, 40, 39]


def test_study_day_has_no_day_zero_and_skips_partial_dates() -> None:
    from cdiscflow.sdtm.derivations.timing import derive_study_day

    df = pd.DataFrame({
        "DTC": ["2021-01-10", "2021-01-09T23:59", "2021-01-11", "2020-01-10", "2021-01",
                "2021-02-30", None, "2021-01-10"],
        "REF": ["2021-01-10T08:00"] * 7 + ["2021"],
    })
    dy = derive_study_day(df, new_var="DY", dtc="DTC", ref="REF")["DY"]
    assert str(dy.dtype) == "Int64"
    assert [None if pd.isna(v) else int(v) for v in dy] == [1, -1, 2, -366, None, None, None,
                                                             None]
