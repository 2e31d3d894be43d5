"""CDISC Dataset-JSON v1.1: every dataset also as JSON, the exchange format regulators are
moving to (UTF-8, no 200-byte or 8-character limits).

One JSON file per XPT file, beside it (``dm.json`` next to ``dm.xpt``), pointing into the
define.xml by the same OIDs. Types follow Dataset-JSON 1.1: text is ``string``; numbers are
``integer`` or ``double`` as define.xml says; SAS dates and datetimes (DATE9., DATETIME20.) are
``date``/``datetime`` ISO 8601 strings with ``targetDataType: integer``, so a reader converting
back to SAS gets the same numbers the XPT holds. Missing numbers (SAS ``.`` and ``.A``-``.Z``)
are null; missing text is "", as XPT (which has no missing text) stores it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from cdiscflow import __version__
from cdiscflow.atomic import write_text_atomic
from cdiscflow.define.model import Dataset, Define, Item, dataset_oid, item_oid
from cdiscflow.xpt import SpecialMissing

DATASET_JSON_VERSION = "1.1.0"
SAS_EPOCH = dt.date(1960, 1, 1)
_SAS_EPOCH_DT = dt.datetime(1960, 1, 1)


def _kind(item: Item) -> tuple[str, str | None]:
    """(dataType, targetDataType) of a column."""
    fmt = (item.display_format or "").upper()
    if item.type == "Char":
        return "string", None
    if fmt.startswith(("DATETIME", "E8601DT")):
        return "datetime", "integer"
    if fmt.startswith(("DATE", "E8601DA", "YYMMDD")):
        return "date", "integer"
    return ("integer" if item.data_type == "integer" else "double"), None


def _value(v: Any, data_type: str) -> Any:
    missing = v is None or v is pd.NA or isinstance(v, SpecialMissing)
    if data_type == "string":
        # SAS has no missing text: XPT stores blanks, so a missing value is "" here too
        return "" if missing else str(v).rstrip(" ")  # trailing blanks are XPT padding
    if missing:
        return None
    f = float(v)
    if math.isnan(f):
        return None
    if data_type == "date":
        return (SAS_EPOCH + dt.timedelta(days=int(f))).isoformat()
    if data_type == "datetime":
        return (_SAS_EPOCH_DT + dt.timedelta(seconds=f)).isoformat(timespec="seconds")
    if data_type == "integer":
        return int(f)
    return f


def dataset_json(define: Define, ds: Dataset, frame: pd.DataFrame, part: str,
                 define_file: str) -> dict[str, Any]:
    """The Dataset-JSON document of one file (``part``: LB, or LB1 for a split part)."""
    stamp = define.created.isoformat(timespec="seconds")
    columns = []
    kinds = []
    for item in ds.items:
        data_type, target = _kind(item)
        kinds.append(data_type)
        col: dict[str, Any] = {"itemOID": item_oid(ds.name, item.name), "name": item.name,
                               "label": item.label, "dataType": data_type}
        if target:
            col["targetDataType"] = target
        if item.type == "Char":
            col["length"] = item.length
        if item.display_format:
            col["displayFormat"] = item.display_format
        if item.name in ds.keys:
            col["keySequence"] = ds.keys.index(item.name) + 1
        columns.append(col)
    rows = [[_value(v, k) for v, k in zip(row, kinds, strict=True)]
            for row in frame[[i.name for i in ds.items]].itertuples(index=False, name=None)]
    return {
        "datasetJSONCreationDateTime": stamp,
        "datasetJSONVersion": DATASET_JSON_VERSION,
        "fileOID": f"{define.mdv_oid}.{part}",
        "dbLastModifiedDateTime": stamp,
        "originator": "cdiscflow",
        "sourceSystem": {"name": "cdiscflow", "version": __version__},
        "studyOID": define.study_oid,
        "metaDataVersionOID": define.mdv_oid,
        "metaDataRef": define_file,
        "itemGroupOID": dataset_oid(part),
        "records": len(rows),
        "name": part,
        "label": ds.label,
        "columns": columns,
        "rows": rows,
    }


def write_dataset_json(path: Path, doc: dict[str, Any]) -> None:
    # allow_nan=False: JSON has no NaN, and every missing value must already be null
    write_text_atomic(path, json.dumps(doc, ensure_ascii=False, allow_nan=False, indent=1) + "\n")


# the keys Dataset-JSON 1.1 requires at the top level and in each column
REQUIRED_KEYS = ("datasetJSONCreationDateTime", "datasetJSONVersion", "records", "name",
                 "label", "columns", "rows", "itemGroupOID")
REQUIRED_COLUMN_KEYS = ("itemOID", "name", "label", "dataType")
DATA_TYPES = ("string", "integer", "decimal", "float", "double", "boolean", "datetime", "date",
              "time", "URI")


def check_dataset_json(doc: dict[str, Any]) -> list[str]:
    """Structural problems of a Dataset-JSON 1.1 document (empty list when it is sound)."""
    problems = [f"missing key {k}" for k in REQUIRED_KEYS if k not in doc]
    if problems:
        return problems
    if doc["datasetJSONVersion"] != DATASET_JSON_VERSION:
        problems.append(f"datasetJSONVersion {doc['datasetJSONVersion']!r}")
    for i, col in enumerate(doc["columns"]):
        problems += [f"column {i}: missing key {k}" for k in REQUIRED_COLUMN_KEYS if k not in col]
        if col.get("dataType") not in DATA_TYPES:
            problems.append(f"column {i}: dataType {col.get('dataType')!r}")
    if doc["records"] != len(doc["rows"]):
        problems.append(f"records {doc['records']} but {len(doc['rows'])} rows")
    width = len(doc["columns"])
    for n, row in enumerate(doc["rows"]):
        if len(row) != width:
            problems.append(f"row {n}: {len(row)} values for {width} columns")
            break
    return problems
