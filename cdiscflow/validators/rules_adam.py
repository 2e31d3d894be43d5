"""ADaM conformance rules beyond those in ``rules.py``: flag values as ADaMIG lists them,
dates against date-times, and the baseline and change of BDS datasets.

Registered in ``rules.RULE_FUNCTIONS``; vectorised on columns (flags once per distinct value,
BASE per subject and parameter with one group-by)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdiscflow.standards.adamig import adam_variable
from cdiscflow.validators import findings
from cdiscflow.validators.data import Dataset
from cdiscflow.validators.rules import Found, Study, _column_text, _flag, _isin, _where, rule
from cdiscflow.validators.schema import is_num

_SECONDS_PER_DAY = 86400
# TRTEMFL has its own rule (CF.TRTEMFL)
_OWN_RULE = frozenset({"TRTEMFL"})


def _allowed(ds: Dataset, column: str) -> tuple[str, ...]:
    """The values ADaMIG lists for the column (by name or placeholder family), or, for a
    flag it does not describe (a producer's *FL), Y and N (ADaMIG's convention for character
    flags: Y, N or null)."""
    structures = ("ADSL",) if ds.name == "ADSL" else ("BDS", "ADSL") \
        if "PARAMCD" not in ds.frame.columns else ("BDS",)
    for structure in structures:
        v = adam_variable(structure, column)
        if v is not None:
            return v.values
    if column.endswith("FL"):
        return ("Y", "N")
    return ()


@rule("CF.ADAM_FLAG")
def flag_values(study: Study) -> Found:
    for ds in study.adam:
        for col in ds.frame.columns:
            if col in _OWN_RULE:
                continue
            allowed = _allowed(ds, col)
            if not allowed:
                continue
            values = pd.Series(list(allowed), dtype="str")
            yield findings.rows(ds.name, ds.frame,
                                _flag(ds, col, lambda t, a=values: ~_isin(t, a)),
                                "CF.ADAM_FLAG", col,
                                message=f"{col} must be {' or '.join(allowed)} or null")


@rule("CF.ADAM_DTM")
def date_and_datetime(study: Study) -> Found:
    for ds in study.adam:
        frame = ds.frame
        for dtm in [c for c in frame.columns if c.endswith("DTM")]:
            stem = dtm[:-3]
            if not is_num(frame[dtm]):
                continue
            seconds = frame[dtm].to_numpy(dtype=float)
            # the date and time parts of a SAS datetime (seconds since 1960-01-01)
            for part, expected in ((f"{stem}DT", np.floor(seconds / _SECONDS_PER_DAY)),
                                   (f"{stem}TM", np.mod(seconds, _SECONDS_PER_DAY))):
                if part not in frame.columns or not is_num(frame[part]):
                    continue
                have = frame[part].to_numpy(dtype=float)
                bad = _where(~np.isnan(seconds) & ~np.isnan(have)
                             & ~np.isclose(have, expected, rtol=0, atol=1e-6))
                yield findings.rows(ds.name, frame, bad, "CF.ADAM_DTM", part, message=(
                    f"{part} is not the {'date' if part.endswith('DT') else 'time'} "
                    f"part of {dtm}"))


def _keys(ds: Dataset) -> list[str]:
    return [c for c in ("USUBJID", "PARAMCD", "BASETYPE") if c in ds.frame.columns]


@rule("CF.BASE_CONST")
def base_constant(study: Study) -> Found:
    for ds in study.adam:
        frame = ds.frame
        keys = _keys(ds)
        if "BASE" not in frame.columns or len(keys) < 2 or not is_num(frame["BASE"]):
            continue
        key = _column_text(ds, keys[0])
        for k in keys[1:]:
            key = key + "\x00" + _column_text(ds, k)
        base = frame["BASE"].reset_index(drop=True)
        distinct = base.groupby(key.to_numpy()).nunique(dropna=True)
        varying = distinct[distinct > 1].index
        bad = _where(_isin(key, pd.Series(varying, dtype="str")) & base.notna().to_numpy())
        yield findings.rows(ds.name, frame, bad, "CF.BASE_CONST", "BASE", message=(
            f"BASE takes more than one value for the subject and {'/'.join(keys[1:])}"))


@rule("CF.CHG_CALC")
def change_from_baseline(study: Study) -> Found:
    for ds in study.adam:
        frame = ds.frame
        if not {"AVAL", "BASE"} <= set(frame.columns):
            continue
        aval, base = frame["AVAL"], frame["BASE"]
        if not (is_num(aval) and is_num(base)):
            continue
        a, b = aval.to_numpy(dtype=float), base.to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            derived = (("CHG", a - b), ("PCHG", (a - b) / b * 100))
        for col, expected in derived:
            if col not in frame.columns or not is_num(frame[col]):
                continue
            have = frame[col].to_numpy(dtype=float)
            known = ~np.isnan(have) & np.isfinite(expected)
            # stored values may be rounded to the precision of the data: 1e-6 relative
            bad = _where(known & ~np.isclose(have, expected, rtol=1e-6, atol=1e-9))
            formula = "AVAL - BASE" if col == "CHG" else "(AVAL - BASE) / BASE * 100"
            yield findings.rows(ds.name, frame, bad, "CF.CHG_CALC", col,
                                message=f"{col} is not {formula}")
