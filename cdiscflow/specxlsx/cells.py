"""A spec value in one spreadsheet cell, and back.

A cell holds YAML text, so anything a mapping file can say fits in a cell and comes back the
same (a text that YAML would read as something else is quoted: ``'007'``, ``'yes'``); a whole
number or a yes/no is written as an Excel number or boolean, which a person may also type.
An empty cell is a key that is not written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from cdiscflow.errors import SpecError
from cdiscflow.yamlio import parse_yaml_text

# Excel keeps numbers as doubles: larger whole numbers are written as text
_EXACT_INT = 2**53


class Absent:
    """An empty cell: the key is not in the spec."""


ABSENT = Absent()


def flow(value: Any) -> str:
    """``value`` as one line of YAML flow text."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9, allow_unicode=True,
                          sort_keys=False).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def to_cell(value: Any) -> Any:
    """What to put in a cell for a spec value."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) < _EXACT_INT:
        return value
    return flow(value)


def from_cell(value: Any, where: str, file: str | None = None) -> Any:
    """The spec value a cell holds (ABSENT for an empty cell); ``where`` names sheet, row and
    column (of workbook ``file``) for the error of a cell that is not valid YAML."""
    if value is None:
        return ABSENT
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        # typed by a person into Excel: 2.0 is the whole number they meant
        return int(value) if value.is_integer() else value
    if isinstance(value, dt.datetime | dt.date):
        return value
    text = str(value)
    if not text.strip():
        return ABSENT
    try:
        return parse_yaml_text(text, where)
    except SpecError as exc:
        raise SpecError(f"{where}: {exc.message} in {text!r}", file=file) from None
