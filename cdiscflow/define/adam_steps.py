"""ADaM spec steps in words, for the MethodDefs of an ADaM define.xml.

Each step of an ADaM dataset file (``derive_vars_merged: {...}``) becomes a sentence about one
variable it creates, built from the step's own arguments, plus the step exactly as the spec
declares it (the MethodDef's FormalExpression), so a reviewer reads the rule and can find it in
the spec. Nothing here is per study: the sentences come from the step's fields.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from cdiscflow.adam import spec as sp
from cdiscflow.adam.conditions import VarRef, Where, condition
from cdiscflow.adam.param_steps import ParamStep
from cdiscflow.wording import words

EXPRESSION_CONTEXT = "cdiscflow ADaM spec step (docs/adam-spec.md)"

_TESTS = (("eq", "="), ("ne", "is not"), ("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"))


def _operand(value: Any) -> str:
    if isinstance(value, VarRef):
        if value.plus:
            sign = "+" if value.plus > 0 else "-"
            return f"{value.var} {sign} {_number(abs(value.plus))}"
        return value.var
    return _number(value) if isinstance(value, float) else str(value)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def where_words(where: Where | None) -> str:
    """An ADaM condition in words: ``AVAL >= 30 and R2BASE >= 2``."""
    if where is None:
        return "any record"
    if isinstance(where, str):  # written as an expression: its own words
        return condition(where).words()
    if where.all is not None:
        return " and ".join(_grouped(w) for w in where.all)
    if where.any is not None:
        return " or ".join(_grouped(w) for w in where.any)
    if where.not_ is not None:
        return f"not ({where_words(where.not_)})"
    if where.is_null is not None:
        return f"{where.var} is {'blank' if where.is_null else 'not blank'}"
    if where.in_ is not None:
        return f"{where.var} is one of {', '.join(str(v) for v in where.in_)}"
    if where.not_in is not None:
        return f"{where.var} is none of {', '.join(str(v) for v in where.not_in)}"
    for attr, sign in _TESTS:
        value = getattr(where, attr)
        if value is not None:
            return f"{where.var} {sign} {_operand(value)}"
    raise ValueError(f"a condition with no test: {where!r}")  # the model forbids this


def _grouped(where: Where) -> str:
    text = where_words(where)
    combined = isinstance(where, str) or where.all is not None or where.any is not None
    return f"({text})" if combined else text


def _filtered(where: Where | None) -> str:
    return f" with {where_words(where)}" if where is not None else ""


def _merged(s: sp.VarsMerged, var: str) -> str:
    source = s._pairs()[var]
    pick = (f", from the {s.mode} of them ordered by {words(s.order)}" if s.mode else "")
    return (f"{s.dataset_add}.{source} of the {s.dataset_add} record{_filtered(s.filter_add)} "
            f"with the same {words(s.by_vars)}{pick}.")


def _exist(s: sp.MergedExistFlag, var: str) -> str:
    cond = s.condition if s.condition is not None else s.filter_add
    other = f", else '{s.false_value}'" if s.false_value is not None else ""
    return (f"'{s.true_value}' when the same {words(s.by_vars)} has a record in "
            f"{s.dataset_add} with {where_words(cond)}{other}.")


def _summary(s: sp.MergedSummary, var: str) -> str:
    what = (f"the number of {s.dataset_add} records" if s.analysis == "count"
            else f"the {s.analysis} of {s.dataset_add}.{s.analysis_var}")
    return f"{what[0].upper()}{what[1:]}{_filtered(s.filter_add)} per {words(s.by_vars)}."


def _transposed(s: sp.VarsTransposed, var: str) -> str:
    return (f"{s.value_var} of the {s.dataset_merge} record with {s.key_var} = "
            f"{s.new_vars[var]}{_filtered(s.filter)}, matched by {words(s.by_vars)}.")


def _lookup(s: sp.MergedLookup, var: str) -> str:
    pairs = "; ".join(f"{'/'.join(str(r[b]) for b in s.by_vars)} gives {r[var]}"
                      for r in s.table)
    return f"From {words(s.by_vars)} by the spec's table: {pairs}."


def _imputation(highest: str, date_imputation: str) -> str:
    if highest == "n":
        return "no imputation (blank unless the date is complete)"
    parts = "a missing day" if highest == "D" else "a missing day or month"
    return f"{parts} imputed to the {date_imputation} possible date"


def _dt(s: sp.VarsDt, var: str) -> str:
    if var.endswith("DTF"):
        return (f"Imputation flag of {s.new_vars_prefix}DT: D when the day of {s.dtc} was "
                f"imputed, M when the month was; blank when nothing was imputed.")
    bounds = ""
    if s.min_dates:
        bounds += f", or to {words(s.min_dates)} when the partial date's period contains it"
    if s.max_dates:
        bounds += f", or to {words(s.max_dates)} when the partial date's period contains it"
    return (f"The date part of {s.dtc} as a SAS date; "
            f"{_imputation(s.highest_imputation, s.date_imputation)}{bounds}.")


def _dtm(s: sp.VarsDtm, var: str) -> str:
    if var.endswith("DTF"):
        return (f"Imputation flag of the date of {s.new_vars_prefix}DTM: D when the day of "
                f"{s.dtc} was imputed, M when the month was.")
    if var.endswith("TMF"):
        return (f"Imputation flag of the time of {s.new_vars_prefix}DTM: H, M or S for the "
                f"first time component of {s.dtc} that was imputed.")
    return (f"{s.dtc} as a SAS datetime; {_imputation(s.highest_imputation, s.date_imputation)}"
            f", a missing time imputed to the {s.time_imputation} second of the day.")


def _dy(s: sp.VarsDy, var: str) -> str:
    src = s.source_vars[var]
    return (f"{src} - {s.reference_date}, plus 1 when {src} is on or after {s.reference_date} "
            f"(no day 0).")


def _duration(s: sp.VarsDuration, var: str) -> str:
    plus = " + 1" if s.add_one else ""
    unit = " divided by 7 (weeks)" if s.out_unit == "weeks" else " (days)"
    return f"({s.end_date} - {s.start_date}{plus}){unit}."


def _trtemfl(s: sp.Trtemfl, var: str) -> str:
    upper = ""
    if s.trt_end_date is not None:
        window = f" + {s.end_window} days" if s.end_window else ""
        upper = f" and on or before {s.trt_end_date}{window}"
    return (f"'Y' when {s.start_date} is on or after {s.trt_start_date}{upper}; an event "
            f"without {s.start_date} counts when {s.end_date} is blank or not before "
            f"{s.trt_start_date}.")


def _extreme(s: sp.ExtremeFlag, var: str) -> str:
    other = f", else '{s.false_value}'" if s.false_value is not None else ""
    among = f" among the records with {where_words(s.filter)}" if s.filter else ""
    return (f"'{s.true_value}' on the {s.mode} record per {words(s.by_vars)} ordered by "
            f"{words(s.order)}{among}{other}.")


def _cat(s: sp.VarsCat, var: str) -> str:
    numeric = var == s.new_var_n
    rules = "; ".join(
        f"{_number(c.value_n) if numeric and c.value_n is not None else c.value} when "
        f"{where_words(c.where)}" for c in s.categories)
    return f"{rules}; blank otherwise."


def _flag(s: sp.VarFlag, var: str) -> str:
    other = f", else '{s.false_value}'" if s.false_value is not None else ""
    return f"'{s.true_value}' when {where_words(s.condition)}{other}."


def _assign(s: sp.VarsAssign, var: str) -> str:
    a = s.values[var]
    if a.var is None:
        return f"Set to {a.constant}." if a.constant is not None else "Left blank."
    return f"{a.var}{' as a number' if a.type == 'Num' else ''}."


_STEP_TEXT: dict[type, Callable[[Any, str], str]] = {
    sp.VarsMerged: _merged,
    sp.MergedExistFlag: _exist,
    sp.MergedSummary: _summary,
    sp.VarsTransposed: _transposed,
    sp.MergedLookup: _lookup,
    sp.VarsDt: _dt,
    sp.VarsDtm: _dtm,
    sp.VarsDy: _dy,
    sp.VarsDuration: _duration,
    sp.Trtemfl: _trtemfl,
    sp.ExtremeFlag: _extreme,
    sp.VarBase: lambda s, v: (f"{s.source_var} of the record with {s.flag_var} = 'Y' of the "
                              f"same {words(s.by_vars)}."),
    sp.VarChg: lambda s, v: "AVAL - BASE.",
    sp.AnalysisRatio: lambda s, v: f"{s.numer_var} / {s.denom_var}.",
    sp.VarsCat: _cat,
    sp.VarFlag: _flag,
    sp.VarsAssign: _assign,
    sp.ObsNumber: lambda s, v: (f"Sequence number 1, 2, ... within each {words(s.by_vars)}, "
                                f"records ordered by {words(s.order)}."),
}


def step_text(step: sp._Step, var: str) -> str:
    """What ``step`` does to ``var`` (a variable it creates), in words."""
    return _STEP_TEXT[type(step)](step, var)


# --------------------------------------------------------------------------- parameter steps


def _subjects(s: ParamStep) -> str:
    return f"each subject of {s.subjects}{_filtered(s.subjects_where)}"


def _response(s: sp.ParamResponse, criteria: dict[str, sp.CriteriaSpec]) -> str:
    rule = criteria[s.criteria]
    cats = "; ".join(f"{c.code} when {where_words(c.where)}" for c in rule.categories)
    return (f"one record per assessment with {where_words(s.assessments)} among the records "
            f"with {where_words(s.source)}: AVALC is {cats}; otherwise {rule.otherwise} "
            f"(rule set {s.criteria}; {rule.not_evaluable_code} where the record is not "
            f"evaluable).")


def _tte_source(source: sp.TteSourceSpec) -> str:
    sets = "; ".join(f"{k} {v}" for k, v in source.set_values_to.items())
    return (f"{source.dataset}.{source.date}{_filtered(source.where)}"
            + (f", giving {sets}" if sets else ""))


def param_text(step: sp._Step, criteria: dict[str, sp.CriteriaSpec]) -> str:
    """What a record-adding step computes for the records it adds, in words."""
    if isinstance(step, sp.ParamResponse):
        return _response(step, criteria)
    if isinstance(step, sp.ExtremeEvent):
        none = f"; {step.if_none} when there is none" if step.if_none else ""
        return (f"one record for {_subjects(step)}: the first of {words(step.order)} found "
                f"among its records with {where_words(step.source)}{none}.")
    if isinstance(step, sp.ParamExistFlag):
        return (f"one record for {_subjects(step)}: AVALC '{step.true_value}' when it has a "
                f"record with {where_words(step.condition)}, else '{step.false_value}'.")
    if isinstance(step, sp.ParamConfirmedResp):
        return (f"one record for {_subjects(step)}: 'Y' when at least {step.min_count} of its "
                f"records with {where_words(step.source)} have AVALC {words(step.codes)} at "
                f"least {_number(step.min_days_apart)} days apart, else 'N'.")
    if isinstance(step, sp.ParamTte):
        censor = (f"; otherwise censored (CNSR = 1) at the last record with "
                  f"{where_words(step.censor)}" if step.censor else "")
        return (f"one record for {_subjects(step)}: AVAL is the time in "
                f"{step.unit.lower()} from {step.start_date} to the first record with "
                f"{where_words(step.event)} (CNSR = 0){censor}.")
    if isinstance(step, sp.ParamTteSources):
        events = "; ".join(_tte_source(e) for e in step.event_sources)
        censors = "; ".join(_tte_source(c) for c in step.censor_sources)
        return (f"one record for {_subjects(step)}: AVAL is the time in "
                f"{step.unit.lower()} from {step.start_date} to the earliest event ({events})"
                + (f", else censored at the latest of ({censors})" if censors else "") + ".")
    if isinstance(step, sp.ParamResponseDuration):
        return (f"one record for {_subjects(step)}: the total time in {step.unit.lower()} "
                f"spent in response ({words(step.response_codes)}) over its records with "
                f"{where_words(step.source)}, each episode from the first response to the "
                f"first evaluable non-response or the last assessment.")
    raise KeyError(type(step).__name__)


def adds_records(step: sp._Step) -> bool:
    return isinstance(step, (sp.ParamResponse, ParamStep))


def expression(raw: dict[str, Any]) -> str:
    """The step as the spec declares it, on one line (the MethodDef's FormalExpression)."""
    return yaml.safe_dump(raw, default_flow_style=True, sort_keys=False, width=1 << 20,
                          allow_unicode=True).strip()
