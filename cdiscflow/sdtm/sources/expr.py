"""`expr`: a value computed by the expression language (cdiscflow/expr; docs section 9)."""

from __future__ import annotations

import pandas as pd

from cdiscflow.expr import ANY, NUMBER
from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext
from cdiscflow.sdtm.provenance import Origins, Provenance
from cdiscflow.sdtm.sources import Source
from cdiscflow.spec import LoadedDomain, VariableSpec, expression


def check(c: Check) -> None:
    got = c.expression(expression(c.var.expr), "expr")
    if c.ctx.type_of(c.ld, c.name, c.var) == "Num" and got not in (NUMBER, ANY):
        raise c.error(f"expr gives {got}, but {c.name} is Num; convert it with "
                      f"to_number(...)")


def run(ctx: BuildContext, ld: LoadedDomain, frame: pd.DataFrame, name: str,
        var: VariableSpec) -> pd.Series:
    # the engine runs it only on the records a `where:` keeps: to_number of a text answer
    # outside `where: is_numeric(...)` is no defect
    expr = expression(var.expr)
    values, _, problems = expr.evaluate(frame)
    column = "+".join(n for n in expr.names if n in frame.columns)
    for problem in problems:
        for idx in frame.index[problem.rows]:
            shown = frame.at[idx, column] if column in frame.columns else None
            ctx.defect(ld, frame, idx, name, shown, problem.message, column=column)
    return values


def describe(var: VariableSpec, origins: Origins) -> Provenance:
    expr = expression(var.expr)
    return Provenance("Derived", f"{expr.words()}.", expression=expr.text)


SOURCE = Source("expr", check, run, describe)
