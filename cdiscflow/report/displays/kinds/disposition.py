"""Subject disposition from ADSL: subjects per reporting group with each declared flag
(randomised, treated, completed, ...) and the distribution of status and reason variables
(EOSSTT, DCSREAS), n (%) of the column's subjects."""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import model_validator

from cdiscflow.report.displays.base import (
    Data,
    DisplayBase,
    Kind,
    Rendered,
    Table,
    columns,
    headers,
    n_pct,
)
from cdiscflow.report.displays.kinds.demographics import _order, category_rows


class Disposition(DisplayBase):
    kind: Literal["disposition"]
    flags: dict[str, str] = {}  # row label -> ADSL flag (Y counts)
    variables: list[str] = []  # ADSL status/reason variables: n (%) per value

    @model_validator(mode="after")
    def _something(self) -> Disposition:
        if not self.flags and not self.variables:
            raise ValueError("give flags, variables or both: a disposition table needs rows")
        return self

    def reads(self) -> dict[str, list[str]]:
        return {"ADSL": ["USUBJID", *self.adsl_reads(), *self.flags.values(), *self.variables]}

    def analysed(self) -> dict[str, list[str]]:
        return {"ADSL": [*self.flags.values(), *self.variables]}


def render(display: Disposition, data: Data) -> Rendered:
    adsl = data.datasets["ADSL"]
    cols = columns(display, adsl)
    by_id = adsl.set_index("USUBJID")
    rows: list[list[str]] = []
    for label, flag in display.flags.items():
        yes = by_id[flag] == "Y"
        rows.append([label, *[n_pct(int(yes.reindex(ids).sum()), len(ids))
                              for ids in cols.values()]])
    for var in display.variables:
        rows.append([data.label("ADSL", var), *[""] * len(cols)])
        rows += category_rows(display, var, by_id[var], cols, _order(by_id, var))
    frame = pd.DataFrame(rows, columns=["", *headers(cols)])
    return Rendered(tables=[Table("", display.title, frame)])


def method(display: Disposition) -> str:
    parts = [f"{label} ({flag} = Y)" for label, flag in display.flags.items()]
    return (f"Subjects with {display.population} = Y, by {display.group}: the number and "
            "percentage of the column's subjects "
            + (f"with {'; '.join(parts)}" if parts else "")
            + (("; and per value of " if parts else "per value of ")
               + ", ".join(display.variables) if display.variables else "") + ".")


DISPLAY = Kind("disposition", Disposition, render, method)
