"""Conformance rules on Demographics (arms, reference dates, subject identifiers, disposition,
SUPPDM) and Trial Summary (ISO 8601 values, required parameters).

Registered in ``rules.RULE_FUNCTIONS``; the terms each rule looks for are the catalogue's
(``Rule.terms``)."""

from __future__ import annotations

import re

import pandas as pd

from cdiscflow.validators import findings
from cdiscflow.validators.catalogue import RULES
from cdiscflow.validators.rules import Found, Study, _column_text, _isin, _where, rule
from cdiscflow.validators.rules_events import _blank
from cdiscflow.validators.schema import iso8601_ok


@rule("CF.ARM_NULLTERM")
def null_arm_terms(study: Study) -> Found:
    dm = study.get("DM")
    if dm is None:
        return
    terms = pd.Series(RULES["CF.ARM_NULLTERM"].terms, dtype="str")
    for col in ("ARM", "ACTARM"):
        if col in dm.frame.columns:
            upper = _column_text(dm, col).str.upper()
            yield findings.rows("DM", dm.frame, _where(_isin(upper, terms)), "CF.ARM_NULLTERM",
                                col)


@rule("CF.ARMNRS")
def armnrs_with_arms(study: Study) -> Found:
    dm = study.get("DM")
    if dm is None or not {"ARMNRS", "ARMCD", "ACTARMCD"} <= set(dm.frame.columns):
        return
    yield findings.rows("DM", dm.frame, _where(~_blank(dm, "ARMNRS") & ~_blank(dm, "ARMCD")
                                               & ~_blank(dm, "ACTARMCD")), "CF.ARMNRS",
                        "ARMNRS")


@rule("CF.RFENDTC_ARM")
def end_date_with_arm(study: Study) -> Found:
    dm = study.get("DM")
    # RFENDTC empty for every subject was not collected: EXP_VAR's concern, not each record's
    if dm is None or "ARM" not in dm.frame.columns or not dm.submitted("RFENDTC"):
        return
    bad = _where(~_blank(dm, "ARM") & _blank(dm, "RFENDTC"))
    yield findings.rows("DM", dm.frame, bad, "CF.RFENDTC_ARM", "RFENDTC",
                        values=dm.frame["ARM"].iloc[bad], message="RFENDTC is missing though "
                                                                  "ARM is given")


@rule("CF.ARM_ACTUAL")
def planned_actual_arm(study: Study) -> Found:
    dm = study.get("DM")
    if dm is None or not {"ARMCD", "ACTARMCD"} <= set(dm.frame.columns):
        return
    differ = ~_blank(dm, "ARMCD") & ~_blank(dm, "ACTARMCD") & (
        _column_text(dm, "ARMCD") != _column_text(dm, "ACTARMCD")).to_numpy(dtype=bool)
    # an explanation: the unplanned arm described (ACTARMUD), or a protocol deviation record
    differ &= _blank(dm, "ACTARMUD")
    dv = study.get("DV")
    if dv is not None and "USUBJID" in dv.frame.columns:
        differ &= ~_isin(_column_text(dm, "USUBJID"), _column_text(dv, "USUBJID"))
    bad = _where(differ)
    yield findings.rows("DM", dm.frame, bad, "CF.ARM_ACTUAL", "ACTARMCD", message=pd.Series(
        [f"ARMCD is {a}" for a in _column_text(dm, "ARMCD").iloc[bad]], dtype="str"))


@rule("CF.SUBJID_DUP")
def subjid_unique(study: Study) -> Found:
    dm = study.get("DM")
    if dm is None or "SUBJID" not in dm.frame.columns:
        return
    subjid = _column_text(dm, "SUBJID")
    key = (_column_text(dm, "STUDYID") + "\x00" + subjid if "STUDYID" in dm.frame.columns
           else subjid)
    yield findings.rows("DM", dm.frame, _where(key.duplicated(keep=False) & (subjid != "")),
                        "CF.SUBJID_DUP", "SUBJID")


@rule("CF.DS_TREATED")
def disposition_present(study: Study) -> Found:
    dm, ds = study.get("DM"), study.get("DS")
    if dm is None or ds is None or "ACTARMCD" not in dm.frame.columns \
            or "USUBJID" not in ds.frame.columns:
        return
    yield findings.rows("DM", dm.frame, _where(
        ~_blank(dm, "ACTARMCD") & ~_isin(_column_text(dm, "USUBJID"),
                                         _column_text(ds, "USUBJID"))),
        "CF.DS_TREATED", "USUBJID")


@rule("CF.SUPPDM_POPFL")
def population_flags_in_suppdm(study: Study) -> Found:
    supp = study.get("SUPPDM")
    if supp is None or "QNAM" not in supp.frame.columns:
        return
    prefixes = tuple(RULES["CF.SUPPDM_POPFL"].terms)
    flagged = _column_text(supp, "QNAM").str.upper().str.startswith(prefixes).to_numpy(bool)
    if "QLABEL" in supp.frame.columns:
        # the pilot's EFFICACY: 'Efficacy Population Flag'
        flagged = flagged | _column_text(supp, "QLABEL").str.upper().str.contains(
            "POPULATION FLAG", regex=False).to_numpy(dtype=bool)
    yield findings.rows("SUPPDM", supp.frame, _where(flagged), "CF.SUPPDM_POPFL", "QNAM")


# ISO 8601 durations (PnYnMnWnDTnHnMnS, at least one component; the last may be decimal)
_DURATION = re.compile(r"P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+(?:[.,]\d+)?D)?"
                       r"(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:[.,]\d+)?S)?)?")


@rule("CF.TS_DATE", "CF.TS_DURATION")
def ts_iso8601(study: Study) -> Found:
    ts = study.get("TS")
    if ts is None or not {"TSPARMCD", "TSVAL"} <= set(ts.frame.columns):
        return
    parm, val = _column_text(ts, "TSPARMCD"), _column_text(ts, "TSVAL")
    given = val != ""
    dates = given & _isin(parm, pd.Series(RULES["CF.TS_DATE"].terms, dtype="str"))
    yield findings.rows("TS", ts.frame, _where(dates & ~iso8601_ok(val)), "CF.TS_DATE",
                        "TSVAL")
    durations = given & _isin(parm, pd.Series(RULES["CF.TS_DURATION"].terms, dtype="str"))
    ok = val.str.fullmatch(_DURATION).fillna(False).to_numpy(dtype=bool)
    yield findings.rows("TS", ts.frame, _where(durations & ~ok), "CF.TS_DURATION", "TSVAL")


@rule("CF.TS_REQUIRED")
def ts_required(study: Study) -> Found:
    ts = study.get("TS")
    if ts is None or "TSPARMCD" not in ts.frame.columns:
        return
    parm = _column_text(ts, "TSPARMCD")
    with_value = parm[~_blank(ts, "TSVAL")] if "TSVAL" in ts.frame.columns else parm[:0]
    have = set(with_value.unique())
    for code in RULES["CF.TS_REQUIRED"].terms:
        if code not in have:
            yield findings.one("TS", "CF.TS_REQUIRED", "TSPARMCD", code,
                               message=f"no TSPARMCD {code} with a TSVAL")
