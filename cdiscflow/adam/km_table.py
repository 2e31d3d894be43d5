"""Kaplan-Meier estimates reported from a time-to-event dataset (ADTTE: PARAMCD, AVAL, CNSR),
by group and at declared time points (``survival_estimates`` in ``adam.yaml``,
docs/adam-spec.md). Numbers come from :mod:`cdiscflow.adam.survival`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from cdiscflow.adam.conditions import Where, evaluate
from cdiscflow.adam.derivations import DerivationError
from cdiscflow.adam.survival import greenwood_se_at, kaplan_meier, survival_at


def _groups(tte: pd.DataFrame, group: str, group_order: str | None) -> list[object]:
    if group_order is None:
        return sorted(tte[group].dropna().unique().tolist())
    order = tte[[group, group_order]].dropna().drop_duplicates()
    if order[group].duplicated().any():
        raise DerivationError(f"{group} has more than one {group_order}")
    return order.sort_values(group_order, kind="mergesort")[group].tolist()


def km_estimates(tte: pd.DataFrame, params: Sequence[str], group: str, times: Sequence[float],
                 group_order: str | None = None, where: Where | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(estimates, tables): per parameter and group, S(t) and its Greenwood standard error at
    each of ``times`` (in AVAL's unit), with the subjects, events and censorings; and the full
    product-limit tables. CNSR 0 is an event, any other value a censoring."""
    data = tte[evaluate(where, tte)]
    missing = [p for p in params if p not in set(data["PARAMCD"])]
    if missing:
        raise DerivationError(f"no records of PARAMCD {missing}")
    estimates, tables = [], []
    for param in params:
        rows = data[data["PARAMCD"] == param]
        for g in _groups(rows, group, group_order):
            sub = rows[rows[group] == g]
            if sub["AVAL"].isna().any():
                raise DerivationError(f"{param}: AVAL missing for {group} {g}")
            table = kaplan_meier(sub["AVAL"].astype(float), sub["CNSR"] == 0)
            tables.append(table.assign(PARAMCD=param, GROUP=g))
            for t in times:
                estimates.append({"PARAMCD": param, "GROUP": g, "N": len(sub),
                                  "EVENTS": int((sub["CNSR"] == 0).sum()),
                                  "CENSORED": int((sub["CNSR"] != 0).sum()), "TIME": float(t),
                                  "SURVIVAL": survival_at(table, t),
                                  "STDERR": greenwood_se_at(table, t)})
    cols = ["PARAMCD", "GROUP", "time", "n_risk", "n_event", "n_censor", "survival"]
    return (pd.DataFrame(estimates),
            pd.concat(tables, ignore_index=True)[cols] if tables else pd.DataFrame(columns=cols))


def write_km_estimates(estimates: pd.DataFrame, tables: pd.DataFrame, folder: Path
                       ) -> dict[str, Path]:
    """``km_estimates.csv`` and ``km_tables.csv``; fixed decimals so reruns are identical."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"km_estimates": folder / "km_estimates.csv", "km_tables": folder / "km_tables.csv"}
    estimates.to_csv(files["km_estimates"], index=False, float_format="%.6f", lineterminator="\n")
    tables.to_csv(files["km_tables"], index=False, float_format="%.6f", lineterminator="\n")
    return files
