"""The metadata a define.xml describes, independent of SDTM or ADaM.

``cdiscflow.define.sdtm`` fills it from the loaded study (the same mapping files that drive the
engine) and ``cdiscflow.define.adam`` from analysis datasets; ``cdiscflow.define.xml`` and
``cdiscflow.define.html`` render it. OIDs are made here only, so define.xml and Dataset-JSON
(which points into define.xml by OID) always agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from cdiscflow.xpt import XptVariable


@dataclass
class WrittenDataset:
    """A dataset as written: its frame, the XPT description with every length fixed, and its
    files (one, or the numbered parts of a split, each with its first and stop record)."""

    name: str
    label: str
    frame: pd.DataFrame
    variables: list[XptVariable]
    files: list[tuple[str, int, int]]  # (file name, first record, stop record)


ORIGIN_TYPES = ("Collected", "Derived", "Assigned", "Protocol", "Predecessor", "Not Available")


def dataset_oid(name: str) -> str:
    return f"IG.{name}"


def item_oid(dataset: str, variable: str) -> str:
    return f"IT.{dataset}.{variable}"


def value_item_oid(dataset: str, variable: str, value: str) -> str:
    return f"IT.{dataset}.{variable}.{value}"


def where_oid(dataset: str, variable: str, value: str) -> str:
    return f"WC.{dataset}.{variable}.{value}"


def value_list_oid(dataset: str, variable: str) -> str:
    return f"VL.{dataset}.{variable}"


def codelist_oid(name: str) -> str:
    return f"CL.{name}"


def method_oid(dataset: str, variable: str) -> str:
    return f"MT.{dataset}.{variable}"


def leaf_id(file: str) -> str:
    return f"LF.{file.rsplit('.', 1)[0].upper()}"


@dataclass(frozen=True)
class Origin:
    """Define-XML 2.1 def:Origin: Type, optional Source (Collected only) and a description."""

    type: str
    source: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        if self.type not in ORIGIN_TYPES:
            raise ValueError(f"origin type {self.type!r} is not one of {ORIGIN_TYPES}")


@dataclass(frozen=True)
class Method:
    oid: str
    name: str
    description: str
    type: str = "Computation"


@dataclass(frozen=True)
class Term:
    value: str
    code: str | None  # NCI C-code; None for a value added to an extensible codelist
    decode: str | None = None


@dataclass(frozen=True)
class CodeList:
    oid: str
    name: str
    data_type: str
    code: str | None  # the codelist's NCI C-code
    terms: tuple[Term, ...]
    standard: str | None = None  # OID of the CT standard it comes from


@dataclass
class ValueItem:
    """One value-level definition: ``variable`` where ``where_var`` equals ``where_value``."""

    where_var: str
    where_value: str
    data_type: str
    length: int | None
    significant_digits: int | None
    origin: Origin
    method: Method | None = None
    label: str | None = None


@dataclass
class Item:
    name: str
    label: str
    type: str  # "Char" or "Num", as in the XPT file
    length: int  # the stored XPT length
    data_type: str  # Define-XML DataType: text, integer, float, date, datetime, ...
    display_length: int | None  # Define-XML Length (None for ISO 8601 types)
    significant_digits: int | None
    origin: Origin
    mandatory: bool = False
    display_format: str | None = None
    codelist: CodeList | None = None
    method: Method | None = None
    comment: str | None = None
    values: list[ValueItem] = field(default_factory=list)


@dataclass
class Dataset:
    name: str
    label: str
    purpose: str  # "Tabulation" or "Analysis"
    class_name: str
    structure: str
    standard: str  # OID of the implementation guide's def:Standard
    keys: list[str]
    items: list[Item]
    files: list[str]  # leaf file names relative to define.xml, in record order
    domain: str | None = None
    comment: str | None = None
    repeating: bool = True
    reference_data: bool = False


@dataclass(frozen=True)
class Standard:
    oid: str
    name: str
    type: str  # "IG" or "CT"
    version: str
    publishing_set: str | None = None


@dataclass
class Define:
    study_oid: str
    study_name: str
    description: str
    protocol: str
    mdv_oid: str
    mdv_name: str
    created: dt.datetime
    standards: list[Standard]
    datasets: list[Dataset]

    def codelists(self) -> list[CodeList]:
        """Every codelist referenced, once, in order of first use, with the terms used by any
        variable that refers to it (AESER and LBLOBXFL both use NY, with different terms)."""
        seen: dict[str, CodeList] = {}
        for ds in self.datasets:
            for item in ds.items:
                cl = item.codelist
                if cl is None:
                    continue
                if cl.oid in seen:
                    terms = {t.value: t for t in (*seen[cl.oid].terms, *cl.terms)}
                    cl = replace(seen[cl.oid], terms=tuple(terms[v] for v in sorted(terms)))
                seen[cl.oid] = cl
        return list(seen.values())

    def methods(self) -> list[Method]:
        seen: dict[str, Method] = {}
        for ds in self.datasets:
            for item in ds.items:
                for m in [item.method, *(v.method for v in item.values)]:
                    if m is not None:
                        seen.setdefault(m.oid, m)
        return list(seen.values())


# --------------------------------------------------------------------------- data types

_ISO_DATETIME = ("DTC",)


def numeric_shape(values: pd.Series) -> tuple[str, int, int | None]:
    """(DataType, Length, SignificantDigits) of a numeric column as Define-XML counts them.

    integer: Length is the most digits of any value. float: Length is the most significant
    digits (integer part + decimals) and SignificantDigits the most decimals, read from the
    shortest text that gives the value back (repr), so 12.5 is 3 digits with 1 decimal.
    """
    nums = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    # results repeat a lot (a million lab values hold a few thousand distinct numbers)
    nums = np.unique(nums[~np.isnan(nums)])
    if nums.size == 0:
        return "integer", 1, None
    if np.all(nums == np.round(nums)):
        return "integer", len(str(int(np.max(np.abs(nums))))), None
    whole, decimals = 1, 0
    for v in nums:
        text = repr(abs(float(v)))
        if "e" in text or "E" in text:  # very large or small: count the digits of the mantissa
            mantissa, exponent = text.lower().split("e")
            digits = mantissa.replace(".", "").lstrip("0") or "0"
            whole = max(whole, len(digits))
            decimals = max(decimals, max(0, -int(exponent)))
            continue
        head, _, tail = text.partition(".")
        tail = tail.rstrip("0")
        whole = max(whole, len(head.lstrip("0") or "0"))
        decimals = max(decimals, len(tail))
    return "float", whole + decimals, decimals


def item_shape(var: XptVariable, values: pd.Series) -> tuple[str, int | None, int | None]:
    """(DataType, Length, SignificantDigits) for a variable and its values."""
    if var.type == "Num":
        # ADaM dates and datetimes are SAS day and second counts: integers with a Length like
        # any number, their DATE9./DATETIME20. display format carried as def:DisplayFormat
        return numeric_shape(values)
    if var.name.endswith(_ISO_DATETIME) and not var.name.endswith("TESTCD"):
        return _iso_type(values), None, None
    return "text", int(var.length or 1), None


def _iso_type(values: pd.Series) -> str:
    """datetime if every value is a complete date-time, date if all complete dates, else the
    partial types Define-XML 2.1 has for ISO 8601 values with missing components."""
    text = values.dropna().astype(str)
    text = text[text != ""]
    if text.empty:
        return "date"
    if text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all():
        return "date"
    if text.str.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?").all():
        return "datetime"
    if text.str.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?").all():
        return "partialDate"
    return "partialDatetime"
