"""Reading every raw form of a folder for ``cdiscflow init``, and what a column's values look
like: dates in which format, numbers, terms of which CT codelist."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdiscflow.errors import CdiscflowError

# date formats tried on a column, most specific first; a column is a date column when every
# non-blank value reads by one of them (two readings, DD/MM or MM/DD, is marked for review)
DATE_FORMATS = ("YYYY-MM-DD", "DD-MON-YYYY", "DDMONYYYY", "DD/MM/YYYY", "MM/DD/YYYY",
                "DD.MM.YYYY", "YYYY/MM/DD", "YYYYMMDD")
_TIME = re.compile(r"^\d{1,2}:\d{2}(:\d{2})?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
# a column named like this is a date (or time) even before its values are read
_DATE_NAME = re.compile(r"(DAT|DT|DATE|DTC)$")
_TIME_NAME = re.compile(r"(TIM|TM|TIME)$")


def normalise(column: str) -> str:
    """A raw column's name as compared with SDTM names: upper case, an EDC item prefix
    (``IT.``) dropped, anything else than letters, digits and _ made _."""
    name = column.strip().upper()
    name = re.sub(r"^(IT|ITEM)\.", "", name)
    return re.sub(r"[^A-Z0-9_]", "_", name)


def form_name(file: Path) -> str:
    name = re.sub(r"[^a-z0-9_]", "_", file.stem.lower())
    return name if re.match(r"^[a-z_]", name) else f"form_{name}"


@dataclass
class Form:
    name: str
    file: str
    format: str
    frame: Any  # pandas DataFrame: every column text
    encoding: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # normalised -> raw name

    def values(self, raw: str) -> list[str]:
        """The distinct non-blank values of a column, in order of first appearance."""
        col = self.frame[raw].dropna().astype(str).str.strip()
        return list(dict.fromkeys(v for v in col if v))


def read_forms(raw_dir: Path) -> tuple[list[Form], list[tuple[str, str]]]:
    """Every raw form of ``raw_dir`` (by extension), and the files passed over with why."""
    from cdiscflow.raw import SOURCE_FILE, SOURCE_ROW, read_form
    from cdiscflow.spec import format_of_file

    forms: list[Form] = []
    skipped: list[tuple[str, str]] = []
    for path in sorted(p for p in Path(raw_dir).iterdir() if p.is_file()):
        fmt = format_of_file(path)
        if fmt is None:
            skipped.append((path.name, "not a raw data format"))
            continue
        encoding = None
        if fmt == "csv":
            encoding = "utf-8-sig" if path.read_bytes()[:3] == b"\xef\xbb\xbf" else "utf-8"
        try:
            frame = read_form(path, encoding, fmt=fmt)
        except CdiscflowError as exc:
            if fmt != "csv":
                skipped.append((path.name, str(exc)))
                continue
            # not UTF-8: Latin-1 reads any byte; the study file says so, for review
            encoding = "latin-1"
            frame = read_form(path, encoding, fmt=fmt)
        frame = frame.drop(columns=[SOURCE_FILE, SOURCE_ROW])
        form = Form(form_name(path), path.name, fmt, frame,
                    encoding if encoding not in (None, "utf-8") else None)
        for raw in frame.columns:
            form.columns.setdefault(normalise(raw), raw)
        forms.append(form)
    names = [f.name for f in forms]
    for form in forms:  # two files with one stem (dm.csv, dm.xlsx): name them apart
        if names.count(form.name) > 1:
            form.name = f"{form.name}_{form.format}"
    return forms, skipped


def date_format(values: list[str]) -> tuple[str | list[str] | None, bool]:
    """The format every value reads by (or a list for mixed columns), and whether the choice
    was ambiguous (DD/MM/YYYY and MM/DD/YYYY both read every value)."""
    import pandas as pd

    from cdiscflow.sdtm.dates import parse_dates

    if not values:
        return None, False
    series = pd.Series(values, dtype="string")
    readable = [f for f in DATE_FORMATS if not parse_dates(series, f)[1]]
    if readable:
        ambiguous = "DD/MM/YYYY" in readable and "MM/DD/YYYY" in readable
        return readable[0], ambiguous
    # full and partial dates mixed (01/02/2014 and 2003): the first format each value reads by
    for fmt in DATE_FORMATS:
        if not parse_dates(series, [fmt, "YYYY"])[1]:
            return [fmt, "YYYY"], False
    return None, False


def looks_like_date_column(normalised: str) -> bool:
    return bool(_DATE_NAME.search(normalised))


def looks_like_time_column(normalised: str, values: list[str]) -> bool:
    return bool(_TIME_NAME.search(normalised)) and all(_TIME.match(v) for v in values)


def numeric(values: list[str]) -> bool:
    return bool(values) and all(_NUMBER.match(v) for v in values)


def codelist_for(values: list[str], codes: tuple[str, ...]) -> str | None:
    """The first of a variable's CT codelists that knows every value (as a submission value or
    synonym), by its short name; None when none does."""
    from cdiscflow.standards import find_codelist

    if not values:
        return None
    for code in codes:
        cl = find_codelist(code)
        if cl is not None and all(cl.lookup(v) is not None for v in values):
            return cl.submission_value
    return None
