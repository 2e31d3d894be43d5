"""ADaM define.xml metadata from the study's ADaM spec files: the origin and method of every
variable, the keys, codelists with decodes, value-level metadata per PARAMCD and the BDS
subclass.

The spec's steps say where each variable comes from, so the define.xml is read off them:

- a variable of the source dataset that no step changes is a Predecessor (``DM.AGE``, or
  ``SUPPAE.QVAL where QNAM = AEDLT`` for a qualifier merged from SUPP--);
- a variable a ``derive_vars_merged`` step copies from another dataset record for record
  (no ``mode``, no filter) is a Predecessor of that dataset's variable (``ADSL.AGE``), as is
  one ``derive_vars_assign`` copies unchanged from a Predecessor;
- anything else is Derived, with a MethodDef whose text is every step that sets it, in words
  (``cdiscflow.define.adam_steps``), and whose FormalExpression is those steps as the spec
  declares them. Records a parameter step adds (``derive_param_*``) are described per
  PARAMCD, also as value-level metadata of AVAL and AVALC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdiscflow.adam import spec as sp
from cdiscflow.define.adam import adam_define
from cdiscflow.define.adam_steps import (
    EXPRESSION_CONTEXT,
    adds_records,
    expression,
    param_text,
    step_text,
)
from cdiscflow.define.model import (
    CodeList,
    Define,
    Item,
    Method,
    Origin,
    Term,
    ValueItem,
    WrittenDataset,
    codelist_oid,
    method_oid,
    numeric_shape,
)
from cdiscflow.define.sdtm import SDTM_CT_OID, distinct_by
from cdiscflow.standards import find_codelist, sdtm_variables

# BDS variables described per PARAMCD (value-level metadata)
_VLM = ("AVAL", "AVALC")
TIME_TO_EVENT = "TIME-TO-EVENT"


@dataclass(frozen=True)
class _Source:
    """Where a variable's values come from, as the walk over the steps finds it."""

    kind: str  # "source" (the source dataset), "pred" (copied), "step", "param"
    step: int = -1
    text: str = ""  # "pred": the predecessor ("ADSL.AGE")


def adam_define_from_spec(adam: sp.LoadedAdam, studyid: str, description: str,
                          created: dt.datetime, written: list[WrittenDataset],
                          sdtm: dict[str, pd.DataFrame]) -> Define:
    """The ADaM define.xml model of ``written`` (the datasets as written), described by the
    spec that built them; ``sdtm`` holds the SDTM datasets (SUPP-- apart) they came from."""
    specs = {d.spec.dataset: d for d in adam.datasets}
    frames = {w.name: w.frame for w in written}
    origins: dict[tuple[str, str], tuple[Origin, Method | None]] = {}
    keys: dict[str, list[str]] = {}
    per_param: dict[str, dict[str, dict[str, tuple[Origin, Method | None]]]] = {}
    for w in written:
        loaded = specs.get(w.name)
        if loaded is None:
            continue
        walk = _walk(loaded, w.frame, _source_columns(loaded.spec.source.dataset, sdtm, frames))
        for var in w.frame.columns:
            origins[w.name, var] = _origin(loaded, var, walk.get(var, []), w.frame)
        keys[w.name] = ["STUDYID", *[k for k in loaded.spec.key if k != "STUDYID"]]
        per_param[w.name] = _param_methods(loaded, w.frame, walk)
    define = adam_define(studyid, description, created, written, predecessors=sdtm,
                         origins=origins, keys=keys)
    for ds in define.datasets:
        frame = frames[ds.name]
        for item in ds.items:
            item.codelist = _codelist(ds.name, item, frame)
            if ds.class_name == "BASIC DATA STRUCTURE" and item.name in _VLM:
                item.values = _values(ds.name, item, frame, per_param.get(ds.name, {}))
        if (ds.class_name == "BASIC DATA STRUCTURE" and "CNSR" in frame.columns
                and len(frame) and frame["CNSR"].notna().all()):
            # every record an event or a censoring: a time-to-event dataset
            ds.subclass = TIME_TO_EVENT
    return define


def _source_columns(source: str, sdtm: dict[str, pd.DataFrame],
                    adam: dict[str, pd.DataFrame]) -> dict[str, str]:
    """The source dataset's variables, each with its predecessor text."""
    if source in adam:
        return {c: f"{source}.{c}" for c in adam[source].columns}
    out = {c: f"{source}.{c}" for c in sdtm.get(source, pd.DataFrame()).columns}
    supp = sdtm.get(f"SUPP{source}")
    if supp is not None and "QNAM" in supp.columns:
        for qnam in sorted(set(supp["QNAM"].dropna().astype(str))):
            out.setdefault(qnam, f"SUPP{source}.QVAL where QNAM = {qnam}")
    return out


def _walk(loaded: sp.LoadedDataset, frame: pd.DataFrame, source: dict[str, str]
          ) -> dict[str, list[_Source]]:
    """For each variable, what sets it, in step order: a step creating a variable replaces
    everything before it (it runs on every record there is); a parameter step adds its records'
    values to what was there."""
    state: dict[str, list[_Source]] = {v: [_Source("pred", text=t)] for v, t in source.items()}
    for i, step in enumerate(loaded.steps):
        if adds_records(step):
            for var in _param_vars(step, frame, loaded.spec.criteria):
                state.setdefault(var, []).append(_Source("param", i))
            continue
        for var in step.creates():
            copied = _copied(step, var, state)
            state[var] = [_Source("pred", i, copied) if copied else _Source("step", i)]
    return state


def _copied(step: sp._Step, var: str, state: dict[str, list[_Source]]) -> str | None:
    """The predecessor a step copies ``var`` from unchanged, or None if it computes it."""
    if isinstance(step, sp.VarsMerged) and step.mode is None and step.filter_add is None:
        return f"{step.dataset_add}.{step._pairs()[var]}"
    if isinstance(step, sp.VarsAssign):
        a = step.values[var]
        before = state.get(a.var or "", [])
        if a.var is not None and a.type is None and len(before) == 1 and \
                before[0].kind == "pred":
            return before[0].text
    return None


def _paramcd(step: sp._Step) -> str | None:
    values = getattr(step, "set_values_to", {}) or {}
    code = values.get("PARAMCD")
    return None if code is None else str(code)


def _param_vars(step: sp._Step, frame: pd.DataFrame, criteria: dict[str, sp.CriteriaSpec]
                ) -> list[str]:
    """The variables a parameter step gives a value on the records it adds: those it sets,
    and those with any value on its PARAMCD's records (by-variables identify the subject and
    are copied, not computed). A response step copies its assessment records: only the
    result and the flags of its rule set are its own."""
    code = _paramcd(step)
    out = list(getattr(step, "set_values_to", {}) or {})
    if isinstance(step, sp.ParamResponse):
        rule = criteria[step.criteria]
        own = ["AVALC", "AVAL", rule.evaluable_var, rule.loss_var,
               *rule.not_evaluable_windows, *rule.same_day_flags]
        return out + [v for v in own if v and v in frame.columns and v not in out]
    if code is not None and "PARAMCD" in frame.columns:
        rows = frame[frame["PARAMCD"].astype(str) == code]
        for var in frame.columns:
            col = rows[var]
            if var not in out and (col.notna() & (col.astype(str) != "")).any():
                out.append(var)
    by = set(getattr(step, "by_vars", []) or [])
    return [v for v in out if v not in by]


def _step_sentence(loaded: sp.LoadedDataset, entry: _Source, var: str) -> str:
    step = loaded.steps[entry.step]
    if entry.kind == "param":
        code = _paramcd(step)
        values = getattr(step, "set_values_to", {}) or {}
        what = (f"set to {values[var]}." if var in values and values[var] is not None
                else "left blank." if var in values else param_text(step, loaded.spec.criteria))
        return f"On the records of PARAMCD {code}: {what}"
    return step_text(step, var)


def _origin(loaded: sp.LoadedDataset, var: str, entries: list[_Source], frame: pd.DataFrame
            ) -> tuple[Origin, Method | None]:
    if len(entries) == 1 and entries[0].kind == "pred":
        return Origin("Predecessor", description=entries[0].text), None
    if not entries:
        return Origin("Not Available"), None
    return Origin("Derived"), _method(loaded, var, entries, method_oid(loaded.spec.dataset, var))


def _method(loaded: sp.LoadedDataset, var: str, entries: list[_Source], oid: str) -> Method:
    texts, exprs = [], []
    for e in entries:
        if e.kind == "pred":
            texts.append(f"On the records from {loaded.spec.source.dataset}: {e.text}."
                         if e.step < 0 else f"{e.text}.")
        else:
            texts.append(_step_sentence(loaded, e, var))
        if e.step >= 0:
            exprs.append(expression(loaded.spec.steps[e.step]))
    return Method(oid, f"Algorithm to derive {loaded.spec.dataset}.{var}", " ".join(texts),
                  expression="\n".join(dict.fromkeys(exprs)) or None,
                  expression_context=EXPRESSION_CONTEXT if exprs else None)


def _param_methods(loaded: sp.LoadedDataset, frame: pd.DataFrame,
                   walk: dict[str, list[_Source]]
                   ) -> dict[str, dict[str, tuple[Origin, Method | None]]]:
    """Per variable of _VLM and PARAMCD value, the origin and method of that parameter's
    records."""
    if "PARAMCD" not in frame.columns:
        return {}
    out: dict[str, dict[str, tuple[Origin, Method | None]]] = {}
    added = {_paramcd(s): i for i, s in enumerate(loaded.steps) if adds_records(s)}
    codes = sorted(set(frame["PARAMCD"].dropna().astype(str)) - {""})
    ds = loaded.spec.dataset
    for var in _VLM:
        entries = walk.get(var, [])
        if var not in frame.columns or not entries:
            continue
        for code in codes:
            oid = f"{method_oid(ds, var)}.{code}"
            if code in added:
                mine = [e for e in entries if e.kind == "param" and e.step == added[code]]
            else:  # records of the source and the steps before the parameter steps
                mine = [e for e in entries if e.kind != "param"]
            if len(mine) == 1 and mine[0].kind == "pred":
                out.setdefault(var, {})[code] = (Origin("Predecessor",
                                                        description=mine[0].text), None)
            elif mine:
                out.setdefault(var, {})[code] = (Origin("Derived"),
                                                 _method(loaded, var, mine, oid))
    return out


# --------------------------------------------------------------------------- value level


def _values(ds: str, item: Item, frame: pd.DataFrame,
            per_param: dict[str, dict[str, tuple[Origin, Method | None]]]) -> list[ValueItem]:
    if "PARAMCD" not in frame.columns:
        return []
    out = []
    for code, subset in distinct_by(pd.factorize(frame["PARAMCD"]), frame[item.name]).items():
        text = subset.dropna().astype(str)
        if text.empty or (text == "").all():
            continue
        if item.type == "Num":
            data_type, length, digits = numeric_shape(subset)
        else:
            data_type, digits = "text", None
            length = max(1, max(len(t.rstrip().encode()) for t in text))
        origin, method = per_param.get(item.name, {}).get(str(code), (item.origin, None))
        out.append(ValueItem("PARAMCD", str(code), data_type, length, digits, origin, method))
    return out


# --------------------------------------------------------------------------- codelists


def _codelist(ds: str, item: Item, frame: pd.DataFrame) -> CodeList | None:
    """PARAMCD decoded by PARAM; a numeric code (TRT01PN, AGEGR1N, PARAMN) decoded by its text
    variable; the text values of such a pair; and CT codelists for SDTM-named variables."""
    name = item.name
    if name == "PARAMCD" and "PARAM" in frame.columns:
        return _decoded(ds, name, frame[name], frame["PARAM"], "text")
    if name.endswith("N") and name[:-1] in frame.columns and item.type == "Num":
        return _decoded(ds, name, frame[name], frame[name[:-1]], None)
    if (f"{name}N" in frame.columns and item.type == "Char") or name == "PARAM":
        used = sorted(_used(frame[name]))
        if used:
            return CodeList(codelist_oid(f"{ds}.{name}"), f"{ds} {name}", "text", None,
                            tuple(Term(v, None) for v in used), None)
        return None
    return _ct_codelist(name, frame[name]) if item.type == "Char" else None


def _used(values: pd.Series) -> set[str]:
    return {str(v) for v in pd.unique(values.dropna()) if str(v) != ""}


def _code_text(value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number.is_integer() else repr(number)


def _decoded(ds: str, name: str, codes: pd.Series, decodes: pd.Series, data_type: str | None
             ) -> CodeList | None:
    pairs = pd.DataFrame({"c": codes, "d": decodes}).dropna()
    pairs = pairs[(pairs["c"].astype(str) != "") & (pairs["d"].astype(str) != "")]
    if pairs.empty:
        return None
    if data_type is None:
        whole = np.all(np.mod(pairs["c"].astype(float), 1) == 0)
        data_type = "integer" if whole else "float"
        pairs = pairs.assign(c=pairs["c"].map(_code_text))
    first = pairs.drop_duplicates("c").astype(str)
    order = sorted(first.itertuples(index=False),
                   key=lambda r: (float(r.c) if data_type != "text" else 0, r.c))
    terms = tuple(Term(r.c, None, r.d) for r in order)
    return CodeList(codelist_oid(f"{ds}.{name}"), f"{ds} {name}", data_type, None, terms, None,
                    decoded=True)


def _ct_codelist(name: str, values: pd.Series) -> CodeList | None:
    """The SDTM CT codelist of an SDTM variable of the same name (SEX, RACE, AESER, a Y/N
    flag ending in FL takes NY), with the terms used."""
    codes: tuple[str, ...] = ()
    for domain in ("DM", "AE", "EX", "LB", "DS"):
        meta = next((v for v in sdtm_variables(domain) if v.name == name), None)
        if meta is not None:
            codes = meta.codelists
            break
    if not codes and name.endswith("FL"):
        codes = ("NY",)
    cl = find_codelist(codes[0]) if len(codes) == 1 else None
    used = sorted(_used(values))
    if cl is None or not used:
        return None
    by_value = {t.submission_value: t for t in cl.terms}
    terms = tuple(Term(v, by_value[v].code if v in by_value else None) for v in used)
    return CodeList(codelist_oid(cl.submission_value), cl.name, "text", cl.code, terms,
                    SDTM_CT_OID)


__all__ = ["TIME_TO_EVENT", "adam_define_from_spec"]
