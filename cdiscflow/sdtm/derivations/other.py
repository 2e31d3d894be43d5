"""Arm and arithmetic derivations."""

from __future__ import annotations

import pandas as pd

from cdiscflow.sdtm.derivations.registry import Param, derivation
from cdiscflow.textops import is_in
from cdiscflow.wording import words as in_words


@derivation(
    "actual_arm",
    words=lambda p: (f"{p['planned']} for a subject with any {p['exposure']} record; "
                     f"'{p['not_treated']}' for a subject with none."),
    planned=Param("column", doc="ARM or ARMCD"),
    exposure=Param("records", doc="a variable of the exposure domain, e.g. EX.EXDOSE"),
    not_treated=Param("value", doc="value for a subject with no exposure record"),
)
def derive_actual_arm(df: pd.DataFrame, *, new_var: str, planned: str, exposure: pd.DataFrame,
                      not_treated: str) -> pd.DataFrame:
    """ACTARM / ACTARMCD: the planned arm for a subject with exposure, else the not-treated value.

    Fits single-treatment-per-arm designs (dose cohorts); a study whose subjects can receive
    another arm's treatment declares ACTARM from its own exposure mapping instead.
    """
    out = df.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    treated = is_in(out["USUBJID"], exposure.dropna(subset=["VALUE"])["USUBJID"])
    out[new_var] = out[planned].astype("string").where(treated, not_treated)
    return out


@derivation(
    "product",
    words=lambda p: (f"{' times '.join(in_words(f) for f in p['factors'])}"
                     + (f", rounded to {p['digits']} decimals." if p.get("digits") is not
                     None else ".")),
    factors=Param("columns", doc="numeric columns multiplied together"),
    digits=Param("value", required=False, default=None, doc="round to this many decimals"),
)
def derive_product(df: pd.DataFrame, *, new_var: str, factors: list[str],
                   digits: int | None = None) -> pd.DataFrame:
    """The product of numeric columns (e.g. cells per infusion = dose per kg x weight)."""
    out = df.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    value = pd.to_numeric(out[factors[0]], errors="coerce").astype("Float64")
    for f in factors[1:]:
        value = value * pd.to_numeric(out[f], errors="coerce").astype("Float64")
    out[new_var] = value.round(digits) if digits is not None else value
    return out
