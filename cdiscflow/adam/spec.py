"""The ADaM spec language: one YAML file per ADaM dataset under ``mappings/<study>/adam/``,
plus ``adam/adam.yaml`` listing the datasets (in build order) and the report.

A dataset file names its source records, the derivations that build it (each step calls one
generic function of :mod:`cdiscflow.adam.derivations` or :mod:`cdiscflow.adam.response` by its
admiral name, with its arguments), the response rule sets it uses (``criteria``), and the
variables it keeps, in order, with labels for sponsor-defined ones. Unknown keys are refused; an
error names the file, line, dataset and variable. ``docs/adam-spec.md`` documents every construct.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cdiscflow.adam import derivations as dv
from cdiscflow.adam.conditions import Where
from cdiscflow.adam.ordering import OrderItem
from cdiscflow.adam.param_steps import (
    ExtremeEvent,
    FilterRecords,
    ParamConfirmedResp,
    ParamExistFlag,
    ParamResponse,
    ParamResponseDuration,
    ParamTte,
    ParamTteSources,
)
from cdiscflow.adam.report_spec import (
    IncidenceEstimatesSpec,
    ReportSpec,
    SourceSpec,
    SurvivalEstimatesSpec,
)
from cdiscflow.adam.stepbase import Context
from cdiscflow.adam.stepbase import Step as _Step
from cdiscflow.adam.stepbase import StepModel as _Model
from cdiscflow.adam.steps import EXTRA_STEPS
from cdiscflow.adam.values import ValueExpr
from cdiscflow.errors import SpecError
from cdiscflow.yamlio import line_of, load_yaml


class AdamSpecError(SpecError):
    """A spec error in an ADaM dataset file: names the file, line, dataset and variable."""

    def __init__(self, message: str, *, file: str | None = None, dataset: str | None = None,
                 variable: str | None = None, line: int | None = None) -> None:
        super().__init__(message, file=file, domain=dataset, variable=variable, line=line)

    def __str__(self) -> str:
        return super().__str__().replace(f"domain {self.domain}", f"dataset {self.domain}", 1)


# --- steps ----------------------------------------------------------------------------------

class VarsMerged(_Step):
    dataset_add: str
    by_vars: list[str] = ["USUBJID"]
    new_vars: dict[str, str] | list[str]
    filter_add: Where | None = None
    order: list[OrderItem] | None = None
    mode: Literal["first", "last"] | None = None
    overwrite: bool = False

    def _pairs(self) -> dict[str, str]:
        return dict(self.new_vars) if isinstance(self.new_vars, dict) else \
            {v: v for v in self.new_vars}

    def creates(self) -> list[str]:
        return list(self._pairs())

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_vars_merged(df, ctx.dataset(self.dataset_add), self.by_vars,
                                     self._pairs(), self.filter_add, self.order, self.mode,
                                     self.overwrite)


class MergedExistFlag(_Step):
    dataset_add: str
    by_vars: list[str] = ["USUBJID"]
    new_var: str
    condition: Where | None = None
    filter_add: Where | None = None
    true_value: str = "Y"
    false_value: str | None = "N"

    def creates(self) -> list[str]:
        return [self.new_var]

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_var_merged_exist_flag(df, ctx.dataset(self.dataset_add), self.by_vars,
                                               self.new_var, self.condition, self.filter_add,
                                               self.true_value, self.false_value)


class MergedSummary(_Step):
    dataset_add: str
    by_vars: list[str] = ["USUBJID"]
    new_var: str
    analysis: Literal["count", "sum", "min", "max", "mean"]
    analysis_var: str | None = None
    filter_add: Where | None = None

    def creates(self) -> list[str]:
        return [self.new_var]

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_var_merged_summary(df, ctx.dataset(self.dataset_add), self.by_vars,
                                            self.new_var, self.analysis, self.analysis_var,
                                            self.filter_add)


class VarsTransposed(_Step):
    dataset_merge: str
    by_vars: list[str]
    key_var: str = "PARAMCD"
    value_var: str = "AVAL"
    new_vars: dict[str, str]  # new variable -> value of key_var
    filter: Where | None = None

    def creates(self) -> list[str]:
        return list(self.new_vars)

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_vars_transposed(df, ctx.dataset(self.dataset_merge), self.by_vars,
                                         self.key_var, self.value_var, self.new_vars,
                                         self.filter)


class MergedLookup(_Step):
    table: list[dict[str, Any]] = Field(min_length=1)
    by_vars: list[str]
    new_vars: list[str]

    @model_validator(mode="after")
    def _columns(self) -> MergedLookup:
        for i, row in enumerate(self.table):
            missing = set(self.by_vars) | set(self.new_vars) - set(row)
            missing = {c for c in missing if c not in row}
            if missing:
                raise ValueError(f"table row {i + 1} has no {sorted(missing)}")
        return self

    def creates(self) -> list[str]:
        return list(self.new_vars)

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_vars_merged_lookup(df, pd.DataFrame(self.table), self.by_vars,
                                            self.new_vars)


class VarsDt(_Step):
    new_vars_prefix: str
    dtc: str
    highest_imputation: Literal["n", "D", "M"] = "n"
    date_imputation: Literal["first", "mid", "last"] = "first"
    flag_imputation: bool = True
    min_dates: list[str] = []
    max_dates: list[str] = []

    def creates(self) -> list[str]:
        p = self.new_vars_prefix
        return [f"{p}DT"] + ([f"{p}DTF"] if self.flag_imputation else [])

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_vars_dt(df, self.new_vars_prefix, self.dtc, self.highest_imputation,
                                 self.date_imputation, self.flag_imputation, self.min_dates,
                                 self.max_dates)


class VarsDtm(_Step):
    new_vars_prefix: str
    dtc: str
    highest_imputation: Literal["n", "D", "M"] = "n"
    date_imputation: Literal["first", "mid", "last"] = "first"
    time_imputation: Literal["first", "last"] = "first"
    flag_imputation: bool = True
    min_dates: list[str] = []
    max_dates: list[str] = []

    def creates(self) -> list[str]:
        p = self.new_vars_prefix
        return [f"{p}DTM"] + ([f"{p}DTF", f"{p}TMF"] if self.flag_imputation else [])

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_vars_dtm(df, self.new_vars_prefix, self.dtc, self.highest_imputation,
                                  self.date_imputation, self.time_imputation,
                                  self.flag_imputation, self.min_dates, self.max_dates)


class VarsDy(_Step):
    reference_date: str
    source_vars: dict[str, str]

    def creates(self) -> list[str]:
        return list(self.source_vars)

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_vars_dy(df, self.reference_date, self.source_vars)


class VarsDuration(_Step):
    new_var: str
    start_date: str
    end_date: str
    out_unit: Literal["days", "weeks"] = "days"
    add_one: bool = True

    def creates(self) -> list[str]:
        return [self.new_var]

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_vars_duration(df, self.new_var, self.start_date, self.end_date,
                                       self.out_unit, self.add_one)


class Trtemfl(_Step):
    new_var: str = "TRTEMFL"
    start_date: str = "ASTDT"
    end_date: str = "AENDT"
    trt_start_date: str = "TRTSDT"
    trt_end_date: str | None = None
    end_window: int | None = None

    def creates(self) -> list[str]:
        return [self.new_var]

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_var_trtemfl(df, self.new_var, self.start_date, self.end_date,
                                     self.trt_start_date, self.trt_end_date, self.end_window)


class ExtremeFlag(_Step):
    by_vars: list[str]
    order: list[OrderItem]
    new_var: str
    mode: Literal["first", "last"]
    filter: Where | None = None
    true_value: str = "Y"
    false_value: str | None = None

    def creates(self) -> list[str]:
        return [self.new_var]

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_var_extreme_flag(df, self.by_vars, self.order, self.new_var, self.mode,
                                          self.filter, self.true_value, self.false_value)


class VarBase(_Step):
    by_vars: list[str]
    source_var: str = "AVAL"
    new_var: str = "BASE"
    flag_var: str = "ABLFL"

    def creates(self) -> list[str]:
        return [self.new_var]

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_var_base(df, self.by_vars, self.source_var, self.new_var, self.flag_var)


class VarChg(_Step):
    def creates(self) -> list[str]:
        return ["CHG"]

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_var_chg(df)


class AnalysisRatio(_Step):
    numer_var: str = "AVAL"
    denom_var: str = "BASE"
    new_var: str = "R2BASE"

    def creates(self) -> list[str]:
        return [self.new_var]

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_var_analysis_ratio(df, self.numer_var, self.denom_var, self.new_var)


class Category(_Model):
    where: Where
    value: Any
    value_n: float | None = None


class VarsCat(_Step):
    new_var: str
    new_var_n: str | None = None
    categories: list[Category] = Field(min_length=1)

    def creates(self) -> list[str]:
        return [self.new_var] + ([self.new_var_n] if self.new_var_n else [])

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_vars_cat(df, self.new_var,
                                  [(c.where, c.value, c.value_n) for c in self.categories],
                                  self.new_var_n)


class VarFlag(_Step):
    new_var: str
    condition: Where
    true_value: str = "Y"
    false_value: str | None = None

    def creates(self) -> list[str]:
        return [self.new_var]

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_var_flag(df, self.new_var, self.condition, self.true_value,
                                  self.false_value)


class Assign(_Model):
    var: str | None = None
    constant: Any = None
    expr: ValueExpr | None = None  # computed by the expression language
    type: Literal["Char", "Num"] | None = None

    @model_validator(mode="after")
    def _one(self) -> Assign:
        if sum(v is not None for v in (self.var, self.constant, self.expr)) != 1:
            raise ValueError("give exactly one of var, constant or expr")
        return self

    def source(self) -> tuple[str, Any, str | None]:
        if self.expr is not None:
            return ("expr", self.expr, self.type)
        if self.var is not None:
            return ("var", self.var, self.type)
        return ("constant", self.constant, self.type)


class VarsAssign(_Step):
    values: dict[str, Assign]
    drop: list[str] = []  # source variables to remove afterwards (e.g. a renamed one)
    overwrite: bool = False  # a value may replace a variable already there

    def creates(self) -> list[str]:
        return list(self.values)

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_vars_assign(df, {k: a.source() for k, a in self.values.items()},
                                     self.drop, self.overwrite)


class ObsNumber(_Step):
    by_vars: list[str] = ["USUBJID"]
    order: list[OrderItem]
    new_var: str = "ASEQ"

    def creates(self) -> list[str]:
        return [self.new_var]

    def run(self, df: pd.DataFrame, ctx: Context) -> pd.DataFrame:
        return dv.derive_var_obs_number(df, self.by_vars, self.order, self.new_var)


STEP_KINDS: dict[str, type[_Step]] = {
    "derive_vars_merged": VarsMerged,
    "derive_var_merged_exist_flag": MergedExistFlag,
    "derive_var_merged_summary": MergedSummary,
    "derive_vars_merged_lookup": MergedLookup,
    "derive_vars_transposed": VarsTransposed,
    "derive_vars_dt": VarsDt,
    "derive_vars_dtm": VarsDtm,
    "derive_vars_dy": VarsDy,
    "derive_vars_duration": VarsDuration,
    "derive_var_trtemfl": Trtemfl,
    "derive_var_extreme_flag": ExtremeFlag,
    "derive_var_base": VarBase,
    "derive_var_chg": VarChg,
    "derive_var_analysis_ratio": AnalysisRatio,
    "derive_vars_cat": VarsCat,
    "derive_var_flag": VarFlag,
    "derive_vars_assign": VarsAssign,
    "derive_var_obs_number": ObsNumber,
    "derive_param_response": ParamResponse,
    "derive_extreme_event": ExtremeEvent,
    "derive_param_exist_flag": ParamExistFlag,
    "derive_param_confirmed_resp": ParamConfirmedResp,
    "derive_param_tte": ParamTte,
    "derive_param_response_duration": ParamResponseDuration,
    "derive_param_tte_sources": ParamTteSources,
    "filter_records": FilterRecords,
    **EXTRA_STEPS,
}


# --- response rule sets -----------------------------------------------------------------------

class WindowSpec(_Model):
    """Records of an SDTM domain that make assessments in a window around them not evaluable."""

    dataset: str
    where: Where | None = None
    start: str
    end: str | None = None
    end_if_missing: Literal["start", "open"] = "start"
    days_before_start: int = 0
    days_after_end: int = 0


class SameDaySpec(_Model):
    """An observation on the assessment's date (e.g. any bleeding) that a category can test."""

    dataset: str
    where: Where | None = None
    date: str
    value: str
    true_values: list[str] = Field(min_length=1)
    if_missing: Literal["false", "true"] = "false"


class CategorySpec(_Model):
    code: str
    where: Where


class CriteriaSpec(_Model):
    categories: list[CategorySpec] = Field(min_length=1)  # best first
    otherwise: str
    not_evaluable_code: str = "NE"
    response_codes: list[str] = Field(min_length=1)
    not_evaluable_windows: dict[str, list[WindowSpec]] = {}  # flag variable -> windows
    same_day_flags: dict[str, SameDaySpec] = {}  # flag variable -> observation
    evaluable_var: str = "ANL01FL"
    loss_var: str | None = None


# --- dataset file -----------------------------------------------------------------------------

class VariableSpec(_Model):
    label: str | None = None  # required when the standards do not define the variable
    type: Literal["Char", "Num"] | None = None
    format: str | None = None  # default DATE9. for *DT, DATETIME20. for *DTM, TIME8. for *TM
    length: int | None = None


class DatasetSpec(_Model):
    dataset: str = Field(pattern=r"^AD[A-Z0-9]{1,6}$")
    label: str = Field(max_length=40)
    structure: Literal["ADSL", "BDS", "OCCDS"]
    comment: str | None = None
    # a working dataset: built for the datasets after it, never written, validated or listed
    working: bool = False
    source: SourceSpec
    criteria: dict[str, CriteriaSpec] = {}
    steps: list[dict[str, Any]]
    key: list[str] = Field(min_length=1)  # sort order, unique per record
    variables: dict[str, VariableSpec | None]

    @model_validator(mode="after")
    def _key_is_kept(self) -> DatasetSpec:
        missing = [k for k in self.key if k not in self.variables]
        if missing:
            raise ValueError(f"key variables {missing} are not listed in variables")
        return self


class LoadedDataset(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    spec: DatasetSpec
    steps: list[_Step]
    file: Path
    lines: dict[Any, int]

    def line(self, *path: Any) -> int | None:
        return line_of(self.lines, path)


class AdamStudySpec(_Model):
    """What `cdiscflow adam` needs to know of the study when no study file is there (under
    `cdiscflow run` the study file says it); each defaults from the SDTM read."""

    studyid: str | None = None  # default: the SDTM's STUDYID (one value)
    title: str | None = None  # default: TS TITLE, else the study identifier
    # the date written into XPT headers and define.xml (fixed, so outputs are reproducible)
    created: dt.datetime | None = None  # default 2000-01-01T00:00:00
    max_xpt_bytes: int | None = Field(default=None, gt=0)  # default: FDA's 5 GB


class AdamIndex(_Model):
    datasets: list[str] = Field(min_length=1)
    study: AdamStudySpec = AdamStudySpec()
    report: ReportSpec | None = None
    # declared displays: each entry is checked against its kind by cdiscflow.report.displays
    # (a later stage) when the spec is loaded; here only their being mappings
    displays: list[dict[str, Any]] = []
    # SDTM datasets (and their variables) the spec reads that a study may lack: read empty
    optional: dict[Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{1,7}$")],
                   list[Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,7}$")]]] = {}
    survival_estimates: SurvivalEstimatesSpec | None = None
    incidence_estimates: IncidenceEstimatesSpec | None = None


class LoadedAdam(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    index: AdamIndex
    dir: Path
    datasets: list[LoadedDataset]


ADAM_DIR = "adam"
INDEX_FILE = "adam.yaml"


def _error(exc: ValidationError, file: Path, lines: dict[Any, int], dataset: str | None,
           prefix: tuple[Any, ...] = ()) -> AdamSpecError:
    err = exc.errors()[0]
    loc = prefix + tuple(err["loc"])
    variable = loc[1] if len(loc) > 1 and loc[0] == "variables" else None
    msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
    return AdamSpecError(f"{'.'.join(str(p) for p in loc) or '(top level)'}: {msg}", file=str(file),
                     dataset=dataset, variable=variable if isinstance(variable, str) else None,
                     line=line_of(lines, loc))


def _parse_steps(spec: DatasetSpec, file: Path, lines: dict[Any, int]) -> list[_Step]:
    steps: list[_Step] = []
    for i, raw in enumerate(spec.steps):
        if not isinstance(raw, dict) or len(raw) != 1:
            raise AdamSpecError(f"steps.{i}: a step is one mapping `function: {{arguments}}`",
                            file=str(file), dataset=spec.dataset, line=line_of(lines, ("steps", i)))
        (name, args), = raw.items()
        if name not in STEP_KINDS:
            raise AdamSpecError(f"steps.{i}: unknown derivation {name!r}; known: "
                            f"{', '.join(sorted(STEP_KINDS))}", file=str(file),
                            dataset=spec.dataset, line=line_of(lines, ("steps", i, name)))
        try:
            step = STEP_KINDS[name].model_validate(args or {})
        except ValidationError as exc:
            raise _error(exc, file, lines, spec.dataset, ("steps", i, name)) from None
        if isinstance(step, ParamResponse) and step.criteria not in spec.criteria:
            raise AdamSpecError(f"steps.{i}: no criteria named {step.criteria!r}", file=str(file),
                            dataset=spec.dataset,
                            line=line_of(lines, ("steps", i, name, "criteria")))
        steps.append(step)
    return steps


def load_dataset(file: Path) -> LoadedDataset:
    data, lines = load_yaml(file)
    name = data.get("dataset") if isinstance(data, dict) else None
    try:
        spec = DatasetSpec.model_validate(data)
    except ValidationError as exc:
        raise _error(exc, file, lines, name if isinstance(name, str) else None) from None
    return LoadedDataset(spec=spec, steps=_parse_steps(spec, file, lines), file=file,
                         lines=lines)


def load_adam(study_dir: Path) -> LoadedAdam | None:
    """The study's ADaM specs, or None when it has no ``adam/adam.yaml``."""
    folder = Path(study_dir) / ADAM_DIR
    if not (folder / INDEX_FILE).exists():
        return None
    return load_adam_folder(folder)


def load_adam_folder(folder: Path) -> LoadedAdam:
    """The ADaM specs of a folder holding ``adam.yaml`` and one file per dataset (no study
    file needed: `cdiscflow adam` builds ADaM from any SDTM)."""
    folder = Path(folder)
    index_file = folder / INDEX_FILE
    if not index_file.is_file():
        raise AdamSpecError(f"{folder}: no {INDEX_FILE} (the ADaM spec index)",
                            file=str(index_file))
    data, lines = load_yaml(index_file)
    try:
        index = AdamIndex.model_validate(data)
    except ValidationError as exc:
        raise _error(exc, index_file, lines, None) from None
    datasets = []
    for name in index.datasets:
        file = folder / f"{name.lower()}.yaml"
        if file.resolve().parent != folder.resolve():
            raise AdamSpecError(f"dataset file {name!r} is outside the adam folder",
                            file=str(index_file))
        loaded = load_dataset(file)
        if loaded.spec.dataset.lower() != name.lower():
            raise AdamSpecError(f"file {name}.yaml declares dataset {loaded.spec.dataset}; "
                                "name the file after its dataset", file=str(file),
                                dataset=loaded.spec.dataset, line=loaded.line("dataset"))
        datasets.append(loaded)
    return LoadedAdam(index=index, dir=folder, datasets=datasets)
