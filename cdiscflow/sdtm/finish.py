"""A built domain made ready to write: IG variable order and labels, record order, lineage
(raw file and line of every record), the reconciliation's final counts, and SUPP--."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdiscflow.codedtext import arrow, text_series
from cdiscflow.codes import per_distinct, sort_ranks, stable_order
from cdiscflow.raw import SOURCE_FILE, SOURCE_ROW
from cdiscflow.sdtm.context import STACK_FIELD, DomainResult, Work, raw_records_present
from cdiscflow.sdtm.derivations.findings import format_number
from cdiscflow.sdtm.domains import domain_variables
from cdiscflow.spec import LoadedDomain
from cdiscflow.textops import coerce_numbers

_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # a text scalar's dtype in a DataFrame


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
    recon.raw_records_landed = raw_records_present(frame)
    lineage = pd.DataFrame({
        # the "str" dtype a broadcast scalar gets, made by Arrow's repeat (pandas' broadcast
        # takes a million single-value indices)
        "DOMAIN": pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([
            _repeated(spec.domain, len(frame))])), index=frame.index, dtype=_STR, copy=False),
        **({"USUBJID": frame["USUBJID"]} if "USUBJID" in frame.columns else {}),
        **({seq: frame[seq].astype("Int64")} if seq else {}),
        "SOURCE_FILE": frame[SOURCE_FILE],
        "SOURCE_ROW": frame[SOURCE_ROW].astype("int64"),
        **({"SOURCE_FIELD": frame[STACK_FIELD]} if STACK_FIELD in frame.columns else {}),
    }, copy=False)  # the record-ordered columns shared, not copied (pandas copies on write)
    supp = supplemental(ld, frame)
    return DomainResult(spec.domain, data, supp, lineage, recon, labels)


def supplemental(ld: LoadedDomain, frame: pd.DataFrame) -> pd.DataFrame | None:
    """The SUPP-- records of the domain's `supp:` variables (one per non-blank value), in
    the order of USUBJID, the IDVARVAL as a number (missing last), then the variables' order
    in the mapping; ties keep the records' order in the domain."""
    spec = ld.spec
    supp_vars = [(n, v) for n, v in spec.variables.items() if v.supp]
    if not supp_vars:
        return None
    # the same IDVARVAL for every supplemental variable: its text (and the number it sorts
    # by) worked out once per record of the domain, not per SUPP-- record
    idvarval = (_numbers_text(frame[spec.supp_idvar]).astype("string") if spec.supp_idvar
                else None)
    rows, texts = [], []
    for n, _ in supp_vars:
        values = frame[n]
        text = (_numbers_text(values) if pd.api.types.is_numeric_dtype(values)
                else values).astype("string")
        data = arrow(text)
        # only the records with a value are kept (blank: missing, or only spaces)
        keep = pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(data), ""), False)
        at = np.flatnonzero(keep.to_numpy(zero_copy_only=False))
        rows.append(at)
        texts.append(data.take(pa.array(at)))
    variable = np.repeat(np.arange(len(supp_vars)), [len(r) for r in rows])
    row = np.concatenate(rows)
    # sorted as by (USUBJID, IDVARVAL as a number, variable), stable: one integer key of
    # the keys' ranks, the ranks worked out on the domain's records
    subject_rank = sort_ranks(frame["USUBJID"])[row]
    id_rank = (sort_ranks(coerce_numbers(idvarval))[row] if idvarval is not None
               else np.zeros(len(row), dtype=np.int64))  # "" is no number: all tie
    key = subject_rank
    for rank, size in ((id_rank, len(frame) + 1), (variable, len(supp_vars))):
        key = key * size + rank
    order = np.argsort(key, kind="stable")
    row, variable = row[order], variable[order]
    qval = pa.concat_arrays(texts).take(pa.array(order))

    def per_variable(values: list[str | None]) -> pa.Array:
        return pa.array(values, type=pa.large_string()).take(pa.array(variable))

    columns = {
        "STUDYID": arrow(frame["STUDYID"]).take(pa.array(row)),
        "RDOMAIN": _repeated(spec.domain, len(row)),
        "USUBJID": arrow(frame["USUBJID"]).take(pa.array(row)),
        "IDVAR": _repeated(spec.supp_idvar or "", len(row)),
        "IDVARVAL": (arrow(idvarval).take(pa.array(row)) if idvarval is not None
                     else _repeated("", len(row))),
        "QNAM": per_variable([n for n, _ in supp_vars]),
        "QLABEL": per_variable([v.supp.qlabel for _, v in supp_vars]),
        "QVAL": qval,
        "QORIG": per_variable([v.supp.qorig for _, v in supp_vars]),
        "QEVAL": per_variable([v.supp.qeval or "" for _, v in supp_vars]),
    }
    index = pd.RangeIndex(len(row))
    return pd.DataFrame({name: text_series(data, index) for name, data in columns.items()},
                        index=index)


def _repeated(value: str, n: int) -> pa.Array:
    """``value`` n times as Arrow text (pandas' broadcast of a scalar takes n indices)."""
    return pa.repeat(pa.scalar(value, pa.large_string()), n)


def _numbers_text(values: pd.Series) -> pd.Series:
    """Numbers as SUPP-- text (``_num_text``: whole numbers below 1e15 as integers, others
    with ``format_number``), each distinct number made text once."""
    if not pd.api.types.is_numeric_dtype(values):
        # text read as numbers (an IDVAR held as text): value by value, as it always was
        return per_distinct(lambda v: v.map(_num_text, na_action="ignore"), values)
    missing = values.isna().to_numpy(dtype=bool)
    numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    # numbered per distinct value (a missing one has no number), each made text once
    codes, distinct = pd.factorize(numbers[~missing], use_na_sentinel=False)
    texts = pa.array([_num_text(v) for v in distinct], type=pa.large_string())
    at = np.full(len(numbers), -1, dtype=np.int64)
    at[~missing] = codes
    return text_series(texts.take(pa.array(at, mask=missing)), values.index).rename(
        values.name)


def _num_text(v: Any) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() and abs(f) < 1e15 else format_number(f)
