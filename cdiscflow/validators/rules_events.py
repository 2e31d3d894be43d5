"""Conformance rules on events, deaths, visits and timing (SDTM): adverse-event seriousness,
dictionary coding, deaths against DM, visits against SV, dates against the subject's reference
dates, time-point pairs, doses and study-day variables.

Registered in ``rules.RULE_FUNCTIONS`` like the rules in ``rules.py``; vectorised on columns,
with per-record work done once per distinct value or per distinct (subject, value) pair.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from cdiscflow.validators import findings
from cdiscflow.validators.catalogue import RULES
from cdiscflow.validators.data import Dataset
from cdiscflow.validators.rules import (
    _PLAIN_ISO,
    Found,
    Study,
    _column_text,
    _ig_names,
    _isin,
    _text,
    _where,
    rule,
)
from cdiscflow.validators.schema import is_null


def _events(study: Study) -> list[Dataset]:
    """SDTM datasets described by an IG domain, SUPP-- left out."""
    return [d for d in study.sdtm if d.domain is not None and not d.is_supp]


def _blank(ds: Dataset, column: str) -> np.ndarray:
    """Whether each record's value is missing (True everywhere when the column is absent)."""
    if column not in ds.frame.columns:
        return np.ones(len(ds.frame), dtype=bool)
    return is_null(ds.frame[column], None if pd.api.types.is_numeric_dtype(ds.frame[column])
                   else ds.factorized(column)).to_numpy(dtype=bool)


def compare_dates(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """ISO 8601 values compared at the precision both have: (sign of a - b as -1/0/1, the
    number of characters compared). Where either is missing or not a plain ISO date/time the
    characters compared are 0 (and the sign 0)."""
    x, y = _text(a), _text(b)
    ok = (x.str.fullmatch(_PLAIN_ISO).fillna(False)
          & y.str.fullmatch(_PLAIN_ISO).fillna(False)).to_numpy(dtype=bool)
    common = np.where(ok, np.minimum(x.str.len().to_numpy(), y.str.len().to_numpy()), 0)
    sign = np.zeros(len(x), dtype=np.int8)
    for n in pd.unique(common[common > 0]):
        m = common == n
        xs, ys = x[m].str.slice(0, int(n)), y[m].str.slice(0, int(n))
        sign[m] = np.where((xs > ys).to_numpy(dtype=bool), 1,
                           np.where((xs < ys).to_numpy(dtype=bool), -1, 0))
    return sign, common.astype(np.int64)


def per_pair(ds: Dataset, a: str, b: str,
             judge: Callable[[pd.Series, pd.Series], np.ndarray]) -> np.ndarray:
    """``judge(values of a, values of b)`` evaluated once per distinct pair of values of two
    columns (a subject and a date repeat together on many records) and spread back to every
    record, as a boolean array. Missing values reach ``judge`` as NaN."""
    ca, ua = ds.factorized(a)
    cb, ub = ds.factorized(b)
    width = len(ub) + 1
    key = (ca.astype(np.int64) + 1) * width + (cb.astype(np.int64) + 1)
    codes, uniq = pd.factorize(key)
    ia, ib = uniq // width - 1, uniq % width - 1

    def values(u: object, i: np.ndarray) -> pd.Series:
        out = pd.Series(u).iloc[np.maximum(i, 0)].reset_index(drop=True)  # keeps the dtype
        return out.where(pd.Series(i >= 0))
    return np.asarray(judge(values(ua, ia), values(ub, ib)), dtype=bool)[codes]


def _dm_text(study: Study, variable: str) -> pd.Series | None:
    """DM's ``variable`` as stripped text by stripped USUBJID (None without DM or variable)."""
    dm = study.get("DM")
    if dm is None or not {"USUBJID", variable} <= set(dm.frame.columns):
        return None
    out = pd.Series(_column_text(dm, variable).to_numpy(),
                    index=_column_text(dm, "USUBJID").to_numpy())
    return out[~out.index.duplicated()]


# --------------------------------------------------------------------------- adverse events


@rule("CF.AESER_CRIT", "CF.AESER_NOCRIT", "CF.AESER_CRIT_VAR")
def seriousness(study: Study) -> Found:
    ae = study.get("AE")
    if ae is None or "AESER" not in ae.frame.columns:
        return
    aeser = _column_text(ae, "AESER")
    present = [c for c in RULES["CF.AESER_CRIT"].terms if ae.submitted(c)]
    if not present:
        # criteria not collected at all: one finding for the dataset, not one per serious AE
        serious = int((aeser == "Y").sum())
        if serious:
            yield findings.one("AE", "CF.AESER_CRIT_VAR", "AESER", "Y", message=(
                f"AESER is Y on {serious} record(s) but no seriousness criterion variable "
                "is in AE"))
        return
    any_y = np.zeros(len(aeser), dtype=bool)
    named = pd.Series("", index=aeser.index, dtype=object)
    for c in present:
        y = (_column_text(ae, c) == "Y").to_numpy(dtype=bool)
        named[y & ~any_y] = c  # the first criterion that is Y names the finding
        any_y |= y
    crit = _where(any_y & (aeser != "Y").to_numpy(dtype=bool))
    yield findings.rows("AE", ae.frame, crit, "CF.AESER_CRIT", "AESER", message=pd.Series(
        [f"{c} is Y but AESER is not Y" for c in named.iloc[crit]], dtype="str"))
    yield findings.rows("AE", ae.frame, _where(~any_y & (aeser == "Y").to_numpy(dtype=bool)),
                        "CF.AESER_NOCRIT", "AESER")


@rule("CF.BDSYCD", "CF.BODSYS_SOC")
def body_system(study: Study) -> Found:
    for ds in _events(study):
        d = ds.domain
        bodsys, bdsycd, soc = f"{d}BODSYS", f"{d}BDSYCD", f"{d}SOC"
        if bodsys not in ds.frame.columns:
            continue
        given = ~_blank(ds, bodsys)
        if not ds.submitted(bdsycd):
            # the code variable not submitted: one finding, not one per coded record
            if given.any():
                yield findings.one(ds.name, "CF.BDSYCD", bdsycd, message=(
                    f"{bdsycd} is not in the dataset though {bodsys} is given"))
        else:
            bad = _where(given & _blank(ds, bdsycd))
            yield findings.rows(ds.name, ds.frame, bad, "CF.BDSYCD", bdsycd,
                                values=ds.frame[bodsys].iloc[bad])
        if soc in ds.frame.columns:
            differ = given & ~_blank(ds, soc) & (
                _column_text(ds, bodsys) != _column_text(ds, soc)).to_numpy(dtype=bool)
            bad = _where(differ)
            yield findings.rows(ds.name, ds.frame, bad, "CF.BODSYS_SOC", bodsys,
                                message=pd.Series([f"{soc} is {s}" for s in
                                                   _column_text(ds, soc).iloc[bad]],
                                                  dtype="str"))


@rule("CF.FATAL_DTHDTC")
def fatal_event_date(study: Study) -> Found:
    ae, death = study.get("AE"), _dm_text(study, "DTHDTC")
    if ae is None or death is None or not {"AEOUT", "USUBJID"} <= set(ae.frame.columns):
        return
    fatal = _where(_column_text(ae, "AEOUT") == RULES["CF.FATAL_DTHDTC"].terms[0])
    if not len(fatal):
        return
    subj = _column_text(ae, "USUBJID").iloc[fatal]
    dth = subj.map(death).fillna("").reset_index(drop=True)
    end = (_column_text(ae, "AEENDTC").iloc[fatal] if "AEENDTC" in ae.frame.columns
           else pd.Series("", index=subj.index)).reset_index(drop=True)
    sign, common = compare_dates(end, dth)
    bad = (end == "").to_numpy() | (dth == "").to_numpy() | (common == 0) | (sign != 0)
    messages = [f"DM.DTHDTC is {d or 'missing'}" for d in dth[bad]]
    yield findings.rows("AE", ae.frame, fatal[bad], "CF.FATAL_DTHDTC", "AEENDTC",
                        values=end[bad], message=pd.Series(messages, dtype="str"))


@rule("CF.DTHFL_EVIDENCE")
def death_flag_evidence(study: Study) -> Found:
    dm, ae, ds = study.get("DM"), study.get("AE"), study.get("DS")
    if dm is None or "DTHFL" not in dm.frame.columns or (ae is None and ds is None):
        return
    fatal, death = RULES["CF.DTHFL_EVIDENCE"].terms
    dead = []
    if ae is not None and "USUBJID" in ae.frame.columns:
        mask = np.zeros(len(ae.frame), dtype=bool)
        if "AEOUT" in ae.frame.columns:
            mask |= (_column_text(ae, "AEOUT") == fatal).to_numpy(dtype=bool)
        if "AESDTH" in ae.frame.columns:
            mask |= (_column_text(ae, "AESDTH") == "Y").to_numpy(dtype=bool)
        dead.append(_column_text(ae, "USUBJID")[mask])
    if ds is not None and {"USUBJID", "DSDECOD"} <= set(ds.frame.columns):
        dead.append(_column_text(ds, "USUBJID")[_column_text(ds, "DSDECOD") == death])
    known = pd.concat(dead) if dead else pd.Series([], dtype="str")
    flagged = (_column_text(dm, "DTHFL") == "Y").to_numpy(dtype=bool)
    yield findings.rows("DM", dm.frame,
                        _where(flagged & ~_isin(_column_text(dm, "USUBJID"), known)),
                        "CF.DTHFL_EVIDENCE", "DTHFL")


# --------------------------------------------------------------------------- visits and dates


@rule("CF.VISITNUM_SV")
def visit_in_sv(study: Study) -> Found:
    sv = study.get("SV")
    if sv is None or not {"USUBJID", "VISITNUM"} <= set(sv.frame.columns):
        return
    known = _column_text(sv, "USUBJID") + "\x00" + _column_text(sv, "VISITNUM")
    near = _visit_keys(sv.frame["USUBJID"], sv.frame["VISITNUM"])
    for ds in _events(study):
        if ds.name == "SV" or not {"USUBJID", "VISITNUM"} <= set(ds.frame.columns):
            continue

        def missing(subj: pd.Series, visit: pd.Series) -> np.ndarray:
            v = _text(visit)
            return ((v != "") & ~_isin(_text(subj) + "\x00" + v, known)).to_numpy(dtype=bool)
        bad = _where(per_pair(ds, "USUBJID", "VISITNUM", missing))
        # a visit number one floating-point step away from SV's (1.2000000000000002 for 1.2)
        # is still a defect, since a merge on VISITNUM will not match it, but says so
        noise = _isin(_visit_keys(ds.frame["USUBJID"].iloc[bad],
                                  ds.frame["VISITNUM"].iloc[bad]), near)
        yield findings.rows(ds.name, ds.frame, bad, "CF.VISITNUM_SV", "VISITNUM",
                            message=pd.Series(np.where(
                                noise, "VISITNUM differs from the subject's SV visit number "
                                       "only in floating-point noise: a merge will not match it",
                                RULES["CF.VISITNUM_SV"].message), dtype="str"))


def _visit_keys(subject: pd.Series, visit: pd.Series) -> pd.Series:
    """USUBJID and VISITNUM rounded to 9 decimals, as one text per record."""
    number = pd.to_numeric(visit.reset_index(drop=True), errors="coerce").round(9)
    return _text(subject) + "\x00" + _text(number)


def _against_reference(ds: Dataset, column: str, reference: pd.Series,
                       bad: Callable[[np.ndarray, np.ndarray, pd.Series], np.ndarray]
                       ) -> np.ndarray:
    """Positions where ``bad(sign, characters compared, value)`` holds for the record's date in
    ``column`` against its subject's date in ``reference`` (stripped USUBJID -> text)."""
    def judge(subj: pd.Series, when: pd.Series) -> np.ndarray:
        ref = _text(subj).map(reference).fillna("")
        sign, common = compare_dates(when, ref)
        return bad(sign, common, _text(when))
    return _where(per_pair(ds, "USUBJID", column, judge))


def _after_reference(ds: Dataset, column: str, reference: pd.Series) -> np.ndarray:
    """Positions whose date in ``column`` is after the subject's ``reference`` date at the
    precision both have.

    Later at the common precision implies later as text, so records are first narrowed with
    integer ranks of the distinct texts (no string work per record), and only the few that
    are later as text are compared properly."""
    cs, us = ds.factorized("USUBJID")
    cd, ud = ds.factorized(column)
    ref = _text(pd.Series(us)).map(reference).fillna("").to_numpy(dtype=object)
    when = _text(pd.Series(ud)).to_numpy(dtype=object)
    _values, ranks = np.unique(np.concatenate([when, ref]).astype(str), return_inverse=True)
    rank_when, rank_ref = ranks[:len(when)], ranks[len(when):]
    known = (cs >= 0) & (cd >= 0)
    candidate = np.zeros(len(cs), dtype=bool)
    candidate[known] = rank_when[cd[known]] > rank_ref[cs[known]]
    at = _where(candidate)
    sign, _n = compare_dates(pd.Series(when[cd[at]]), pd.Series(ref[cs[at]]))
    return at[sign > 0]


@rule("CF.MH_PRIOR")
def history_before_start(study: Study) -> Found:
    mh, start = study.get("MH"), _dm_text(study, "RFSTDTC")
    if mh is None or start is None or "USUBJID" not in mh.frame.columns:
        return
    for col in ("MHSTDTC", "MHENDTC"):
        if col not in mh.frame.columns:
            continue
        # on or after: later, or the same day where both dates are full; 2021-03 against
        # 2021-03-10 cannot be ordered and is not reported
        bad = _against_reference(mh, col, start, lambda s, n, _v: (s > 0) | (
            (s == 0) & (n >= 10)))
        yield findings.rows("MH", mh.frame, bad, "CF.MH_PRIOR", col,
                            message=f"{col} is on or after DM.RFSTDTC")


@rule("CF.AFTER_RFPENDTC")
def after_participation(study: Study) -> Found:
    end = _dm_text(study, "RFPENDTC")
    if end is None:
        return
    for ds in _events(study):
        if ds.name == "DM" or "USUBJID" not in ds.frame.columns:
            continue
        d = ds.domain
        for col in (f"{d}DTC", f"{d}STDTC", f"{d}ENDTC"):
            if col in ds.frame.columns:
                bad = _after_reference(ds, col, end)
                yield findings.rows(ds.name, ds.frame, bad, "CF.AFTER_RFPENDTC", col,
                                    message=f"{col} is after DM.RFPENDTC")


# the relative timing variable (--STRTPT, --ENRTPT) and its reference time point
_TPT_PAIRS = (("STRTPT", "STTPT"), ("ENRTPT", "ENTPT"))


@rule("CF.TPT_PAIR")
def time_point_pairs(study: Study) -> Found:
    for ds in _events(study):
        d, cols = ds.domain, set(ds.frame.columns)
        for rel, ref in ((f"{d}{a}", f"{d}{b}") for a, b in _TPT_PAIRS):
            for one, other in ((rel, ref), (ref, rel)):
                if one not in cols:
                    continue
                if other not in cols:
                    yield findings.one(ds.name, "CF.TPT_PAIR", one, message=(
                        f"{one} is in the dataset but {other} is not"))
                    continue
                yield findings.rows(ds.name, ds.frame,
                                    _where(~_blank(ds, one) & _blank(ds, other)),
                                    "CF.TPT_PAIR", one, message=f"{one} is given but {other} "
                                                                "is not")


@rule("CF.END_NO_START")
def end_without_start(study: Study) -> Found:
    for ds in _events(study):
        d, cols = ds.domain, set(ds.frame.columns)
        ends = [c for c in (f"{d}ENDTC", f"{d}ENRF", f"{d}ENRTPT") if c in cols]
        if not ends:
            continue
        no_start = np.ones(len(ds.frame), dtype=bool)
        for c in (f"{d}STDTC", f"{d}STRF", f"{d}STRTPT"):
            no_start &= _blank(ds, c)
        reported = np.zeros(len(ds.frame), dtype=bool)
        for end in ends:  # each record once, under the first end variable it has
            bad = no_start & ~reported & ~_blank(ds, end)
            reported |= bad
            yield findings.rows(ds.name, ds.frame, _where(bad), "CF.END_NO_START", end)


@rule("CF.AEOUT_ENDTC")
def ended_though_not_resolved(study: Study) -> Found:
    ae = study.get("AE")
    if ae is None or not {"AEOUT", "AEENDTC"} <= set(ae.frame.columns):
        return
    ongoing = _isin(_column_text(ae, "AEOUT"),
                    pd.Series(RULES["CF.AEOUT_ENDTC"].terms, dtype="str"))
    bad = _where(ongoing & ~_blank(ae, "AEENDTC"))
    yield findings.rows("AE", ae.frame, bad, "CF.AEOUT_ENDTC", "AEENDTC", message=pd.Series(
        [f"AEOUT is {o}" for o in _column_text(ae, "AEOUT").iloc[bad]], dtype="str"))


@rule("CF.DOSU", "CF.DOSU_VAR")
def dose_unit(study: Study) -> Found:
    for ds in _events(study):
        d = ds.domain
        dosu = f"{d}DOSU"
        doses = [c for c in (f"{d}DOSE", f"{d}DOSTXT", f"{d}DOSTOT") if c in ds.frame.columns]
        if not doses:
            continue
        given = np.zeros(len(ds.frame), dtype=bool)
        for c in doses:
            given |= ~_blank(ds, c)
        # a unit variable absent, or present but empty throughout (an Expected variable
        # written because SDTMIG expects it, never collected): one finding for the dataset
        if not ds.submitted(dosu):
            if given.any():
                yield findings.one(ds.name, "CF.DOSU_VAR", dosu, message=(
                    f"{dosu} is not in the dataset, or empty throughout, though "
                    f"{'/'.join(doses)} is given"))
            continue
        yield findings.rows(ds.name, ds.frame, _where(given & _blank(ds, dosu)), "CF.DOSU",
                            dosu)


@rule("CF.DY_VAR")
def study_day_variables(study: Study) -> Found:
    for ds in _events(study):
        d, ig = ds.domain, set(_ig_names(ds))
        for dtc, dy in ((f"{d}DTC", f"{d}DY"), (f"{d}STDTC", f"{d}STDY"),
                        (f"{d}ENDTC", f"{d}ENDY")):
            # only where the IG defines the study day for this domain
            if dy in ig and dtc in ds.frame.columns and dy not in ds.frame.columns:
                yield findings.one(ds.name, "CF.DY_VAR", dy, message=(
                    f"{dy} is missing though {dtc} is present"))
