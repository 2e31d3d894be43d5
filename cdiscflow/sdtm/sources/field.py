"""`field`: a raw column (or a column a step made) as it is, converted to the variable's type."""

from __future__ import annotations

import pandas as pd

from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext
from cdiscflow.sdtm.provenance import Origins, Provenance
from cdiscflow.sdtm.sources import Source
from cdiscflow.spec import LoadedDomain, VariableSpec


def check(c: Check) -> None:
    c.need(c.var.field, "source field")


def run(ctx: BuildContext, ld: LoadedDomain, frame: pd.DataFrame, name: str,
        var: VariableSpec) -> pd.Series:
    return frame[var.field]


def describe(var: VariableSpec, origins: Origins) -> Provenance:
    # a value copied from another SDTM domain (USUBJID from DM) was not collected here
    came = origins(var.field)
    if came.domain is not None:
        return Provenance("Predecessor", came.text)
    return Provenance("Collected", f"{came.text}.")


SOURCE = Source("field", check, run, describe, column=lambda var: var.field)
