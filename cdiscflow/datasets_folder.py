"""One reader for a folder of SDTM or ADaM datasets, for every stage that consumes one: ADaM
(its SDTM input), validation, define.xml and ``check-package``.

A folder holds SAS XPORT (``.xpt``), CDISC Dataset-JSON (``.json``) or SAS7BDAT
(``.sas7bdat``) files. A dataset too large for one file is written as numbered parts
(``lb1.xpt``, ``lb2.xpt``, members LB1, LB2, ...; ``cdiscflow.xpt.write_xpt_parts``): the
reader puts them back together, in part order, as one dataset LB. A split always has a part 1
and a part 2, which tells it from a dataset whose own name ends in a digit (QS1 alone stays
QS1). When one dataset is there in several formats (``dm.xpt`` and ``dm.json`` from
``--format xpt,json``), XPT is read: it is what a regulator receives.

Values come back as XPT gives them: numbers as float64 (SAS dates as day counts, datetimes as
second counts), text as Arrow-backed strings with "" for missing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat

from cdiscflow import xptv5
from cdiscflow.errors import CdiscflowError
from cdiscflow.xpt import XptVariable, read_xpt

# in order of preference when a dataset is there in more than one format
FORMATS = {".xpt": "xpt", ".json": "json", ".sas7bdat": "sas7bdat"}
_FORMAT_NAMES = {"xpt": "SAS XPORT", "json": "Dataset-JSON", "sas7bdat": "SAS7BDAT"}
_SAS_EPOCH = dt.datetime(1960, 1, 1)
_TEXT = pd.StringDtype("pyarrow")


class DatasetFolderError(CdiscflowError):
    """A dataset file of the folder cannot be read (names the file)."""


class NotADataset(DatasetFolderError):
    """A .json file that is JSON but not Dataset-JSON (a manifest, a report): not a dataset."""


@dataclass
class FolderDataset:
    """One dataset of a folder: the whole of it, whatever number of files it is split into.

    ``files`` are (file name, first record, stop record) of each part, in part order."""

    name: str
    label: str
    frame: pd.DataFrame
    variables: list[XptVariable]
    files: list[tuple[str, int, int]]
    format: str
    paths: list[Path] = field(default_factory=list)

    @property
    def labels(self) -> dict[str, str]:
        return {v.name: v.label for v in self.variables}

    @property
    def lengths(self) -> dict[str, int]:
        return {v.name: int(v.length) for v in self.variables if v.length is not None}

    @property
    def formats(self) -> dict[str, str | None]:
        return {v.name: v.format for v in self.variables}


@dataclass(frozen=True)
class _File:
    path: Path
    format: str
    member: str  # the dataset (member) name the file holds: LB, or LB1 for a part


def dataset_files(folder: Path, formats: Sequence[str] = tuple(FORMATS.values())
                  ) -> list[Path]:
    """The dataset files of ``folder`` in the given formats, in name order."""
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_file() and FORMATS.get(p.suffix.lower()) in formats)


def member_name(path: Path) -> str:
    """The dataset name a file holds, from its header (upper case)."""
    fmt = FORMATS.get(path.suffix.lower())
    try:
        if fmt == "xpt":
            # the member header's own name, from its first records (ReadStat cannot open a
            # dataset with no variables, which validation reports rather than fails on)
            with open(path, "rb") as fh:
                name = xptv5.member_name(fh.read(7 * xptv5.RECORD))
            if name is None:  # not version 5 (v8 from other tools): ReadStat knows it
                _, meta = pyreadstat.read_xport(os.fspath(path), metadataonly=True)
                name = meta.table_name
        elif fmt == "sas7bdat":
            # a SAS library member is its file: the name inside is whatever a writer put
            # there (haven writes DATASET for every file)
            pyreadstat.read_sas7bdat(os.fspath(path), metadataonly=True)
            name = path.stem
        elif fmt == "json":
            name = _json_doc(path).get("name")
        else:
            raise DatasetFolderError(f"{path}: not a dataset file (.xpt, .json, .sas7bdat)")
    except DatasetFolderError:
        raise
    except Exception as exc:  # pyreadstat raises its own types for a damaged file
        raise DatasetFolderError(f"{path}: cannot be read as {_FORMAT_NAMES[str(fmt)]}: "
                                 f"{_detail(exc, path)}") from exc
    return str(name or path.stem).strip().upper()


def _detail(exc: Exception, path: Path) -> str:
    """The reader's message without the dataset and file it may name again (once is enough)."""
    text = str(exc)
    return text.split(f"{path}: ", 1)[-1]


def part_groups(names: Iterable[str]) -> dict[str, list[str]]:
    """Dataset names grouped by dataset: numbered parts (LB1, LB2, ... with at least 1 and 2
    there) under their dataset's name, in part order; every other name alone. The one rule
    for telling parts apart, for files and for define.xml's ItemGroupDefs alike."""
    names = set(names)
    groups: dict[str, list[tuple[int, str]]] = {}
    for member in names:
        stem = member.rstrip("0123456789")
        split = member != stem and {f"{stem}1", f"{stem}2"} <= names
        number = int(member[len(stem):]) if split else 0
        groups.setdefault(stem if split else member, []).append((number, member))
    return {name: [m for _, m in sorted(parts)] for name, parts in sorted(groups.items())}


def group_parts(members: dict[Path, str]) -> dict[str, list[Path]]:
    """Files grouped by dataset (:func:`part_groups` of their member names), in part order."""
    path_of: dict[str, Path] = {}
    for path, member in sorted(members.items()):
        if member in path_of:
            raise DatasetFolderError(f"{path_of[member]} and {path} both hold dataset {member}")
        path_of[member] = path
    return {name: [path_of[m] for m in parts]
            for name, parts in part_groups(path_of).items()}


def read_folder(folder: str | os.PathLike[str], *, columns_only: bool = False,
                formats: Sequence[str] = tuple(FORMATS.values())) -> list[FolderDataset]:
    """Every dataset of ``folder``, split parts joined, in name order.

    ``columns_only``: frames without records (variables from the headers where the format
    allows, else from the file). Raises DatasetFolderError naming a file that cannot be read.
    """
    folder = Path(folder)
    by_format: dict[str, dict[str, list[Path]]] = {}
    for fmt in formats:
        members = {}
        for p in dataset_files(folder, (fmt,)):
            try:
                members[p] = member_name(p)
            except NotADataset:  # other JSON beside the datasets
                continue
        by_format[fmt] = group_parts(members)
    chosen: dict[str, tuple[str, list[Path]]] = {}
    for fmt in FORMATS.values():  # XPT first: the first format holding a dataset wins
        for name, paths in by_format.get(fmt, {}).items():
            chosen.setdefault(name, (fmt, paths))
    return [_read_dataset(name, fmt, paths, columns_only)
            for name, (fmt, paths) in sorted(chosen.items())]


def read_dataset_file(path: str | os.PathLike[str]) -> FolderDataset:
    """One dataset file (not joined with any other part)."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DatasetFolderError(f"{path}: not a dataset file (.xpt, .json, .sas7bdat)")
    return _read_dataset(member_name(path), fmt, [path], False)


def _read_dataset(name: str, fmt: str, paths: list[Path], columns_only: bool) -> FolderDataset:
    read = [_read_file(p, fmt, columns_only) for p in paths]
    files, start = [], 0
    for path, (frame, _) in zip(paths, read, strict=True):
        files.append((path.name, start, start + len(frame)))
        start += len(frame)
    frame = read[0][0] if len(read) == 1 else pd.concat([f for f, _ in read],
                                                        ignore_index=True)
    meta = read[0][1]
    variables = list(meta["variables"])
    if len(read) > 1:
        # parts written by another tool may store a variable with different lengths: the
        # whole dataset needs the longest
        longest = {v.name: max(int(m["lengths"].get(v.name) or 0) for _, m in read)
                   for v in variables}
        variables = [XptVariable(v.name, v.label, v.type, longest[v.name] or v.length,
                                 v.format) for v in variables]
    return FolderDataset(name, str(meta["label"] or ""), frame, variables, files, fmt, paths)


def _read_file(path: Path, fmt: str, columns_only: bool) -> tuple[pd.DataFrame, dict[str, Any]]:
    try:
        if fmt == "xpt":
            if columns_only:
                return _sas_header(path, pyreadstat.read_xport)
            frame, meta = read_xpt(path)
            return frame, meta
        if fmt == "sas7bdat":
            if columns_only:
                return _sas_header(path, pyreadstat.read_sas7bdat)
            return _read_sas7bdat(path)
        frame, meta = _read_json(path)
        return (frame.iloc[:0] if columns_only else frame), meta
    except DatasetFolderError:
        raise
    except Exception as exc:  # pyreadstat raises its own types for a damaged file
        raise DatasetFolderError(f"{path}: cannot be read as {_FORMAT_NAMES[str(fmt)]}: "
                                 f"{_detail(exc, path)}") from exc


def _variables(meta: Any) -> list[XptVariable]:
    from cdiscflow.xpt import _format_from_pyreadstat  # the XPT reader's format spelling

    out = []
    for n in meta.column_names:
        char = meta.readstat_variable_types[n] == "string"
        out.append(XptVariable(n, meta.column_names_to_labels.get(n) or "",
                               "Char" if char else "Num",
                               int(meta.variable_storage_width.get(n) or 8) if char else 8,
                               _format_from_pyreadstat(meta.original_variable_types.get(n))))
    return out


def _meta(label: str, variables: list[XptVariable], rows: int) -> dict[str, Any]:
    """The metadata keys :func:`cdiscflow.xpt.read_xpt` gives, for the other formats."""
    return {"label": label, "rows": rows, "variables": variables,
            "variable_labels": {v.name: v.label for v in variables},
            "types": {v.name: v.type for v in variables},
            "lengths": {v.name: v.length for v in variables},
            "formats": {v.name: v.format for v in variables}}


def _sas_header(path: Path, reader: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    _, meta = reader(os.fspath(path), metadataonly=True)
    variables = _variables(meta)
    return pd.DataFrame(columns=list(meta.column_names)), _meta(meta.file_label or "",
                                                                 variables, 0)


def _read_sas7bdat(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    frame, meta = pyreadstat.read_sas7bdat(os.fspath(path), disable_datetime_conversion=True)
    variables = _variables(meta)
    columns = {}
    for v in variables:
        col = frame[v.name]
        if v.type == "Char":
            # as XPT reads: missing text is "", trailing blanks are padding
            columns[v.name] = col.fillna("").astype(str).str.rstrip(" ").astype(_TEXT)
        else:
            columns[v.name] = pd.to_numeric(col, errors="coerce").astype(np.float64)
    out = pd.DataFrame(columns, index=pd.RangeIndex(len(frame)))
    return out, _meta(meta.file_label or "", variables, len(out))


def _json_doc(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetFolderError(f"{path}: not Dataset-JSON: {exc}") from None
    if not isinstance(doc, dict) or not {"columns", "rows", "name"} <= set(doc):
        raise NotADataset(f"{path}: not Dataset-JSON (no name, columns and rows)")
    return doc


def _json_number(value: Any, data_type: str) -> float:
    """A Dataset-JSON value as the SAS number XPT would hold (dates as days since 1960)."""
    if value is None:
        return np.nan
    if data_type == "date":
        return float((dt.date.fromisoformat(value[:10]) - _SAS_EPOCH.date()).days)
    if data_type == "datetime":
        return (dt.datetime.fromisoformat(value) - _SAS_EPOCH).total_seconds()
    if data_type == "time":
        t = dt.time.fromisoformat(value)
        return float(t.hour * 3600 + t.minute * 60 + t.second)
    return float(value)


def _read_json(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    doc = _json_doc(path)
    columns = doc["columns"]
    rows = doc["rows"]
    variables, data = [], {}
    for i, col in enumerate(columns):
        name, kind = col["name"], col.get("dataType", "string")
        values = [row[i] for row in rows]
        # a date or datetime kept as a SAS number has targetDataType integer; one kept as
        # ISO text (no targetDataType) stays text
        numeric = kind not in ("string", "date", "datetime", "time", "URI", "boolean") or (
            kind in ("date", "datetime", "time") and col.get("targetDataType") == "integer")
        if numeric:
            data[name] = pd.Series([_json_number(v, kind) for v in values], dtype=np.float64)
            variables.append(XptVariable(name, col.get("label", ""), "Num", 8,
                                         col.get("displayFormat")))
        else:
            text = ["" if v is None else str(v).rstrip(" ") for v in values]
            data[name] = pd.Series(text, dtype=_TEXT)
            longest = max((len(t.encode("utf-8")) for t in text), default=1)
            variables.append(XptVariable(name, col.get("label", ""), "Char",
                                         int(col.get("length") or longest or 1),
                                         col.get("displayFormat")))
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    return frame, _meta(str(doc.get("label") or ""), variables, len(frame))
