"""define.xml against the data, for the datasets of a folder that has a define.xml: datasets
and variables both ways; type, length, label and order; ItemRef roles against SDTMIG;
values against the define's codelists (variable and value level); where clauses that select
no record; and the controlled terminology versions the define names, against those shipped in
``cdiscflow/standards/data``.

Findings about define.xml as a whole (unreadable, a CT version) carry the dataset name
``define.xml``."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

from cdiscflow.validators import findings
from cdiscflow.validators.data import Dataset
from cdiscflow.validators.define_doc import (
    Condition,
    DatasetDef,
    DefineDoc,
    define_beside,
    read_define,
)
from cdiscflow.validators.rules import Found, Study, _column_text, _flag, _isin, _where, rule
from cdiscflow.validators.schema import is_num

DEFINE = "define.xml"
# Define-XML 2.1 DataTypes of numeric variables (a SAS date is an integer with a date format)
_NUMERIC = frozenset({"integer", "float", "double"})
_TEXT = frozenset({"text", "date", "datetime", "time", "partialDate", "partialTime",
                   "partialDatetime", "incompleteDatetime", "durationDatetime",
                   "intervalDatetime", "URI", "string"})


@cache
def shipped_ct() -> frozenset[tuple[str, str]]:
    """(publishing set, version) of every CT release in cdiscflow/standards/data, read from the
    release files' names (SDTM_Terminology_2025-03-25, ADaM_CT_2025-03-28, ...)."""
    import cdiscflow.standards as standards

    data = Path(standards.__file__).parent / "data"
    found = set()
    for f in data.glob("ct-*/*"):
        m = re.match(r"([A-Za-z-]+?)_(?:CT|Terminology)_(\d{4}-\d{2}-\d{2})", f.name)
        if m:
            found.add((m.group(1).upper(), m.group(2)))
    # the SDTM release file is dated by NCI EVS (2025-03-25); CDISC names the package by its
    # publication date (2025-03-28), as define.xml, TS and CORE do: both are the one we ship
    found.add(("SDTM", standards.CT_VERSION))
    return frozenset(found)


def _by_define(study: Study) -> dict[Path, list[Dataset]]:
    groups: dict[Path, list[Dataset]] = defaultdict(list)
    if not study.check_define:
        return groups
    for ds in study.datasets.values():
        path = define_beside(ds.path)
        if path is not None:
            groups[path].append(ds)
    return groups


@rule("CF.DEFINE_XML", "CF.DEFINE_DATASET", "CF.DEFINE_VARIABLE", "CF.DEFINE_TYPE",
      "CF.DEFINE_LENGTH", "CF.DEFINE_LABEL", "CF.DEFINE_ORDER", "CF.DEFINE_ROLE",
      "CF.DEFINE_CT", "CF.DEFINE_WHERE", "CF.DEFINE_CT_VERSION")
def define_against_data(study: Study) -> Found:
    for path, datasets in _by_define(study).items():
        try:
            doc = read_define(path)
        except (etree.XMLSyntaxError, OSError) as exc:
            yield findings.one(DEFINE, "CF.DEFINE_XML", "", str(path), message=str(exc))
            continue
        yield from _ct_versions(doc)
        names = {ds.name for ds in datasets}
        for ds in datasets:
            meta = doc.datasets.get(ds.name)
            if meta is None:
                yield findings.one(ds.name, "CF.DEFINE_DATASET", "", ds.name,
                                   message=f"{ds.name} is not in {DEFINE}")
                continue
            yield from _variables(ds, meta)
            yield from _values(ds, meta, doc)
        # the folder's files, not only the datasets validated: `validate dm.xpt` checks one
        on_disk = {f.stem.upper() for f in path.parent.iterdir() if f.suffix.lower() == ".xpt"}
        for name in sorted(set(doc.datasets) - names - on_disk):
            yield findings.one(name, "CF.DEFINE_DATASET", "", name, message=(
                f"{name} is in {DEFINE} but not in the folder"))


def _ct_versions(doc: DefineDoc) -> Found:
    shipped = shipped_ct()
    versions = {v for _s, v in shipped}
    for pub, version in doc.ct_versions:
        ok = (pub.upper(), version) in shipped if pub else version in versions
        if not ok:
            yield findings.one(DEFINE, "CF.DEFINE_CT_VERSION", "", f"{pub} {version}".strip(),
                               message="cdiscflow ships " + ", ".join(
                                   f"{s} {v}" for s, v in sorted(shipped)))


def _variables(ds: Dataset, meta: DatasetDef) -> Found:
    frame = ds.frame
    defined = {v.name: v for v in meta.variables}
    for col in frame.columns:
        if col not in defined:
            yield findings.one(ds.name, "CF.DEFINE_VARIABLE", col, message=(
                f"{col} is not in {DEFINE}"))
    for name in defined:
        if name not in frame.columns:
            yield findings.one(ds.name, "CF.DEFINE_VARIABLE", name, message=(
                f"{name} is in {DEFINE} but not in the dataset"))
    if ds.label and meta.label and ds.label != meta.label:
        yield findings.one(ds.name, "CF.DEFINE_LABEL", "", ds.label,
                           message=f"{DEFINE} labels the dataset '{meta.label}'")
    ig = {v.name: v for v in ds.standard_variables()}
    for col in frame.columns:
        var = defined.get(col)
        if var is None:
            continue
        numeric = is_num(frame[col])
        if (numeric and var.data_type not in _NUMERIC) or (
                not numeric and var.data_type not in _TEXT):
            yield findings.one(ds.name, "CF.DEFINE_TYPE", col, var.data_type, message=(
                f"DataType {var.data_type} for a {'Num' if numeric else 'Char'} variable"))
        stored = ds.lengths.get(col)
        if not numeric and stored is not None and var.length is not None \
                and var.length != stored:
            yield findings.one(ds.name, "CF.DEFINE_LENGTH", col, stored, message=(
                f"{DEFINE} gives Length {var.length}"))
        label = ds.labels.get(col)
        if label is not None and var.label and label != var.label:
            yield findings.one(ds.name, "CF.DEFINE_LABEL", col, label, message=(
                f"{DEFINE} labels it '{var.label}'"))
        want = ig.get(col)
        if var.role and want is not None and want.role and var.role != want.role:
            yield findings.one(ds.name, "CF.DEFINE_ROLE", col, var.role, message=(
                f"SDTMIG role is {want.role}"))
    # order: the common variables as the define numbers them against the dataset's columns
    numbered = sorted((v.order, v.name) for v in meta.variables
                      if v.order is not None and v.name in frame.columns)
    expected = [n for _o, n in numbered]
    actual = [c for c in frame.columns if c in set(expected)]
    for want, have in zip(expected, actual, strict=True):
        if want != have:
            yield findings.one(ds.name, "CF.DEFINE_ORDER", have, message=(
                f"{DEFINE} puts {want} here"))
            break


def _values(ds: Dataset, meta: DatasetDef, doc: DefineDoc) -> Found:
    frame = ds.frame
    for var in meta.variables:
        if var.name not in frame.columns:
            continue
        codelist = doc.codelists.get(var.codelist or "")
        if codelist is not None:
            allowed = pd.Series(sorted(codelist.values), dtype="str")
            yield findings.rows(ds.name, frame,
                                _flag(ds, var.name, lambda t, a=allowed: ~_isin(t, a)),
                                "CF.DEFINE_CT", var.name, message=(
                                    f"not in {DEFINE} codelist {codelist.oid}"))
        for item in meta.value_lists.get(var.name, []):
            selected = _where_holds(ds, item.where)
            if selected is None:
                continue
            if not selected.any():
                yield findings.one(ds.name, "CF.DEFINE_WHERE", var.name, item.where_oid,
                                   message=f"{item.where_oid} selects no record")
                continue
            vl_codelist = doc.codelists.get(item.variable.codelist or "")
            if vl_codelist is None:
                continue
            allowed = pd.Series(sorted(vl_codelist.values), dtype="str")
            text = _column_text(ds, var.name)
            bad = selected & (text != "").to_numpy() & ~_isin(text, allowed)
            yield findings.rows(ds.name, frame, _where(bad), "CF.DEFINE_CT", var.name,
                                message=f"not in {DEFINE} codelist {vl_codelist.oid} "
                                        f"({item.where_oid})")


def _where_holds(ds: Dataset, where: tuple[Condition, ...]) -> np.ndarray | None:
    """Records the where clause selects (its range checks all hold), or None when it tests a
    variable the dataset does not have or a comparator not handled here."""
    if not where:
        return None
    out = np.ones(len(ds.frame), dtype=bool)
    for cond in where:
        if cond.variable not in ds.frame.columns:
            return None
        text = _column_text(ds, cond.variable)
        values = pd.Series(list(cond.values), dtype="str")
        if cond.comparator in ("EQ", "IN"):
            out &= _isin(text, values)
        elif cond.comparator in ("NE", "NOTIN"):
            out &= ~_isin(text, values)
        else:
            return None
    return out
