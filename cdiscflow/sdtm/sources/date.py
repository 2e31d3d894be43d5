"""`date`: a collected date (and time) in the site's formats to ISO 8601, partial dates kept as
partial, never an invented day."""

from __future__ import annotations

import pandas as pd

from cdiscflow.sdtm import dates
from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext
from cdiscflow.sdtm.provenance import Origins, Provenance
from cdiscflow.sdtm.sources import Source
from cdiscflow.spec import LoadedDomain, VariableSpec


def check(c: Check) -> None:
    spec = c.var.date
    c.need(spec.date, "date field")
    if spec.time:
        c.need(spec.time, "time field")
    for fmt in [spec.format] if isinstance(spec.format, str) else spec.format:
        if not dates.known_date_format(fmt):
            raise c.error(f"date format {fmt!r} needs YYYY (or YY), at most one of MM or MON, "
                          f"DD only with a month, and a time (HH and MI, optionally SS) only "
                          f"with a day")
    if dates.two_digit_year(spec.format) and spec.year_cutoff is None:
        raise c.error("a two-digit year (YY) needs year_cutoff: the first year of the hundred "
                      "years it reads into (e.g. 1940: 39 is 2039, 40 is 1940)")


def run(ctx: BuildContext, ld: LoadedDomain, frame: pd.DataFrame, name: str,
        var: VariableSpec) -> pd.Series:
    spec = var.date
    times = frame[spec.time] if spec.time else None
    iso, problems = dates.parse_dates(frame[spec.date], spec.format, times, spec.year_cutoff)
    for p in problems:
        column = spec.time if "time" in p.message else spec.date
        ctx.defect(ld, frame, p.index, name, p.value, p.message, column=column,
                   severity=p.severity)
    if spec.time:
        orphan = frame[spec.time].notna() & frame[spec.date].isna()
        for idx in orphan[orphan].index:
            ctx.defect(ld, frame, idx, name, frame.at[idx, spec.time],
                       "a time was collected without a date; it is not mapped",
                       column=spec.time, severity="warning")
    if spec.complete:
        partial = iso.notna() & (iso.str.len() < 10)
        for idx in partial[partial].index:
            ctx.defect(ld, frame, idx, name, frame.at[idx, spec.date],
                       f"a complete date is required, got the partial date {iso[idx]}",
                       column=spec.date)
        iso = iso.where(~partial)
    return iso


def describe(var: VariableSpec, origins: Origins) -> Provenance:
    d = var.date
    parts = d.date + (f" and {d.time}" if d.time else "")
    formats = d.format if isinstance(d.format, str) else " or ".join(d.format)
    return Provenance("Collected", f"{origins(d.date).text}"
                                   f"{' with ' + d.time if d.time else ''}, converted from "
                                   f"{formats} to ISO 8601 ({parts}).")


SOURCE = Source("date", check, run, describe, column=lambda var: var.date.date)
