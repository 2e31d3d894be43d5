"""What every display has, whatever its kind: the spec entry's common keys, the reporting
groups (columns), decoding of coded values, the data handed to a kind, and what it gives back.

A display kind is one module of ``cdiscflow.report.displays.kinds`` defining ``DISPLAY``, a
:class:`Kind`: its spec model (a subclass of :class:`DisplayBase`), how it is drawn or
tabulated (``render``) and its method in words for the define.xml analysis results metadata
(``method``). Each model says which variables of which dataset it reads (``reads``), so a
misspelled variable is refused when the spec is loaded, and which it analyses (``analysed``),
for the define.xml.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from pydantic import Field, field_validator

from cdiscflow.adam.conditions import Where, evaluate, variables
from cdiscflow.adam.stepbase import StepModel
from cdiscflow.report.displays import stats
from cdiscflow.standards import find_codelist, sdtm_variables


@functools.cache
def _define_terms(codelist: str) -> frozenset[str]:
    """The terms of a Define-XML CT codelist (ANLREAS, ANLPURP), from the shipped package."""
    data = resources.files("cdiscflow.standards").joinpath(
        "data", "ct-2025-03", "Define-XML_CT_2025-03-28.csv").read_text("utf-8")
    rows = list(csv.DictReader(data.splitlines()))
    code = next(r["Code"] for r in rows if r["CDISC Submission Value"] == codelist
                and not r["Codelist Code"])
    return frozenset(r["CDISC Submission Value"] for r in rows if r["Codelist Code"] == code)


class DisplayBase(StepModel):
    """The keys every display has; see docs/adam-spec.md ("Displays")."""

    kind: str
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,39}$")  # file names and define OIDs
    title: str
    population: str = "SAFFL"  # ADSL flag: the subjects counted (Y)
    group: str  # ADSL variable: one column per value
    group_order: str | None = None  # numeric ADSL variable ordering the groups (else by value)
    totals: dict[str, Where | None] = {}  # extra columns: label -> ADSL subset (null: all)
    footnotes: list[str] = []
    decode: dict[str, dict[str, str]] = {}  # variable -> code -> text, over the CT decode
    reason: str = "SPECIFIED IN SAP"  # Define-XML CT Analysis Reason
    purpose: str = "PRIMARY OUTCOME MEASURE"  # Define-XML CT Analysis Purpose

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        return _term(value, "ANLREAS")

    @field_validator("purpose")
    @classmethod
    def _purpose(cls, value: str) -> str:
        return _term(value, "ANLPURP")

    def adsl_reads(self) -> list[str]:
        names = [self.population, self.group, *([self.group_order] if self.group_order else [])]
        for where in self.totals.values():
            if where is not None:
                names += variables(where)
        return names

    def reads(self) -> dict[str, list[str]]:
        """Dataset -> the variables the display reads (checked against the spec on load)."""
        return {"ADSL": ["USUBJID", *self.adsl_reads()]}

    def analysed(self) -> dict[str, list[str]]:
        """Dataset -> its analysis variables (define.xml ``arm:AnalysisVariable``)."""
        return {}

    def parameter(self) -> tuple[str, str] | None:
        """(dataset, PARAMCD value) when the display analyses one parameter."""
        return None


def _term(value: str, codelist: str) -> str:
    terms = _define_terms(codelist)
    if value not in terms:
        raise ValueError(f"{value!r} is no {codelist} term (Define-XML CT): "
                         f"{', '.join(sorted(terms))}")
    return value


@dataclass
class Data:
    """What a display is drawn from: the ADaM datasets built (by name), their variable labels,
    and the SDTM they were built from."""

    datasets: dict[str, pd.DataFrame]
    labels: dict[str, dict[str, str]]
    sdtm: dict[str, pd.DataFrame] = field(default_factory=dict)

    def label(self, dataset: str, var: str) -> str:
        return self.labels.get(dataset, {}).get(var, var)


@dataclass
class Table:
    suffix: str  # "" for the display's first table (<id>.csv), else <id>_<suffix>.csv
    caption: str
    frame: pd.DataFrame  # text cells, the first column the row label


@dataclass
class Rendered:
    tables: list[Table] = field(default_factory=list)
    figure: Figure | None = None
    notes: list[str] = field(default_factory=list)  # said under the display (e.g. not drawn)


@dataclass(frozen=True)
class Kind:
    kind: str
    model: type[DisplayBase]
    render: Callable[[Any, Data], Rendered]
    method: Callable[[Any], str]  # what is computed, in words


def population(display: DisplayBase, adsl: pd.DataFrame) -> pd.DataFrame:
    return adsl[adsl[display.population] == "Y"]


def columns(display: DisplayBase, adsl: pd.DataFrame) -> dict[str, list[str]]:
    """Column label -> USUBJIDs of the population: each group in order, then the totals."""
    pop = population(display, adsl)
    if display.group_order:
        order = (pop[[display.group, display.group_order]].drop_duplicates()
                 .sort_values([display.group_order, display.group])[display.group].tolist())
    else:
        order = sorted(pop[display.group].unique().tolist(), key=str)
    out = {str(g): pop.loc[pop[display.group] == g, "USUBJID"].tolist()
           for g in dict.fromkeys(order)}
    for label, where in display.totals.items():
        out[label] = pop.loc[evaluate(where, pop), "USUBJID"].tolist()
    return out


def headers(cols: dict[str, list[str]]) -> list[str]:
    """Column headers with the number of subjects: ``Placebo (N=86)``."""
    return [f"{label} (N={len(ids)})" for label, ids in cols.items()]


def n_pct(n: int, total: int) -> str:
    """``n (x.x%)`` of the column's subjects; ``0`` when the column has none."""
    return f"{n} ({stats.fmt(100 * n / total, 1)}%)" if total else str(n)


@functools.cache
def _ct_decodes(var: str) -> dict[str, str]:
    """Code -> NCI preferred term from the CT codelist SDTMIG gives the variable in the
    domains ADaM usually copies from (SEX, RACE, ETHNIC, AESER, ...); none if it has none."""
    for domain in ("DM", "AE", "DS", "EX", "VS", "LB"):
        for meta in sdtm_variables(domain):
            if meta.name == var and meta.codelists:
                cl = find_codelist(meta.codelists[0])
                if cl is not None:
                    return {t.submission_value: t.preferred_term for t in cl.terms}
    return {}


def decoded(display: DisplayBase, var: str, value: object) -> str:
    """A coded value as a reader reads it: the display's own decode, else CT's."""
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    own = display.decode.get(var, {})
    if text in own:
        return own[text]
    return _ct_decodes(var).get(text, text) if text else "Missing"
