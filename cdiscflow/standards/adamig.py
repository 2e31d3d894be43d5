"""ADaMIG variable metadata (ADSL and BDS), with the IG's name placeholders resolved.

The ADaMIG names families of variables with lower-case placeholders (``TRTxxP``: xx a two-digit
period; ``AGEGRy``: y a grouping number; ``ANLzzFL``; ``*DT``: any prefix). A dataset's column
is described by the exact name if the IG has it, else by the first placeholder name it matches.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

ADAMIG_VERSION = "1.3"
_ADAMIG_DIR = "adamig-1.3"

# The data file names the structures in words; these are the short names used in code.
_STRUCTURES = {
    "Subject-Level Analysis Dataset": "ADSL",
    "Basic Data Structure": "BDS",
}

# What each lower-case placeholder stands for. Digits only: the IG fixes xx as 01-99 and
# y/w/zz as small integers; '*' is any prefix of letters or digits.
_PLACEHOLDERS = {"xx": r"\d\d", "zz": r"\d\d", "y": r"\d+", "w": r"\d+", "*": r"[A-Z0-9_]+"}


@dataclass(frozen=True)
class AdamVariable:
    """One ADaMIG variable (or family of variables) of one structure."""

    name: str  # as the IG writes it, placeholders included (TRTxxP)
    label: str
    type: str  # "Char" or "Num"
    core: str  # "Req", "Cond" or "Perm"
    codelists: tuple[str, ...]
    variable_set: str
    order: int
    # the values the IG lists for the variable ("Value List Value": Y; N for population
    # flags, Y for record-level flags such as ABLFL), empty when it lists none
    values: tuple[str, ...] = ()

    @property
    def is_pattern(self) -> bool:
        return self.name != self.name.upper() or "*" in self.name

    @property
    def regex(self) -> re.Pattern[str]:
        return _name_regex(self.name)


@cache
def _name_regex(name: str) -> re.Pattern[str]:
    # longest placeholders first so "xx" is not read as two unknown letters
    token = re.compile(r"xx|zz|y|w|\*")
    out, pos = [], 0
    for m in token.finditer(name):
        out.append(re.escape(name[pos:m.start()]))
        out.append(_PLACEHOLDERS[m.group(0)])
        pos = m.end()
    out.append(re.escape(name[pos:]))
    return re.compile("".join(out) + r"\Z")


def _read_csv(name: str) -> list[dict[str, str]]:
    path = resources.files("cdiscflow.standards").joinpath("data", _ADAMIG_DIR, name)
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def _adam_variables() -> dict[str, tuple[AdamVariable, ...]]:
    by_structure: dict[str, list[AdamVariable]] = {}
    for i, row in enumerate(_read_csv("Variables.csv")):
        structure = _STRUCTURES[row["Data Structure Name"]]
        codes = tuple(c.strip() for c in row["CDISC CT Codelist Code(s)"].split(";")
                      if c.strip())
        by_structure.setdefault(structure, []).append(AdamVariable(
            name=row["Variable Name"], label=row["Variable Label"], type=row["Type"],
            core=row["Core"], codelists=codes, variable_set=row["Variable Set"], order=i + 1,
            values=tuple(v.strip() for v in row["Value List Value"].split(";") if v.strip())))
    return {k: tuple(v) for k, v in by_structure.items()}


def adam_variables(structure: str) -> tuple[AdamVariable, ...]:
    """The ADaMIG variables of ``ADSL`` or ``BDS`` in IG order. KeyError for another name."""
    variables = _adam_variables()
    if structure not in variables:
        raise KeyError(f"ADaMIG {ADAMIG_VERSION} describes no structure {structure!r}")
    return variables[structure]


def adam_variable(structure: str, column: str) -> AdamVariable | None:
    """The IG variable describing ``column`` in ``structure``: exact name first, then the
    first placeholder family it belongs to; None when the IG does not describe it."""
    variables = adam_variables(structure)
    for v in variables:
        if v.name == column:
            return v
    for v in variables:
        if v.is_pattern and v.regex.match(column):
            return v
    return None
