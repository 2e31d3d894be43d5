"""Record conditions of the ADaM spec (``where:``), evaluated on a frame to a boolean mask.

A condition is data, never code: one test on one variable, or all/any/not of conditions. A
comparison's right side is a literal or another variable, optionally shifted (``plus``), which is
how "on or before the last dose + 30 days" is said.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class VarRef(_Model):
    """Another variable of the same record, plus an offset (days for dates, or any number)."""

    var: str
    plus: float = 0


Operand = VarRef | float | int | str


class Where(_Model):
    var: str | None = None
    eq: Any = None
    ne: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    not_in: list[Any] | None = None
    ge: Operand | None = None
    gt: Operand | None = None
    le: Operand | None = None
    lt: Operand | None = None
    is_null: bool | None = None
    all: list[Where] | None = None
    any: list[Where] | None = None
    not_: Where | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_test(self) -> Where:
        combos = [self.all, self.any, self.not_]
        tests = [self.eq, self.ne, self.in_, self.not_in, self.ge, self.gt, self.le, self.lt,
                 self.is_null]
        n = sum(c is not None for c in combos) + sum(t is not None for t in tests)
        if n != 1:
            raise ValueError("a condition has exactly one of eq, ne, in, not_in, ge, gt, le, lt, "
                             "is_null, all, any, not")
        if any(t is not None for t in tests) and not self.var:
            raise ValueError("a test (eq, ge, ...) needs a var")
        return self

    def variables(self) -> set[str]:
        """Every variable the condition reads (to check a spec before running it)."""
        out = {self.var} if self.var else set()
        for op in (self.ge, self.gt, self.le, self.lt):
            if isinstance(op, VarRef):
                out.add(op.var)
        for sub in (self.all or []) + (self.any or []) + ([self.not_] if self.not_ else []):
            out |= sub.variables()
        return out


def _operand(df: pd.DataFrame, op: Operand) -> Any:
    if isinstance(op, VarRef):
        return pd.to_numeric(df[op.var], errors="coerce") + op.plus
    return op


def _column(df: pd.DataFrame, var: str) -> pd.Series:
    if var not in df.columns:
        raise KeyError(var)
    return df[var]


def evaluate(where: Where | None, df: pd.DataFrame) -> pd.Series:
    """Boolean mask of the records meeting ``where`` (all records for None). A missing value
    never meets a comparison, as in SAS/R filters."""
    if where is None:
        return pd.Series(True, index=df.index)
    if where.all is not None:
        mask = pd.Series(True, index=df.index)
        for sub in where.all:
            mask &= evaluate(sub, df)
        return mask
    if where.any is not None:
        mask = pd.Series(False, index=df.index)
        for sub in where.any:
            mask |= evaluate(sub, df)
        return mask
    if where.not_ is not None:
        return ~evaluate(where.not_, df)
    assert where.var is not None
    col = _column(df, where.var)
    if where.is_null is not None:
        return _missing(col) if where.is_null else ~_missing(col)
    if where.eq is not None:
        return _text_in(col, [where.eq]) if not isinstance(where.eq, int | float) \
            else _num(col) == where.eq
    if where.ne is not None:
        eq = _text_in(col, [where.ne]) if not isinstance(where.ne, int | float) \
            else (_num(col) == where.ne).fillna(False).astype(bool)
        return ~eq & ~_missing(col)
    if where.in_ is not None:
        return _text_in(col, where.in_)
    if where.not_in is not None:
        return ~_text_in(col, where.not_in) & ~_missing(col)
    values = _num(col)
    for name, fn in (("ge", np.greater_equal), ("gt", np.greater), ("le", np.less_equal),
                     ("lt", np.less)):
        op = getattr(where, name)
        if op is not None:
            right = _operand(df, op)
            result = fn(values, right)
            return pd.Series(np.asarray(result, dtype=bool), index=df.index) & values.notna() & (
                pd.Series(True, index=df.index) if not isinstance(right, pd.Series)
                else right.notna())
    raise AssertionError("unreachable: validated to one test")


def plain_text(col: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """(values, missing) of an object column holding only text and missing values (what
    derivations make: flags, codes, merged text), else None. Such a column is compared as it
    is, with no conversion of every value to an Arrow string first. Missing is what pandas
    calls missing (None, NaN, pd.NA), which is what a conversion to text would make NA."""
    if col.dtype != object:
        return None
    values = col.to_numpy()
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values, np.zeros(len(values), dtype=bool)  # nothing missing: no search for it
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return None
    return values, pd.isna(values)


def _text_in(col: pd.Series, literals: list[Any]) -> pd.Series:
    """Records whose value, as text, is one of ``literals`` (as text); never a missing one."""
    texts = [str(v) for v in literals]
    plain = plain_text(col)
    if plain is not None:
        values, missing = plain
        if len(texts) == 1:
            found = _equals(values, missing, texts[0])
        else:
            found = pd.Series(values, copy=False).isin(texts).to_numpy(dtype=bool)
        return pd.Series(found, index=col.index)
    return col.astype("string").isin(texts).fillna(False).astype(bool)


def _equals(values: np.ndarray, missing: np.ndarray, text: str) -> np.ndarray:
    """Which of a plain text column's values are ``text`` (the missing ones are not; pd.NA
    has no truth value, so it is left out of the comparison)."""
    if not missing.any():
        return values == text
    found = np.zeros(len(values), dtype=bool)
    found[~missing] = values[~missing] == text
    return found


def _missing(col: pd.Series) -> pd.Series:
    """Missing or empty text. A number is never empty text, so a numeric column needs no
    conversion to text (which formats every value: slow on a million records)."""
    if pd.api.types.is_numeric_dtype(col.dtype):
        return col.isna()
    plain = plain_text(col)
    if plain is not None:
        values, missing = plain
        return pd.Series(missing | _equals(values, missing, ""), index=col.index)
    return col.isna() | (col.astype("string").fillna("") == "")


def _num(col: pd.Series) -> pd.Series:
    return pd.to_numeric(col, errors="coerce").astype(float)
