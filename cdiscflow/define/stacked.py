"""Value-level origins of a stacked findings form: the raw field each test's result came from.

A lab form with one column per test (PLT, WBC, ...) is stacked into one record per test; the
variable-level origin of LBORRES names all of those fields. Per test code (value-level
metadata) the origin names the one field that test's results were read from, found through the
mapping: the stack's groups say which raw field holds a column for each group, and the test
code variable (a look-up by the stack key, or the key itself) says which group a code is.
"""

from __future__ import annotations

from dataclasses import replace

from cdiscflow.define.model import Origin
from cdiscflow.spec import LoadedDomain, LoadedStudy


def _groups_by_code(ld: LoadedDomain, testcd: str, key: str) -> dict[str, str]:
    """Test code value -> stack group name, read off the test code variable's source."""
    var = ld.spec.variables.get(testcd)
    if var is None:
        return {}
    if var.field == key:
        return {}  # the group name is the code itself (handled by the caller)
    lk = var.lookup
    if lk is not None and list(lk.match.values()) == [key]:
        tables = {**ld.spec.tables}
        rows = tables.get(lk.table, [])
        column = next(iter(lk.match))
        return {str(r[lk.value]): str(r[column]) for r in rows
                if lk.value in r and column in r}
    if var.map is not None and var.map.field == key:
        return {str(v): str(k) for k, v in var.map.values.items() if v is not None}
    return {}


def test_origin(study: LoadedStudy, ld: LoadedDomain | None, testcd: str, variable: str,
                code: str, origin: Origin) -> Origin:
    """``origin`` of ``variable`` narrowed to the raw field of test ``code``; unchanged when
    the variable is not read from a stacked form."""
    if ld is None or origin.type != "Collected" or not origin.description:
        return origin
    var = ld.spec.variables.get(variable)
    column = None
    if var is not None:
        column = var.field or (var.ct.field if var.ct else None) or \
            (var.map.field if var.map else None)
    for step in ld.spec.steps:
        stack = step.stack
        if stack is None or column is None:
            continue
        by_code = _groups_by_code(ld, testcd, stack.key)
        group = by_code.get(code, code)
        # a group's constants (its unit) are no raw field
        raw = {g: stack.raw_columns(g) for g in stack.groups}
        fields = [cols[column] for cols in raw.values() if column in cols]
        if group not in raw or column not in raw[group] or not fields:
            continue
        listed = f"one record per test from fields {', '.join(fields)}"
        if listed in origin.description:
            text = origin.description.replace(
                listed, f"field {raw[group][column]} (the {group} record)")
            return replace(origin, description=text)
    return origin
