"""`ct`: a collected value coded to a CDISC Controlled Terminology codelist (synonyms, the
mapping's own values first; an extensible list keeps an unknown value with a warning)."""

from __future__ import annotations

from functools import partial

import pandas as pd

from cdiscflow.codes import factorize, per_distinct
from cdiscflow.expr import suggestion
from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext
from cdiscflow.sdtm.provenance import Origins, Provenance
from cdiscflow.sdtm.sources import Source
from cdiscflow.spec import LoadedDomain, VariableSpec
from cdiscflow.standards import codelist, codelist_names, find_codelist
from cdiscflow.standards.ct import Codelist
from cdiscflow.textops import map_text


def check(c: Check) -> None:
    spec = c.var.ct
    c.need(spec.field, "source field")
    cl = find_codelist(spec.codelist)
    if cl is None:
        raise c.error(f"unknown codelist {spec.codelist!r}"
                      f"{suggestion(spec.codelist, codelist_names())}")
    if spec.from_codelist and find_codelist(spec.from_codelist) is None:
        raise c.error(f"unknown codelist {spec.from_codelist!r}"
                      f"{suggestion(spec.from_codelist, codelist_names())}")
    # with from_codelist the values name terms of that (source) list
    target = find_codelist(spec.from_codelist) if spec.from_codelist else cl
    for raw_value, sub in spec.values.items():
        if sub not in target.submission_values and not target.extensible:
            raise c.error(f"{sub!r} (for {raw_value!r}) is not a term of the non-extensible "
                          f"codelist {target.submission_value}")


def run(ctx: BuildContext, ld: LoadedDomain, frame: pd.DataFrame, name: str,
        var: VariableSpec) -> pd.Series:
    spec = var.ct
    cl = codelist(spec.codelist)
    raw = frame[spec.field].astype("string")
    explicit = {str(k): v for k, v in spec.values.items()}
    if spec.from_codelist:
        source = codelist(spec.from_codelist)
        by_code = {t.code: t.submission_value for t in cl.terms}

        def resolve(v: str) -> str | None:
            sub = explicit.get(v) or source.lookup(v)
            term = next((t for t in source.terms if t.submission_value == sub), None)
            return by_code.get(term.code) if term else None
    else:
        def resolve(v: str) -> str | None:
            return explicit.get(v) or cl.lookup(v)

    # each distinct collected value is resolved once (in order of first appearance) and
    # mapped once
    distinct = factorize(raw)[1][0]
    resolved = {v: resolve(v) for v in distinct.dropna()}
    values = per_distinct(lambda r: map_text(r, resolved), raw)
    for v, sub in resolved.items():
        if sub is not None:
            continue
        rows = raw[raw == v].index
        if cl.extensible:
            # a sponsor term of an extensible list, upper case as CT terms are, unless the
            # list tells terms apart by case (UNIT: mg/dL)
            kept = v.strip() if cl.case_sensitive else v.strip().upper()
            values[rows] = kept
            ctx.defect(ld, frame, rows[0], name, v, ct_miss(cl, len(rows), True, kept),
                       severity="warning",
                       tally=(v, len(rows), partial(ct_miss, cl, extensible=True, kept=kept)))
        else:
            for idx in rows:
                ctx.defect(ld, frame, idx, name, v, ct_miss(cl, 1, False))
    return values


def ct_miss(cl: Codelist, n: int, extensible: bool, kept: str | None = None) -> str:
    if extensible:
        return (f"not a term of the extensible codelist {cl.submission_value} ({cl.code}); kept "
                f"as {kept!r} in {n} record(s): add it to the mapping's values if it is a "
                f"synonym")
    return f"not a term of codelist {cl.submission_value} ({cl.code}) and not mapped"


def describe(var: VariableSpec, origins: Origins) -> Provenance:
    cl = find_codelist(var.ct.codelist)
    coded = f"coded to CT codelist {cl.submission_value} ({cl.code})" if cl else "coded"
    return Provenance("Collected", f"{origins(var.ct.field).text}, {coded}.")


SOURCE = Source("ct", check, run, describe, column=lambda var: var.ct.field)
