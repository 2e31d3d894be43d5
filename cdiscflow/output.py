"""Writing a run's results: SDTM datasets as XPT, lineage beside them, and the run report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd

from cdiscflow.atomic import write_text_atomic
from cdiscflow.errors import DefectLog
from cdiscflow.sdtm.engine import DomainResult
from cdiscflow.standards import sdtm_dataset_label, sdtm_variables
from cdiscflow.xpt import XptVariable, write_xpt


def xpt_variables(domain: str, frame: pd.DataFrame, labels: dict[str, str] | None = None
                  ) -> list[XptVariable]:
    """The XPT description of a domain's columns, from the IG's labels and types."""
    ig = {v.name: v for v in sdtm_variables(domain)}
    labels = labels or {}
    return [
        XptVariable(name=c, label=labels.get(c) or ig[c].label, type=ig[c].type)
        for c in frame.columns
    ]


def write_dataset(frame: pd.DataFrame, domain: str, folder: Path, created: dt.datetime,
                  labels: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{domain.lower()}.xpt"
    write_xpt(frame, path, dataset=domain, label=sdtm_dataset_label(domain),
              variables=xpt_variables(domain, frame, labels), created=created)
    return path


def write_results(results: dict[str, DomainResult], out: Path, created: dt.datetime,
                  defects: DefectLog, study: dict[str, Any]) -> dict[str, Any]:
    """Write every domain (and SUPP--), its lineage and the run report; returns the report."""
    sdtm = out / "sdtm"
    written: dict[str, str] = {}
    for name, res in results.items():
        written[name] = str(write_dataset(res.data, name, sdtm, created, res.labels))
        if res.supp is not None and len(res.supp):
            supp_name = f"SUPP{name}"
            written[supp_name] = str(write_dataset(res.supp, supp_name, sdtm, created))
        write_text_atomic(out / "lineage" / f"{name.lower()}.csv",
                          res.lineage.to_csv(index=False, lineterminator="\n"))
    report = {
        "study": study,
        "domains": {
            name: {**res.recon.as_dict(),
                   "supp_records": 0 if res.supp is None else len(res.supp)}
            for name, res in results.items()
        },
        "datasets": {k: str(Path(v).relative_to(out)) for k, v in written.items()},
        "errors": len(defects.errors),
        "warnings": len(defects.warnings),
        "defects": [d.as_dict() for d in defects.defects],
    }
    write_text_atomic(out / "report" / "run.json", json.dumps(report, indent=2) + "\n")
    cols = ["severity", "domain", "file", "row", "column", "value", "message"]
    table = pd.DataFrame([d.as_dict() for d in defects.defects], columns=cols)
    write_text_atomic(out / "report" / "defects.csv", table.to_csv(index=False,
                                                                   lineterminator="\n"))
    return report
