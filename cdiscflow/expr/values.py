"""Values of the expression language as Arrow data: whole columns, evaluated by Arrow's compute
kernels (vectorised C++, regular expressions by RE2 in linear time), never row by row.

Four types: ``text``, ``number`` (float64), ``bool`` and ``date`` (ISO 8601 text, possibly
partial: ``2023-04``, ``2023-04-14T08:36``). A date is text wherever text is expected. ``any``
is the type of ``null`` and of a column whose type is not known before the data is read.

Missing values: a blank text is missing, as is NaN; the language has one missing value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

TEXT, NUMBER, BOOL, DATE, ANY = "text", "number", "bool", "date", "any"
TYPES = (TEXT, NUMBER, BOOL, DATE)
ARROW_TYPE = {TEXT: pa.large_string(), DATE: pa.large_string(), NUMBER: pa.float64(),
              BOOL: pa.bool_()}

Value = pa.Array | pa.Scalar


def accepts(expected: str, actual: str) -> bool:
    """Whether a value of type ``actual`` may stand where ``expected`` is asked for."""
    return (expected == actual or ANY in (expected, actual)
            or (expected == TEXT and actual == DATE))


def common_type(types: list[str]) -> str | None:
    """The one type several values share (text and date give text; null fits any), or None."""
    known = {t for t in types if t != ANY}
    if not known:
        return ANY
    if known == {TEXT, DATE}:
        return TEXT
    return known.pop() if len(known) == 1 else None


def type_of_dtype(series: pd.Series, name: str) -> str:
    """The expression type of a data column: numbers and booleans by dtype; text otherwise,
    and a date where the name says ISO 8601 text (--DTC, as SDTMIG names them)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return BOOL
    if pd.api.types.is_numeric_dtype(series.dtype):
        return NUMBER
    return DATE if name.upper().endswith("DTC") else TEXT


@dataclass
class Problem:
    """Rows where a function could not do its work (text that is not a number): the caller
    reports them as data defects, naming the raw record."""

    rows: np.ndarray  # bool mask over the frame's rows
    column: str | None
    message: str


@dataclass
class Context:
    """What an evaluation reads (the frame) and what it found (problems)."""

    frame: pd.DataFrame
    types: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    _columns: dict[str, pa.Array] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return len(self.frame)

    def column(self, name: str) -> pa.Array:
        if name not in self._columns:
            self._columns[name] = to_arrow(self.frame[name], self.types.get(name, TEXT))
        return self._columns[name]


def to_arrow(series: pd.Series, kind: str) -> pa.Array:
    """A column as Arrow data of its expression type; blank text and NaN become null."""
    if kind == NUMBER or (kind == ANY and pd.api.types.is_numeric_dtype(series.dtype)):
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64",
                                                                  na_value=np.nan)
        return pa.array(values, type=pa.float64(), from_pandas=True)
    if kind == BOOL:
        return pa.array(series.astype("boolean"), type=pa.bool_())
    from cdiscflow.codedtext import arrow

    data = arrow(series)
    return pc.if_else(pc.equal(data, ""), pa.scalar(None, pa.large_string()), data)


def null(kind: str) -> pa.Scalar:
    return pa.scalar(None, ARROW_TYPE.get(kind, pa.large_string()))


def literal(value: str | float | bool | None) -> tuple[pa.Scalar, str]:
    """A literal of the language as an Arrow scalar and its type ('' is the missing text)."""
    if value is None:
        return pa.scalar(None, pa.large_string()), ANY
    if isinstance(value, bool):
        return pa.scalar(value), BOOL
    if isinstance(value, float):
        return pa.scalar(value, pa.float64()), NUMBER
    return (pa.scalar(value or None, pa.large_string()), TEXT)


def as_array(value: Value, rows: int) -> pa.Array:
    """A scalar repeated to a column of ``rows`` values (an array stays as it is)."""
    if isinstance(value, pa.Scalar):
        return pa.repeat(value, rows)
    if isinstance(value, pa.ChunkedArray):
        return value.combine_chunks()
    return value


def cast(value: Value, kind: str) -> Value:
    """A value cast to the Arrow type of ``kind`` (null scalars and arrays of nulls adapt)."""
    target = ARROW_TYPE.get(kind)
    if target is None or value.type == target:
        return value
    if pa.types.is_null(value.type) or (isinstance(value, pa.Scalar) and not value.is_valid):
        return pa.scalar(None, target) if isinstance(value, pa.Scalar) else pa.nulls(
            len(value), target)
    return value.cast(target)


def finite(value: Value) -> Value:
    """Numbers with infinities and NaN made missing (1/0 is missing, not an error)."""
    return pc.if_else(pc.is_finite(value), value, pa.scalar(None, pa.float64()))


def missing(value: Value) -> Value:
    """True where a value is missing (never null itself)."""
    return pc.is_null(value, nan_is_null=True)


def to_series(value: Value, kind: str, frame: pd.DataFrame) -> pd.Series:
    """An evaluated value as a column of ``frame`` (text as pandas text, numbers as Float64)."""
    data = as_array(cast(value, kind if kind != ANY else TEXT), len(frame))
    if kind == NUMBER:
        out = pd.Series(data.to_numpy(zero_copy_only=False), index=frame.index,
                        dtype="float64").astype("Float64")
        return out
    if kind == BOOL:
        return pd.Series(data.fill_null(False).to_numpy(zero_copy_only=False),
                         index=frame.index, dtype=bool)
    from cdiscflow.codedtext import text_series

    return text_series(data, frame.index)
