"""The source kinds of a variable (docs/mapping-language.md, section 5.2): one module each,
found through this registry. A module defines ``SOURCE``: its kind (the key a mapping file
writes), how it is checked before any data is read, how it computes the values, how define.xml
describes it (``describe``), and which raw column a defect in its values names. Adding a kind
is adding a module here, its tests and its doc section; the engine, the spec check and the
define.xml writer find it by its key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext
from cdiscflow.sdtm.provenance import Origins, Provenance
from cdiscflow.sdtm.registry import discover
from cdiscflow.spec import NULL, LoadedDomain, VariableSpec

Run = Callable[[BuildContext, LoadedDomain, pd.DataFrame, str, VariableSpec], Any]


@dataclass(frozen=True)
class Source:
    kind: str  # the key in a mapping file (field, ct, expr, ...)
    check: Callable[[Check], None]
    run: Run  # the values (a Series on the frame's index); a whole frame if ``frame_out``
    # define.xml's origin of the variable (and method, if derived), given where each working
    # column comes from
    describe: Callable[[VariableSpec, Origins], Provenance]
    column: Callable[[VariableSpec], str | None] = lambda var: None  # the raw column it reads
    frame_out: bool = False  # run returns the frame with the variable (and types it itself)


def source_column(var: VariableSpec | None) -> str | None:
    """The raw column a variable's value comes from, for defects (None if computed)."""
    if var is None:
        return None
    return SOURCES[var.kind].column(var)


def literal_text(value: Any) -> Any:
    """A spec literal as the text a variable holds (1.5 -> "1.5"; null stays missing)."""
    return pd.NA if value is NULL else str(value)


# last: the modules import the helpers above
SOURCES: dict[str, Source] = discover(__name__, __path__, "SOURCE")
