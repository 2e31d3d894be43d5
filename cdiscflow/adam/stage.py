"""The ADaM stage of `cdiscflow run`: SDTM XPT files in, ADaM XPT files and the report out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from cdiscflow.adam.competing import incidence_estimates
from cdiscflow.adam.derivations import DerivationError
from cdiscflow.adam.engine import build_adam, read_sdtm, write_adam
from cdiscflow.adam.km_table import km_estimates, write_km_estimates
from cdiscflow.adam.optional_inputs import missing_inputs
from cdiscflow.adam.spec import AdamSpecError, LoadedAdam
from cdiscflow.spec import FDA_MAX_XPT_BYTES


def run_adam(adam: LoadedAdam, sdtm: Path | dict[str, pd.DataFrame], adam_dir: Path,
             report_dir: Path, created: dt.datetime,
             after_write: Callable[[], None] | None = None,
             max_bytes: int = FDA_MAX_XPT_BYTES,
             qualifiers: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """Build and write every ADaM dataset of ``adam`` from the SDTM in the folder ``sdtm``
    (or already read by :func:`read_sdtm`), then the report (when the index declares one);
    returns what was written, for the run report. ``after_write`` is called once the ADaM
    XPT files are written; a dataset larger than ``max_bytes`` is split into parts;
    ``qualifiers``: the SUPP-- QNAMs each domain's mapping declares (present, if empty)."""
    if not isinstance(sdtm, dict):
        sdtm = read_sdtm(sdtm, qualifiers)
    datasets = build_adam(adam, sdtm)
    written = write_adam(datasets, adam_dir, created, max_bytes)
    if after_write is not None:
        after_write()
    out: dict[str, Any] = {"datasets": {
        # one file as before; a split dataset lists its parts
        k: ({"file": v[0].name} if len(v) == 1 else {"files": [p.name for p in v]})
        | {"records": len(datasets[k].data)} for k, v in written.items()}}
    if missing := missing_inputs(sdtm, adam.index.optional):
        # read as empty (adam.yaml optional:): the values they would give are missing
        out["optional_inputs_missing"] = missing
    def estimated(key: str, dataset: str, compute: Callable[[pd.DataFrame], Any]) -> Any:
        # an estimates entry of adam.yaml: its dataset must be built, its errors name the entry
        if dataset not in datasets:
            raise AdamSpecError(f"{key}: the index builds no {dataset}",
                                file=str(adam.dir / "adam.yaml"))
        try:
            return compute(datasets[dataset].data)
        except (KeyError, DerivationError) as exc:
            raise AdamSpecError(f"{key}: {exc}", file=str(adam.dir / "adam.yaml")) from None

    km = adam.index.survival_estimates
    if km is not None:
        estimates, tables = estimated("survival_estimates", km.dataset, lambda data: km_estimates(
            data, km.params, km.group, km.times, km.group_order, km.where))
        files = write_km_estimates(estimates, tables, report_dir)
        out["survival_estimates"] = {k: v.name for k, v in files.items()}
    cif = adam.index.incidence_estimates
    if cif is not None:
        incidence = estimated("incidence_estimates", cif.dataset, lambda data: (
            incidence_estimates(data, cif.params, cif.times, cif.competing_cnsr, cif.group,
                                cif.where)))
        report_dir.mkdir(parents=True, exist_ok=True)
        path = report_dir / "cif_estimates.csv"
        incidence.to_csv(path, index=False, lineterminator="\n", float_format="%.6f")
        out["incidence_estimates"] = {"estimates": path.name}
    spec = adam.index.report
    if spec is not None:
        needed = {"ADSL", "ADAE", "ADRS"}
        if not needed <= set(datasets):
            raise AdamSpecError(f"the report needs {sorted(needed)}; the index builds "
                                f"{sorted(datasets)}", file=str(adam.dir / "adam.yaml"))
        from cdiscflow.report import write_report

        labels = {v.name: v.label for v in datasets["ADSL"].variables}
        try:
            files = write_report(datasets["ADSL"].data, datasets["ADAE"].data,
                                 datasets["ADRS"].data, sdtm, spec, labels, report_dir)
        except KeyError as exc:
            raise AdamSpecError(f"report: no variable, parameter or dataset {exc}",
                                file=str(adam.dir / "adam.yaml")) from None
        out["report"] = {k: v.name for k, v in files.items()}
    if adam.index.displays:
        from cdiscflow.report.displays import write_displays

        built = {k: v.data for k, v in datasets.items()}
        labels = {k: {v.name: v.label for v in d.variables} for k, d in datasets.items()}
        out["displays"] = write_displays(adam, built, labels, sdtm, report_dir)
    return out
