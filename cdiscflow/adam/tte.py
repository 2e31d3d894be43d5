"""Time-to-event parameters whose events and censorings come from several datasets (ADTTE):
admiral's ``derive_param_tte`` with ``event_source`` / ``censor_source`` objects.

Each source is records of one dataset (SDTM or ADaM), a condition and the date variable; e.g.
overall survival: event = DS records with DSDECOD DEATH (date DSSTDTC), censoring = the last
contact date. The per-subject choice (the first event, else the last censoring) is
:func:`cdiscflow.adam.response.derive_param_tte`'s, applied to the pooled candidate dates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from cdiscflow.adam.conditions import Where, evaluate
from cdiscflow.adam.dates import impute_date
from cdiscflow.adam.derivations import DerivationError
from cdiscflow.adam.response import derive_param_tte
from cdiscflow.adam.values import is_expr, set_values

_VALUE = "_V:"  # prefix of a source's computed values in the pool of candidate dates


@dataclass(frozen=True)
class TteSource:
    records: pd.DataFrame  # the source dataset's records, already filtered by the condition
    date: str  # ISO 8601 text (--DTC) or a numeric SAS date (ADT, DTHDT, ...)
    # e.g. EVNTDESC, SRCDOM: constants, or {expr: ...} computed on the source record that gave
    # the date (SRCSEQ: {expr: AESEQ})
    set_values_to: dict[str, Any] = field(default_factory=dict)


def _dates(col: pd.Series) -> pd.Series:
    """SAS dates from a numeric date or complete ISO dates (a partial date is no date: an
    event or censoring is never placed on an invented day)."""
    if pd.api.types.is_numeric_dtype(col):
        return col.astype(float)
    days, _ = impute_date(col.astype("string").fillna(""))
    return pd.Series(np.asarray(days, dtype=float), index=col.index)


def _candidates(sources: Sequence[TteSource], kind: str, offset: int) -> pd.DataFrame:
    parts = []
    for i, src in enumerate(sources):
        if src.date not in src.records.columns:
            raise DerivationError(f"the source has no date variable {src.date!r}")
        part = pd.DataFrame({"USUBJID": src.records["USUBJID"].to_numpy(),
                             "ADT": _dates(src.records[src.date]).to_numpy(),
                             "_KIND": kind, "_SRC": offset + i})
        exprs = {k: v for k, v in src.set_values_to.items() if is_expr(v)}
        if exprs:
            # computed on the source's records, so the record chosen brings its own values
            computed = set_values(src.records.reset_index(drop=True), exprs)
            for name in exprs:
                part[_VALUE + name] = computed[name].to_numpy()
        parts.append(part)
    if not parts:
        return pd.DataFrame({"USUBJID": [], "ADT": [], "_KIND": [], "_SRC": []})
    out = pd.concat(parts, ignore_index=True)
    return out[out["ADT"].notna()]


def derive_param_tte_sources(df: pd.DataFrame, subjects: pd.DataFrame, by_vars: Sequence[str],
                             start_date: str, events: Sequence[TteSource],
                             censors: Sequence[TteSource], set_values_to: dict[str, Any],
                             unit: Literal["DAYS", "WEEKS"] = "DAYS", day_offset: float = 0
                             ) -> pd.DataFrame:
    """One record per subject of ``subjects``: the first event date of any event source
    (CNSR 0), else the last censoring date of any censoring source (CNSR 1); AVAL = ADT -
    STARTDT + ``day_offset``. The source that supplied the date adds its ``set_values_to``
    (the first listed wins a tie). Records are appended to ``df``; subjects with neither get
    none."""
    if not events:
        raise DerivationError("at least one event source is needed")
    pool = pd.concat([_candidates(events, "E", 0), _candidates(censors, "C", len(events))],
                     ignore_index=True)
    pool["_KIND"] = pool["_KIND"].astype(object)
    chosen = derive_param_tte(pool, subjects, by_vars, start_date,
                              "_KIND = 'E'", "_KIND = 'C'",
                              set_values_to, unit, day_offset=day_offset)
    new = chosen.iloc[len(pool):].drop(columns=["_KIND", "_SRC"], errors="ignore")
    new = new.drop(columns=[c for c in new.columns if c.startswith(_VALUE)])
    new = new.reset_index(drop=True)
    # which record gave each subject's date: of those with that date, the first source listed,
    # and within it the first record in the source's order (the pool keeps both orders)
    kind = np.where(new["CNSR"] == 0, "E", "C")
    key = pd.DataFrame({"USUBJID": new["USUBJID"], "ADT": new["ADT"], "_KIND": kind})
    pool = pool.reset_index(drop=True)
    first = (pool.assign(_ROW=np.arange(len(pool)))
             .groupby(["USUBJID", "ADT", "_KIND"])["_ROW"].min().reset_index())
    row_of = key.merge(first, on=["USUBJID", "ADT", "_KIND"], how="left")["_ROW"].to_numpy()
    src_of = pool["_SRC"].to_numpy()[row_of]
    every = list(events) + list(censors)
    for name in sorted({k for s in every for k in s.set_values_to}):
        # a source sets only what it names; the rest keeps its value, so an event source can
        # give CNSR 2 (a competing event, e.g. relapse for non-relapse mortality) while the
        # others keep the CNSR 0/1 derived above
        current = new[name].tolist() if name in new.columns else [None] * len(new)
        computed = (pool[_VALUE + name].to_numpy()[row_of] if _VALUE + name in pool.columns
                    else None)
        values = []
        for j, (i, cur) in enumerate(zip(src_of, current, strict=True)):
            given = every[int(i)].set_values_to
            if name not in given:
                values.append(cur)
            elif is_expr(given[name]):
                values.append(_plain(computed[j]))  # type: ignore[index]
            else:
                values.append(given[name])
        new[name] = pd.Series(values, index=new.index, dtype=object)
    return pd.concat([df, new], ignore_index=True)


def _plain(value: Any) -> Any:
    """A computed value as a constant would be: None for missing."""
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def filter_records(df: pd.DataFrame, where: Where) -> pd.DataFrame:
    """Keep the records meeting ``where`` (e.g. drop working records once parameters are
    derived from them)."""
    return df[evaluate(where, df)].reset_index(drop=True)
