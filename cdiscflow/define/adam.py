"""Define-XML metadata for ADaM datasets, generically: any dataset written through
``cdiscflow.xpt`` with its variables (labels, types, lengths, DATE9./DATETIME20. formats).

The class comes from the dataset's shape (ADSL; PARAMCD means BDS; a --DECOD/--TERM event
dataset is OCCDS; otherwise ADAM OTHER). A variable's origin is what the caller says it is;
otherwise a variable that exists under the same name in the SDTM domain the dataset is built
from is a Predecessor (``DM.AGE``) and everything else Derived.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cdiscflow.define.model import (
    Dataset,
    Define,
    Item,
    Method,
    Origin,
    Standard,
    WrittenDataset,
    item_shape,
)
from cdiscflow.define.sdtm import SDTM_CT_OID
from cdiscflow.standards import CT_VERSION
from cdiscflow.standards.ig import _read_csv

ADAMIG_VERSION = "1.3"
ADAM_CT_VERSION = CT_VERSION  # one quarterly CT package holds the SDTM and ADaM terminology
ADAMIG_OID = f"STD.ADaMIG.{ADAMIG_VERSION}"
ADAM_CT_OID = f"STD.CT.ADaM.{ADAM_CT_VERSION}"
ADAM_STANDARDS = [
    Standard(ADAMIG_OID, "ADaMIG", "IG", ADAMIG_VERSION),
    Standard(ADAM_CT_OID, "CDISC/NCI", "CT", ADAM_CT_VERSION, "ADaM"),
    Standard(SDTM_CT_OID, "CDISC/NCI", "CT", CT_VERSION, "SDTM"),
]


def _structures() -> dict[str, dict[str, str]]:
    return {r["Data Structure Name"]: r for r in _read_csv("adamig-1.3", "DataStructures.csv")}


def adam_class(name: str, frame: pd.DataFrame) -> tuple[str, str]:
    """(def:Class name, structure description) from the dataset's shape."""
    rows = _structures()
    if name == "ADSL":
        return rows["ADSL"]["Class"], "One record per subject"
    if "PARAMCD" in frame.columns:
        keys = "parameter" + (" per analysis timepoint" if "AVISIT" in frame.columns else "")
        return rows["BDS"]["Class"], f"One record per subject per {keys}"
    if any(c.endswith(("DECOD", "TERM")) for c in frame.columns):
        return "OCCURRENCE DATA STRUCTURE", "One record per subject per occurrence"
    return "ADAM OTHER", "See the dataset comment"


def adam_define(
    studyid: str,
    description: str,
    created: dt.datetime,
    written: list[WrittenDataset],
    *,
    predecessors: dict[str, pd.DataFrame] | None = None,
    sources: dict[str, str] | None = None,
    origins: dict[tuple[str, str], tuple[Origin, Method | None]] | None = None,
    keys: dict[str, list[str]] | None = None,
) -> Define:
    """The define.xml model of ADaM datasets.

    ``predecessors`` maps SDTM dataset names to frames; ``sources`` maps an ADaM dataset to
    the SDTM domain it is built from (default: ADSL from DM, ADxx from xx); ``origins`` gives
    (dataset, variable) origins and methods explicitly; ``keys`` the key variables.
    """
    predecessors = predecessors or {}
    sources = sources or {}
    origins = origins or {}
    keys = keys or {}
    datasets = []
    for w in written:
        source = sources.get(w.name, "DM" if w.name == "ADSL" else w.name[2:])
        class_name, structure = adam_class(w.name, w.frame)
        items = []
        for var in w.variables:
            data_type, length, digits = item_shape(var, w.frame[var.name])
            origin, method = origins.get((w.name, var.name), (None, None))
            if origin is None:
                sdtm = predecessors.get(source)
                origin = (Origin("Predecessor", description=f"{source}.{var.name}")
                          if sdtm is not None and var.name in sdtm.columns
                          else Origin("Derived"))
            items.append(Item(
                name=var.name, label=var.label, type=var.type, length=int(var.length or 8),
                data_type=data_type, display_length=length, significant_digits=digits,
                origin=origin, mandatory=var.name in ("STUDYID", "USUBJID"),
                display_format=var.format, method=method,
            ))
        default_keys = ["STUDYID", "USUBJID"] + (["PARAMCD"] if "PARAMCD" in w.frame else [])
        datasets.append(Dataset(
            name=w.name, label=w.label, purpose="Analysis", class_name=class_name,
            structure=structure, standard=ADAMIG_OID,
            keys=[k for k in keys.get(w.name, default_keys) if k in w.frame.columns],
            items=items, files=[f for f, _, _ in w.files], repeating=w.name != "ADSL",
        ))
    return Define(
        study_oid=f"STUDY.{studyid}", study_name=studyid, description=description,
        protocol=studyid, mdv_oid=f"MDV.{studyid}.ADaMIG.{ADAMIG_VERSION}",
        mdv_name=f"{studyid} ADaM, ADaMIG {ADAMIG_VERSION}", created=created,
        standards=list(ADAM_STANDARDS), datasets=datasets,
    )
