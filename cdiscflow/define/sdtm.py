"""Define-XML metadata for SDTM, from the loaded study: the mapping files that drive the
engine say where every variable comes from, so the define.xml cannot drift from the data.

field/ct/map/date sources are Collected (the raw form and field are named where an annotated
CRF page would be), constants and table look-ups Assigned, derivations Derived with a MethodDef
whose description is the derivation's docstring and the parameters the mapping gives it.
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from cdiscflow.define.model import (
    CodeList,
    Dataset,
    Define,
    Item,
    Method,
    Origin,
    Standard,
    Term,
    ValueItem,
    WrittenDataset,
    codelist_oid,
    item_shape,
    method_oid,
    numeric_shape,
)
from cdiscflow.define.stacked import test_origin
from cdiscflow.package.acrf import CrfPages
from cdiscflow.sdtm.domains import sponsor_domains
from cdiscflow.sdtm.engine import describe_condition
from cdiscflow.sdtm.sources import SOURCES
from cdiscflow.sdtm.steps import column_origins
from cdiscflow.sdtm.trial_design import (
    DESIGN_DATASETS,
    DESIGN_KEYS,
    derive_subject_elements,
    derive_subject_visits,
    sv_domains,
)
from cdiscflow.spec import LoadedDomain, LoadedStudy, VariableSpec
from cdiscflow.standards import (
    CT_VERSION,
    SDTMIG_VERSION,
    find_codelist,
    sdtm_dataset,
    sdtm_dataset_label,
    sdtm_variables,
)

SDTMIG_OID = f"STD.SDTMIG.{SDTMIG_VERSION}"
SDTM_CT_OID = f"STD.CT.SDTM.{CT_VERSION}"
SDTM_STANDARDS = [
    Standard(SDTMIG_OID, "SDTMIG", "IG", SDTMIG_VERSION),
    Standard(SDTM_CT_OID, "CDISC/NCI", "CT", CT_VERSION, "SDTM"),
]
# findings results described per test code (value-level metadata)
_VLM_SUFFIXES = ("ORRES", "ORRESU", "STRESC", "STRESN", "STRESU")
_SUPP_ASSIGNED = ("STUDYID", "RDOMAIN", "IDVAR", "QNAM", "QLABEL", "QORIG", "QEVAL")


def sdtm_define(study: LoadedStudy, written: list[WrittenDataset],
                crf: CrfPages | None = None) -> Define:
    """The define.xml model of a study's SDTM datasets as written; with the annotated CRF's
    page map, every Collected value points to its pages."""
    studyid = study.spec.study.studyid
    datasets = [_dataset(study, w) for w in written]
    if crf is not None:
        _crf_pages(datasets, crf)
    return Define(
        study_oid=f"STUDY.{studyid}",
        study_name=studyid,
        description=study.spec.study.title or studyid,
        protocol=studyid,
        mdv_oid=f"MDV.{studyid}.SDTMIG.{SDTMIG_VERSION}",
        mdv_name=f"{studyid} SDTM, SDTMIG {SDTMIG_VERSION}",
        created=study.spec.study.created,
        standards=list(SDTM_STANDARDS),
        datasets=datasets,
        annotated_crf=crf.file if crf is not None else None,
    )


def _crf_pages(datasets: list[Dataset], crf: CrfPages) -> None:
    """Collected origins point to the annotated CRF pages of their variable (a SUPP--
    qualifier's value-level origin to its QNAM's pages)."""
    for ds in datasets:
        for item in ds.items:
            if item.origin.type == "Collected":
                item.origin = replace(item.origin, pages=crf.of(ds.domain or ds.name, item.name))
            for v in item.values:
                if v.origin.type == "Collected":
                    name = v.where_value if ds.name.startswith("SUPP") else item.name
                    v.origin = replace(v.origin, pages=crf.of(ds.domain or ds.name, name))


def _dataset(study: LoadedStudy, w: WrittenDataset) -> Dataset:
    name = w.name
    sponsor = sponsor_domains(study)
    about = sdtm_dataset(name, sponsor)  # an IG domain's or a sponsor-defined one's
    ig_vars = {v.name: v for v in sdtm_variables(name, sponsor)}
    ld = next((d for d in study.domains if d.spec.domain == name), None)
    items = []
    for var in w.variables:
        values = w.frame[var.name]
        data_type, length, digits = item_shape(var, values)
        meta = ig_vars.get(var.name)
        origin, method, comment = _origin(study, ld, name, var.name, values)
        items.append(Item(
            name=var.name, label=var.label, type=var.type, length=int(var.length or 8),
            data_type=data_type, display_length=length, significant_digits=digits,
            origin=origin, mandatory=bool(meta and meta.core == "Req"),
            role=meta.role if meta and meta.role else None, display_format=var.format,
            codelist=_codelist(ld, var.name, meta.codelists if meta else (), values),
            method=method, comment=comment,
        ))
    by_name = {i.name: i for i in items}
    _value_level(name, w.frame, by_name, study)
    comment = ld.spec.comment if ld else None
    if name == "TS":
        comment = "Trial Summary parameters from the ts: section of the study file."
    elif name in DESIGN_DATASETS:
        comment = f"Trial design from the trial_design.{name} section of the study file."
    elif name in _DERIVED_FROM:
        comment = _derived_comment(study, name)
    return Dataset(
        name=name, label=w.label, purpose="Tabulation", class_name=_class_name(about.cls),
        structure=about.structure, standard=SDTMIG_OID, keys=_keys(ld, name, w.frame),
        items=items, files=[f for f, _, _ in w.files],
        domain=name[4:] if name.startswith("SUPP") else name,
        comment=_with_split(comment, w), repeating=name != "DM",
        reference_data=name == "TS" or name in DESIGN_DATASETS,
        domain_description=(sdtm_dataset_label(name[4:], sponsor) if name.startswith("SUPP")
                            else None),
    )


def _class_name(ig_class: str) -> str:
    # Define-XML's Dataset Class terms are upper case with blanks: "Special-Purpose" in the IG
    # table is SPECIAL PURPOSE there
    return ig_class.upper().replace("-", " ")


def _with_split(comment: str | None, w: WrittenDataset) -> str | None:
    if len(w.files) < 2:
        return comment
    parts = ", ".join(f"{f} (records {a + 1}-{b})" for f, a, b in w.files)
    text = (f"Split by record order because one file would exceed the size limit: {parts}. "
            f"Concatenate the parts in this order for the full dataset.")
    return f"{comment} {text}" if comment else text


def _keys(ld: LoadedDomain | None, name: str, frame: pd.DataFrame) -> list[str]:
    if name.startswith("SUPP"):
        keys = ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"]
    elif name == "TS":
        keys = ["STUDYID", "TSPARMCD", "TSSEQ"]
    elif name in DESIGN_KEYS and ld is None:
        keys = ["STUDYID", *DESIGN_KEYS[name]]
    else:
        # the engine's record order: the mapping's sort, else USUBJID and --SEQ
        seq = next((c for c in frame.columns if c.endswith("SEQ")), None)
        order = (ld.spec.sort if ld and ld.spec.sort else ["USUBJID", *([seq] if seq else [])])
        keys = ["STUDYID", *[k for k in order if k != "STUDYID"]]
    return [k for k in keys if k in frame.columns]


# --------------------------------------------------------------------------- origins

# the subject-level datasets derived from the data, by the function that derives them
_DERIVED_FROM = {"SV": derive_subject_visits, "SE": derive_subject_elements}


def _derived_comment(study: LoadedStudy, name: str) -> str:
    td = study.spec.trial_design
    if name == "SV" and td.SV:
        return (f"Derived from the visits (VISITNUM) of the records of "
                f"{', '.join(sv_domains(study))}.")
    if name == "SE" and td.SE:
        starts = ", ".join(f"{k} at {v}" for k, v in td.SE.starts.items())
        return f"Derived from the arms of TA: elements start {starts}; the last ends at " \
               f"{td.SE.end}."
    return f"Derived from the data ({name})."



def _origin(study: LoadedStudy, ld: LoadedDomain | None, dataset: str, name: str,
            values: pd.Series) -> tuple[Origin, Method | None, str | None]:
    if dataset == "TS":
        return Origin("Assigned", description="From the study file (ts:)."), None, None
    if dataset in DESIGN_DATASETS and ld is None:
        looked_up = {("TA", "ELEMENT"): "TE by ETCD", ("TV", "ARM"): "TA by ARMCD"}
        if (dataset, name) in looked_up:
            return Origin("Assigned", description=f"From {looked_up[dataset, name]}."), \
                None, None
        return Origin("Assigned", description=f"From the study file "
                      f"(trial_design.{dataset})."), None, None
    if dataset in _DERIVED_FROM and ld is None:
        if name in ("STUDYID", "DOMAIN", "USUBJID"):
            return Origin("Assigned"), None, None
        doc = inspect.getdoc(_DERIVED_FROM[dataset]) or ""
        text = " ".join(doc.split("\n\n")[0].split())
        return Origin("Derived"), Method(method_oid(dataset, name),
                                         f"Algorithm to derive {dataset}.{name}",
                                         f"{text} ({_DERIVED_FROM[dataset].__name__})"), None
    if dataset.startswith("SUPP"):
        if name in _SUPP_ASSIGNED:
            return Origin("Assigned"), None, None
        if name in ("USUBJID", "IDVARVAL"):
            return Origin("Assigned", description=f"From the parent {dataset[4:]} record."), \
                None, None
        return Origin("Collected", source="Investigator",
                      description="See the value-level metadata by QNAM."), None, None
    if ld is None or name not in ld.spec.variables:
        if values.isna().all() or (values.astype("string") == "").all():
            # an Expected variable the mapping leaves out (cdiscflow.sdtm.expected)
            return Origin("Not Available", description="Expected variable, not collected in "
                          "this study: left empty."), None, None
        return Origin("Not Available"), None, None
    var = ld.spec.variables[name]
    origin, method, extra = _spec_origin(study, ld, dataset, name, var)
    if var.where is not None:
        # the condition belongs in what a reviewer reads of the variable's origin or method
        kept = f" Kept only where {describe_condition(var.where)}; blank elsewhere."
        if method is not None:
            method = replace(method, description=method.description + kept)
        else:
            origin = replace(origin, description=(origin.description or "").strip() + kept)
    return origin, method, extra


def _spec_origin(study: LoadedStudy, ld: LoadedDomain, dataset: str, name: str,
                 var: VariableSpec) -> tuple[Origin, Method | None, str | None]:
    """The origin (and method) its source kind gives a variable of a mapping file."""
    said = SOURCES[var.kind].describe(var, column_origins(study.spec.raw.forms, ld))
    if said.origin == "Derived":
        return Origin("Derived"), Method(method_oid(dataset, name),
                                         f"Algorithm to derive {dataset}.{name}", said.text or "",
                                         expression=said.expression), None
    source = "Investigator" if said.origin == "Collected" else None
    return Origin(said.origin, source, said.text), None, None


# --------------------------------------------------------------------------- codelists


def _codelist(ld: LoadedDomain | None, name: str, ig_codes: tuple[str, ...],
              values: pd.Series) -> CodeList | None:
    """The CT codelist a variable's values come from, listing the terms used (with C-codes)."""
    cl = None
    var = ld.spec.variables.get(name) if ld else None
    if var is not None and var.ct is not None:
        cl = find_codelist(var.ct.codelist)
    elif len(ig_codes) == 1:
        cl = find_codelist(ig_codes[0])
    if cl is None:
        return None
    # distinct values first: a million records use a handful of terms
    used = sorted({str(v) for v in pd.unique(values.dropna()) if str(v) != ""})
    if not used:
        return None
    by_value = {t.submission_value: t for t in cl.terms}
    terms = tuple(Term(v, by_value[v].code if v in by_value else None,
                       by_value[v].preferred_term if v in by_value else None) for v in used)
    return CodeList(codelist_oid(cl.submission_value), cl.name, "text", cl.code, terms,
                    SDTM_CT_OID)


# --------------------------------------------------------------------------- value level


def _value_level(dataset: str, frame: pd.DataFrame, items: dict[str, Item],
                 study: LoadedStudy) -> None:
    """Findings results by test code (LB by LBTESTCD), SUPP-- QVAL by QNAM."""
    if dataset.startswith("SUPP") and {"QNAM", "QVAL"} <= set(frame.columns):
        ld = next((d for d in study.domains if d.spec.domain == dataset[4:]), None)
        for qnam, subset in distinct_by(pd.factorize(frame["QNAM"]), frame["QVAL"]).items():
            var = ld.spec.variables.get(qnam) if ld else None
            origin, method, _ = (_spec_origin(study, ld, dataset, qnam, var) if var
                                 else (Origin("Not Available"), None, None))
            numeric = var is not None and var.type == "Num"
            label = var.supp.qlabel if var is not None and var.supp else None
            items["QVAL"].values.append(_value_item("QNAM", qnam, subset, numeric, origin,
                                                    method, label))
        return
    testcd = next((c for c in frame.columns if c.endswith("TESTCD")), None)
    if testcd is None:
        return
    prefix = testcd[: -len("TESTCD")]
    tests = pd.factorize(frame[testcd])  # once for all five result variables
    ld = next((d for d in study.domains if d.spec.domain == dataset), None)
    for suffix in _VLM_SUFFIXES:
        target = items.get(prefix + suffix)
        if target is None:
            continue
        for code, subset in distinct_by(tests, frame[target.name]).items():
            if subset.isna().all():
                continue
            # a stacked form: this test's results come from one raw field, not all of them
            origin = test_origin(study, ld, testcd, target.name, str(code), target.origin)
            target.values.append(_value_item(testcd, code, subset, target.type == "Num",
                                             origin, target.method, None))


def distinct_by(keys: tuple[np.ndarray, Any], values: pd.Series) -> dict[Any, pd.Series]:
    """The distinct ``values`` (missing included) found with each present key, keys sorted.

    ``keys`` is ``pd.factorize`` of the key column. A value-level item's type, length and
    digits depend only on which values occur with its test code, so the (key, value) pairs
    are found once by hashing instead of scanning every record once per key: a million LB
    records hold a few thousand distinct pairs.
    """
    key_codes, key_values = keys
    value_codes, value_uniques = pd.factorize(values, use_na_sentinel=False)
    width = max(1, len(value_uniques))
    present = key_codes >= 0
    pairs = pd.unique(key_codes[present].astype(np.int64) * width + value_codes[present])
    pair_keys, pair_values = np.divmod(pairs, width)
    distinct = pd.Series(value_uniques)
    found = {key_values[k]: distinct.iloc[np.sort(pair_values[pair_keys == k])]
             .reset_index(drop=True) for k in pd.unique(pair_keys)}
    return {key: found[key] for key in sorted(found)}


def _value_item(where_var: str, value: str, subset: pd.Series, numeric: bool, origin: Origin,
                method: Method | None, label: str | None) -> ValueItem:
    text = subset.dropna().astype(str)
    if numeric:
        data_type, length, digits = numeric_shape(subset)
    else:
        data_type, digits = "text", None
        distinct = pd.unique(text)
        length = max(1, max((len(t.rstrip().encode()) for t in distinct), default=1))
    return ValueItem(where_var, str(value), data_type, length, digits, origin, method, label)
