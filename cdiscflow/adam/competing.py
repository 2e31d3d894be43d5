"""Cumulative incidence under competing risks (Aalen-Johansen), for time-to-event analyses where
another event precludes the one of interest (non-relapse mortality vs relapse after a
transplant, say).

1 - Kaplan-Meier overstates the incidence of a cause when competing events are treated as
censorings: a subject who died cannot relapse later, but KM assumes they still could. The
Aalen-Johansen estimator weights each cause-specific hazard step by the probability of being
free of *any* event just before it:

    CIF_k(t) = sum over event times t_j <= t of S(t_j-) * d_kj / n_j

with S the Kaplan-Meier estimate of freedom from any event. Kept free of any dataset layout, like
:mod:`cdiscflow.adam.survival`, so report steps and tests call it on plain arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from cdiscflow.adam.conditions import Where, evaluate
from cdiscflow.adam.derivations import DerivationError

COLUMNS = ["time", "n_risk", "n_event_cause", "n_event_other", "cif"]


def cumulative_incidence(time: npt.ArrayLike, event_type: npt.ArrayLike, cause: int
                         ) -> pd.DataFrame:
    """Aalen-Johansen table for ``cause``, one row per distinct observed time.

    ``event_type`` is 0 for a censored observation and a positive code for each kind of event
    (as cmprsk's ``fstatus`` with ``cencode = 0``); ``cause`` is the code of interest, every
    other positive code is a competing event. ``cif`` is the cumulative incidence just after
    ``time``. Ties: events (of any kind) at a time are counted before the censorings at that
    time, which stay at risk for them (the same convention as the Kaplan-Meier estimator).
    Missing or negative times are rejected rather than dropped, since losing subjects
    silently would bias the estimate.
    """
    t = np.asarray(time, dtype=float)
    code = np.asarray(event_type, dtype=float)
    if t.shape != code.shape or t.ndim != 1:
        raise ValueError("time and event_type must be one-dimensional and of the same length")
    if np.isnan(t).any() or np.isnan(code).any():
        raise ValueError("time or event_type contains missing values")
    if (t < 0).any() or (code < 0).any():
        raise ValueError("time and event_type must not be negative")
    if cause <= 0:
        raise ValueError("cause must be a positive event code (0 means censored)")
    if t.size == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS})
    times = np.unique(t)
    n_risk = np.array([int((t >= x).sum()) for x in times])
    n_cause = np.array([int(((t == x) & (code == cause)).sum()) for x in times])
    n_other = np.array([int(((t == x) & (code > 0) & (code != cause)).sum()) for x in times])
    # freedom from any event just after each time, and just before it (shifted by one)
    free_after = np.cumprod(1.0 - (n_cause + n_other) / n_risk)
    free_before = np.concatenate(([1.0], free_after[:-1]))
    cif = np.cumsum(free_before * n_cause / n_risk)
    return pd.DataFrame({"time": times, "n_risk": n_risk, "n_event_cause": n_cause,
                         "n_event_other": n_other, "cif": cif})


def incidence_at(table: pd.DataFrame, t: float) -> float:
    """CIF(t) from a :func:`cumulative_incidence` table: the right-continuous step function,
    0.0 before the first time, the last value carried beyond the last observed time."""
    if np.isnan(t):
        raise ValueError("t is missing")
    upto = table.loc[table["time"] <= t, "cif"]
    return 0.0 if upto.empty else float(upto.iloc[-1])


def incidence_estimates(tte: pd.DataFrame, params: Sequence[str], times: Sequence[float],
                        competing_cnsr: Sequence[float], group: str | None = None,
                        where: Where | None = None) -> pd.DataFrame:
    """Cumulative incidence at ``times`` (in AVAL's unit) for each PARAMCD of a
    time-to-event dataset (ADTTE: PARAMCD, AVAL, CNSR), overall or per value of ``group``.

    CNSR 0 is the event of interest, a CNSR in ``competing_cnsr`` a competing event, any other
    CNSR a censoring: the coding is declared in the spec, not assumed."""
    data = tte[evaluate(where, tte)]
    missing = [p for p in params if p not in set(data["PARAMCD"])]
    if missing:
        raise DerivationError(f"no records of PARAMCD {missing}")
    competing = {float(c) for c in competing_cnsr}
    if 0.0 in competing:
        raise DerivationError("CNSR 0 is the event of interest, not a competing event")
    rows = []
    for param in params:
        recs = data[data["PARAMCD"] == param]
        groups = [None] if group is None else sorted(recs[group].dropna().unique().tolist())
        for g in groups:
            sub = recs if g is None else recs[recs[group] == g]
            cnsr = pd.to_numeric(sub["CNSR"], errors="coerce").astype(float)
            if cnsr.isna().any():
                raise DerivationError(f"{param}: CNSR is missing on some records")
            kind = np.where(cnsr == 0, 1, np.where(cnsr.isin(competing), 2, 0))
            table = cumulative_incidence(pd.to_numeric(sub["AVAL"], errors="coerce"), kind, 1)
            for t in times:
                rows.append({"PARAMCD": param, "GROUP": "" if g is None else g,
                             "N": len(sub), "EVENTS": int((kind == 1).sum()),
                             "COMPETING": int((kind == 2).sum()),
                             "CENSORED": int((kind == 0).sum()), "TIME": float(t),
                             "INCIDENCE": incidence_at(table, float(t))})
    return pd.DataFrame(rows, columns=["PARAMCD", "GROUP", "N", "EVENTS", "COMPETING",
                                       "CENSORED", "TIME", "INCIDENCE"])
