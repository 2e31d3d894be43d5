"""What SAS XPORT version 5 can hold, and each name, label and value checked against it before
a byte is written (cdiscflow.xpt writes the files).

The limits are the transport format's (SAS TS-140): 8-byte names, 40-byte labels, 200-byte
character values, 8-byte IBM floating-point numbers. A value outside them is refused with an
:class:`XptError` naming the dataset, variable, row and value, because the library that
produces the bytes (pyreadstat) would silently truncate or corrupt it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdiscflow import xptv5
from cdiscflow.errors import CdiscflowError

MAX_NAME_BYTES = 8
MAX_LABEL_BYTES = 40
MAX_CHAR_BYTES = 200
NUM_LENGTH = 8
# readstat's IEEE -> IBM conversion keeps all 53 mantissa bits (the IBM fraction has 56), so
# numbers round-trip exactly inside this range; outside it readstat writes 0 or a pattern that
# reads back as infinity, without telling anyone.
MIN_MAGNITUDE = 2.0**-260
MAX_MAGNITUDE = 2.0**249  # exclusive
# Beyond 2**53 not every integer is a double, so an integer could come back as its neighbour.
MAX_EXACT_INTEGER = 2**53
# The number whose IBM double is eight blank bytes (exponent byte 0x20, fraction 0x202020...).
_ALL_BLANK_NUMBER = int.from_bytes(b"\x20" * 7, "big") / 2**56 * 16.0 ** (0x20 - 64)

# values checked at a time: a bound on the memory the checks take, whatever the size
_CHECK_ROWS = 1_000_000
_NAME_RE = re.compile(r"[A-Z_][A-Z0-9_]*")
_FORMAT_RE = re.compile(
    r"(?P<name>\$?(?:[A-Z_](?:[A-Z0-9_]*[A-Z_])?)?)(?P<width>[0-9]*)\.(?P<decimals>[0-9]*)"
)
_MAX_FORMAT_WIDTH = 32767  # the namestr stores widths as 16-bit integers
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


class XptError(CdiscflowError, ValueError):
    """A value or name that XPT v5 cannot hold.

    Attributes: ``dataset``, ``variable`` (or None), ``row`` (0-based record index or None),
    ``value`` (the offending value or name, or None) and ``reason``.
    """

    def __init__(
        self,
        reason: str,
        *,
        dataset: str,
        variable: str | None = None,
        row: int | None = None,
        value: object = None,
    ) -> None:
        self.reason = reason
        self.dataset = dataset
        self.variable = variable
        self.row = row
        self.value = value
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.dataset + (f".{self.variable}" if self.variable else "")
        if self.row is not None:
            where += f" row {self.row}"
        shown = f" (value {self.value!r})" if self.value is not None else ""
        return f"{where}: {self.reason}{shown}"


@dataclass(frozen=True)
class XptVariable:
    """How one column is written.

    ``length`` applies to character variables: the byte length to write, or None for the
    longest value in bytes (at least 1), the FDA Technical Conformance Guide default.
    Numbers are always 8 bytes, so a numeric ``length`` may only be None or 8.
    ``format`` is a SAS display format such as ``"DATE9."`` or ``"8.2"``.
    """

    name: str
    label: str
    type: str
    length: int | None = None
    format: str | None = None


@dataclass(frozen=True)
class SpecialMissing:
    """A SAS special missing value: ``code`` is one of A-Z or ``_`` (written ``.A``, ``._``)."""

    code: str

    def __post_init__(self) -> None:
        if not (len(self.code) == 1 and (self.code == "_" or "A" <= self.code <= "Z")):
            raise ValueError(f"a SAS special missing value is .A to .Z or ._, not .{self.code}")

    def __str__(self) -> str:
        return f".{self.code}"


# --------------------------------------------------------------------------- names and labels


def _check_text(text: object, what: str, limit: int, dataset: str, variable: str | None) -> str:
    if not isinstance(text, str):
        raise XptError(f"{what} must be a string", dataset=dataset, variable=variable, value=text)
    if not text.isascii():
        raise XptError(f"{what} is not ASCII", dataset=dataset, variable=variable, value=text)
    if "\x00" in text:  # readstat takes C strings: the text would silently end there
        raise XptError(
            f"{what} contains a NUL byte", dataset=dataset, variable=variable, value=text
        )
    if len(text.rstrip(" ")) > limit:  # ASCII, so characters are bytes
        raise XptError(
            f"{what} is {len(text.rstrip(' '))} bytes, XPT v5 allows {limit}",
            dataset=dataset,
            variable=variable,
            value=text,
        )
    return text


def _check_name(name: object, what: str, dataset: str, variable: str | None) -> str:
    text = _check_text(name, what, MAX_NAME_BYTES, dataset, variable)
    if not _NAME_RE.fullmatch(text):
        raise XptError(
            f"{what} must be upper-case letters, digits and underscores, not starting with a digit",
            dataset=dataset,
            variable=variable,
            value=name,
        )
    return text


def check_dataset(dataset: str, label: str) -> str:
    # Checked for ASCII before upper-casing: str.upper can change the length of other text.
    _check_text(dataset, "dataset name", MAX_NAME_BYTES, dataset, None)
    name = _check_name(dataset.upper(), "dataset name", dataset.upper(), None)
    _check_text(label, "dataset label", MAX_LABEL_BYTES, name, None)
    return name


def check_variables(variables: Sequence[XptVariable], dataset: str) -> None:
    if not variables:
        raise XptError("at least one variable is required", dataset=dataset)
    seen: set[str] = set()
    for var in variables:
        _check_variable(var, dataset)
        if var.name in seen:
            raise XptError("variable listed twice", dataset=dataset, variable=var.name)
        seen.add(var.name)


def _check_variable(var: XptVariable, dataset: str) -> None:
    shown = var.name if isinstance(var.name, str) else None
    name = _check_name(var.name, "variable name", dataset, shown)
    _check_text(var.label, "variable label", MAX_LABEL_BYTES, dataset, name)
    if var.type not in ("Char", "Num"):
        raise XptError(
            "type must be 'Char' or 'Num'", dataset=dataset, variable=name, value=var.type
        )
    _check_length(var, dataset)
    if var.format is not None:
        _check_format(var, dataset)


def _check_length(var: XptVariable, dataset: str) -> None:
    length = var.length
    if length is None:
        return
    valid = isinstance(length, int) and not isinstance(length, bool)
    if var.type == "Num" and not (valid and length == NUM_LENGTH):
        raise XptError(
            f"numeric variables are always {NUM_LENGTH} bytes",
            dataset=dataset,
            variable=var.name,
            value=length,
        )
    if var.type == "Char" and not (valid and 1 <= length <= MAX_CHAR_BYTES):
        raise XptError(
            f"character length must be 1 to {MAX_CHAR_BYTES} bytes",
            dataset=dataset,
            variable=var.name,
            value=length,
        )


def _check_format(var: XptVariable, dataset: str) -> None:
    fmt = var.format
    match = _FORMAT_RE.fullmatch(fmt.upper()) if isinstance(fmt, str) else None
    reason = None
    if match is None or not (match["name"].lstrip("$") or match["width"]):
        reason = "not a SAS format such as DATE9. or 8.2"
    elif len(match["name"]) > MAX_NAME_BYTES:
        reason = f"format name longer than {MAX_NAME_BYTES} bytes"
    elif int(match["width"] or 0) > _MAX_FORMAT_WIDTH:
        reason = f"format width above {_MAX_FORMAT_WIDTH}"
    elif int(match["decimals"] or 0) > _MAX_FORMAT_WIDTH:
        reason = f"format decimals above {_MAX_FORMAT_WIDTH}"
    elif match["name"].startswith("$") != (var.type == "Char"):
        reason = "character variables need a $ format and numeric ones a format without $"
    if reason:
        raise XptError(reason, dataset=dataset, variable=var.name, value=fmt)


def check_columns(df: pd.DataFrame, variables: Sequence[XptVariable], dataset: str) -> None:
    duplicated = [c for c in df.columns[df.columns.duplicated()]]
    if duplicated:
        raise XptError(
            f"duplicated columns {duplicated}", dataset=dataset, variable=str(duplicated[0])
        )
    wanted = [v.name for v in variables]
    known = set(wanted)
    missing = [n for n in wanted if n not in df.columns]
    extra = [c for c in df.columns if c not in known]
    if missing or extra:
        parts = ([f"missing columns {missing}"] if missing else []) + (
            [f"extra columns {extra}"] if extra else []
        )
        raise XptError("; ".join(parts), dataset=dataset, variable=str((missing or extra)[0]))


# --------------------------------------------------------------------------- values


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _value_error(
    series: pd.Series, row: int, reason: str, dataset: str, var: XptVariable
) -> XptError:
    return XptError(reason, dataset=dataset, variable=var.name, row=row, value=series.iloc[row])


def prepare_columns(
    df: pd.DataFrame, variables: Sequence[XptVariable], dataset: str
) -> Prepared:
    """Every column checked, with the character lengths and special missings found."""
    columns: dict[str, Any] = {}
    lengths: dict[str, int] = {}
    specials: dict[str, dict[int, str]] = {}
    for var in variables:
        series = df[var.name]
        if var.type == "Char":
            columns[var.name], lengths[var.name] = _prepare_char(series, var, dataset)
        else:
            columns[var.name], found = _prepare_num(series, var, dataset)
            if found:
                specials[var.name] = found
    return Prepared(columns, lengths, specials)


def _prepare_char(series: pd.Series, var: XptVariable, dataset: str
                  ) -> tuple[pa.Array | pa.ChunkedArray, int]:
    """The values as Arrow text (as given: nulls and trailing blanks are dealt with as the
    bytes are made), plus the length to write.

    Arrow-backed text (pandas 3's default) is used in place, and object columns of str are
    converted in one Arrow call: a million values never pass through a Python loop.
    """
    if isinstance(series.dtype, pd.StringDtype) or (
            isinstance(series.dtype, pd.ArrowDtype) and pa.types.is_string(
                series.dtype.pyarrow_dtype)):
        text = pa.array(series.array)
    else:
        text = _objects_to_text(series, var, dataset)
    longest = 0
    # checked a piece at a time, so a huge column never has a trimmed copy made whole
    for first in range(0, len(text), _CHECK_ROWS):
        significant = xptv5.significant_text(text[first:first + _CHECK_ROWS])
        nbytes = np.diff(xptv5.text_buffers(significant)[0])
        checks = [
            *_byte_checks(significant),
            (nbytes > MAX_CHAR_BYTES, f"value is longer than {MAX_CHAR_BYTES} bytes"),
        ]
        if var.length is not None:
            checks.append((nbytes > var.length, f"value is longer than length {var.length}"))
        _raise_first(series, checks, dataset, var, offset=first)
        longest = max(longest, int(nbytes.max(initial=0)))
    length = var.length if var.length is not None else max(1, longest)
    return text, length


def _byte_checks(text: pa.Array) -> list[tuple[Any, str]]:
    """Per-value checks of the bytes (NUL, ASCII); values are only looked at one by one when
    one scan of the whole byte buffer finds such a byte somewhere."""
    offsets, data = xptv5.text_buffers(text)
    used = data[offsets[0]:offsets[-1]]
    if used.size == 0 or (used.min() > 0 and used.max() < 0x80):
        return []
    return [
        # readstat passes values as C strings, so a NUL silently ends the value
        (pc.match_substring(text, "\x00"), "value contains a NUL byte"),
        (pc.invert(pc.string_is_ascii(text)), "value is not ASCII"),
    ]


def _objects_to_text(series: pd.Series, var: XptVariable, dataset: str) -> pa.Array:
    """An object column as Arrow text, missing values as ``""``; anything else is refused.

    One Arrow conversion with type inference does it for a column of str (and missing
    values): any other kind of value makes Arrow infer another type or fail, and only then is
    the column walked value by value, to name the first bad row.
    """
    values = series.to_numpy(dtype=object)
    try:
        text = pa.array(values, from_pandas=True)  # None, NaN, NA, NaT: null, as pd.isna
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        text = None
    if text is None or not (pa.types.is_string(text.type) or pa.types.is_null(text.type)):
        missing = np.asarray(pd.isna(values), dtype=bool)
        is_text = np.fromiter((isinstance(v, str) for v in values), bool, len(values))
        row = _first(~missing & ~is_text)
        if row is not None:
            raise _value_error(series, row, "character value is not a string", dataset, var)
        values = np.where(missing, "", values)
        text = pa.array(values, type=pa.string())
    return pc.fill_null(text.cast(pa.string()), "")


def _raise_first(
    series: pd.Series, checks: list[tuple[Any, str]], dataset: str, var: XptVariable,
    offset: int = 0,
) -> None:
    """Report the earliest row failing any check, with that row's first failing reason.

    The checks may cover rows ``offset`` onwards of ``series`` only.
    """
    masks = [(np.asarray(mask, dtype=bool), reason) for mask, reason in checks]
    rows = [(row, reason) for mask, reason in masks if (row := _first(mask)) is not None]
    if rows:
        row = min(r for r, _ in rows)
        reason = next(reason for mask, reason in masks if mask[row])
        raise _value_error(series, offset + row, reason, dataset, var)


def _prepare_num(
    series: pd.Series, var: XptVariable, dataset: str
) -> tuple[np.ndarray, dict[int, str]]:
    """Values as float64 with NaN for missing, refusing what SAS numbers cannot hold.

    Also returns the rows holding a :class:`SpecialMissing` (NaN in the values) and its code.
    """
    specials: dict[int, str] = {}
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        values = None  # True/False are not numbers in a submission; make the caller decide
    elif pd.api.types.is_integer_dtype(dtype):
        values = _integers_to_float(series, var, dataset)
    elif pd.api.types.is_float_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    elif pd.api.types.is_object_dtype(dtype):
        values = _objects_to_float(series, var, dataset, specials)
    else:
        values = None
    if values is None:
        missing = np.asarray(series.isna(), dtype=bool)
        row = _first(~missing)
        if row is not None:
            raise _value_error(
                series, row, "numeric variable holds a non-numeric value", dataset, var
            )
        values = np.full(len(series), np.nan)
    _check_magnitudes(series, values, var, dataset)
    return _number_source(series, values), specials


def _number_source(series: pd.Series, checked: np.ndarray) -> Any:
    """What the writer reads a numeric column from, slice by slice.

    A column of numpy numbers or pandas' nullable numbers (missing read as NaN) is read in
    place, so its float64 copy made for the checks need not be kept for the whole dataset.
    """
    array = series.array
    if isinstance(array, (pd.arrays.IntegerArray, pd.arrays.FloatingArray)):
        return array
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iuf":
        return series.to_numpy()
    return checked


def _integers_to_float(series: pd.Series, var: XptVariable, dataset: str) -> np.ndarray:
    too_big = (series > MAX_EXACT_INTEGER) | (series < -MAX_EXACT_INTEGER)
    row = _first(too_big.fillna(False).to_numpy(dtype=bool))
    if row is not None:
        raise _value_error(
            series, row, "integer beyond 2**53 cannot be stored exactly", dataset, var
        )
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _objects_to_float(
    series: pd.Series, var: XptVariable, dataset: str, specials: dict[int, str]
) -> np.ndarray:
    out = np.full(len(series), np.nan)
    for row, value in enumerate(series.to_numpy(dtype=object)):
        if isinstance(value, SpecialMissing):
            specials[row] = value.code
            continue
        if _is_missing_scalar(value):
            continue
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)
        ):
            raise _value_error(
                series, row, "numeric variable holds a non-numeric value", dataset, var
            )
        if isinstance(value, (int, np.integer)) and abs(int(value)) > MAX_EXACT_INTEGER:
            raise _value_error(
                series, row, "integer beyond 2**53 cannot be stored exactly", dataset, var
            )
        out[row] = float(value)
    return out


def _is_missing_scalar(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like values are not missing, just wrong
        return False


def _check_magnitudes(
    series: pd.Series, values: np.ndarray, var: XptVariable, dataset: str
) -> None:
    for first in range(0, len(values), _CHECK_ROWS):  # a piece at a time: bounded memory
        piece = values[first:first + _CHECK_ROWS]
        with np.errstate(invalid="ignore"):
            size = np.abs(piece)
            checks = [
                (np.isinf(piece), "infinity cannot be stored in XPT"),
                (
                    (size >= MAX_MAGNITUDE) & np.isfinite(piece),
                    "magnitude 2**249 or more cannot be stored in XPT",
                ),
                (
                    (size < MIN_MAGNITUDE) & (size > 0),
                    "non-zero magnitude below 2**-260 would be stored as 0",
                ),
            ]
        _raise_first(series, checks, dataset, var, offset=first)


def check_trailing_blank_rows(
    columns: dict[str, Any], lengths: dict[str, int], n_rows: int, dataset: str
) -> None:
    """Refuse rows at the end whose bytes would all be blanks.

    XPT v5 stores no row count and pads the data with blanks to a whole record, so readers
    (readstat, hence pyreadstat) drop trailing all-blank rows as padding. A row is all blanks
    when every character value is empty and every number is the one IBM double made of blank
    bytes. Only the last row is looked at unless it is blank.
    """
    if n_rows == 0 or not _blank_rows(columns, lengths, n_rows - 1, n_rows)[0]:
        return
    kept = np.flatnonzero(~_blank_rows(columns, lengths, 0, n_rows))
    first = int(kept[-1]) + 1 if kept.size else 0
    raise XptError(
        "the last rows are entirely blank, which XPT v5 cannot tell apart from the "
        "blank padding at the end of the data: readers would drop them",
        dataset=dataset,
        row=first,
    )


def _blank_rows(columns: dict[str, Any], lengths: dict[str, int], first: int, stop: int
                ) -> np.ndarray:
    """Whether each of rows ``first`` to ``stop - 1`` would be written as blanks only."""
    blank = np.ones(stop - first, dtype=bool)
    for name, values in columns.items():
        part = values[first:stop]
        if name in lengths:
            blank &= pc.equal(xptv5.significant_text(part), "").to_numpy(zero_copy_only=False)
        else:
            blank &= np.asarray(part, dtype=np.float64) == _ALL_BLANK_NUMBER
    return blank


@dataclass(frozen=True)
class Prepared:
    """A frame's checked columns, ready to be laid out.

    ``columns``: text as given (Arrow or object array: nulls and trailing blanks are dealt
    with slice by slice as the bytes are made, so no trimmed copy of the frame is kept),
    numbers as float64 or as the frame's own (nullable) array, read as float64 slice by slice.
    ``lengths``: the byte length of each character variable. ``specials``: {var: {row: code}}.
    """

    columns: dict[str, Any]
    lengths: dict[str, int]
    specials: dict[str, dict[int, str]]

    def rows(self, first: int, stop: int) -> Prepared:
        """Records ``first`` to ``stop - 1`` (views, not copies)."""
        return Prepared(
            {n: v[first:stop] for n, v in self.columns.items()},
            self.lengths,
            {n: {r - first: c for r, c in rows.items() if first <= r < stop}
             for n, rows in self.specials.items()},
        )
