"""The steps of a domain (docs/mapping-language.md, section 4): one module each, found through
this registry. A module defines ``STEP``: its key in a mapping file, the check that gives the
columns after it (naming any mistake before data is read), the run on the rows, and how the run
report names the raw records it removed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext, Reconciliation
from cdiscflow.sdtm.provenance import ColumnOrigin, Origins, form_text
from cdiscflow.sdtm.registry import discover
from cdiscflow.spec import FormSpec, LoadedDomain, Step


@dataclass(frozen=True)
class StepKind:
    kind: str  # the key in a mapping file (filter, join, stack)
    columns: Callable[[Check, Any, list[str]], list[str]]  # checked; the columns after it
    run: Callable[[BuildContext, LoadedDomain, pd.DataFrame, Any, Reconciliation],
                  pd.DataFrame]
    reason: Callable[[Any], str]  # the run report's words for the raw records it removed
    # where a removed raw record is counted: "filtered", "rejected", or None (nothing
    # collected: "empty")
    bucket: str | None
    # where a working column this step makes comes from, for define.xml (None: not made here)
    origin: Callable[[Any, str, Mapping[str, FormSpec], str], ColumnOrigin | None] = \
        lambda spec, column, forms, source: None


STEPS: dict[str, StepKind] = discover(__name__, __path__, "STEP")


def kind_of(step: Step) -> tuple[StepKind, Any]:
    """The step's kind and its own spec (the one key a step has)."""
    for kind, spec in STEPS.items():
        value = getattr(step, kind)
        if value is not None:
            return spec, value
    raise AssertionError("unreachable: a step is validated to one kind")


def step_reason(step: Step) -> str:
    """What the reconciliation says of the raw records a step removed."""
    kind, spec = kind_of(step)
    return kind.reason(spec)


def column_origins(forms: Mapping[str, FormSpec], ld: LoadedDomain) -> Origins:
    """Where each working column of a domain comes from: the field of its source form, unless
    a later step (a join, a stack) makes it."""
    source = ld.spec.source

    def origin(column: str) -> ColumnOrigin:
        found = ColumnOrigin(f"{form_text(forms, source)}, field {column}")
        for step in ld.spec.steps:
            kind, spec = kind_of(step)
            if (made := kind.origin(spec, column, forms, source)) is not None:
                found = made
        return found

    return origin
