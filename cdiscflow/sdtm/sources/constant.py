"""`constant`: the same value on every record (`constant: null`: an expected variable left
empty on purpose)."""

from __future__ import annotations

import pandas as pd

from cdiscflow.codes import constant_text
from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext
from cdiscflow.sdtm.provenance import Origins, Provenance
from cdiscflow.sdtm.sources import Source
from cdiscflow.spec import NULL, LoadedDomain, VariableSpec


def check(c: Check) -> None:
    var, domain = c.var, c.ld.spec.domain
    if var.constant is NULL:
        return
    # STUDYID and DOMAIN are the study's and the file's: a constant that contradicts them is
    # a copy-paste from another study
    expected = {"STUDYID": c.ctx.study.spec.study.studyid, "DOMAIN": domain}.get(c.name)
    if expected is not None and str(var.constant) != expected:
        raise c.error(f"{c.name} is {var.constant!r} here but {expected!r} in the study")
    c.check_term(var.constant, "constant")


def run(ctx: BuildContext, ld: LoadedDomain, frame: pd.DataFrame, name: str,
        var: VariableSpec) -> pd.Series:
    if isinstance(var.constant, str):
        return constant_text(var.constant, frame.index)
    return pd.Series(pd.NA if var.constant is NULL else var.constant, index=frame.index)


def describe(var: VariableSpec, origins: Origins) -> Provenance:
    return Provenance("Assigned", "Expected variable left empty: not collected."
                      if var.constant is NULL else f"Assigned the value {var.constant}.")


SOURCE = Source("constant", check, run, describe)
