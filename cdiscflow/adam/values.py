"""Values of the ADaM spec computed by the expression language (docs/mapping-language.md,
section 9): ``{expr: "round(AVAL / 7, 1)"}`` wherever a step sets a value.

An expression is parsed and its functions checked when the spec is loaded (a mistake names its
position); its column names and types are checked against the columns the frame has when the
step runs, before anything is computed, so a misspelled column is an error naming the step and
the position, never a silently missing value. Results become ADaM columns: numbers as float64
(NaN missing), text and dates as objects (None missing).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import AfterValidator

from cdiscflow.adam.derivations import DerivationError
from cdiscflow.expr import ANY, BOOL, NUMBER, Expression, ExprSyntaxError, frame_types


class _AnyColumn(Mapping[str, str]):
    """Every name is a column of unknown type: what a spec can be checked against on load,
    before the data says which columns exist (functions, arguments and patterns are checked)."""

    def __getitem__(self, key: str) -> str:
        return ANY

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def parse_value(text: str) -> str:
    """An expression giving a value, parsed and checked on load (ValueError at a position)."""
    try:
        kind = Expression.parse(text).check(_AnyColumn())
    except ExprSyntaxError as exc:
        raise ValueError(f"expr: {exc}") from None
    if kind == BOOL:
        raise ValueError(f"expr: {text!r} is a condition, not a value; write "
                         f"case when ... then 'Y' end, or use derive_var_flag")
    return text


# the text of a value expression, as a spec model field
ValueExpr = Annotated[str, AfterValidator(parse_value)]


def compute(df: pd.DataFrame, text: str) -> pd.Series:
    """The expression's value on every record of ``df`` as an ADaM column. A name that is not
    a column, or a type that does not fit, is a DerivationError naming the position."""
    expr = Expression.parse(text)
    types = frame_types(df)
    try:
        kind = expr.check(types)
    except ExprSyntaxError as exc:
        raise DerivationError(f"expr: {exc}") from None
    if kind == BOOL:
        raise DerivationError(f"expr: {text!r} is a condition, not a value")
    values, kind, problems = expr.evaluate(df, types)
    if problems:
        first = problems[0]
        row = int(np.flatnonzero(first.rows)[0]) + 1
        raise DerivationError(f"expr {text!r}: {first.message} (record {row} of the "
                              f"dataset at this step; {int(first.rows.sum())} record(s) in all)")
    if kind == NUMBER:
        return pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=df.index)
    if kind == ANY:  # null alone: a missing value of no type
        return pd.Series([None] * len(df), index=df.index, dtype=object)
    text_values = values.astype(object)
    return text_values.where(text_values.notna() & (text_values != ""), None)


def is_expr(value: Any) -> bool:
    """Whether a ``set_values_to`` value is ``{expr: ...}`` rather than a constant."""
    return isinstance(value, dict) and set(value) == {"expr"}


def check_set_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """``set_values_to`` with each ``{expr: ...}`` parsed on load (constants pass as they are)."""
    for name, value in values.items():
        if isinstance(value, dict):
            if not is_expr(value):
                raise ValueError(f"{name}: a value is a constant or {{expr: ...}}")
            try:
                parse_value(value["expr"])
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
    return dict(values)


# ``set_values_to`` of a step adding records, as a spec model field (expressions parsed on load)
SetValues = Annotated[dict[str, Any], AfterValidator(check_set_values)]


def set_values(df: pd.DataFrame, values: Mapping[str, Any]) -> pd.DataFrame:
    """``df`` with each variable of ``values`` set: a constant on every record, or an
    expression computed on the record (in order: a value may use one set before it)."""
    out = df.copy(deep=False)
    for name, value in values.items():
        if is_expr(value):
            out[name] = compute(out, value["expr"])
        else:
            out[name] = pd.Series([value] * len(out), index=out.index,
                                  dtype=float if isinstance(value, int | float)
                                  and not isinstance(value, bool) else object)
    return out
