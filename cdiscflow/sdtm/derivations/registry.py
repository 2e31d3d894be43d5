"""The registry of named derivations a mapping file may call (``derive: {function: NAME}``).

Each derivation is a plain function ``derive_<name>(df, *, new_var, **params) -> DataFrame`` that
returns a new frame with ``new_var`` added, as admiral's derive_* functions do. Its parameters are
declared here by kind so a mapping file is checked before any data is read:

- ``column``: a column of the working frame, or ``DOMAIN.VARIABLE`` of a one-record-per-subject
  domain (DM), which the engine merges in by USUBJID;
- ``columns``: a list of such columns;
- ``records``: ``DOMAIN.VARIABLE`` (or a list of them) of any domain, passed as a frame of
  USUBJID and VALUE, one row per distinct (USUBJID, value) pair of each variable's records
  (what a subject has, not how often: a derivation that counts records needs another kind);
- ``table``: the name of a table declared in the study or domain file, passed as a list of rows;
- ``value``: a literal (text, number, list or mapping).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cdiscflow.wording import words as in_words

PARAM_KINDS = ("column", "columns", "records", "table", "value")

# A derivation that accepts ``report`` tells the engine which rows it could not derive and why;
# the engine turns each into a defect naming the raw file, line and column.
Report = Callable[[pd.Index, str, "str | None"], None]


@dataclass(frozen=True)
class Param:
    kind: str
    required: bool = True
    default: object = None
    doc: str = ""
    choices: tuple[str, ...] = ()  # the values a ``value`` parameter may take


@dataclass(frozen=True)
class Derivation:
    name: str
    function: Callable[..., pd.DataFrame]
    params: dict[str, Param]
    doc: str
    # checks the given parameters together before any data is read: None or what is wrong
    check: Callable[[dict[str, Any]], str | None] | None = None
    # parameters that are allowed but unusual (a --DY not from DM.RFSTDTC): a spec warning
    warn: Callable[[dict[str, Any]], str | None] | None = None
    # the rule in a reviewer's words with the mapping's parameters (define.xml's method text)
    words: Callable[[Mapping[str, Any]], str] | None = None

    def method_text(self, params: Mapping[str, Any]) -> str:
        """What this derivation computes for a variable, in words; without its own wording,
        the first paragraph of its docstring with the parameters listed in words."""
        if self.words is not None:
            return self.words(params)
        doc = inspect.getdoc(self.function) or self.doc
        first = " ".join(doc.split("\n\n")[0].split())
        given = "; ".join(f"{k.replace('_', ' ')}: {in_words(v)}" for k, v in params.items())
        return f"{first} ({given})." if given else first


REGISTRY: dict[str, Derivation] = {}


ParamsCheck = Callable[[dict[str, Any]], str | None]


Wording = Callable[[Mapping[str, Any]], str]


def derivation(name: str, check: ParamsCheck | None = None, warn: ParamsCheck | None = None,
               words: Wording | None = None, **params: Param
               ) -> Callable[[Callable[..., pd.DataFrame]], Callable[..., pd.DataFrame]]:
    """Register ``function`` under ``name`` with its declared parameters; ``words`` gives its
    method text for define.xml from the mapping's parameters."""
    for p in params.values():
        assert p.kind in PARAM_KINDS, p.kind

    def register(function: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        if name in REGISTRY:
            raise ValueError(f"derivation {name!r} registered twice")
        doc = (function.__doc__ or "").strip().splitlines()[0] if function.__doc__ else ""
        REGISTRY[name] = Derivation(name, function, dict(params), doc, check, warn, words)
        return function

    return register


def qualified(ref: str) -> tuple[str, str] | None:
    """('DM', 'RFSTDTC') for 'DM.RFSTDTC'; None for a plain column name."""
    if "." in ref:
        domain, var = ref.split(".", 1)
        return domain, var
    return None
