"""Record conditions of the ADaM spec (``where:``, ``filter:``, ``condition:`` ...), evaluated
on a frame to a boolean mask by the expression language (cdiscflow/expr), the same one SDTM
mapping files use.

A condition is written as an expression (``"AVISITN > 0 and ANL01FL = 'Y'"``), or with the
older condition keys, read as aliases of it: one test on one variable (``eq``, ``ne``, ``in``,
``not_in``, ``ge``, ``gt``, ``le``, ``lt``, ``is_null``), or all/any/not of conditions. A
comparison's right side may be another variable shifted by ``plus`` ("on or before the last dose
+ 30 days"). Missing values follow the one rule of cdiscflow/expr/evaluate.py.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from cdiscflow.expr import Expression, ExprSyntaxError

# one quoting and alias rule for the condition keys of SDTM and ADaM
from cdiscflow.spec import combined_text, quote_name, quote_text


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class VarRef(_Model):
    """Another variable of the same record, plus an offset (days for dates, or any number)."""

    var: str
    plus: float = 0


Operand = VarRef | float | int | str


def _number(value: Any) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class WhereKeys(_Model):
    """The condition keys (aliases of an expression)."""

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
    def _one_test(self) -> WhereKeys:
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

    def text(self) -> str:
        """The same condition in the expression language."""
        combined = combined_text(self.all, self.any, self.not_, text_of)
        if combined is not None:
            return combined
        col = quote_name(self.var or "")
        if self.is_null is not None:
            return f"{col} is {'' if self.is_null else 'not '}missing"
        for key, op in (("eq", "="), ("ne", "!=")):
            value = getattr(self, key)
            if value is not None:
                # a number compares as a number (13 is 13.0), other values as text
                if isinstance(value, int | float) and not isinstance(value, bool):
                    return f"to_number({col}) {op} {_number(value)}"
                return f"{col} {op} {quote_text(value)}"
        if self.in_ is not None or self.not_in is not None:
            listed = ", ".join(quote_text(v) for v in (self.in_ or self.not_in or []))
            return f"{col} {'in' if self.in_ is not None else 'not in'} ({listed})"
        for key, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            right = getattr(self, key)
            if right is None:
                continue
            if isinstance(right, VarRef):
                shift = f" + {_number(right.plus)}" if right.plus else ""
                return f"to_number({col}) {op} to_number({quote_name(right.var)}){shift}"
            if isinstance(right, str):
                return f"{col} {op} {quote_text(right)}"
            return f"to_number({col}) {op} {_number(right)}"
        raise AssertionError("unreachable: validated to one test")


def _checked(text: str) -> str:
    condition(text)  # parsed on load: a syntax error names its position
    return text


# a condition: an expression, or the condition keys
Where = Annotated[str, AfterValidator(_checked)] | WhereKeys
WhereKeys.model_rebuild()


def text_of(where: Where) -> str:
    return where.text() if isinstance(where, WhereKeys) else where


def condition(where: Where) -> Expression:
    """A condition as a parsed expression; ValueError names the position of a mistake."""
    try:
        return Expression.parse(text_of(where))
    except ExprSyntaxError as exc:
        raise ValueError(f"condition: {exc}") from None


def variables(where: Where) -> list[str]:
    """Every variable the condition reads (to check a spec before running it)."""
    return condition(where).names


def evaluate(where: Where | None, df: pd.DataFrame) -> pd.Series:
    """Boolean mask of the records meeting ``where`` (all records for None)."""
    if where is None:
        return pd.Series(True, index=df.index)
    expr = condition(where)
    missing = [n for n in expr.names if n not in df.columns]
    if missing:
        raise KeyError(missing[0])
    return expr.mask(df)


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


