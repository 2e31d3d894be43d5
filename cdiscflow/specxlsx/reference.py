"""The workbook's reference content, for reviewers: what define.xml will say of each variable
(origin, source form, codelist, method) and the ValueLevel, Codelists and Methods sheets.

Nothing here is read back by ``spec import``. A construct this module does not describe (a
source kind added to the mapping language later) gets blank reference cells; its own cells on
the Variables sheet still carry it both ways.
"""

from __future__ import annotations

import inspect
from typing import Any

from cdiscflow.specxlsx import workbook as wb
from cdiscflow.specxlsx.cells import flow

# the describing functions are define.xml's: the workbook says what the submission will say
_DESCRIBE_ERRORS = (AttributeError, KeyError, TypeError, ValueError)


def variable_reference(study: Any, ld: Any, name: str) -> dict[str, Any]:
    """The read-only Variables columns of one variable."""
    import pandas as pd

    from cdiscflow.define.sdtm import _origin
    from cdiscflow.sdtm.domains import domain_variables

    out: dict[str, Any] = dict.fromkeys(wb.READ_ONLY_COLUMNS)
    try:
        ig = {v.name: v for v in domain_variables(ld)}
    except KeyError:
        ig = {}
    meta = ig.get(name)
    if meta is not None:
        out["Standard Label"], out["Standard Type"] = meta.label, meta.type
    var = ld.spec.variables[name]
    try:
        origin, method, _ = _origin(study, ld, ld.spec.domain, name, pd.Series(dtype=object))
    except _DESCRIBE_ERRORS:
        return out
    out["Origin"] = origin.type
    out["Source Form"] = origin.description
    out["Method"] = method.description if method is not None else None
    ct = getattr(var, "ct", None)
    if ct is not None:
        out["Codelist"] = ct.codelist
    elif meta is not None and meta.codelists:
        out["Codelist"] = ", ".join(meta.codelists)
    return out


def reference_rows(study: Any, domains: list[tuple[dict[str, Any], Any]]
                   ) -> dict[str, list[list[Any]]]:
    """Rows of the ValueLevel, Codelists and Methods sheets."""
    value_level: list[list[Any]] = []
    codelists: list[list[Any]] = []
    methods: list[list[Any]] = []
    for data, ld in domains:
        domain = ld.spec.domain
        for step in data.get("steps", []):
            stack = step.get("stack") if isinstance(step, dict) else None
            if isinstance(stack, dict):
                for group, columns in stack.get("groups", {}).items():
                    value_level.append([domain, stack.get("key"), group, None, flow(columns)])
        for name, spec in data["variables"].items():
            if "where" in spec:
                value_level.append([domain, name, None, flow(spec["where"]), None])
            for kind in ("ct", "map"):
                source = spec.get(kind)
                if isinstance(source, dict):
                    codelists += _codelist_rows(domain, name, kind, source)
            derive = spec.get("derive")
            if isinstance(derive, dict):
                params = {k: v for k, v in derive.items() if k != "function"}
                methods.append([domain, name, derive.get("function"), flow(params),
                                _derivation_doc(str(derive.get("function")))])
    return {wb.VALUE_LEVEL: value_level, wb.CODELISTS: codelists, wb.METHODS: methods}


def _codelist_rows(domain: str, name: str, kind: str, source: dict[str, Any]
                   ) -> list[list[Any]]:
    codelist = source.get("codelist") if kind == "ct" else "(sponsor values)"
    pairs = dict(source.get("values") or {})
    for special in ("other", "blank"):
        if special in source:
            pairs[f"({special})"] = source[special]
    if not pairs:
        return [[domain, name, codelist, "(CT terms and synonyms)", None]]
    return [[domain, name, codelist, str(k), flow(v) if not isinstance(v, str) else v]
            for k, v in pairs.items()]


def _derivation_doc(function: str) -> str | None:
    from cdiscflow.sdtm.derivations import REGISTRY

    spec = REGISTRY.get(function)
    if spec is None:
        return None
    doc = inspect.getdoc(spec.function) or spec.doc
    return " ".join(doc.split("\n\n")[0].split())
