"""`text`: text built from columns and literals (field, template, coalesce), then trimmed, cut
by an RE2 pattern or a separator, and re-cased (the work is in cdiscflow/sdtm/textsource.py)."""

from __future__ import annotations

import pandas as pd

from cdiscflow.sdtm import textsource
from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext
from cdiscflow.sdtm.provenance import Origins, Provenance
from cdiscflow.sdtm.sources import Source
from cdiscflow.spec import LoadedDomain, TextSource, VariableSpec


def check(c: Check) -> None:
    for col in c.var.text.columns():
        c.need(col, "text column")


def run(ctx: BuildContext, ld: LoadedDomain, frame: pd.DataFrame, name: str,
        var: VariableSpec) -> pd.Series:
    spec = var.text
    values = textsource.build_text(frame, spec.field, spec.template, spec.coalesce)
    if spec.trim:
        values = textsource.collapse_blanks(values)
    cut: list[tuple[pd.Series, str]] = []
    if spec.extract is not None:
        values, lost = textsource.extract_first(values, spec.extract)
        cut.append((lost, f"does not match the pattern {spec.extract!r}"))
    if spec.split is not None:
        values, lost = textsource.split_part(values, spec.split, spec.part)
        cut.append((lost, f"has no part {spec.part} when split at {spec.split!r}"))
    if spec.case == "upper":
        values = values.str.upper()
    elif spec.case == "lower":
        values = values.str.lower()
    if spec.no_match == "error":
        column = "+".join(spec.columns())
        for lost, why in cut:
            for idx in lost[lost].index:
                ctx.defect(ld, frame, idx, name, textsource.source_text(frame, spec, idx),
                           f"the value {why}", column=column)
    return values


def describe(var: VariableSpec, origins: Origins) -> Provenance:
    return Provenance("Collected", f"{', '.join(origins(c).text for c in var.text.columns())}"
                                   f", {_text_steps(var.text)}.")


def _text_steps(spec: TextSource) -> str:
    """What a text source does to the collected text, in words."""
    steps = [f"as the template {spec.template}" if spec.template
             else "the first non-blank of them" if spec.coalesce else "as collected"]
    if spec.trim:
        steps.append("blanks trimmed")
    if spec.extract:
        steps.append(f"the part matching {spec.extract}")
    if spec.split is not None:
        steps.append(f"part {spec.part} when split at '{spec.split}'")
    if spec.case:
        steps.append(f"in {spec.case} case")
    return ", ".join(steps)


SOURCE = Source("text", check, run, describe, column=lambda var: "+".join(var.text.columns()))
