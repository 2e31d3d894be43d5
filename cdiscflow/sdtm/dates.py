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
import pyarrow as pa
import pyarrow.compute as pc

from cdiscflow import iso8601
from cdiscflow.codedtext import arrow, text_series
from cdiscflow.codes import factorised, holds_per_distinct, per_distinct, spread
from cdiscflow.iso8601 import as_datetime64
from cdiscflow.textops import pattern_groups

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
    formats = [fmt] if isinstance(fmt, str) else list(fmt)
    iso, found = _parse_distinct(distinct[0], formats, None if times is None else distinct[1],
                                 year_cutoff)
    rows = pd.Series(values.index)
    problems = [DateProblem(rows[r], p.value, p.message, p.severity)
                for p in found for r in np.flatnonzero(known.codes == p.index)]
    out = spread(iso.astype("string"), known, values.index)
    return out.rename(values.name), problems


def _parse_distinct(values: pd.Series, formats: list[str], times: pd.Series | None,
                    year_cutoff: int | None = None) -> tuple[pd.Series, list[DateProblem]]:
    # distinct values, read with Arrow's kernels and numpy masks: pandas' per-call overhead
    # on some fifty small Series cost more than the reading itself
    index = values.index
    text = pc.utf8_trim_whitespace(arrow(values))
    left = _mask(pc.not_equal(text, ""))
    iso = pa.nulls(len(text), pa.large_string())
    problems: list[DateProblem] = []
    for fmt in formats:
        if not left.any():
            break  # nothing left to read (all blank, or read by an earlier format)
        matched, got, found = _parse_format(pc.if_else(left, text, None), fmt, index,
                                            year_cutoff)
        iso = pc.if_else(matched, got, iso)
        problems.extend(found)
        left = left & ~matched
    wanted = (f"the format {formats[0]}" if len(formats) == 1
              else "one of the formats " + ", ".join(formats))
    for i in np.flatnonzero(left):
        problems.append(DateProblem(index[i], str(text[i].as_py()),
                                    f"expected a date in {wanted}"))
    if times is not None:
        iso, time_problems = _add_times(iso, times, index)
        problems.extend(time_problems)
    return text_series(iso, index), problems


def _mask(flags: pa.Array) -> np.ndarray:
    """An Arrow boolean array as a numpy mask (missing: False)."""
    return pc.fill_null(flags, False).to_numpy(zero_copy_only=False)


def _groups(text: pa.Array, pattern: str) -> dict[str, pa.Array]:
    """``textops.extract`` on Arrow text: each named group, missing where the value does not
    match (or is missing) and where the group took no part in the match."""
    found = pc.extract_regex(text, pattern=pattern)
    matched = found.is_valid()
    out = {}
    for name in pattern_groups(pattern):
        part = pc.struct_field(found, name)
        out[name] = pc.if_else(pc.and_(matched, pc.not_equal(part, "")), part, None)
    return out


def _join(*parts: pa.Array, sep: str = "") -> pa.Array:
    """Texts joined row by row (missing where any part is, as pandas' ``+``)."""
    return pc.binary_join_element_wise(*parts, pa.scalar(sep, pa.large_string()))


def _numbers(part: pa.Array) -> np.ndarray:
    """Digits as float64 (NaN where missing)."""
    return pc.cast(part, pa.float64()).to_numpy(zero_copy_only=False)


def _known(part: pa.Array) -> pa.Array:
    """A part written as unknown (UNK, UN, UK, NK) made missing."""
    unknown = pc.is_in(pc.utf8_upper(part), value_set=pa.array(["UNK", "UN", "UK", "NK"]))
    return pc.if_else(_mask(unknown), None, part)


def _parse_format(text: pa.Array, fmt: str, index: pd.Index, year_cutoff: int | None = None
                  ) -> tuple[np.ndarray, pa.Array, list[DateProblem]]:
    """The values ``fmt`` matches, their ISO 8601 text (missing where a matched value is not
    a date: a bad month name, not a calendar date) and those problems."""
    parts = _groups(text, _compile(fmt).pattern)
    problems: list[DateProblem] = []
    none = pa.nulls(len(text), pa.large_string())
    year = parts["year"] if "year" in parts else _four_digits(parts["yy"], year_cutoff)
    matched = year.is_valid().to_numpy(zero_copy_only=False)
    bad_mon = np.zeros(len(text), dtype=bool)
    if "mon" in parts:
        mon = _known(parts["mon"])
        names = pa.array(list(_MONTHS), type=pa.large_string())
        number = pc.index_in(pc.utf8_upper(mon), value_set=names)
        month = pc.cast(pc.add(number, 1), pa.large_string())
        bad_mon = matched & mon.is_valid().to_numpy(zero_copy_only=False) & \
            month.is_null().to_numpy(zero_copy_only=False)
    elif "month" in parts:
        month = _known(parts["month"])
    else:
        month = none
    day = _known(parts["day"]) if "day" in parts else none

    month2 = pc.utf8_lpad(month, width=2, padding="0")
    day2 = pc.utf8_lpad(day, width=2, padding="0")
    has_m = month2.is_valid().to_numpy(zero_copy_only=False)
    has_day = day2.is_valid().to_numpy(zero_copy_only=False)
    has_d = has_m & has_day
    iso = pc.if_else(has_m, _join(year, month2, sep="-"), year)
    iso = pc.if_else(has_d, _join(year, month2, day2, sep="-"), iso)
    # a known day with an unknown month: SDTMIG writes the missing month as a hyphen
    iso = pc.if_else(~has_m & has_day, _join(year, day2, sep="---"), iso)

    # calendar check on complete dates (catches 2021-02-30, month 13, day 00), as pandas'
    # to_datetime(format="%Y-%m-%d") had it: four digits of year, a month and its days
    four = _mask(pc.match_substring_regex(year, r"^[0-9]{4}$"))
    with np.errstate(invalid="ignore"):
        y = np.where(four, _numbers(pc.if_else(four, year, None)), np.nan)
        m, d = _numbers(month2), _numbers(day2)
        length = iso8601.month_start(y, m + 1) - iso8601.month_start(y, m)
        real = four & (m >= 1) & (m <= 12) & (d >= 1) & (d <= length)
    bad_cal = has_d & ~real
    bad_month_num = has_m & ~has_d & ~_mask(pc.is_in(month2, value_set=pa.array(
        [f"{i:02d}" for i in range(1, 13)])))
    # year 0000 has no day in the calendar Python and SAS count from (year 1 onwards), and
    # days counted to it would be 737,000 before the study
    bad_year = matched & _mask(pc.equal(year, "0000"))
    bad = matched & (bad_mon | bad_cal | bad_month_num | bad_year)
    for i in np.flatnonzero(bad):
        why = ("year 0000 is not a date (years start at 0001)" if bad_year[i]
               else "month not recognised (expected JAN..DEC or UNK)" if bad_mon[i]
               else "not a calendar date")
        problems.append(DateProblem(index[i], str(text[i].as_py()), why))
    iso = pc.if_else(~bad & matched, iso, None)
    if "hour" in parts:
        iso = _with_time(iso, text, parts, index, problems)
    return matched, iso, problems


def _four_digits(yy: pa.Array, cutoff: int | None) -> pa.Array:
    """Two-digit years in the hundred years from ``cutoff`` (SAS YEARCUTOFF)."""
    assert cutoff is not None, "a YY format needs year_cutoff (checked on load)"
    n = _numbers(yy)
    base = cutoff // 100 * 100
    year = base + n
    year = np.where(year >= cutoff, year, year + 100)
    whole = np.where(np.isnan(year), 0, year).astype(np.int64)
    return pc.cast(pa.array(whole, mask=np.isnan(year)), pa.large_string())


def _with_time(iso: pa.Array, text: pa.Array, parts: dict[str, pa.Array], index: pd.Index,
               problems: list[DateProblem]) -> pa.Array:
    """A time read in the date's own field added to the complete dates; on a partial date
    it has no ISO 8601 place and is dropped with a warning, as a separate time field is."""
    second = parts.get("second")
    has = parts["hour"].is_valid().to_numpy(zero_copy_only=False)
    valid = _valid_time(parts["hour"], parts["minute"], second)
    dated = iso.is_valid().to_numpy(zero_copy_only=False)
    bad = has & dated & ~valid
    for i in np.flatnonzero(bad):
        problems.append(DateProblem(index[i], str(text[i].as_py()),
                                    "not a time of day (HH:MI or HH:MI:SS)"))
    hhmm = _hhmm(parts["hour"], parts["minute"], second)
    complete = _mask(pc.equal(pc.utf8_length(iso), 10))
    dropped = has & dated & ~complete & valid
    for i in np.flatnonzero(dropped):
        problems.append(DateProblem(index[i], str(text[i].as_py()),
                                    "time ignored: the date is partial", "warning"))
    use = has & complete & valid
    return pc.if_else(bad, None, pc.if_else(use, _join(iso, hhmm, sep="T"), iso))


def _valid_time(hour: pa.Array, minute: pa.Array, second: pa.Array | None) -> np.ndarray:
    h, m = _numbers(hour), _numbers(minute)
    s = _numbers(second) if second is not None else np.full(len(h), np.nan)
    with np.errstate(invalid="ignore"):
        return (h <= 23) & (m <= 59) & (np.isnan(s) | (s <= 59))


def _hhmm(hour: pa.Array, minute: pa.Array, second: pa.Array | None) -> pa.Array:
    hhmm = _join(pc.utf8_lpad(hour, width=2, padding="0"), minute, sep=":")
    if second is None:
        return hhmm
    return pc.if_else(second.is_valid(), _join(hhmm, second, sep=":"), hhmm)


def _add_times(iso: pa.Array, times: pd.Series, index: pd.Index
               ) -> tuple[pa.Array, list[DateProblem]]:
    problems: list[DateProblem] = []
    t = pc.utf8_trim_whitespace(arrow(times))
    t = pc.if_else(pc.not_equal(t, ""), t, None)
    parts = _groups(t, _TIME_RE.pattern)
    valid = _valid_time(parts["h"], parts["m"], parts["s"])
    timed = t.is_valid().to_numpy(zero_copy_only=False)
    for i in np.flatnonzero(timed & ~valid):
        problems.append(DateProblem(index[i], str(t[i].as_py()),
                                    "expected a time HH:MM or HH:MM:SS"))
    hhmm = _hhmm(parts["h"], parts["m"], parts["s"])
    complete_date = _mask(pc.equal(pc.utf8_length(iso), 10))
    # a time on a partial date has no ISO 8601 form: the date keeps its precision, time dropped
    dropped = timed & valid & iso.is_valid().to_numpy(zero_copy_only=False) & ~complete_date
    for i in np.flatnonzero(dropped):
        problems.append(DateProblem(index[i], str(t[i].as_py()),
                                    "time ignored: the date is partial", "warning"))
    use = timed & valid & complete_date
    return pc.if_else(use, _join(iso, hhmm, sep="T"), iso), problems


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


def on_or_before(dtc: pd.Series, ref: pd.Series) -> pd.Series:
    """Whether each value is on or before its reference, at the precision both share.

    Both with a time: compared as datetimes; otherwise compared as dates (a value on the
    reference date counts as on or before it). Unknown (NA) when either date is partial or missing.
    """
    return per_distinct(lambda d, r: _compared(d, r, operator.le), dtc.astype("string"),
                        ref.astype("string"))


def on_or_before_mask(dtc: pd.Series, ref: pd.Series) -> np.ndarray:
    """:func:`on_or_before` as a numpy mask: True where known to be on or before."""
    return holds_per_distinct(lambda d, r: _compared(d, r, operator.le),
                              dtc.astype("string"), ref.astype("string"))


def before(dtc: pd.Series, ref: pd.Series) -> pd.Series:
    """Strictly before, at the precision both share (same date without times: not before)."""
    return per_distinct(lambda d, r: _compared(d, r, operator.lt), dtc.astype("string"),
                        ref.astype("string"))


def _compared(dtc: pd.Series, ref: pd.Series, op: Callable[[np.ndarray, np.ndarray],
                                                            np.ndarray]) -> pd.Series:
    a, b = iso8601.parse(dtc), iso8601.parse(ref)
    answer, known = _at_shared_precision(a.days(), a.seconds(), b.days(), b.seconds(), op)
    return pd.Series(pd.arrays.BooleanArray(answer, ~known), index=dtc.index)


def _at_shared_precision(a_day: np.ndarray, a_stamp: np.ndarray, b_day: np.ndarray,
                         b_stamp: np.ndarray, op: Callable[[np.ndarray, np.ndarray],
                                                           np.ndarray]
                         ) -> tuple[np.ndarray, np.ndarray]:
    """``op`` on day or second counts (NaN: no such precision) as datetimes where both have a
    time, else as dates: its answer (False where unknown) and where it is known (both dates
    complete; a time implies a complete date)."""
    with np.errstate(invalid="ignore"):
        by_time = ~np.isnan(a_stamp) & ~np.isnan(b_stamp)
        known = ~np.isnan(a_day) & ~np.isnan(b_day)
        answer = np.where(by_time, op(a_stamp, b_stamp), op(a_day, b_day)) & known
    return answer, known


@dataclass(frozen=True)
class Instants:
    """ISO 8601 values read once for comparing, as numpy arrays: days since 1970 of the
    complete date (``day``), seconds since 1970 where there is a time too (``stamp``), and
    the first and last day of the period a partial date stands for (``first``, ``last``);
    NaN where the value has no such precision."""

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
    where it fails (neither: unknown). Complete dates compare at the precision both share
    (as :func:`on_or_before`); a partial ``a`` by its period against a complete ``b``: holds
    when ``op`` holds for every day of the period, fails when for none (unknown when the
    period straddles ``b``)."""
    answer, known = _at_shared_precision(a.day, a.stamp, b.day, b.stamp, op)
    with np.errstate(invalid="ignore"):
        period = np.isnan(a.day) & ~np.isnan(a.first) & ~np.isnan(b.day)
        every = period & op(a.last, b.day)
        none = period & ~op(a.first, b.day)
    return answer | (every & ~none), (known & ~answer) | none


def days_between(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """Whole days from ``earlier`` to ``later`` (complete dates only), as nullable integers."""
    days = iso8601.parse(later).days() - iso8601.parse(earlier).days()
    return pd.array(days, dtype="Int64") if len(days) else pd.array([], dtype="Int64")
