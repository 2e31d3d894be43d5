"""ADaMIG 1.3 variable metadata (labels, types, order) for ADaM datasets.

The shipped ADaMIG table describes ADSL and BDS. Its names use placeholders (TRTxxP, AGEGRy,
ANLzzFL, PxxSw): a dataset variable matches with digits in their place, and the label takes the
same digits ("Planned Treatment for Period 01"). OCCDS datasets (ADAE) take ADSL, BDS and the
SDTMIG domain's labels for the variables those define; then the ADaM OCCDS v1.1 tables, SDTMIG
DM and the "(N)" convention fill the gaps (:func:`standard_label`); anything else needs a label
in the spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from cdiscflow.standards.ig import _read_csv, sdtm_variables

ADAMIG_VERSION = "1.3"
_STRUCTURES = {"ADSL": "Subject-Level Analysis Dataset", "BDS": "Basic Data Structure"}
_PLACEHOLDERS = {"xx": r"(\d\d)", "zz": r"(\d\d)", "y": r"(\d)", "w": r"(\d)"}


@dataclass(frozen=True)
class AdamVariable:
    name: str
    label: str
    type: str
    order: int
    core: str


@cache
def _table(structure: str) -> tuple[tuple[re.Pattern[str], str, str, str, int, str], ...]:
    rows = [r for r in _read_csv("adamig-1.3", "Variables.csv")
            if r["Data Structure Name"] == _STRUCTURES[structure]]
    out = []
    for i, r in enumerate(rows, start=1):
        name = r["Variable Name"]
        if name.startswith("*"):
            continue  # generic "*DT" rows describe suffixes, not variables
        out.append((_pattern(name), name, r["Variable Label"], r["Type"], i, r["Core"]))
    return tuple(out)


def _pattern(generic: str) -> re.Pattern[str]:
    """The names a generic name stands for: TRTxxP matches TRT01P (digits for placeholders)."""
    pattern, pos = "", 0
    for m in re.finditer("xx|zz|y|w", generic):
        pattern += re.escape(generic[pos:m.start()]) + _PLACEHOLDERS[m.group(0)]
        pos = m.end()
    return re.compile(f"^{pattern}{re.escape(generic[pos:])}$")


def _resolved(generic: str, label: str, match: re.Match[str]) -> str:
    """The generic label with the name's digits for its placeholders ("Period xx" of TRT01P:
    "Period 01")."""
    digits = iter(match.groups())
    for holder in re.findall("xx|zz|y|w", generic):
        # the label spells the placeholder as a word of its own ("Period xx", "Group y")
        label = re.sub(rf"\b{holder}\b", next(digits), label, count=1)
    return label


def adam_variable(structure: str, name: str) -> AdamVariable | None:
    """The ADaMIG description of ``name`` in an ADSL or BDS dataset, or None."""
    if structure not in _STRUCTURES:
        return None
    for pattern, generic, label, typ, order, core in _table(structure):
        m = pattern.match(name)
        if m:
            return AdamVariable(name, _resolved(generic, label, m), typ, order, core)
    return None


def sdtm_label(domain: str, name: str) -> tuple[str, str] | None:
    """(label, type) of a variable the SDTMIG defines in ``domain``, or None."""
    try:
        for v in sdtm_variables(domain):
            if v.name == name:
                return v.label, v.type
    except KeyError:
        return None
    return None


@cache
def _occds() -> tuple[tuple[re.Pattern[str], str, str, str], ...]:
    """ADaM OCCDS v1.1 variables: (pattern, name, label, type); numbered ones (CQzzNAM) match
    with digits in the placeholder's place."""
    return tuple((_pattern(r["Variable Name"]), r["Variable Name"], r["Variable Label"],
                  r["Type"]) for r in _read_csv("adam-occds-1.1", "Variables.csv"))


def occds_label(name: str) -> tuple[str, str] | None:
    """(label, type) of a variable the ADaM OCCDS v1.1 tables define, or None."""
    for pattern, generic, label, typ in _occds():
        if m := pattern.match(name):
            return _resolved(generic, label, m), typ
    return None


def standard_label(structure: str, name: str, sdtm_domain: str | None) -> tuple[str, str] | None:
    """Label and type from the standards for a variable of an ADaM dataset, or None.

    ADSL and BDS look in their own ADaMIG table (a BDS dataset also carries ADSL variables);
    OCCDS looks in ADSL, then BDS (ASTDT, ATOXGR, ...), then the SDTMIG domain it comes from.
    Then, for what those do not define (so no label a dataset had changes): the ADaM OCCDS
    v1.1 tables (TRTEMFL, AOCCPFL, ADURN, ...), SDTMIG DM for a subject-level variable copied
    from DM (ETHNIC, DTHFL, RFSTDTC), and ADaMIG's naming convention for a numeric version of
    a character variable: RACEN is "Race (N)" when RACE is defined.
    """
    found = _standard(structure, name, sdtm_domain)
    if found is not None:
        return found
    if name.endswith("N") and len(name) > 1:
        text = _standard(structure, name[:-1], sdtm_domain)
        if text is not None and text[1] == "Char" and len(text[0]) + 4 <= 40:
            return f"{text[0]} (N)", "Num"
    return None


def _standard(structure: str, name: str, sdtm_domain: str | None) -> tuple[str, str] | None:
    order = {"ADSL": ["ADSL"], "BDS": ["BDS", "ADSL"], "OCCDS": ["ADSL", "BDS"]}[structure]
    for s in order:
        v = adam_variable(s, name)
        if v is not None:
            return v.label, v.type
    if sdtm_domain:
        found = sdtm_label(sdtm_domain, name)
        if found is not None:
            return found
    # the later sources fill gaps only: a variable any source above defines keeps that label
    return occds_label(name) or sdtm_label("DM", name)
