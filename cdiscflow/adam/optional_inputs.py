"""SDTM datasets and variables an ADaM spec reads but a study may lack (``optional:`` in
adam.yaml): a dataset that is not there is read with no records, a variable that is not there
is read empty, so the steps that use them give missing values instead of stopping the run. A
study converted from CRF extracts without a questionnaire form still gets its ADSL; what was
missing is named in the run report, never passed over silently."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from cdiscflow.standards import is_ig_domain, sdtm_variables


def missing_inputs(sdtm: Mapping[str, pd.DataFrame],
                   optional: Mapping[str, Sequence[str]]) -> list[str]:
    """What of ``optional`` the SDTM lacks: ``SC`` for a dataset, ``DM.SAFETY`` for a
    variable of a dataset that is there."""
    missing = []
    for name, variables in optional.items():
        frame = sdtm.get(name)
        if frame is None:
            missing.append(name)
            continue
        missing += [f"{name}.{v}" for v in variables if v not in frame.columns]
    return missing


def with_optional_inputs(sdtm: Mapping[str, pd.DataFrame],
                         optional: Mapping[str, Sequence[str]]) -> dict[str, pd.DataFrame]:
    """The SDTM with every optional dataset and variable present: an absent dataset as no
    records of USUBJID and its listed variables, an absent variable as missing values."""
    out = dict(sdtm)
    for name, variables in optional.items():
        frame = out.get(name)
        numeric = _numeric(name)
        if frame is None:
            columns = list(dict.fromkeys(["USUBJID", *variables]))
            out[name] = pd.DataFrame({c: _empty(c in numeric, pd.RangeIndex(0))
                                      for c in columns})
            continue
        absent = [v for v in variables if v not in frame.columns]
        if absent:
            frame = frame.copy()
            for v in absent:
                frame[v] = _empty(v in numeric, frame.index)
            out[name] = frame
    return out


def _numeric(dataset: str) -> set[str]:
    """The numeric variables SDTMIG gives the dataset's domain (QSMM, a split QS: QS's), so an
    absent SCSTRESN reads as a missing number, as it would be written."""
    for domain in (dataset, dataset[:2]):
        if is_ig_domain(domain):
            return {v.name for v in sdtm_variables(domain) if v.type == "Num"}
    return set()


def _empty(numeric: bool, index: pd.Index) -> pd.Series:
    if numeric:
        return pd.Series(float("nan"), index=index, dtype=float)
    return pd.Series(None, index=index, dtype=object)
