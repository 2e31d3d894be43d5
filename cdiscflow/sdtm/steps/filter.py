"""`filter`: keep the rows that satisfy a condition (an expression, or the condition keys);
the raw records removed are counted under `filtered`, keyed by the condition."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cdiscflow.expr import BOOL
from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext, Reconciliation
from cdiscflow.sdtm.steps import StepKind
from cdiscflow.spec import LoadedDomain, condition_expression


def columns(c: Check, spec: Any, cols: list[str]) -> list[str]:
    c.expression(condition_expression(spec), "filter", want=BOOL)
    return cols


def run(ctx: BuildContext, ld: LoadedDomain, frame: pd.DataFrame, spec: Any,
        recon: Reconciliation) -> pd.DataFrame:
    return frame[condition_expression(spec).mask(frame).to_numpy()]


def reason(spec: Any) -> str:
    # the condition as written in the expression language: what a programmer searches for
    return condition_expression(spec).text


STEP = StepKind("filter", columns, run, reason, "filtered")
