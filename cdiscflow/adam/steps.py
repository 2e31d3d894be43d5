"""Spec models of the ADaM steps added after the first set (:mod:`cdiscflow.adam.spec` holds
those and registers these beside them in ``STEP_KINDS``): each parses its arguments on load
and calls one plain derivation function when the dataset is built."""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import ValidationError, field_validator

from cdiscflow.adam.conditions import Where
from cdiscflow.adam.restrict import restrict_derivation
from cdiscflow.adam.stepbase import Context, Step


def parse_step(raw: Any) -> Step:
    """One ``{function: {arguments}}`` mapping as its step model (for steps holding a step)."""
    from cdiscflow.adam.spec import STEP_KINDS  # the registry imports this module

    if not isinstance(raw, dict) or len(raw) != 1:
        raise ValueError("a step is one mapping `function: {arguments}`")
    (name, args), = raw.items()
    if name not in STEP_KINDS:
        raise ValueError(f"unknown derivation {name!r}")
    try:
        return STEP_KINDS[name].model_validate(args or {})
    except ValidationError as exc:
        # an unknown key first: it is usually why a required key looks missing
        errs = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        err = errs[0]
        where = ".".join(str(p) for p in (name, *err["loc"]))
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise ValueError(f"{where}: {msg}") from None


class RestrictDerivation(Step):
    """admiral's restrict_derivation: ``derivation`` on the records meeting ``filter``."""

    derivation: dict[str, Any]
    filter: Where

    @field_validator("derivation")
    @classmethod
    def _parses(cls, value: dict[str, Any]) -> dict[str, Any]:
        parse_step(value)
        return value

    def step(self) -> Step:
        return parse_step(self.derivation)

    def creates(self) -> list[str]:
        return self.step().creates()

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        inner = self.step()
        return restrict_derivation(df, lambda part: inner.run(part, ctx), self.filter)


EXTRA_STEPS: dict[str, type[Step]] = {
    "restrict_derivation": RestrictDerivation,
}
