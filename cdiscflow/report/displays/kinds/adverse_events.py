"""Adverse events by system organ class and preferred term: subjects with at least one event
per SOC and PT, n (%) of the column's subjects (a subject counted once per row), SOCs and PTs
by descending count over all columns then name; with a grade variable, a second table counts
each subject once per SOC/PT at the worst grade."""

from __future__ import annotations

from typing import Literal

import pandas as pd

from cdiscflow.adam.conditions import Where, evaluate, text_of, variables
from cdiscflow.report.displays.base import (
    Data,
    DisplayBase,
    Kind,
    Rendered,
    Table,
    columns,
    headers,
    n_pct,
    population,
)


class AdverseEvents(DisplayBase):
    kind: Literal["adverse_events"]
    dataset: str = "ADAE"
    where: Where | None = "TRTEMFL = 'Y'"  # the events counted (default: treatment-emergent)
    soc: str = "AEBODSYS"
    term: str = "AEDECOD"
    grade: str | None = None  # e.g. ATOXGRN or ASEVN: adds the table by worst grade

    def reads(self) -> dict[str, list[str]]:
        own = ["USUBJID", self.soc, self.term, *([self.grade] if self.grade else [])]
        if self.where is not None:
            own += variables(self.where)
        return {"ADSL": ["USUBJID", *self.adsl_reads()], self.dataset: own}

    def analysed(self) -> dict[str, list[str]]:
        return {self.dataset: [self.soc, self.term, *([self.grade] if self.grade else [])]}


def _events(display: AdverseEvents, data: Data) -> pd.DataFrame:
    adae = data.datasets[display.dataset]
    pop = set(population(display, data.datasets["ADSL"])["USUBJID"])
    recs = adae[evaluate(display.where, adae) & adae["USUBJID"].isin(pop)]
    return recs.assign(_soc=recs[display.soc].astype(str).str.strip().replace("", "Uncoded"),
                       _pt=recs[display.term].astype(str).str.strip().replace("", "Uncoded"))


def _ordered(recs: pd.DataFrame, key: str) -> list[str]:
    counts = recs.groupby(key)["USUBJID"].nunique()
    return sorted(counts.index, key=lambda k: (-counts[k], k))


def _count_rows(recs: pd.DataFrame, cols: dict[str, list[str]]) -> list[list[str]]:
    def cells(sub: pd.DataFrame) -> list[str]:
        ids = set(sub["USUBJID"])
        return [n_pct(len(ids & set(c)), len(c)) for c in cols.values()]

    rows = [["Subjects with at least one event", *cells(recs)]]
    for soc in _ordered(recs, "_soc"):
        in_soc = recs[recs["_soc"] == soc]
        rows.append([soc, *cells(in_soc)])
        rows += [[f"  {pt}", *cells(in_soc[in_soc["_pt"] == pt])]
                 for pt in _ordered(in_soc, "_pt")]
    return rows


def _grade_rows(recs: pd.DataFrame, grade: str, total: int) -> tuple[list[str], list[list[str]]]:
    """Rows SOC/PT, columns each worst grade then any grade, over every subject of the
    population (n (%) of all of them)."""
    recs = recs.assign(_g=pd.to_numeric(recs[grade], errors="coerce"))
    grades = sorted(int(g) for g in recs["_g"].dropna().unique())

    def cells(sub: pd.DataFrame) -> list[str]:
        worst = sub.groupby("USUBJID")["_g"].max()
        return [*[n_pct(int((worst == g).sum()), total) for g in grades],
                n_pct(len(worst), total)]

    rows = [["Subjects with at least one event", *cells(recs)]]
    for soc in _ordered(recs, "_soc"):
        in_soc = recs[recs["_soc"] == soc]
        rows.append([soc, *cells(in_soc)])
        rows += [[f"  {pt}", *cells(in_soc[in_soc["_pt"] == pt])]
                 for pt in _ordered(in_soc, "_pt")]
    return [f"Grade {g}" for g in grades] + ["Any grade"], rows


def render(display: AdverseEvents, data: Data) -> Rendered:
    adsl = data.datasets["ADSL"]
    cols = columns(display, adsl)
    recs = _events(display, data)
    label = (f"{data.label(display.dataset, display.soc)} / "
             f"{data.label(display.dataset, display.term)}")
    tables = [Table("", display.title,
                    pd.DataFrame(_count_rows(recs, cols), columns=[label, *headers(cols)]))]
    if display.grade:
        total = len(population(display, adsl))
        names, rows = _grade_rows(recs, display.grade, total)
        tables.append(Table("grade", f"{display.title}, by worst grade (all {total} "
                             "subjects of the population)",
                             pd.DataFrame(rows, columns=[label, *names])))
    return Rendered(tables=tables)


def method(display: AdverseEvents) -> str:
    where = "all records" if display.where is None else f"records where {text_of(display.where)}"
    text = (f"{display.dataset} {where}, of subjects with ADSL.{display.population} = Y: the "
            f"number and percentage of subjects with at least one event per {display.soc} and "
            f"per {display.term} within it, by {display.group}, a subject counted once per row")
    if display.grade:
        text += f"; and per worst {display.grade} of each subject in each row"
    return text + "."


DISPLAY = Kind("adverse_events", AdverseEvents, render, method)
