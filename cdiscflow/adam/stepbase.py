"""What every ADaM step model shares: the strict pydantic base, the run context, and the step
interface. Kept apart from :mod:`cdiscflow.adam.spec` so modules of further steps can build on
it without importing the spec module that registers them."""

from __future__ import annotations

from typing import Protocol

import pandas as pd
from pydantic import BaseModel, ConfigDict

from cdiscflow.adam import response as rs


class StepModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Context(Protocol):
    """What a step needs from the run: other datasets by name, the rule sets, the subjects."""

    def dataset(self, name: str) -> pd.DataFrame: ...

    def rule(self, name: str) -> rs.ResponseRule: ...


class Step(StepModel):
    def creates(self) -> list[str]:
        return []

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError
