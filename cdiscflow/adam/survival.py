"""Kaplan-Meier (product-limit) estimation for time-to-event analysis (ADTTE: AVAL, CNSR).

Kept free of any dataset layout so that report steps and tests can call it on plain arrays.
Ties follow the usual convention: at a time where both events and censorings occur, the events
are counted first (the censored subjects are still at risk for those events).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

ArrayLike = npt.ArrayLike

COLUMNS = ["time", "n_risk", "n_event", "n_censor", "survival"]


def kaplan_meier(time: ArrayLike, event: ArrayLike) -> pd.DataFrame:
    """Product-limit table, one row per distinct observed time (events or censorings).

    ``event`` is truthy (1/True) for an event and falsy (0/False) for a censored observation;
    note that ADaM's CNSR is the opposite (0 = event), so callers pass ``CNSR == 0``.
    ``survival`` is S(t) just after ``time``. Missing times are rejected rather than dropped,
    because silently losing subjects would bias the estimate.
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event).astype(bool)
    if t.shape != e.shape or t.ndim != 1:
        raise ValueError("time and event must be one-dimensional and of the same length")
    if np.isnan(t).any():
        raise ValueError("time contains missing values")
    if (t < 0).any():
        raise ValueError("time contains negative values")
    if t.size == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in COLUMNS})
    times = np.unique(t)
    n_event = np.array([int((e & (t == x)).sum()) for x in times])
    n_censor = np.array([int((~e & (t == x)).sum()) for x in times])
    # At risk at time x: everyone whose time is >= x (so censorings at x count as at risk,
    # which is what "events before censorings" means).
    n_risk = np.array([int((t >= x).sum()) for x in times])
    survival = np.cumprod(1.0 - n_event / n_risk)
    return pd.DataFrame({"time": times, "n_risk": n_risk, "n_event": n_event,
                         "n_censor": n_censor, "survival": survival})


def survival_at(table: pd.DataFrame, t: float) -> float:
    """S(t) from a :func:`kaplan_meier` table: the right-continuous step function, 1.0 before
    the first time. Beyond the last observed time the last value is carried (it is undefined
    there if the last observation is censored; reporting it is the common convention)."""
    if np.isnan(t):
        raise ValueError("t is missing")
    upto = table.loc[table["time"] <= t, "survival"]
    return 1.0 if upto.empty else float(upto.iloc[-1])


def greenwood_se_at(table: pd.DataFrame, t: float) -> float:
    """Greenwood standard error of S(t): S(t) * sqrt(sum over event times <= t of
    d / (n (n - d))). NaN once S has reached 0 (the sum is undefined there)."""
    if np.isnan(t):
        raise ValueError("t is missing")
    rows = table[(table["time"] <= t) & (table["n_event"] > 0)]
    if (rows["n_risk"] == rows["n_event"]).any():
        return float("nan")
    var = float((rows["n_event"] / (rows["n_risk"] * (rows["n_risk"] - rows["n_event"]))).sum())
    return survival_at(table, t) * var ** 0.5
