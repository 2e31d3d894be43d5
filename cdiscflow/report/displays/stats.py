"""The statistics the displays print, on plain arrays: summary of a numeric variable, exact
(Clopper-Pearson) binomial confidence limits, and the Kaplan-Meier median with its confidence
interval and the pointwise confidence band drawn around a curve.

No SciPy: the binomial limits are found by bisection on the binomial tail (computed in log
space, so large n is exact enough), and the normal quantile comes from the standard library.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdiscflow.adam.survival import kaplan_meier


def fmt(value: float, decimals: int) -> str:
    """A number rounded half away from zero (as SAS prints), ``-`` for a missing one."""
    if value is None or not math.isfinite(value):
        return "-"
    scale = 10 ** decimals
    rounded = math.floor(abs(value) * scale + 0.5 + 1e-9) / scale
    return f"{math.copysign(rounded, value) if rounded else 0.0:.{decimals}f}"


def summary(values: Sequence[float]) -> dict[str, float]:
    """n, mean, SD (n - 1), median, min and max of the non-missing values (NaN where
    undefined: no value, or SD of one value)."""
    vals = [float(v) for v in values if pd.notna(v)]
    nan = float("nan")
    if not vals:
        return {"n": 0, "mean": nan, "sd": nan, "median": nan, "min": nan, "max": nan}
    return {"n": len(vals), "mean": statistics.fmean(vals),
            "sd": statistics.stdev(vals) if len(vals) > 1 else nan,
            "median": statistics.median(vals), "min": min(vals), "max": max(vals)}


def _log_pmf(k: int, n: int, p: float) -> float:
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + k * math.log(p) + (n - k) * math.log1p(-p))


def _cdf(x: int, n: int, p: float) -> float:
    """P(X <= x) for X ~ Binomial(n, p), 0 < p < 1."""
    return min(1.0, sum(math.exp(_log_pmf(k, n, p)) for k in range(x + 1)))


def _solve(f, target: float) -> float:
    """The p in (0, 1) where the decreasing function f(p) equals target (bisection)."""
    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if f(mid) > target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-15:
            break
    return (lo + hi) / 2


def clopper_pearson(x: int, n: int, conf: float = 0.95) -> tuple[float, float]:
    """Exact two-sided confidence limits of a proportion x/n: the lower limit is the p at
    which P(X >= x) = alpha/2, the upper the p at which P(X <= x) = alpha/2; 0 and 1 at the
    ends (x = 0, x = n). ValueError for n = 0 or x outside 0..n."""
    if n <= 0 or not 0 <= x <= n:
        raise ValueError(f"no proportion {x}/{n}")
    alpha = 1 - conf
    # P(X >= x) = alpha/2 is P(X <= x - 1) = 1 - alpha/2; both tails decrease in p
    lower = 0.0 if x == 0 else _solve(lambda p: _cdf(x - 1, n, p), 1 - alpha / 2)
    upper = 1.0 if x == n else _solve(lambda p: _cdf(x, n, p), alpha / 2)
    return lower, upper


def km_curve(time: Sequence[float], event: Sequence[bool], conf: float = 0.95) -> pd.DataFrame:
    """The product-limit table (``cdiscflow.adam.survival.kaplan_meier``) with Greenwood's
    variance and the pointwise log-log confidence limits of S(t) (SAS PROC LIFETEST's default
    transform: the limits stay inside 0..1), columns ``lower`` and ``upper``."""
    table = kaplan_meier(time, event).copy()
    z = statistics.NormalDist().inv_cdf(1 - (1 - conf) / 2)
    d, n, s = table["n_event"].to_numpy(float), table["n_risk"].to_numpy(float), \
        table["survival"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(d > 0, d / (n * (n - d)), 0.0)
        var = np.cumsum(terms)  # Greenwood's sum: var(S)/S^2
        log_s = np.log(s)
        se = np.sqrt(var) / np.abs(log_s)  # standard error of log(-log S)
        lower = s ** np.exp(z * se)
        upper = s ** np.exp(-z * se)
    undefined = (s <= 0) | (s >= 1) | ~np.isfinite(se)
    table["lower"] = np.where(undefined, np.where(s >= 1, 1.0, 0.0), lower)
    table["upper"] = np.where(undefined, np.where(s >= 1, 1.0, 0.0), upper)
    return table


def _first_at_or_below(times: np.ndarray, values: np.ndarray, level: float) -> float:
    hits = np.nonzero(values <= level + 1e-12)[0]
    return float(times[hits[0]]) if len(hits) else float("nan")


def km_median(table: pd.DataFrame) -> tuple[float, float, float]:
    """(median, lower, upper) from :func:`km_curve`: the median is the first time S(t) <= 0.5;
    its confidence interval (Brookmeyer-Crowley) runs from the first time the lower limit of
    S(t) reaches 0.5 or less to the first time the upper limit does; NaN where a curve never
    gets there (not reached)."""
    t = table["time"].to_numpy(float)
    return (_first_at_or_below(t, table["survival"].to_numpy(float), 0.5),
            _first_at_or_below(t, table["lower"].to_numpy(float), 0.5),
            _first_at_or_below(t, table["upper"].to_numpy(float), 0.5))


def at_risk(time: Sequence[float], when: Sequence[float]) -> list[int]:
    """Subjects still at risk (time >= t) at each time ``t`` of ``when``."""
    t = np.asarray(time, dtype=float)
    return [int((t >= w).sum()) for w in when]
