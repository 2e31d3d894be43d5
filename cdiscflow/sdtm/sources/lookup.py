"""`lookup`: a value from a table of the study or mapping file, matched on one or more keys."""

from __future__ import annotations

import pandas as pd

from cdiscflow.codes import per_distinct
from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext
from cdiscflow.sdtm.provenance import Origins, Provenance
from cdiscflow.sdtm.sources import Source
from cdiscflow.spec import LoadedDomain, VariableSpec
from cdiscflow.textops import match_rows, take_matched


def check(c: Check) -> None:
    spec = c.var.lookup
    rows = c.tables().get(spec.table)
    if rows is None:
        raise c.error(f"unknown table {spec.table!r}")
    table_cols = {col for row in rows for col in row}
    for tcol, fcol in spec.match.items():
        c.need(fcol, "lookup key")
        if tcol not in table_cols:
            raise c.error(f"table {spec.table} has no column {tcol!r}")
    if spec.value not in table_cols:
        raise c.error(f"table {spec.table} has no column {spec.value!r}")


def run(ctx: BuildContext, ld: LoadedDomain, frame: pd.DataFrame, name: str,
        var: VariableSpec) -> pd.Series:
    spec = var.lookup
    rows = pd.DataFrame(ctx.tables(ld)[spec.table]).astype("string")
    left = frame[list(spec.match.values())].astype("string")
    left.columns = list(spec.match.keys())
    right = rows[[*spec.match.keys(), spec.value]].drop_duplicates(list(spec.match.keys()))

    def matched(*keys: pd.Series) -> pd.DataFrame:
        at = match_rows(list(keys), [right[c] for c in spec.match])
        value = take_matched(right[spec.value], at, keys[0].index)
        # a key with every part given that no row matches (or matches a blank value)
        miss = value.isna() & pd.concat(keys, axis=1).notna().all(axis=1)
        return pd.DataFrame({"value": value, "miss": miss.astype(bool)})

    # looked up once per distinct key (a million lab records carry eight tests)
    found = per_distinct(matched, *(left[c] for c in spec.match))
    values = found["value"].rename(None)
    if spec.missing == "blank":
        return values
    miss = found["miss"]
    for idx in miss[miss].index:
        key = "/".join(str(left.at[idx, c]) for c in spec.match)
        ctx.defect(ld, frame, idx, name, key, f"no row of table {spec.table} matches",
                   column="+".join(spec.match.values()))
    return values


def describe(var: VariableSpec, origins: Origins) -> Provenance:
    lk = var.lookup
    match = ", ".join(f"{k} = {v}" for k, v in lk.match.items())
    return Provenance("Assigned", f"Looked up in the study's table {lk.table} ({lk.value} "
                                  f"where {match}).")


SOURCE = Source("lookup", check, run, describe)
