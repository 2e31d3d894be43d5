"""Demographics and baseline characteristics from ADSL: per reporting group, a numeric
variable as n, mean (SD), median and min-max, a categorical one as n (%) per decoded value."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field

from cdiscflow.report.displays import stats
from cdiscflow.report.displays.base import (
    Data,
    DisplayBase,
    Kind,
    Rendered,
    Table,
    columns,
    decoded,
    headers,
    n_pct,
)


class Demographics(DisplayBase):
    kind: Literal["demographics"]
    variables: list[str] = Field(min_length=1)  # ADSL variables, in row order
    units: dict[str, str] = {}  # variable -> unit shown (default: its <VAR>U value, AGEU)
    decimals: int = Field(default=1, ge=0, le=4)  # of mean, SD and median

    def reads(self) -> dict[str, list[str]]:
        return {"ADSL": ["USUBJID", *self.adsl_reads(), *self.variables]}

    def analysed(self) -> dict[str, list[str]]:
        return {"ADSL": list(self.variables)}


def _unit(display: Demographics, adsl: pd.DataFrame, var: str) -> str:
    if var in display.units:
        return display.units[var]
    column = f"{var}U"
    if len(column) <= 8 and column in adsl.columns:  # AGE -> AGEU
        found = sorted({str(v).lower() for v in adsl[column] if str(v).strip()})
        return ", ".join(found)
    return ""


def numeric_rows(values: pd.Series, cols: dict[str, list[str]], decimals: int
                 ) -> list[list[str]]:
    """The n, Mean (SD), Median and Min - Max rows of one numeric variable."""
    s = [stats.summary(values.reindex(ids).tolist()) for ids in cols.values()]
    d = decimals
    return [["  n", *[str(x["n"]) for x in s]],
            ["  Mean (SD)", *[f"{stats.fmt(x['mean'], d)} ({stats.fmt(x['sd'], d + 1)})"
                              for x in s]],
            ["  Median", *[stats.fmt(x["median"], d) for x in s]],
            ["  Min - Max", *[f"{stats.fmt(x['min'], d - 1 if d else 0)} - "
                              f"{stats.fmt(x['max'], d - 1 if d else 0)}" for x in s]]]


def category_rows(display: DisplayBase, var: str, values: pd.Series,
                  cols: dict[str, list[str]], order: pd.Series | None = None
                  ) -> list[list[str]]:
    """n (%) per decoded value, in the order of the variable's numeric ``<VAR>N`` where
    the frame has one (AGEGR1N), else of the text; missing values last."""
    text = values.map(lambda v: decoded(display, var, v))
    if order is not None:
        rank = pd.to_numeric(order, errors="coerce").groupby(text).min()
        levels = sorted(set(text) - {"Missing"}, key=lambda t: (rank.get(t, float("inf")), t))
    else:
        levels = sorted(set(text) - {"Missing"})
    levels += ["Missing"] if "Missing" in set(text) else []
    return [[f"  {level}", *[n_pct(int((text.reindex(ids) == level).sum()), len(ids))
                             for ids in cols.values()]] for level in levels]


def _order(by_id: pd.DataFrame, var: str) -> pd.Series | None:
    numeric = f"{var}N"
    return by_id[numeric] if numeric in by_id.columns and len(numeric) <= 8 else None


def render(display: Demographics, data: Data) -> Rendered:
    adsl = data.datasets["ADSL"]
    cols = columns(display, adsl)
    by_id = adsl.set_index("USUBJID")
    rows: list[list[str]] = []
    for var in display.variables:
        values = by_id[var]
        label = data.label("ADSL", var)
        if pd.api.types.is_numeric_dtype(values):
            unit = _unit(display, adsl, var)
            # a unit the label already names (Platelet Count (10^9/L)) is not repeated
            shown = unit and unit.lower() not in label.lower()
            rows.append([f"{label} ({unit})" if shown else label, *[""] * len(cols)])
            rows += numeric_rows(values, cols, display.decimals)
        else:
            rows.append([label, *[""] * len(cols)])
            rows += category_rows(display, var, values, cols, _order(by_id, var))
    frame = pd.DataFrame(rows, columns=["", *headers(cols)])
    return Rendered(tables=[Table("", display.title, frame)])


def method(display: Demographics) -> str:
    return (f"Subjects with {display.population} = Y, by {display.group}"
            + (" with totals " + ", ".join(display.totals) if display.totals else "")
            + ": numeric variables as n, mean (SD), median and min - max; categorical "
            "variables as the number and percentage of subjects per value, of the column's "
            f"subjects. Variables: {', '.join(display.variables)}.")


DISPLAY = Kind("demographics", Demographics, render, method)
