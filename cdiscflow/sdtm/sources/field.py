"""`field`: a raw column (or a column a step made) as it is, converted to the variable's type."""

from __future__ import annotations

import pandas as pd

from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext
from cdiscflow.sdtm.sources import Source
from cdiscflow.spec import LoadedDomain, VariableSpec


def check(c: Check) -> None:
    c.need(c.var.field, "source field")


def run(ctx: BuildContext, ld: LoadedDomain, frame: pd.DataFrame, name: str,
        var: VariableSpec) -> pd.Series:
    return frame[var.field]


SOURCE = Source("field", check, run, column=lambda var: var.field)
