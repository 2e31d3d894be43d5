"""A built domain made ready to write: IG variable order and labels, record order, lineage
(raw file and line of every record), the reconciliation's final counts, and SUPP--."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cdiscflow.raw import SOURCE_FILE, SOURCE_ROW
from cdiscflow.sdtm.context import STACK_FIELD, DomainResult, Work
from cdiscflow.sdtm.derivations.findings import format_number
from cdiscflow.sdtm.domains import domain_variables
from cdiscflow.spec import LoadedDomain
from cdiscflow.textops import per_distinct, stable_order


def finish_domain(work: Work) -> DomainResult:
    ld = work.loaded
    frame = work.frame
    spec = ld.spec
    ig = domain_variables(ld)
    mapped = {n for n, v in spec.variables.items() if not (v.temp or v.supp)}
    keep = [v.name for v in ig if v.name in mapped]
    labels = {v.name: v.label for v in ig if v.name in mapped}
    for n, v in spec.variables.items():
        if v.label and n in labels:
            labels[n] = v.label
    seq = next((v for v in keep if v.endswith("SEQ")), None)
    default = [c for c in ("USUBJID", seq) if c and c in frame.columns]
    order = spec.sort or default
    # only the columns written (data, lineage, SUPP--) are put in record order: the working
    # frame also holds the raw form's columns and temporary variables
    written = [*keep, "STUDYID", "USUBJID", seq, SOURCE_FILE, SOURCE_ROW, STACK_FIELD,
               spec.supp_idvar, *(n for n, v in spec.variables.items() if v.supp)]
    columns = [c for c in dict.fromkeys(written) if c and c in frame.columns]
    rows = stable_order([frame[c] for c in order]) if order else None
    frame = frame[columns]
    if rows is not None and not np.array_equal(rows, np.arange(len(rows))):
        # sort_values(order, kind="stable")'s order, sorting integer ranks of the keys;
        # records built in that order already (most are) are not copied
        frame = frame.take(rows)
    frame = frame.reset_index(drop=True)
    data = frame[keep]  # copy-on-write: a later change to the working frame is not seen here
    recon = work.recon
    recon.records_out = len(frame)
    recon.raw_records_landed = int(frame[SOURCE_ROW].nunique())
    lineage = pd.DataFrame({
        "DOMAIN": spec.domain,
        **({"USUBJID": frame["USUBJID"]} if "USUBJID" in frame.columns else {}),
        **({seq: frame[seq].astype("Int64")} if seq else {}),
        "SOURCE_FILE": frame[SOURCE_FILE],
        "SOURCE_ROW": frame[SOURCE_ROW].astype("int64"),
        **({"SOURCE_FIELD": frame[STACK_FIELD]} if STACK_FIELD in frame.columns else {}),
    })
    supp = supplemental(ld, frame)
    return DomainResult(spec.domain, data, supp, lineage, recon, labels)


def supplemental(ld: LoadedDomain, frame: pd.DataFrame) -> pd.DataFrame | None:
    """The SUPP-- records of the domain's `supp:` variables (one per non-blank value)."""
    spec = ld.spec
    supp_vars = [(n, v) for n, v in spec.variables.items() if v.supp]
    if not supp_vars:
        return None
    parts = []
    # the same IDVARVAL for every supplemental variable: its text worked out once
    idvarval = (_numbers_text(frame[spec.supp_idvar]).astype("string") if spec.supp_idvar
                else None)
    for n, v in supp_vars:
        values = frame[n]
        text = (_numbers_text(values) if pd.api.types.is_numeric_dtype(values)
                else values).astype("string")
        # only the records with a value are built (and no column copied)
        rows = np.flatnonzero((text.notna() & (text.str.strip() != "")).to_numpy(dtype=bool))
        part = pd.DataFrame({
            "STUDYID": frame["STUDYID"].iloc[rows],
            "RDOMAIN": spec.domain,
            "USUBJID": frame["USUBJID"].iloc[rows],
            "IDVAR": spec.supp_idvar or "",
            "IDVARVAL": idvarval.iloc[rows] if idvarval is not None else "",
            "QNAM": n,
            "QLABEL": v.supp.qlabel,
            "QVAL": text.iloc[rows],
            "QORIG": v.supp.qorig,
            "QEVAL": v.supp.qeval or "",
        }, copy=False)
        parts.append(part)
    supp = pd.concat(parts, ignore_index=True)
    supp["__order"] = supp["QNAM"].map({n: i for i, (n, _) in enumerate(supp_vars)})
    supp["__id"] = pd.to_numeric(supp["IDVARVAL"], errors="coerce")
    supp = supp.sort_values(["USUBJID", "__id", "__order"], kind="stable")
    return supp.drop(columns=["__order", "__id"]).astype("string").reset_index(drop=True)


def _numbers_text(values: pd.Series) -> pd.Series:
    """Numbers as SUPP-- text (``_num_text``), worked out once per distinct value."""
    return per_distinct(lambda v: v.map(_num_text, na_action="ignore"), values)


def _num_text(v: Any) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() and abs(f) < 1e15 else format_number(f)
