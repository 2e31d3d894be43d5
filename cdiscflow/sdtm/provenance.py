"""What define.xml says of a variable a mapping makes, as each construct words it.

A source kind (``sources/``) says how its values arise (``describe``) and a step (``steps/``)
where a working column it makes comes from (``origin``), so adding a construct adds its
define.xml text in the same module. Nothing here knows the Define-XML model: the define writer
turns a ``Provenance`` into a def:Origin and, for a derived value, a MethodDef.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cdiscflow.spec import FormSpec


@dataclass(frozen=True)
class Provenance:
    """A variable's origin: its type (Collected, Assigned, Derived, Predecessor) and, for a
    Derived one, the method in words and as the rule the spec states."""

    origin: str
    text: str | None = None  # the origin's description; for Derived, the method's
    expression: str | None = None  # the FormalExpression of a derived value


@dataclass(frozen=True)
class ColumnOrigin:
    """Where a working column comes from, in words, and the SDTM domain it was copied from
    (a Predecessor) if it was."""

    text: str
    domain: str | None = None


# where each working column of a domain comes from (steps.column_origins builds one)
Origins = Callable[[str], ColumnOrigin]


def form_text(forms: Mapping[str, FormSpec], name: str) -> str:
    """A raw form named with its file, as define.xml's origin texts name it."""
    return f"raw form {name} ({forms[name].file})"
