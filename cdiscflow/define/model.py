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
import pyarrow as pa
import pyarrow.compute as pc

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


ACRF_LEAF = "LF.ACRF"  # the annotated CRF's def:leaf


@dataclass(frozen=True)
class Origin:
    """Define-XML 2.1 def:Origin: Type, optional Source (Collected only) and a description."""

    type: str
    source: str | None = None
    description: str | None = None
    pages: tuple[int, ...] = ()  # annotated CRF pages (def:PDFPageRef) of a Collected value

    def __post_init__(self) -> None:
        if self.type not in ORIGIN_TYPES:
            raise ValueError(f"origin type {self.type!r} is not one of {ORIGIN_TYPES}")


@dataclass(frozen=True)
class Method:
    oid: str
    name: str
    description: str
    type: str = "Computation"
    expression: str | None = None  # FormalExpression: the rule as its spec states it
    expression_context: str | None = None


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
    decoded: bool = False  # CodeListItems with a Decode (PARAMCD -> PARAM), not EnumeratedItems


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
    role: str | None = None  # SDTMIG role (Identifier, Topic, Timing, ...); ADaM has none
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
    # Alias DomainDescription: the label of Domain where the dataset is not that domain itself
    # (SUPPAE describes records of AE)
    domain_description: str | None = None
    subclass: str | None = None  # def:SubClass of an ADaM class (TIME-TO-EVENT)


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
    annotated_crf: str | None = None  # the acrf.pdf beside define.xml (def:AnnotatedCRF)
    # analysis results metadata (cdiscflow.define.arm.ResultDisplay), ADaM only
    result_displays: list = field(default_factory=list)

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
    nums = pd.unique(nums[~np.isnan(nums)])
    if nums.size == 0:
        return "integer", 1, None
    if np.all(nums == np.round(nums)):
        return "integer", len(str(int(np.max(np.abs(nums))))), None
    finite = np.isfinite(nums)
    whole, decimals = _repr_digits(np.abs(nums[finite]))
    if not finite.all():
        whole = max(whole, len(repr(np.inf)))  # 'inf' counts as three whole digits
    return "float", whole + decimals, decimals


# a float's shortest round-trip text as Arrow writes it: 12.5, 0.00001, 1.5e-7, 1e+20
_ARROW_FLOAT = r"^(?P<a>\d+)(?:\.(?P<b>\d+))?(?:e\+?(?P<x>-?\d+))?$"


def _repr_digits(nums: np.ndarray) -> tuple[int, int]:
    """The most whole digits (at least 1) and decimals (at least 0) of the non-negative finite
    ``nums`` as Python's repr() writes them, without a repr() per value.

    repr() and Arrow's float-to-text cast both give the shortest digits that round-trip;
    only the notation differs. From Arrow's text come the digits D (no leading or trailing
    zeros) and the decimal point position p (value = 0.D x 10^p). repr() writes 10^-4 <= x <
    10^16 positionally (-4 < p <= 16): max(p, 1) whole digits and max(0, len(D) - p)
    decimals; elsewhere in exponent notation, where the digits of the mantissa count as
    whole and the negative exponent as decimals: len(D) and max(0, 1 - p).
    """
    nums = nums[nums != 0]  # 0.0: one whole digit, no decimals
    if nums.size == 0:
        return 1, 0
    parts = pc.extract_regex(pc.cast(pa.array(nums, type=pa.float64()), pa.string()),
                             pattern=_ARROW_FLOAT)
    a = parts.field("a")
    mantissa = pc.binary_join_element_wise(a, parts.field("b"), "")
    exponent = pc.cast(pc.if_else(pc.equal(parts.field("x"), ""), "0", parts.field("x")),
                       pa.int64())
    leading = pc.utf8_ltrim(mantissa, characters="0")
    lead_zeros = pc.subtract(pc.utf8_length(mantissa), pc.utf8_length(leading))
    n = _np(pc.utf8_length(pc.utf8_rtrim(leading, characters="0")))
    point = _np(pc.add(pc.subtract(pc.utf8_length(a), lead_zeros), exponent))
    positional = (point > -4) & (point <= 16)
    whole = np.where(positional, np.maximum(point, 1), n)
    decimals = np.where(positional, np.maximum(0, n - point), np.maximum(0, 1 - point))
    return max(1, int(whole.max())), max(0, int(decimals.max()))


def _np(data: pa.Array) -> np.ndarray:
    return data.to_numpy(zero_copy_only=False).astype(np.int64)


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
    # judged on the distinct values: a million dates hold a few thousand
    text = pd.Series(pd.unique(values.dropna())).astype(str)
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
