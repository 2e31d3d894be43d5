"""`derive`: a named derivation of the registry (cdiscflow/sdtm/derivations), its parameters
checked against the derivation's declaration; references to another domain (``DM.RFSTDTC``)
are matched by USUBJID."""

from __future__ import annotations

import inspect
from typing import Any

import pandas as pd

from cdiscflow.codes import factorised, factorize, per_distinct
from cdiscflow.expr import suggestion
from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext
from cdiscflow.sdtm.derivations import REGISTRY, qualified
from cdiscflow.sdtm.domains import spec_error
from cdiscflow.sdtm.provenance import Origins, Provenance
from cdiscflow.sdtm.sources import Source, source_column
from cdiscflow.spec import LoadedDomain, VariableSpec
from cdiscflow.textops import lookup


def check(c: Check) -> None:
    fn = c.var.derive.function
    if fn not in REGISTRY:
        raise c.error(f"unknown derivation {fn!r}{suggestion(fn, REGISTRY)} (known: "
                      f"{', '.join(sorted(REGISTRY))})")
    spec = REGISTRY[fn]
    given = dict(c.var.derive.model_extra or {})
    for p in given:
        if p not in spec.params:
            raise c.error(f"derivation {fn} has no parameter {p!r} (it takes "
                          f"{', '.join(spec.params)})")
    for pname, param in spec.params.items():
        if pname not in given:
            if param.required:
                raise c.error(f"derivation {fn} needs parameter {pname!r}: {param.doc}")
            continue
        value = given[pname]
        if param.kind in ("column", "columns"):
            if param.kind == "column" and isinstance(value, list):
                raise c.error(f"{fn}.{pname} takes one column")
            for ref in value if isinstance(value, list) else [value]:
                q = qualified(str(ref))
                if q and q[0] == c.ld.spec.domain:
                    raise c.error(f"{fn}.{pname}: write {q[1]} for a variable of this "
                                  f"domain, not {ref}")
                if q:
                    check_foreign(c, q)
                    if "USUBJID" not in c.available:
                        raise c.error(f"{fn}.{pname}: {ref} is matched by USUBJID; define "
                                      f"USUBJID above {c.name}")
                elif ref not in c.available:
                    raise c.error(f"{fn}.{pname}: {ref!r} is neither a raw column nor a "
                                  f"variable defined above")
        elif param.kind == "records":
            for ref in value if isinstance(value, list) else [value]:
                q = qualified(str(ref))
                if not q:
                    raise c.error(f"{fn}.{pname} takes DOMAIN.VARIABLE, not {ref!r}")
                check_foreign(c, q)
                if "USUBJID" not in c.available:
                    raise c.error(f"{fn}.{pname}: records are matched by USUBJID; define "
                                  f"USUBJID above {c.name}")
        elif param.kind == "table" and value not in c.tables():
            raise c.error(f"{fn}.{pname}: unknown table {value!r}")
        elif param.choices and value not in param.choices:
            raise c.error(f"{fn}.{pname} is one of {', '.join(param.choices)}, not {value!r}")
    if spec.check is not None:
        problem = spec.check(given)
        if problem:
            raise c.error(f"{fn}: {problem}")
    if spec.warn is not None:
        unusual = spec.warn(given)
        if unusual:
            c.warn(f"{fn}: {unusual}")


def check_foreign(c: Check, q: tuple[str, str]) -> None:
    """A DOMAIN.VARIABLE reference must name a mapped variable of a domain with USUBJID."""
    dom, var = q
    work = c.ctx._work
    if dom not in work:
        raise c.error(f"{dom}.{var}: domain {dom} is not in this study")
    other = work[dom].loaded.spec.variables
    if var not in other:
        raise c.error(f"{dom}.{var}: {dom} maps no variable {var}")
    if "USUBJID" not in other:
        raise c.error(f"{dom}.{var}: {dom} has no USUBJID to match records by")


def foreign_refs(var: VariableSpec) -> set[tuple[str, str]]:
    """The (domain, variable) pairs a derivation reads from other domains."""
    if var.derive is None:
        return set()
    spec = REGISTRY.get(var.derive.function)
    if spec is None:
        return set()
    refs: set[tuple[str, str]] = set()
    for pname, value in (var.derive.model_extra or {}).items():
        param = spec.params.get(pname)
        if param is None or param.kind not in ("column", "columns", "records"):
            continue
        for ref in value if isinstance(value, list) else [value]:
            q = qualified(str(ref))
            if q:
                refs.add(q)
    return refs


def run(ctx: BuildContext, ld: LoadedDomain, frame: pd.DataFrame, name: str,
        var: VariableSpec) -> pd.DataFrame:
    spec = REGISTRY[var.derive.function]
    given = dict(var.derive.model_extra or {})
    kwargs: dict[str, Any] = {}
    work = frame
    merged_cols: list[str] = []
    for pname, param in spec.params.items():
        if pname not in given:
            if not param.required and param.default is not None:
                kwargs[pname] = param.default
            continue
        value = given[pname]
        if param.kind in ("column", "columns"):
            for ref in value if isinstance(value, list) else [value]:
                q = qualified(str(ref))
                if q and str(ref) not in work.columns:
                    work = _merge_subject_level(ctx, ld, work, name, *q)
                    merged_cols.append(str(ref))
            kwargs[pname] = value
        elif param.kind == "records":
            kwargs[pname] = _records(ctx, value if isinstance(value, list) else [value])
        elif param.kind == "table":
            kwargs[pname] = ctx.tables(ld)[value]
        else:
            kwargs[pname] = value
    if "report" in inspect.signature(spec.function).parameters:
        def report(index: pd.Index, message: str, column: str | None = None) -> None:
            # a variable named as the column: name the raw column it came from
            source = source_column(ld.spec.variables.get(column)) if column else None
            for idx in index:
                value = work.at[idx, column] if column in work.columns else None
                ctx.defect(ld, work, idx, name, value, message, column=source or column)
        kwargs["report"] = report
    try:
        out = spec.function(work, new_var=name, **kwargs)
    except (ValueError, KeyError, TypeError) as exc:
        raise spec_error(ld, f"derivation {spec.name} failed: {exc}", name,
                         ("variables", name)) from exc
    out = out.drop(columns=merged_cols)
    out[name] = ctx.typed(ld, out, name, var, out[name])
    ctx.check_required(ld, out, name, var)
    return out


def _merge_subject_level(ctx: BuildContext, ld: LoadedDomain, frame: pd.DataFrame, name: str,
                         dom: str, var: str) -> pd.DataFrame:
    other = ctx.domain_frame(dom)
    # several records of a subject: fewer distinct USUBJIDs (a missing one counts once, as in
    # ``duplicated``) than records; the column's codes are usually known already
    if factorised(other["USUBJID"])[0].size < len(other):
        raise spec_error(ld, f"{dom}.{var} has several records per subject; use a derivation "
                         f"that takes records", name, ("variables", name))
    # one record per subject: a positional take, not a merge of a million rows, looked up
    # once per subject (the records' USUBJID codes are known from earlier derivations)
    values = per_distinct(lambda subject: lookup(subject, other["USUBJID"], other[var]),
                          frame["USUBJID"])
    out = frame.copy(deep=False)
    out[f"{dom}.{var}"] = values
    return out


def _records(ctx: BuildContext, refs: list[str]) -> pd.DataFrame:
    """USUBJID and VALUE of the referenced variables' records, each distinct pair once (a
    million lab records hold a few values per subject; the derivations taking records ask
    what a subject has, not how often)."""
    parts = []
    for ref in refs:
        dom, var = qualified(str(ref))
        other = ctx.domain_frame(dom)
        _, pairs = factorize(other["USUBJID"].astype("string"), other[var])
        parts.append(pd.DataFrame({"USUBJID": pairs[0], "VALUE": pairs[1]}))
    return pd.concat(parts, ignore_index=True)


def describe(var: VariableSpec, origins: Origins) -> Provenance:
    # the derivation words its own rule with the mapping's parameters
    return Provenance("Derived", REGISTRY[var.derive.function].method_text(
        var.derive.model_extra or {}))


SOURCE = Source("derive", check, run, describe, frame_out=True)
