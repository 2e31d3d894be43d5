"""The ADaM spec's steps that add parameter records (response, best/extreme event, exist
flag, confirmed response, time to event, response duration) and the step that keeps some
records: their models and how each runs its derivation (:mod:`cdiscflow.adam.response`,
:mod:`cdiscflow.adam.tte`)."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from cdiscflow.adam import response as rs
from cdiscflow.adam import tte
from cdiscflow.adam.conditions import Where, evaluate
from cdiscflow.adam.stepbase import Context
from cdiscflow.adam.stepbase import Step as _Step
from cdiscflow.adam.stepbase import StepModel as _Model
from cdiscflow.adam.values import SetValues


class ParamStep(_Step):
    """A step adding one record per subject of ``subjects`` (an ADaM dataset, e.g. ADSL)."""

    subjects: str = "ADSL"
    subjects_where: Where | None = None
    by_vars: list[str] = ["STUDYID", "USUBJID"]
    set_values_to: dict[str, Any]

    @model_validator(mode="after")
    def _paramcd(self) -> ParamStep:
        if "PARAMCD" not in self.set_values_to:
            raise ValueError("set_values_to needs PARAMCD")
        return self

    def _subjects(self, ctx: Context) -> pd.DataFrame:
        subj = ctx.dataset(self.subjects)
        return subj[evaluate(self.subjects_where, subj)]


class ParamResponse(_Step):
    criteria: str  # name of a rule set in the file's `criteria`
    source: Where  # the assessment records (e.g. PARAMCD = PLAT)
    assessments: Where | None = None  # which of them are assessed (post-baseline window)
    set_values_to: dict[str, Any]
    date_var: str = "ADT"

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return rs.derive_param_response(df, self.source, self.assessments,
                                        ctx.rule(self.criteria), self.set_values_to,
                                        self.date_var)


class ExtremeEvent(ParamStep):
    source: Where
    order: list[str] = Field(min_length=1)
    if_none: str | None = None
    values_n: dict[str, float] | None = None

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return rs.derive_extreme_event(df, self._subjects(ctx), self.by_vars, self.source,
                                       self.order, self.set_values_to, self.if_none,
                                       values_n=self.values_n)


class ParamExistFlag(ParamStep):
    condition: Where
    true_value: str = "Y"
    false_value: str = "N"

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return rs.derive_param_exist_flag(df, self._subjects(ctx), self.by_vars, self.condition,
                                          self.set_values_to, self.true_value, self.false_value)


class ParamConfirmedResp(ParamStep):
    source: Where
    codes: list[str] = Field(min_length=1)
    min_count: int = 2
    min_days_apart: float = 0

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return rs.derive_param_confirmed_resp(df, self._subjects(ctx), self.by_vars, self.source,
                                              self.codes, self.min_count, self.min_days_apart,
                                              self.set_values_to)


class ParamTte(ParamStep):
    start_date: str
    event: Where
    censor: Where | None = None
    unit: Literal["DAYS", "WEEKS"] = "DAYS"
    day_offset: float = 0  # AVAL = ADT - STARTDT + day_offset (1: the start day counts)

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return rs.derive_param_tte(df, self._subjects(ctx), self.by_vars, self.start_date,
                                   self.event, self.censor, self.set_values_to, self.unit,
                                   day_offset=self.day_offset)


class TteSourceSpec(_Model):
    """An event or censoring source of ``derive_param_tte`` (admiral's event_source)."""

    dataset: str  # SDTM domain or ADaM dataset built earlier
    where: Where | None = None
    date: str  # ISO --DTC text or a numeric date variable
    # constants, or {expr: ...} on the source record giving the date (SRCSEQ: {expr: AESEQ})
    set_values_to: SetValues = {}


class ParamTteSources(ParamStep):
    start_date: str
    event_sources: list[TteSourceSpec] = Field(min_length=1)
    censor_sources: list[TteSourceSpec] = []
    unit: Literal["DAYS", "WEEKS"] = "DAYS"
    day_offset: float = 0  # AVAL = ADT - STARTDT + day_offset (1: the start day counts)

    def _resolve(self, specs: list[TteSourceSpec], ctx: Context) -> list[tte.TteSource]:
        out = []
        for s in specs:
            data = ctx.dataset(s.dataset)
            out.append(tte.TteSource(data[evaluate(s.where, data)], s.date, s.set_values_to))
        return out

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return tte.derive_param_tte_sources(df, self._subjects(ctx), self.by_vars,
                                            self.start_date,
                                            self._resolve(self.event_sources, ctx),
                                            self._resolve(self.censor_sources, ctx),
                                            self.set_values_to, self.unit, self.day_offset)


class FilterRecords(_Step):
    where: Where

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return tte.filter_records(df, self.where)


class ParamResponseDuration(ParamStep):
    source: Where
    response_codes: list[str] = Field(min_length=1)
    not_evaluable: list[str] = []
    unit: Literal["DAYS", "WEEKS"] = "WEEKS"

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return rs.derive_param_response_duration(df, self._subjects(ctx), self.by_vars,
                                                 self.source, self.response_codes,
                                                 self.not_evaluable, self.set_values_to,
                                                 self.unit)
