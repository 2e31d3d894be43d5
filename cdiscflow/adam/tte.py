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


@dataclass(frozen=True)
class TteSource:
    records: pd.DataFrame  # the source dataset's records, already filtered by the condition
    date: str  # ISO 8601 text (--DTC) or a numeric SAS date (ADT, DTHDT, ...)
    set_values_to: dict[str, Any] = field(default_factory=dict)  # e.g. EVNTDESC, SRCDOM


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
        parts.append(pd.DataFrame({"USUBJID": src.records["USUBJID"].to_numpy(),
                                   "ADT": _dates(src.records[src.date]).to_numpy(),
                                   "_KIND": kind, "_SRC": offset + i}))
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
    new = new.reset_index(drop=True)
    # which source gave each subject's date: the first listed among those with that date
    kind = np.where(new["CNSR"] == 0, "E", "C")
    key = pd.DataFrame({"USUBJID": new["USUBJID"], "ADT": new["ADT"], "_KIND": kind})
    first_src = pool.groupby(["USUBJID", "ADT", "_KIND"])["_SRC"].min().reset_index()
    src_of = key.merge(first_src, on=["USUBJID", "ADT", "_KIND"], how="left")["_SRC"]
    every = list(events) + list(censors)
    for name in sorted({k for s in every for k in s.set_values_to}):
        # a source sets only what it names; the rest keeps its value, so an event source can
        # give CNSR 2 (a competing event, e.g. relapse for non-relapse mortality) while the
        # others keep the CNSR 0/1 derived above
        current = new[name].tolist() if name in new.columns else [None] * len(new)
        values = [every[int(i)].set_values_to.get(name, cur)
                  for i, cur in zip(src_of, current, strict=True)]
        new[name] = pd.Series(values, index=new.index, dtype=object)
    return pd.concat([df, new], ignore_index=True)


def filter_records(df: pd.DataFrame, where: Where) -> pd.DataFrame:
    """Keep the records meeting ``where`` (e.g. drop working records once parameters are
    derived from them)."""
    return df[evaluate(where, df)].reset_index(drop=True)
