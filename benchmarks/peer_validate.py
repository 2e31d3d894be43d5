"""The validation benchmark's peer: the same kinds of checks written in plain pandas.

What a programmer would write without pandera or Arrow: text as Python objects, one pandas
operation per check and column, from the same standards metadata as cdiscflow's schemas —
required values present, numbers numeric, ISO 8601 dates, codelist terms, unique keys, every
USUBJID in DM, --SEQ unique per subject. It counts failures; it does not build reports.
"""

from __future__ import annotations

import pandas as pd

from cdiscflow.standards import find_codelist, sdtm_variables
from cdiscflow.validators.schema import ISO8601


def plain_pandas_checks(datasets: dict[str, pd.DataFrame]) -> int:
    """Failures found in ``datasets`` (SDTM domain name -> frame, DM among them)."""
    failures = 0
    dm_subjects = set(datasets["DM"]["USUBJID"].astype(object))
    for name, frame in datasets.items():
        ig = {v.name: v for v in sdtm_variables(name)}
        for col in frame.columns:
            var = ig.get(col)
            if var is None:
                continue
            values = frame[col].astype(object)
            present = values.notna() & (values.astype(str).str.strip() != "")
            if var.core == "Req":
                failures += int((~present).sum())
            if var.type == "Num":
                failures += int((present & pd.to_numeric(values, errors="coerce").isna()).sum())
                continue
            if col.endswith("DTC"):
                iso = values[present].astype(str).str.fullmatch(ISO8601.pattern)
                failures += int((~iso).sum())
            terms = set()
            for code in var.codelists:
                cl = find_codelist(code)
                if cl is not None:
                    terms |= cl.submission_values
            if terms:
                failures += int((present & ~values.isin(terms)).sum())
        if "USUBJID" in frame.columns:
            failures += int((~frame["USUBJID"].astype(object).isin(dm_subjects)).sum())
        seq = next((c for c in frame.columns if c.endswith("SEQ")), None)
        keys = ["USUBJID", seq] if seq else ["USUBJID"]
        if "USUBJID" in frame.columns:
            failures += int(frame.duplicated(keys).sum())
    return failures
