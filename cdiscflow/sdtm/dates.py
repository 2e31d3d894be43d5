"""Collected dates and times to ISO 8601, keeping exactly the precision that was collected.

A raw date is read by a declared format made of tokens (YYYY, MM, DD, MON and literal
separators), e.g. ``DD/MM/YYYY`` or ``DD-MON-YYYY``. Unknown parts written as ``UNK``/``UN``/``UK``
(or an ISO value cut short, ``2021-03``) give a partial ISO 8601 value: a day is never invented.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdiscflow import iso8601
from cdiscflow.iso8601 import as_datetime64
from cdiscflow.textops import (
    extract,
    factorised,
    per_distinct,
    spread,
    to_number,
)

_MONTHS = {m: i for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1
)}
_UNKNOWN = r"(?:UNK|UN|UK|NK)"
_TOKENS = {
    "YYYY": r"(?P<year>\d{4})",
    "YY": r"(?P<yy>\d{2})",  # a two-digit year, read with the mapping's year_cutoff
    "MON": rf"(?P<mon>[A-Za-z]{{3}}|{_UNKNOWN})",
    "MM": rf"(?P<month>\d{{1,2}}|{_UNKNOWN})",
    "DD": rf"(?P<day>\d{{1,2}}|{_UNKNOWN})",
    # a time collected in the same field as the date (2023-04-14T08:36, 14/04/2023 08:36)
    "HH": r"(?P<hour>\d{1,2})",
    "MI": r"(?P<minute>\d{2})",
    "SS": r"(?P<second>\d{2})",
}
_TOKEN_RE = re.compile("|".join(_TOKENS))
_TIME_RE = re.compile(r"^\s*(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*$")

ISO_FORMAT = "YYYY-MM-DD"


@dataclass(frozen=True)
class DateProblem:
    index: object  # the frame index of the value
    value: str
    message: str
    severity: str = "error"


def _compile(fmt: str) -> re.Pattern[str]:
    pattern, pos = "", 0
    # without separators (YYYYMMDD) a one-digit day or month would be ambiguous: 2021035
    compact = not _TOKEN_RE.sub("", fmt)
    for m in _TOKEN_RE.finditer(fmt):
        token = _TOKENS[m.group(0)]
        if compact:
            token = token.replace(r"\d{1,2}", r"\d{2}")
        pattern += re.escape(fmt[pos : m.start()]) + token
        pos = m.end()
    pattern += re.escape(fmt[pos:])
    if fmt == ISO_FORMAT:
        # ISO values may be cut short on the right: 2021-03, 2021
        pattern = r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?"
    return re.compile(rf"(?i)^\s*{pattern}\s*$")


def known_date_format(fmt: str) -> bool:
    """Whether a declared format can be read: a year (YYYY, or YY with a year cutoff), then
    optionally a month (MM or MON), a day only together with a month, and a time (HH and MI,
    optionally SS) only together with a day. ``MM/YYYY`` and ``YYYY`` are formats of partial
    dates."""
    found = _TOKEN_RE.findall(fmt)
    if len(found) != len(set(found)) or ("YYYY" in found) == ("YY" in found):
        return False
    has_month = "MM" in found or "MON" in found
    has_time = bool({"HH", "MI", "SS"} & set(found))
    time_ok = not has_time or ({"HH", "MI"} <= set(found) and "DD" in found)
    return (not ("MM" in found and "MON" in found) and ("DD" not in found or has_month)
            and time_ok)


def two_digit_year(fmt: str | list[str]) -> bool:
    """Whether a format (or any of a list) reads a two-digit year (YY)."""
    formats = [fmt] if isinstance(fmt, str) else fmt
    return any("YY" in _TOKEN_RE.findall(f) for f in formats)


def _is_unknown(part: pd.Series) -> pd.Series:
    return part.isna() | part.str.upper().isin(["UNK", "UN", "UK", "NK"])


def parse_dates(values: pd.Series, fmt: str | list[str], times: pd.Series | None = None,
                year_cutoff: int | None = None) -> tuple[pd.Series, list[DateProblem]]:
    """Collected dates (and optional times) as ISO 8601 text, with the problems found.

    ``fmt`` is one format or a list tried in order: a value is read by the first format it
    matches (``[MM/DD/YYYY, YYYY]`` reads both ``01/02/2014`` and ``2003``). Blank values give
    a missing result and no problem. A value that matches no format, or is not a calendar date,
    gives a missing result and a problem naming the value and the format(s).
    Each distinct (date, time) pair is parsed once and its result given to every record.
    ``year_cutoff`` (as SAS YEARCUTOFF): a two-digit year is read in the hundred years from it
    (with 1940, ``39`` is 2039 and ``40`` is 1940).
    """
    values = values.astype("string")
    columns = [values] if times is None else [values, times.astype("string")]
    known, distinct = factorised(*columns)
    codes = known.codes
    formats = [fmt] if isinstance(fmt, str) else list(fmt)
    iso, found = _parse_distinct(distinct[0], formats, None if times is None else distinct[1],
                                 year_cutoff)
    rows = pd.Series(values.index)
    problems = [DateProblem(rows[r], p.value, p.message, p.severity)
                for p in found for r in np.flatnonzero(codes == p.index)]
    out = spread(iso.astype("string"), known, values.index)
    return out.rename(values.name), problems


def _parse_distinct(values: pd.Series, formats: list[str], times: pd.Series | None,
                    year_cutoff: int | None = None) -> tuple[pd.Series, list[DateProblem]]:
    text = values.astype("string").str.strip()
    present = text.notna() & (text != "")
    iso = pd.Series(pd.NA, index=text.index, dtype="string")
    problems: list[DateProblem] = []
    left = present
    for fmt in formats:
        matched, got, found = _parse_format(text.where(left), fmt, year_cutoff)
        iso = iso.where(~matched, got)
        problems.extend(found)
        left = left & ~matched
    wanted = (f"the format {formats[0]}" if len(formats) == 1
              else "one of the formats " + ", ".join(formats))
    for idx in left[left].index:
        problems.append(DateProblem(idx, str(text[idx]), f"expected a date in {wanted}"))
    if times is not None:
        iso, time_problems = _add_times(iso, times)
        problems.extend(time_problems)
    return iso.astype("string"), problems


def _parse_format(text: pd.Series, fmt: str, year_cutoff: int | None = None
                  ) -> tuple[pd.Series, pd.Series, list[DateProblem]]:
    """The values ``fmt`` matches, their ISO 8601 text (missing where a matched value is not
    a date: a bad month name, not a calendar date) and those problems."""
    parts = extract(text, _compile(fmt).pattern)
    problems: list[DateProblem] = []
    none = pd.Series(pd.NA, index=text.index, dtype="string")
    year = parts["year"] if "year" in parts else _four_digits(parts["yy"], year_cutoff)
    matched = year.notna()
    if "mon" in parts:
        mon = parts["mon"].str.upper()
        month = mon.map(_MONTHS.get, na_action="ignore").astype("Int64").astype("string")
        bad_mon = matched & ~_is_unknown(mon) & month.isna()
        month = month.where(~_is_unknown(mon))
    elif "month" in parts:
        raw_month = parts["month"]
        month = raw_month.where(~_is_unknown(raw_month))
        bad_mon = pd.Series(False, index=text.index)
    else:
        month, bad_mon = none, pd.Series(False, index=text.index)
    day = parts["day"].where(~_is_unknown(parts["day"])) if "day" in parts else none

    month2 = month.str.zfill(2)
    day2 = day.str.zfill(2)
    iso = year.copy()
    has_m = month2.notna()
    has_d = has_m & day2.notna()
    iso = iso.where(~has_m, year + "-" + month2)
    iso = iso.where(~has_d, year + "-" + month2 + "-" + day2)
    # a known day with an unknown month: SDTMIG writes the missing month as a hyphen
    iso = iso.where(~(~has_m & day2.notna()), year + "---" + day2)

    # calendar check on complete dates (catches 2021-02-30, month 13, day 00)
    full = iso.where(has_d)
    parsed = pd.to_datetime(full, format="%Y-%m-%d", errors="coerce")
    bad_cal = has_d & parsed.isna()
    bad_month_num = has_m & ~has_d & ~month2.isin([f"{i:02d}" for i in range(1, 13)])
    # year 0000 has no day in the calendar Python and SAS count from (year 1 onwards), and
    # days counted to it would be 737,000 before the study
    bad_year = matched & (year == "0000").fillna(False)
    bad = matched & (bad_mon | bad_cal | bad_month_num | bad_year)
    for idx in bad[bad].index:
        why = ("year 0000 is not a date (years start at 0001)" if bad_year[idx]
               else "month not recognised (expected JAN..DEC or UNK)" if bad_mon[idx]
               else "not a calendar date")
        problems.append(DateProblem(idx, str(text[idx]), why))
    iso = iso.where(~bad & matched)
    if "hour" in parts:
        iso = _with_time(iso, text, parts, problems)
    return matched.fillna(False), iso, problems


def _four_digits(yy: pd.Series, cutoff: int | None) -> pd.Series:
    """Two-digit years in the hundred years from ``cutoff`` (SAS YEARCUTOFF)."""
    assert cutoff is not None, "a YY format needs year_cutoff (checked on load)"
    n = to_number(yy)
    base = cutoff // 100 * 100
    year = base + n
    year = year.where(year >= cutoff, year + 100)
    return year.astype("Int64").astype("string").where(yy.notna())


def _with_time(iso: pd.Series, text: pd.Series, parts: pd.DataFrame,
               problems: list[DateProblem]) -> pd.Series:
    """A time read in the date's own field added to the complete dates; on a partial date
    it has no ISO 8601 place and is dropped with a warning, as a separate time field is."""
    h, m = to_number(parts["hour"]), to_number(parts["minute"])
    s = to_number(parts["second"]) if "second" in parts else pd.Series(np.nan, index=h.index)
    has = parts["hour"].notna()
    valid = (h <= 23) & (m <= 59) & (s.isna() | (s <= 59))
    bad = has & iso.notna() & ~valid.fillna(False)
    for idx in bad[bad].index:
        problems.append(DateProblem(idx, str(text[idx]), "not a time of day (HH:MI or HH:MI:SS)"))
    hhmm = parts["hour"].str.zfill(2) + ":" + parts["minute"]
    if "second" in parts:
        hhmm = hhmm.where(parts["second"].isna(), hhmm + ":" + parts["second"])
    complete = (iso.str.len() == 10).fillna(False)
    dropped = has & iso.notna() & ~complete & valid.fillna(False)
    for idx in dropped[dropped].index:
        problems.append(DateProblem(idx, str(text[idx]), "time ignored: the date is partial",
                                    "warning"))
    use = has & complete & valid.fillna(False)
    return iso.where(~use, iso + "T" + hhmm).where(~bad)


def _add_times(iso: pd.Series, times: pd.Series) -> tuple[pd.Series, list[DateProblem]]:
    problems: list[DateProblem] = []
    t = times.astype("string").str.strip()
    t = t.where(t != "")
    parts = extract(t, _TIME_RE.pattern)
    h, m, s = (to_number(parts[k]) for k in ("h", "m", "s"))
    valid = (h <= 23) & (m <= 59) & (s.isna() | (s <= 59))
    bad = t.notna() & ~valid.fillna(False)
    for idx in bad[bad].index:
        problems.append(DateProblem(idx, str(t[idx]), "expected a time HH:MM or HH:MM:SS"))
    hhmm = parts["h"].str.zfill(2) + ":" + parts["m"]
    hhmm = hhmm.where(parts["s"].isna(), hhmm + ":" + parts["s"])
    complete_date = iso.str.len() == 10
    # a time on a partial date has no ISO 8601 form: the date keeps its precision, time dropped
    dropped = t.notna() & valid.fillna(False) & iso.notna() & ~complete_date.fillna(False)
    for idx in dropped[dropped].index:
        problems.append(
            DateProblem(idx, str(t[idx]), "time ignored: the date is partial", "warning"))
    use = t.notna() & valid.fillna(False) & complete_date.fillna(False)
    return iso.where(~use, iso + "T" + hhmm), problems


def date_part(dtc: pd.Series) -> pd.Series:
    """Complete dates of ISO 8601 values as datetime64 (NaT when the date is partial, missing
    or not in the calendar)."""
    return pd.Series(as_datetime64(iso8601.parse(dtc).days(), "D"), index=dtc.index)


def datetime_part(dtc: pd.Series) -> pd.Series:
    """ISO 8601 values with a time (at least hours and minutes) as datetime64 (NaT when
    there is none)."""
    return pd.Series(as_datetime64(iso8601.parse(dtc).seconds(), "s"), index=dtc.index)


def period_bounds(dtc: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The first and last day of the period a partial date (``2020`` or ``2020-05``) stands
    for, as datetime64; NaT for a complete, missing or unreadable date."""
    first, last = iso8601.parse(dtc).period()
    return (pd.Series(as_datetime64(first, "D"), index=dtc.index),
            pd.Series(as_datetime64(last, "D"), index=dtc.index))


def compare_period(dtc: pd.Series, ref: Moments, op: Callable[[pd.Series, pd.Series],
                                                           pd.Series]) -> pd.Series:
    """``op`` (``operator.le`` or ``operator.lt``) of a partial date's whole period against a
    complete reference date: True when every day of the period satisfies it, False when none
    does, NA when the period straddles the reference (or a date is not partial)."""
    first, last = period_bounds(dtc)
    result = pd.Series(pd.NA, index=dtc.index, dtype="boolean")
    known = first.notna() & ref.day.notna()
    every = known & op(last, ref.day).fillna(False).astype(bool)
    none = known & ~op(first, ref.day).fillna(True).astype(bool)
    result[every] = True
    result[none] = False
    return result


def on_or_before(dtc: pd.Series, ref: pd.Series) -> pd.Series:
    """Whether each value is on or before its reference, at the precision both share.

    Both with a time: compared as datetimes; otherwise compared as dates (a value on the
    reference date counts as on or before it). Unknown (NA) when either date is partial or missing.
    """
    return per_distinct(lambda d, r: compare(Moments.of(d), Moments.of(r), operator.le),
                        dtc.astype("string"), ref.astype("string"))


def before(dtc: pd.Series, ref: pd.Series) -> pd.Series:
    """Strictly before, at the precision both share (same date without times: not before)."""
    return per_distinct(lambda d, r: compare(Moments.of(d), Moments.of(r), operator.lt),
                        dtc.astype("string"), ref.astype("string"))


@dataclass(frozen=True)
class Moments:
    """ISO 8601 values read once for comparing: the complete date and, where there is a
    time, the date and time (NaT where the value has no such precision)."""

    day: pd.Series
    stamp: pd.Series

    @classmethod
    def of(cls, dtc: pd.Series) -> Moments:
        return cls(date_part(dtc), datetime_part(dtc))


def compare(a: Moments, b: Moments, op: Callable[[pd.Series, pd.Series], pd.Series]
            ) -> pd.Series:
    """``op`` (``operator.le``, ``operator.lt``) on each pair at the precision both share:
    as datetimes when both have a time, else as dates; NA when either date is partial."""
    by_time = a.stamp.notna() & b.stamp.notna()
    result = pd.Series(pd.NA, index=a.day.index, dtype="boolean")
    dated = a.day.notna() & b.day.notna()
    result[dated] = op(a.day, b.day)[dated]
    result[by_time] = op(a.stamp, b.stamp)[by_time]
    return result


@dataclass(frozen=True)
class Instants:
    """ISO 8601 values read once for comparing, as numpy arrays: days since 1970 of the
    complete date (``day``), seconds since 1970 where there is a time too (``stamp``), and
    the first and last day of the period a partial date stands for (``first``, ``last``);
    NaN where the value has no such precision. :class:`Moments` as numbers: no pandas
    objects for a few thousand records."""

    day: np.ndarray
    stamp: np.ndarray
    first: np.ndarray
    last: np.ndarray

    @classmethod
    def of(cls, dtc: pd.Series) -> Instants:
        parsed = iso8601.parse(dtc)
        return cls(parsed.days(), parsed.seconds(), *parsed.period())


def compare_instants(a: Instants, b: Instants, op: Callable[[np.ndarray, np.ndarray],
                                                            np.ndarray]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """``op`` (``operator.le``, ``operator.lt``) on each pair as two masks, where it holds and
    where it fails (neither: unknown). Complete dates compare as :func:`compare` does (as
    datetimes when both have a time, else as dates); a partial ``a`` as
    :func:`compare_period` does against a complete ``b`` (holds when it does for the
    whole period, fails when for none of it)."""
    with np.errstate(invalid="ignore"):
        by_time = ~np.isnan(a.stamp) & ~np.isnan(b.stamp)
        dated = ~np.isnan(a.day) & ~np.isnan(b.day)
        result = np.where(by_time, op(a.stamp, b.stamp), op(a.day, b.day))
        period = np.isnan(a.day) & ~np.isnan(a.first) & ~np.isnan(b.day)
        every = period & op(a.last, b.day)
        none = period & ~op(a.first, b.day)
    # a time implies a complete date: ``by_time`` is within ``dated``
    holds = (dated & result) | (every & ~none)
    fails = (dated & ~result) | none
    return holds, fails


def days_between(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """Whole days from ``earlier`` to ``later`` (complete dates only), as nullable integers."""
    days = iso8601.parse(later).days() - iso8601.parse(earlier).days()
    return pd.array(days, dtype="Int64") if len(days) else pd.array([], dtype="Int64")
