"""SDTM v2.0 model variable metadata: the variables each general observation class may carry.

The data file holds the model's class-level variables (see ``data/README.md``): the general
identifiers and timing variables ("General Observations") and the variables of each class, with
``--`` where a domain puts its two-letter prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from cdiscflow.standards._files import read_csv

SDTM_MODEL_VERSION = "2.0"
_MODEL_DIR = "sdtm-2.0"
# the model's name for the identifiers and timing variables every class shares
GENERAL = "General Observations"
_PREFIX = "--"


@dataclass(frozen=True)
class ModelVariable:
    """One variable of the SDTM model, named for a domain (``--DTC`` becomes ``AEDTC``)."""

    name: str
    label: str
    type: str  # "Char" or "Num"
    role: str
    restrictions: str  # the model's Usage Restrictions, "" for none
    generic: str  # the model's own name (``--DTC``), the key across domains


@cache
def _rows_by_class() -> dict[str, tuple[dict[str, str], ...]]:
    by_class: dict[str, list[dict[str, str]]] = {}
    for row in read_csv(_MODEL_DIR, "Variables.csv"):
        if not row["Dataset Name"]:  # class-level rows; a named dataset is a special-purpose one
            by_class.setdefault(row["Class"], []).append(row)
    return {c: tuple(sorted(rows, key=lambda r: int(r["Variable Order"])))
            for c, rows in by_class.items()}


def model_classes() -> tuple[str, ...]:
    """The observation classes the model defines variables for (Interventions, Events, ...)."""
    return tuple(c for c in _rows_by_class() if c != GENERAL)


def _class_rows(cls: str) -> tuple[dict[str, str], ...]:
    # Findings About is the Findings class plus its own variables (--OBJ), SDTM v2.0 section 3.1.3
    rows = _rows_by_class()
    base = base_class(cls)
    return rows[base] + (rows[cls] if cls != base else ())


def base_class(cls: str) -> str:
    """The class whose variables ``cls`` starts from: Findings for Findings About."""
    return next((c for c in model_classes() if cls != c and cls.startswith(c + " ")), cls)


def _restrictions(row: dict[str, str]) -> str:
    # one entry ends in a literal "\n" left over from the source spreadsheet
    return row["Usage Restrictions"].replace("\\n", "").strip()


_ANY_TRIAL = "Not in nonclinical trials"  # restricts SEND studies only
_NOT_IN_CLASS = re.compile(r"Not in (?P<cls>[\w ]+?) class domains")
_NOT_IN_DOMAIN = re.compile(r"Not in (?P<dom>[A-Z]{2}) domain")
_ONLY_DOMAIN = re.compile(r"(?P<dom>[A-Z]{2}) [Dd]omain only")


def applies(restrictions: str, domain: str, cls: str) -> bool:
    """Whether a model variable with these Usage Restrictions may be in ``domain`` of ``cls``.

    Every ``;``-separated clause must allow it. cdiscflow builds human clinical trials, so
    "Not in nonclinical trials" allows and "Not in human clinical trials" refuses; a clause
    naming a class or a domain is honoured; any other clause (a list of specimen-based domains,
    "Not in QS, FT, ...") refuses, since the IG tables of the domains it means list the variable.
    """
    for clause in filter(None, (c.strip() for c in restrictions.split(";"))):
        if clause == _ANY_TRIAL:
            continue
        if m := _NOT_IN_CLASS.fullmatch(clause):
            if m["cls"] == base_class(cls):
                return False
        elif m := _NOT_IN_DOMAIN.fullmatch(clause):
            if m["dom"] == domain:
                return False
        elif m := _ONLY_DOMAIN.fullmatch(clause):
            if m["dom"] != domain:
                return False
        else:
            return False
    return True


@cache
def class_variables(domain: str, cls: str) -> tuple[ModelVariable, ...]:
    """The model variables ``domain`` of class ``cls`` may carry, in model order.

    Model order: the general identifiers, then the class's variables, then the general timing
    variables (SDTM v2.0 section 2.2), leaving out those whose usage restrictions exclude it.
    KeyError for a class the model does not define.
    """
    if cls not in model_classes():
        raise KeyError(f"SDTM v{SDTM_MODEL_VERSION} defines no class {cls!r}")
    general = _rows_by_class()[GENERAL]
    identifiers = tuple(r for r in general if r["Role"] == "Identifier")
    timing = tuple(r for r in general if r["Role"] != "Identifier")
    rows = identifiers + _class_rows(cls) + timing
    return tuple(_named(r, domain) for r in rows if applies(_restrictions(r), domain, cls))


def _named(row: dict[str, str], domain: str) -> ModelVariable:
    generic = row["Variable Name"]
    return ModelVariable(
        name=generic.replace(_PREFIX, domain, 1) if generic.startswith(_PREFIX) else generic,
        label=row["Variable Label"], type=row["Type"], role=row["Role"],
        restrictions=_restrictions(row), generic=generic,
    )
