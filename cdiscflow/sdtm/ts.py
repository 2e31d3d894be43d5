"""TS (Trial Summary) from the study file's ``ts:`` section.

The study file lists parameters by their CT code (``TPHASE: PHASE I TRIAL``, a list for a
parameter with several values). Each TSPARMCD must be a term of CT codelist TSPARMCD; TSPARM is
the paired term of TSPARM (same NCI code). A value whose parameter has a CT response codelist is
checked against it and gets its NCI code in TSVALCD with TSVCDREF "CDISC CT"; dates and
durations are ISO 8601; REGID is a registry identifier (ClinicalTrials.gov or another
known registry, see ``REGISTRIES``). SDTMVER and SDTIGVER come from the
standards this package is built on unless the study file gives them, so the TS the FDA's
technical rejection criteria require (SSTDTC, SDTIGVER) cannot disagree with define.xml.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from cdiscflow.errors import SpecError
from cdiscflow.spec import LoadedStudy
from cdiscflow.standards import CT_VERSION, SDTMIG_VERSION, codelist
from cdiscflow.standards._files import read_csv

# SDTM v2.0 is the model SDTMIG 3.4 implements
SDTM_VERSION = "2.0"

# the CT response codelist of each coded parameter (SDTM CT "... Response" codelists)
VALUE_CODELISTS = {
    "TPHASE": "TPHASE",
    "STYPE": "STYPE",
    "SEXPOP": "SEXPOP",
    "INTMODEL": "INTMODEL",
    "TBLIND": "TBLIND",
    "TTYPE": "TTYPE",
    "TCNTRL": "TCNTRL",
    "INTTYPE": "INTTYPE",
    "TINDTP": "TINDTP",
    "RANDOM": "NY",
    "ADAPT": "NY",
    "ADDON": "NY",
    "HLTSUBJI": "NY",
}
# ISO 8601 parameters: dates and durations
ISO_DATES = ("SSTDTC", "SENDTC", "DCUTDTC")
ISO_DURATIONS = ("AGEMIN", "AGEMAX", "LENGTH")
_DURATION_RE = re.compile(r"P(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?")
# REGID: the registries whose identifiers are recognised, each with its TSVCDREF. A trial
# registered outside ClinicalTrials.gov (e.g. only in the China drug trial registry) cites that
# registry; an identifier of no known registry is refused as a likely typo.
REGISTRIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"NCT\d{8}"), "ClinicalTrials.gov"),
    (re.compile(r"\d{4}-\d{6}-\d{2}"), "EudraCT"),
    (re.compile(r"ISRCTN\d{8}"), "ISRCTN"),
    (re.compile(r"ChiCTR[-A-Z0-9]{6,}"), "ChiCTR"),
    (re.compile(r"CTR\d{8}"), "chinadrugtrials.org.cn"),
)
# every TSVCDREF this module writes besides "CDISC CT": SDTMIG 3.4's TS examples name "ISO
# 8601" for dates and durations and the registry for a registry identifier; the extensible
# DICTNAM codelist lists none of them, so validation accepts these (validators/schema.py)
TSVCDREF_NAMES = ("ISO 8601", *(name for _, name in REGISTRIES))

TS_COLUMNS = ["STUDYID", "DOMAIN", "TSSEQ", "TSPARMCD", "TSPARM", "TSVAL", "TSVALNF",
              "TSVALCD", "TSVCDREF", "TSVCDVER"]
# the null flavor of a required parameter the study file does not give: "no information"
NOT_GIVEN = "NI"


def required_parameters(given: dict[str, Any]) -> list[str]:
    """The TS parameters a submission must carry, given the study file's values: those the
    conformance rules require always, and those required when another parameter has a value
    (INTTYPE when STYPE is INTERVENTIONAL), from ``standards/data/ts-required``."""
    out = []
    for row in read_csv("ts-required", "TS_required.csv"):
        when = row["When"]
        if when != "always":
            param, value = when.split("=", 1)
            values = given.get(param)
            values = values if isinstance(values, list) else [values]
            if value not in [str(v) for v in values]:
                continue
        out.append(row["TSPARMCD"])
    return out


def null_flavors() -> dict[str, str]:
    """ISO 21090 NullFlavor codes (TSVALNF's value domain) and their names."""
    return {r["Code"]: r["Name"] for r in read_csv("iso21090", "NullFlavor.csv")}


def has_ts(study: LoadedStudy) -> bool:
    return bool(study.spec.ts)


def build_ts(study: LoadedStudy) -> pd.DataFrame:
    """The TS dataset, one record per parameter value, in the study file's order.

    Raises SpecError naming the study file and parameter for anything CT or ISO 8601 refuses.
    """
    given = dict(study.spec.ts)
    given.setdefault("SDTMVER", SDTM_VERSION)
    given.setdefault("SDTIGVER", SDTMIG_VERSION)
    missing = [p for p in ("SSTDTC",) if p not in given]
    if missing:
        # the FDA's technical rejection criteria require the study start date in TS
        raise _error(study, f"ts: {', '.join(missing)} is required (FDA technical rejection "
                     f"criteria)")
    # a required parameter the study file leaves out is written with TSVALNF NI, so a
    # reviewer sees it was not given rather than missing it (`PCLASS: {TSVALNF: NA}` says
    # why in the study file)
    for code in required_parameters(given):
        given.setdefault(code, {"TSVALNF": NOT_GIVEN})
    parmcd = codelist("TSPARMCD")
    parm_by_code = {t.code: t.submission_value for t in codelist("TSPARM").terms}
    rows: list[dict[str, Any]] = []
    for code, raw in given.items():
        term = next((t for t in parmcd.terms if t.submission_value == code), None)
        if term is None:
            raise _error(study, f"ts: {code} is not a TSPARMCD term of CDISC CT {CT_VERSION}")
        values = raw if isinstance(raw, list) else [raw]
        if not values:
            raise _error(study, f"ts: {code} has no value")
        for seq, value in enumerate(values, start=1):
            row = {"STUDYID": study.spec.study.studyid, "DOMAIN": "TS", "TSSEQ": float(seq),
                   "TSPARMCD": code, "TSPARM": parm_by_code[term.code]}
            if isinstance(value, dict):
                row.update(TSVAL=None, TSVALNF=_null_flavor(study, code, value))
            else:
                text = _text(study, code, value)
                valcd, ref, ver = _coded(study, code, text)
                row.update(TSVAL=text, TSVALCD=valcd, TSVCDREF=ref, TSVCDVER=ver)
            rows.append(row)
    frame = pd.DataFrame(rows, columns=TS_COLUMNS)
    frame["TSSEQ"] = frame["TSSEQ"].astype("Float64")
    for col in TS_COLUMNS:
        if col != "TSSEQ":
            frame[col] = frame[col].astype("string")
    return frame


def _null_flavor(study: LoadedStudy, code: str, value: dict[str, Any]) -> str:
    flavors = null_flavors()
    flavor = value.get("TSVALNF")
    if set(value) != {"TSVALNF"} or flavor not in flavors:
        raise _error(study, f"ts: {code} value {value!r}: give a value, or {{TSVALNF: CODE}} "
                     f"with an ISO 21090 null flavor ({', '.join(flavors)})")
    return str(flavor)


def _text(study: LoadedStudy, code: str, value: Any) -> str:
    if isinstance(value, bool):
        raise _error(study, f"ts: {code} value {value!r} is a YAML boolean; quote Y/N")
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):  # YAML reads 2019-11-21 as a date
        return value.isoformat()
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    if not isinstance(value, str) or not value.strip():
        raise _error(study, f"ts: {code} value {value!r} is not a text, number or date")
    return value


def _coded(study: LoadedStudy, code: str, text: str) -> tuple[str | None, str | None,
                                                              str | None]:
    """(TSVALCD, TSVCDREF, TSVCDVER) for a value, checking it against its code system."""
    if code in VALUE_CODELISTS:
        cl = codelist(VALUE_CODELISTS[code])
        term = next((t for t in cl.terms if t.submission_value == text), None)
        if term is None:
            if not cl.extensible:
                raise _error(study, f"ts: {code} value {text!r} is not in CT codelist "
                             f"{cl.submission_value} ({cl.code})")
            return None, None, None  # an extension of an extensible list has no NCI code
        return term.code, "CDISC CT", CT_VERSION
    if code in ISO_DATES:
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise _error(study, f"ts: {code} value {text!r} is not an ISO 8601 date") from None
        return None, "ISO 8601", None
    if code in ISO_DURATIONS:
        if not (_DURATION_RE.fullmatch(text) and text != "P"):
            raise _error(study, f"ts: {code} value {text!r} is not an ISO 8601 duration "
                         f"(e.g. P18Y)")
        return None, "ISO 8601", None
    if code == "REGID":
        registry = next((name for pattern, name in REGISTRIES if pattern.fullmatch(text)), None)
        if registry is None:
            raise _error(study, f"ts: REGID value {text!r} is not a ClinicalTrials.gov number "
                         "nor an identifier of another known registry "
                         f"({', '.join(name for _, name in REGISTRIES[1:])})")
        return text, registry, None
    return None, None, None


def _error(study: LoadedStudy, message: str) -> SpecError:
    return SpecError(message, file=str(study.file))
