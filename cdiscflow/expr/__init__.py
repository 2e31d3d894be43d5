"""The expression language: one way to write a computed value or a condition, in SDTM mapping
files and ADaM specs alike (docs/mapping-language.md, "Expressions").

    Expression.parse("round(WEIGHTBL / (HEIGHTBL / 100) ** 2, 1)")

is parsed once into a syntax tree (``syntax``), checked against the columns' types before any
data is read (``check``), evaluated on whole columns by Arrow (``evaluate``) and said in words
for define.xml (``describe``). Nothing in it is ever run as Python code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from cdiscflow.expr.check import check, suggestion
from cdiscflow.expr.describe import words
from cdiscflow.expr.evaluate import evaluate
from cdiscflow.expr.functions import FUNCTIONS
from cdiscflow.expr.syntax import ExprSyntaxError, Node, names, parse
from cdiscflow.expr.values import (
    ANY,
    BOOL,
    DATE,
    NUMBER,
    TEXT,
    Context,
    Problem,
    to_series,
    type_of_dtype,
)

__all__ = ["ANY", "BOOL", "DATE", "FUNCTIONS", "NUMBER", "TEXT", "ExprSyntaxError",
           "Expression", "Problem", "frame_types", "suggestion"]


@lru_cache(maxsize=4096)
def _parsed(text: str) -> Node:
    return parse(text)


def frame_types(frame: pd.DataFrame) -> dict[str, str]:
    """Each column's expression type, from its data type (and --DTC names for dates)."""
    return {str(c): type_of_dtype(frame[c], str(c)) for c in frame.columns}


@dataclass(frozen=True)
class Expression:
    """One parsed expression (its text kept for messages and define.xml)."""

    text: str
    tree: Node = field(compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> Expression:
        return cls(text, _parsed(text))

    @property
    def names(self) -> list[str]:
        """The columns it reads, in order of first use."""
        return names(self.tree)

    def check(self, types: Mapping[str, str]) -> str:
        """Its type given the columns' types; ExprSyntaxError names the position of a name
        that is not a column, an unknown function or a type that does not fit."""
        return check(self.text, self.tree, types)

    def words(self) -> str:
        return words(self.tree)

    def evaluate(self, frame: pd.DataFrame, types: Mapping[str, str] | None = None
                 ) -> tuple[pd.Series, str, list[Problem]]:
        """Its values on every row of ``frame``, their type, and the rows a function could
        not handle (text that is not a number), for the caller to report."""
        kinds = dict(types) if types is not None else frame_types(frame)
        ctx = Context(frame, kinds)
        value, kind = evaluate(self.tree, ctx)
        return to_series(value, kind, frame), kind, ctx.problems

    def mask(self, frame: pd.DataFrame, types: Mapping[str, str] | None = None) -> pd.Series:
        """Which rows satisfy it, as a condition (a missing result does not)."""
        values, kind, _ = self.evaluate(frame, types)
        if kind != BOOL:
            raise ValueError(f"{self.text!r} is a {kind}, not a condition")
        return values
