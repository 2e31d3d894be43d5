"""ADaMIG 1.3 variable metadata (labels, types, order) for ADaM datasets.

The shipped ADaMIG table describes ADSL and BDS. Its names use placeholders (TRTxxP, AGEGRy,
ANLzzFL, PxxSw): a dataset variable matches with digits in their place, and the label takes the
same digits ("Planned Treatment for Period 01"). OCCDS datasets (ADAE) take ADSL, BDS and the
SDTMIG domain's labels for the variables those define; anything else needs a label in the spec.
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
        pattern, holders = "", []
        pos = 0
        for m in re.finditer("xx|zz|y|w", name):
            pattern += re.escape(name[pos:m.start()]) + _PLACEHOLDERS[m.group(0)]
            holders.append(m.group(0))
            pos = m.end()
        pattern += re.escape(name[pos:])
        out.append((re.compile(f"^{pattern}$"), name, r["Variable Label"], r["Type"], i,
                    r["Core"]))
    return tuple(out)


def adam_variable(structure: str, name: str) -> AdamVariable | None:
    """The ADaMIG description of ``name`` in an ADSL or BDS dataset, or None."""
    if structure not in _STRUCTURES:
        return None
    for pattern, generic, label, typ, order, core in _table(structure):
        m = pattern.match(name)
        if not m:
            continue
        digits = iter(m.groups())
        resolved = label
        for holder in re.findall("xx|zz|y|w", generic):
            value = next(digits)
            # the label spells the placeholder as a word of its own ("Period xx", "Group y")
            resolved = re.sub(rf"\b{holder}\b", value, resolved, count=1)
        return AdamVariable(name, resolved, typ, order, core)
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


def standard_label(structure: str, name: str, sdtm_domain: str | None) -> tuple[str, str] | None:
    """Label and type from the standards for a variable of an ADaM dataset, or None.

    ADSL and BDS look in their own ADaMIG table (a BDS dataset also carries ADSL variables);
    OCCDS looks in ADSL, then BDS (ASTDT, ATOXGR, ...), then the SDTMIG domain it comes from.
    """
    order = {"ADSL": ["ADSL"], "BDS": ["BDS", "ADSL"], "OCCDS": ["ADSL", "BDS"]}[structure]
    for s in order:
        v = adam_variable(s, name)
        if v is not None:
            return v.label, v.type
    if sdtm_domain:
        return sdtm_label(sdtm_domain, name)
    return None
