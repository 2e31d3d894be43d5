"""`map`: a closed list of sponsor values to submission values, with defaults for any other
value (`other:`) and for a blank (`blank:`)."""

from __future__ import annotations

import pandas as pd

from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext
from cdiscflow.sdtm.provenance import Origins, Provenance
from cdiscflow.sdtm.sources import Source, literal_text
from cdiscflow.spec import LoadedDomain, VariableSpec
from cdiscflow.textops import map_text


def check(c: Check) -> None:
    spec = c.var.map
    c.need(spec.field, "source field")
    for value in [*spec.values.values(), spec.other, spec.blank]:
        c.check_term(value, "map value")


def run(ctx: BuildContext, ld: LoadedDomain, frame: pd.DataFrame, name: str,
        var: VariableSpec) -> pd.Series:
    spec = var.map
    table = {str(k): v for k, v in spec.values.items()}
    raw = frame[spec.field].astype("string")
    values = map_text(raw, table)
    miss = raw.notna() & ~raw.isin(list(table))
    if spec.other is not None:
        values = values.where(~miss, literal_text(spec.other))
    else:
        for idx in miss[miss].index:
            ctx.defect(ld, frame, idx, name, raw[idx],
                       f"not one of the mapped values ({', '.join(table)})")
    if spec.blank is not None:
        values = values.where(raw.notna(), literal_text(spec.blank))
    return values


def describe(var: VariableSpec, origins: Origins) -> Provenance:
    return Provenance("Collected", f"{origins(var.map.field).text}, recoded by the mapping's "
                                   f"value table.")


SOURCE = Source("map", check, run, describe, column=lambda var: var.map.field)
