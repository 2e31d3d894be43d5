"""ISO 8601 text to SAS numeric dates and datetimes, with the imputation ADaM needs.

ADaM carries dates as numbers: days since 1960-01-01 (``DATE9.``) and seconds since
1960-01-01T00:00:00 (``DATETIME20.``). Missing is NaN. Everything here is vectorised over a
pandas Series and never invents a value unless an imputation rule is asked for.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

SAS_EPOCH = dt.date(1960, 1, 1)
_ISO_RE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?"
    r"(?:T(?P<H>\d{2})(?::(?P<M>\d{2})(?::(?P<S>\d{2}))?)?)?$"
)
IMPUTATION_LEVELS = ("n", "s", "m", "h", "D", "M", "Y")  # admiral's highest_imputation order


def sas_day(date: dt.date) -> float:
    return float((date - SAS_EPOCH).days)


def date_of(day: float) -> dt.date:
    return SAS_EPOCH + dt.timedelta(days=int(day))


def _parts(dtc: pd.Series) -> pd.DataFrame:
    text = dtc.astype("string").fillna("").str.strip()
    return text.str.extract(_ISO_RE.pattern)


def _last_day(year: int, month: int) -> int:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return (nxt - dt.timedelta(days=1)).day


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
    allowed = IMPUTATION_LEVELS.index(highest_imputation)
    parts = _parts(dtc)
    out = np.full(len(parts), np.nan)
    flags: list[str | None] = [None] * len(parts)
    mins = [pd.Series(s).to_numpy(dtype=float) for s in (min_dates or [])]
    maxs = [pd.Series(s).to_numpy(dtype=float) for s in (max_dates or [])]
    for i, (y, m, d) in enumerate(zip(parts["y"], parts["m"], parts["d"], strict=True)):
        if not isinstance(y, str):
            continue
        year = int(y)
        if isinstance(m, str) and isinstance(d, str):
            out[i] = sas_day(dt.date(year, int(m), int(d)))
            continue
        level = "D" if isinstance(m, str) else "M"
        if IMPUTATION_LEVELS.index(level) > allowed:
            continue
        if isinstance(m, str):
            month = int(m)
            lo, hi = dt.date(year, month, 1), dt.date(year, month, _last_day(year, month))
        else:
            lo, hi = dt.date(year, 1, 1), dt.date(year, 12, 31)
        if date_imputation == "first":
            chosen = lo
        elif date_imputation == "last":
            chosen = hi
        else:  # mid: the 15th of the month, or 30 June for a year
            chosen = dt.date(year, lo.month, 15) if level == "D" else dt.date(year, 6, 30)
        value = sas_day(chosen)
        for ref in mins:
            if not np.isnan(ref[i]) and sas_day(lo) <= ref[i] <= sas_day(hi):
                value = ref[i]
        for ref in maxs:
            if not np.isnan(ref[i]) and sas_day(lo) <= ref[i] <= sas_day(hi):
                value = ref[i]
        out[i] = value
        flags[i] = level
    return pd.Series(out, index=dtc.index), pd.Series(flags, index=dtc.index, dtype=object)


def impute_datetime(dtc: pd.Series, highest_imputation: str = "n", date_imputation: str = "first",
                    time_imputation: str = "first") -> tuple[pd.Series, pd.Series, pd.Series]:
    """(SAS datetime, date flag, time flag). Missing time parts are imputed (00:00:00 for
    ``first``, 23:59:59 for ``last``) and flagged H/M/S in --TMF as the highest part imputed."""
    day, dflag = impute_date(dtc, highest_imputation, date_imputation)
    parts = _parts(dtc)
    secs = np.full(len(parts), np.nan)
    tflags: list[str | None] = [None] * len(parts)
    fill = (0, 0, 0) if time_imputation == "first" else (23, 59, 59)
    for i, (h, m, s) in enumerate(zip(parts["H"], parts["M"], parts["S"], strict=True)):
        if np.isnan(day.iloc[i]):
            continue
        got = [int(x) if isinstance(x, str) else None for x in (h, m, s)]
        if got[0] is None:
            tflags[i] = "H"
        elif got[1] is None:
            tflags[i] = "M"
        elif got[2] is None:
            tflags[i] = "S"
        hms = [g if g is not None else f for g, f in zip(got, fill, strict=True)]
        secs[i] = day.iloc[i] * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2]
    # a time is never imputed for a date that was itself imputed beyond what was collected
    return (pd.Series(secs, index=dtc.index), dflag,
            pd.Series(tflags, index=dtc.index, dtype=object))
