"""ISO 8601 dates and times read into their parts, once per distinct value, for every stage.

SDTM writes dates as ISO 8601 text (--DTC) at the precision that was collected; SDTM's
derivations (study days, epochs, baseline flags), ADaM's imputation and the expression
language's date functions all read the parts of such texts. They read them here, so they agree
on what a date is.

The forms read (blanks around a value are ignored)::

    2020                 a year
    2020-05              a year and month
    2020-05-12           a complete date
    2020---12            a year and day with the month unknown (SDTMIG's form)
    2020-05-12T08        ... followed by a time: hours,
    2020-05-12T08:36     hours and minutes,
    2020-05-12T08:36:15  or hours, minutes and seconds (fractions allowed: 08:36:15.5)

A time may follow a partial date too (``2020-05T08:36``). Anything else (blank, missing, a
date in another layout, text) has every part missing. The parts are the numbers as written;
whether they make a real date (2021-02-30 does not) is for :meth:`Parsed.days` and the like to
say, because ADaM refuses an impossible date loudly where SDTM's comparisons take it as
missing.

Collected dates repeat heavily (each test of a lab sample carries its date): the text is
matched by Arrow's regular-expression kernel on the distinct values only, the calendar
arithmetic is numpy on those, and a row's result is its distinct value's.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdiscflow.codedtext import STRING
from cdiscflow.codes import Codes, factorised

PARTS = ("year", "month", "day", "hour", "minute", "second")
# RE2 has no repeated group names: a day after an unknown month is its own group (``uday``)
_PATTERN = (
    r"^\s*(?P<year>\d{4})"
    r"(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?|---(?P<uday>\d{2}))?"
    r"(?:T(?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2}(?:\.\d+)?))?)?)?\s*$"
)
_EPOCH_1970 = np.datetime64("1970-01-01", "D")


@dataclass(frozen=True)
class Parsed:
    """The parts of a column of ISO 8601 values: per distinct value (``distinct``, floats, NaN
    where absent) and each row's distinct value (``codes``). Every method answers per row."""

    codes: np.ndarray | Codes
    distinct: dict[str, np.ndarray]

    def __len__(self) -> int:
        return self.codes.rows() if isinstance(self.codes, Codes) else len(self.codes)

    def _rows(self, per_value: np.ndarray) -> np.ndarray:
        if isinstance(self.codes, Codes):
            return self.codes.gather(per_value)
        return per_value[self.codes]

    def part(self, name: str) -> np.ndarray:
        """One part (``year`` ... ``second``) of each row as float64 (NaN where absent)."""
        return self._rows(self.distinct[name])

    def days(self) -> np.ndarray:
        """Days since 1970-01-01 of each complete, real date (float64); NaN where the date is
        partial, missing, unreadable or not in the calendar (2021-02-30, month 13, year 0000)."""
        return self._rows(self._days)

    def seconds(self) -> np.ndarray:
        """Seconds since 1970-01-01T00:00:00 of each complete date with a real time of at
        least hours and minutes (seconds 0 when not given, a fraction dropped); NaN else."""
        return self._rows(self._seconds)

    def period(self) -> tuple[np.ndarray, np.ndarray]:
        """First and last day (days since 1970-01-01) of the period a partial date stands for:
        a year (``2020``) or a month (``2020-05``); NaN for any other value."""
        first, last = self._period
        return self._rows(first), self._rows(last)

    @cached_property
    def _days(self) -> np.ndarray:
        y, m, d = (self.distinct[k] for k in ("year", "month", "day"))
        start = month_start(y, m)
        length = month_start(y, m + 1) - start
        real = (y >= 1) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= length)
        return np.where(real, start + d - 1, np.nan)

    @cached_property
    def _seconds(self) -> np.ndarray:
        h, mi, s = (self.distinct[k] for k in ("hour", "minute", "second"))
        whole_s = np.floor(np.nan_to_num(s, nan=0.0))
        real = (h <= 23) & (mi <= 59) & (np.isnan(s) | (s < 60))
        return np.where(real, self._days * 86400 + h * 3600 + mi * 60 + whole_s, np.nan)

    @cached_property
    def _period(self) -> tuple[np.ndarray, np.ndarray]:
        y, m, d = (self.distinct[k] for k in ("year", "month", "day"))
        year_only = (y >= 1) & np.isnan(m) & np.isnan(d)
        month_only = (y >= 1) & (m >= 1) & (m <= 12) & np.isnan(d)
        first = np.where(month_only, month_start(y, m),
                         np.where(year_only, month_start(y, np.ones_like(y)), np.nan))
        last = np.where(month_only, month_start(y, m + 1) - 1,
                        np.where(year_only, month_start(y, np.full_like(y, 13.0)) - 1, np.nan))
        return first, last


def month_start(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of the first of each month (``month`` may run past 12 into the
    next years); NaN where a part is missing."""
    known = ~np.isnan(year) & ~np.isnan(month)
    y = np.where(known, year, 1970).astype(np.int64)
    m = np.where(known, month, 1).astype(np.int64)
    first = ((y - 1970) * 12 + (m - 1)).astype("datetime64[M]").astype("datetime64[D]")
    return np.where(known, (first - _EPOCH_1970).astype(np.int64).astype(float), np.nan)


def parse(values: pd.Series) -> Parsed:
    """The ISO 8601 parts of a text column (any dtype; non-text values read as their text).
    A column already numbered by :func:`cdiscflow.codes.factorised` is not hashed again."""
    text = values if values.dtype == STRING else values.astype(STRING)
    known, distinct = factorised(text)
    return Parsed(known, _parts(pa.array(distinct[0].array)))


def parse_array(data: pa.Array | pa.ChunkedArray) -> Parsed:
    """:func:`parse` of an Arrow text array."""
    if isinstance(data, pa.ChunkedArray):
        data = data.combine_chunks()
    encoded = data.cast(pa.large_string()).dictionary_encode(null_encoding="encode")
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    return Parsed(codes, _parts(encoded.dictionary))


def _parts(text: pa.Array) -> dict[str, np.ndarray]:
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    found = pc.extract_regex(text.cast(pa.large_string()), pattern=_PATTERN)
    out = {}
    for name in (*PARTS, "uday"):
        field = pc.struct_field(found, name) if len(text) else pa.array([], pa.large_string())
        field = pc.if_else(pc.equal(field, ""), pa.scalar(None, field.type), field)
        out[name] = pc.cast(field, pa.float64()).to_numpy(zero_copy_only=False)
    out["day"] = np.where(np.isnan(out["day"]), out.pop("uday"), out["day"])
    return out


def as_datetime64(numbers: np.ndarray, unit: str) -> np.ndarray:
    """Day or second counts since 1970 (float, NaN missing) as datetime64[s] (NaT missing)."""
    whole = np.where(np.isnan(numbers), 0, numbers).astype(np.int64)
    stamps = whole.astype(f"datetime64[{unit}]").astype("datetime64[s]")
    stamps[np.isnan(numbers)] = np.datetime64("NaT")
    return stamps
