"""Spec models of the ADaM steps added after the first set (:mod:`cdiscflow.adam.spec` holds
those and registers these beside them in ``STEP_KINDS``): each parses its arguments on load
and calls one plain derivation function when the dataset is built."""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import Field, ValidationError, field_validator, model_validator

from cdiscflow.adam import records as rc
from cdiscflow.adam.conditions import Where, evaluate
from cdiscflow.adam.extreme_event import Event, derive_vars_extreme_event
from cdiscflow.adam.joined import derive_vars_joined
from cdiscflow.adam.ordering import OrderItem
from cdiscflow.adam.restrict import restrict_derivation
from cdiscflow.adam.stepbase import Context, Step, StepModel
from cdiscflow.adam.values import SetValues, ValueExpr, check_set_values


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


def _pairs(new_vars: dict[str, str] | list[str]) -> dict[str, str]:
    return dict(new_vars) if isinstance(new_vars, dict) else {v: v for v in new_vars}


class VarsJoined(Step):
    """admiral's derive_vars_joined (join_type all): see :mod:`cdiscflow.adam.joined`."""

    dataset_add: str
    by_vars: list[str] = ["USUBJID"]
    new_vars: dict[str, str] | list[str] = Field(min_length=1)
    filter_add: Where | None = None
    filter_join: Where | None = None
    order: list[OrderItem] = []
    mode: Literal["first", "last"] | None = None
    exist_flag: str | None = None
    true_value: str = "Y"
    false_value: str | None = None

    @model_validator(mode="after")
    def _order_with_mode(self) -> VarsJoined:
        if self.order and self.mode is None:
            raise ValueError("order needs mode (first or last)")
        return self

    def creates(self) -> list[str]:
        return [*_pairs(self.new_vars), *([self.exist_flag] if self.exist_flag else [])]

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return derive_vars_joined(df, ctx.dataset(self.dataset_add), self.by_vars,
                                  _pairs(self.new_vars), self.filter_join, self.filter_add,
                                  self.order, self.mode, self.exist_flag, self.true_value,
                                  self.false_value)




class SummaryRecords(Step):
    """admiral's derive_summary_records (:func:`cdiscflow.adam.records.derive_summary_records`)."""

    dataset_add: str | None = None  # default: the dataset being built
    by_vars: list[str] = Field(min_length=1)
    filter_add: Where | None = None
    set_values_to: dict[str, Any] = Field(min_length=1)

    @field_validator("set_values_to")
    @classmethod
    def _checked(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, v in value.items():
            if isinstance(v, dict) and len(v) == 1 and not rc.is_summary(v) and "expr" not in v:
                raise ValueError(f"{name}: {next(iter(v))!r} is not a summary "
                                 f"({', '.join(rc.SUMMARIES)}) or expr")
        check_set_values({k: v for k, v in value.items() if not rc.is_summary(v)})
        return value

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        add = df if self.dataset_add is None else ctx.dataset(self.dataset_add)
        return rc.derive_summary_records(df, add, self.by_vars, self.set_values_to,
                                         self.filter_add)


class ExtremeRecords(Step):
    """admiral's derive_extreme_records (:func:`cdiscflow.adam.records.derive_extreme_records`)."""

    dataset_add: str | None = None  # default: the dataset being built
    by_vars: list[str] = Field(min_length=1)
    order: list[OrderItem] = Field(min_length=1)
    mode: Literal["first", "last"]
    filter_add: Where | None = None
    set_values_to: SetValues = Field(min_length=1)

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        add = df if self.dataset_add is None else ctx.dataset(self.dataset_add)
        return rc.derive_extreme_records(df, add, self.by_vars, self.order, self.mode,
                                         self.set_values_to, self.filter_add)


class ParamComputed(Step):
    """admiral's derive_param_computed (:func:`cdiscflow.adam.records.derive_param_computed`)."""

    by_vars: list[str] = Field(min_length=1)
    parameters: list[str] = Field(min_length=1)
    set_values_to: SetValues
    filter: Where | None = None
    constant_parameters: list[str] = []
    constant_by_vars: list[str] = []
    keep_nas: bool = False

    @model_validator(mode="after")
    def _paramcd(self) -> ParamComputed:
        if "PARAMCD" not in self.set_values_to:
            raise ValueError("set_values_to needs PARAMCD")
        if self.constant_parameters and not self.constant_by_vars:
            raise ValueError("constant_parameters need constant_by_vars")
        return self

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return rc.derive_param_computed(df, self.by_vars, self.parameters, self.set_values_to,
                                        self.filter, self.constant_parameters,
                                        self.constant_by_vars, self.keep_nas)


class VarsComputed(Step):
    """admiral's derive_vars_computed (:func:`cdiscflow.adam.records.derive_vars_computed`)."""

    dataset_add: str
    by_vars: list[str] = ["USUBJID"]
    parameters: list[str] = Field(min_length=1)
    new_vars: dict[str, ValueExpr] = Field(min_length=1)
    filter_add: Where | None = None
    constant_parameters: list[str] = []
    constant_by_vars: list[str] = []

    def creates(self) -> list[str]:
        return list(self.new_vars)

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return rc.derive_vars_computed(df, ctx.dataset(self.dataset_add), self.by_vars,
                                       self.parameters, self.new_vars, self.filter_add,
                                       self.constant_parameters, self.constant_by_vars)


class EventSpec(StepModel):
    """One event of derive_vars_extreme_event (admiral's event())."""

    dataset_name: str  # an SDTM domain or an ADaM dataset built earlier
    condition: Where | None = None
    set_values_to: SetValues = {}


class VarsExtremeEvent(Step):
    """admiral's derive_vars_extreme_event: see :mod:`cdiscflow.adam.extreme_event`."""

    by_vars: list[str] = ["STUDYID", "USUBJID"]
    events: list[EventSpec] = Field(min_length=1)
    order: list[OrderItem] = Field(min_length=1)
    mode: Literal["first", "last"]
    new_vars: dict[str, str] | list[str] = Field(min_length=1)
    tmp_event_nr_var: str | None = None

    def creates(self) -> list[str]:
        return list(_pairs(self.new_vars))

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        events = []
        for e in self.events:
            data = ctx.dataset(e.dataset_name)
            events.append(Event(data[evaluate(e.condition, data)], e.set_values_to))
        return derive_vars_extreme_event(df, self.by_vars, events, self.order, self.mode,
                                         _pairs(self.new_vars), self.tmp_event_nr_var)


EXTRA_STEPS: dict[str, type[Step]] = {
    "restrict_derivation": RestrictDerivation,
    "derive_vars_joined": VarsJoined,
    "derive_summary_records": SummaryRecords,
    "derive_extreme_records": ExtremeRecords,
    "derive_param_computed": ParamComputed,
    "derive_vars_computed": VarsComputed,
    "derive_vars_extreme_event": VarsExtremeEvent,
}
