"""ISO 8601 text to SAS numeric dates and datetimes, with the imputation ADaM needs.

ADaM carries dates as numbers: days since 1960-01-01 (``DATE9.``) and seconds since
1960-01-01T00:00:00 (``DATETIME20.``). Missing is NaN. Everything here is vectorised over a
pandas Series (whole columns: the text is read into its parts by :mod:`cdiscflow.iso8601`, once
per distinct value; the calendar arithmetic is numpy) and never invents a value unless an
imputation rule is asked for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdiscflow import iso8601

SAS_EPOCH = dt.date(1960, 1, 1)
IMPUTATION_LEVELS = ("n", "s", "m", "h", "D", "M", "Y")  # admiral's highest_imputation order
_SAS_EPOCH_DAYS = 3653.0  # 1960-01-01 is 3653 days before 1970-01-01, iso8601's day 0


def sas_day(date: dt.date) -> float:
    return float((date - SAS_EPOCH).days)


def date_of(day: float) -> dt.date:
    return SAS_EPOCH + dt.timedelta(days=int(day))


@dataclass(frozen=True)
class _Parts:
    """The ISO 8601 components of each value as floats (NaN where absent or unparsable)."""

    y: np.ndarray
    m: np.ndarray
    d: np.ndarray
    H: np.ndarray
    M: np.ndarray
    S: np.ndarray


def _parts(dtc: pd.Series) -> _Parts:
    parsed = iso8601.parse(dtc)
    numbers = [parsed.part(name) for name in iso8601.PARTS]
    # a day after an unknown month (2020---12) has no imputation rule here: unreadable
    odd = np.isnan(numbers[1]) & ~np.isnan(numbers[2])
    if odd.any():
        numbers = [np.where(odd, np.nan, n) for n in numbers]
    return _Parts(*numbers)


def _month_start(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    """SAS day of the first of each month (``month`` may run past 12 into the next years);
    NaN where a part is missing (the caller masks those rows)."""
    return iso8601.month_start(year, month) + _SAS_EPOCH_DAYS


def _check_calendar(year: int, month: int | None, day: int | None) -> None:
    """Raise what ``datetime.date`` says about a date the calendar does not have (month 13,
    30 February, year 0), as the imputation of each value one by one used to."""
    dt.date(year, 1 if month is None else month, 1 if day is None else day)
    if month is not None and day is None:
        dt.date(year + month // 12, month % 12 + 1, 1)  # the month's last day: the next month
    raise AssertionError(f"{year}-{month}-{day} was judged not a calendar date")


def _impute_days(p: _Parts, highest_imputation: str, date_imputation: str,
                 mins: list[np.ndarray], maxs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(SAS day, flag) arrays of :func:`impute_date` from parsed parts."""
    allowed = IMPUTATION_LEVELS.index(highest_imputation)
    has_y, has_m, has_d = ~np.isnan(p.y), ~np.isnan(p.m), ~np.isnan(p.d)
    complete = has_y & has_m & has_d
    level_d = has_y & has_m & ~has_d & (IMPUTATION_LEVELS.index("D") <= allowed)
    level_m = has_y & ~has_m & (IMPUTATION_LEVELS.index("M") <= allowed)
    month = np.where(has_m, p.m, 1.0)  # a year alone spans January to December
    good_month = (month >= 1) & (month <= 12)
    start = _month_start(p.y, month)
    month_days = _month_start(p.y, month + 1) - start
    valid = (p.y >= 1) & np.where(
        complete, good_month & (p.d >= 1) & (p.d <= month_days),
        np.where(level_d, good_month & ~((p.y == 9999) & (month == 12)), True))
    bad = np.flatnonzero((complete | level_d | level_m) & ~valid)
    if len(bad):
        i = bad[0]
        _check_calendar(int(p.y[i]), int(p.m[i]) if has_m[i] else None,
                        int(p.d[i]) if has_d[i] else None)
    out = np.where(complete, start + p.d - 1, np.nan)
    lo = start
    hi = np.where(level_d, start + month_days - 1, _month_start(p.y, np.full_like(month, 13)) - 1)
    if date_imputation == "first":
        chosen = lo
    elif date_imputation == "last":
        chosen = hi
    else:  # mid: the 15th of the month, or 30 June for a year
        chosen = np.where(level_d, start + 14, _month_start(p.y, np.full_like(month, 6)) + 29)
    for ref in [*mins, *maxs]:  # the later reference wins, the maximum dates last
        chosen = np.where(~np.isnan(ref) & (lo <= ref) & (ref <= hi), ref, chosen)
    imputed = level_d | level_m
    out = np.where(imputed, chosen, out)
    flags = np.full(len(out), None, dtype=object)
    flags[level_d] = "D"
    flags[level_m] = "M"
    return out, flags


def impute_date(dtc: pd.Series, highest_imputation: str = "n", date_imputation: str = "first",
                min_dates: list[pd.Series] | None = None, max_dates: list[pd.Series] | None = None
                ) -> tuple[pd.Series, pd.Series]:
    """(SAS date, imputation flag) for ISO 8601 text.

    ``highest_imputation`` is the most that may be imputed: ``n`` nothing, ``D`` the day, ``M``
    month and day (a value without a year stays missing). ``date_imputation`` is ``first``,
    ``mid`` or ``last``. The flag is ``D``/``M`` for the highest part imputed (ADaM --DTF).

    ``min_dates``/``max_dates``: when the range of dates a partial value can mean contains one
    of these dates, that date is used instead of the first/last of the range (so an event in
    the month of the first dose is not imputed to before it: the conservative choice).
    """
    mins = [pd.Series(s).to_numpy(dtype=float) for s in (min_dates or [])]
    maxs = [pd.Series(s).to_numpy(dtype=float) for s in (max_dates or [])]
    days, flags = _impute_days(_parts(dtc), highest_imputation, date_imputation, mins, maxs)
    return pd.Series(days, index=dtc.index), pd.Series(flags, index=dtc.index, dtype=object)


def impute_datetime(dtc: pd.Series, highest_imputation: str = "n", date_imputation: str = "first",
                    time_imputation: str = "first", min_dates: list[pd.Series] | None = None,
                    max_dates: list[pd.Series] | None = None
                    ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(SAS datetime, date flag, time flag). Missing time parts are imputed (00:00:00 for
    ``first``, 23:59:59 for ``last``) and flagged H/M/S in --TMF as the highest part imputed.

    ``min_dates``/``max_dates`` (SAS datetimes) work as in :func:`impute_date`, at the second:
    a reference inside the range of datetimes the partial value can mean is used instead (the
    later one wins, the maximum dates last), e.g. an event on the day of the first dose with no
    time is not placed before the dose."""
    p = _parts(dtc)
    secs, dflag, tflag = _impute_seconds(p, highest_imputation, date_imputation, time_imputation)
    refs = [pd.Series(s).to_numpy(dtype=float) for s in [*(min_dates or []), *(max_dates or [])]]
    if refs:
        lo = _impute_seconds(p, highest_imputation, "first", "first")[0]
        hi = _impute_seconds(p, highest_imputation, "last", "last")[0]
        for ref in refs:
            secs = np.where(~np.isnan(secs) & ~np.isnan(ref) & (lo <= ref) & (ref <= hi), ref,
                            secs)
    return (pd.Series(secs, index=dtc.index), pd.Series(dflag, index=dtc.index, dtype=object),
            pd.Series(tflag, index=dtc.index, dtype=object))


def _impute_seconds(p: _Parts, highest_imputation: str, date_imputation: str,
                    time_imputation: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(SAS datetime, date flag, time flag) arrays of :func:`impute_datetime`."""
    day, dflag = _impute_days(p, highest_imputation, date_imputation, [], [])
    fill = (0, 0, 0) if time_imputation == "first" else (23, 59, 59)
    has_day = ~np.isnan(day)
    no_h, no_m, no_s = np.isnan(p.H), np.isnan(p.M), np.isnan(p.S)
    tflags = np.full(len(day), None, dtype=object)
    tflags[has_day & no_s] = "S"  # the highest part missing wins: set from the lowest up
    tflags[has_day & no_m] = "M"
    tflags[has_day & no_h] = "H"
    hms = [np.where(np.isnan(got), f, got) for got, f in zip((p.H, p.M, p.S), fill, strict=True)]
    secs = day * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2]
    return secs, dflag, tflags
