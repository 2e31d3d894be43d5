"""Write (and read back) SAS transport files, XPORT version 5: the format FDA and PMDA accept.

Everything XPT v5 cannot hold is refused here with an :class:`XptError`, before a byte is
written, because the library that produces the bytes (pyreadstat) silently truncates labels and
format names, writes over-long and non-ASCII values, cuts values at a NUL byte and turns numbers
out of the IBM float range into 0 or infinity.

The bytes currently come from ``pyreadstat.write_xport(..., file_format_version=5)``. All
knowledge of that library is kept in the ``_pyreadstat_*`` helpers so a vectorised writer can
replace it without touching the checks or the public API.

Conventions (SAS semantics, so the written file says exactly what the frame said):

* Trailing blanks of character values and labels are not significant: XPT pads with blanks and
  readers strip them. Lengths are therefore counted in bytes *after* removing trailing blanks;
  leading blanks are kept and counted.
* Missing character values are written as empty strings; SAS has no character missing.
* Row numbers in errors are 0-based positions in the frame, not index labels.
* SAS special missing values (``.A``-``.Z`` and ``._``) are given as :class:`SpecialMissing`
  objects in a numeric column. pyreadstat cannot write them, so they are written as ``.`` and
  the tag byte is then set in the finished file (an XPT missing number is its tag byte followed
  by seven zero bytes, SAS TS-140). :func:`read_special_missing` reads the tags back.
* :func:`write_xpt_parts` splits a dataset whose file would exceed a size limit into numbered
  parts by record order; :func:`xpt_file_size` gives a file's exact size before writing it.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyreadstat

from cdiscflow import xptv5
from cdiscflow.errors import CdiscflowError

__all__ = [
    "SpecialMissing",
    "XptError",
    "XptPart",
    "XptVariable",
    "read_special_missing",
    "read_xpt",
    "resolve_lengths",
    "write_xpt",
    "write_xpt_parts",
    "xpt_file_size",
]

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
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


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


@dataclass(frozen=True)
class XptPart:
    """One file written by :func:`write_xpt_parts`: records ``first`` to ``stop - 1`` (0-based)."""

    path: Path
    member: str
    first: int
    stop: int


# --------------------------------------------------------------------------- public API


def write_xpt(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    dataset: str,
    label: str,
    variables: Sequence[XptVariable],
    created: dt.datetime,
    writer: str = "vectorised",
) -> None:
    """Write ``df`` as a one-member XPT v5 file at ``path``, atomically and deterministically.

    ``variables`` gives the column order, labels, types, lengths and formats; ``df`` must have
    exactly those columns. The member is named ``dataset`` upper-cased. Both created and
    modified header timestamps are set to ``created`` (as given, to the second, with no
    time-zone conversion), so equal inputs give identical bytes.
    A previous file at ``path`` is replaced only once the new one is complete.

    ``writer``: ``"vectorised"`` lays the bytes out with numpy on whole columns
    (:mod:`cdiscflow.xptv5`); ``"pyreadstat"`` has pyreadstat write them, the reference the
    vectorised writer is tested byte for byte against. Both give the same file.

    Raises XptError for anything XPT v5 cannot hold; nothing is written in that case.
    """
    if writer not in ("vectorised", "pyreadstat"):
        raise ValueError(f"writer is 'vectorised' or 'pyreadstat', not {writer!r}")
    name = _check_dataset(dataset, label)
    _check_variables(variables, name)
    _check_columns(df, variables, name)
    prepared = _prepare_columns(df, variables, name)
    _write_prepared(prepared, len(df), Path(path), name, label, variables, created, writer)


@dataclass(frozen=True)
class _Prepared:
    """A frame's checked columns, ready to be laid out.

    ``columns``: text as given (Arrow or object array: nulls and trailing blanks are dealt
    with slice by slice as the bytes are made, so no trimmed copy of the frame is kept),
    numbers as float64 or as the frame's own (nullable) array, read as float64 slice by slice.
    ``lengths``: the byte length of each character variable. ``specials``: {var: {row: code}}.
    """

    columns: dict[str, Any]
    lengths: dict[str, int]
    specials: dict[str, dict[int, str]]

    def rows(self, first: int, stop: int) -> _Prepared:
        """Records ``first`` to ``stop - 1`` (views, not copies)."""
        return _Prepared(
            {n: v[first:stop] for n, v in self.columns.items()},
            self.lengths,
            {n: {r - first: c for r, c in rows.items() if first <= r < stop}
             for n, rows in self.specials.items()},
        )


def _write_prepared(prepared: _Prepared, n_rows: int, target: Path, name: str, label: str,
                    variables: Sequence[XptVariable], created: dt.datetime, writer: str) -> None:
    columns, lengths, specials = prepared.columns, prepared.lengths, prepared.specials
    _check_trailing_blank_rows(columns, lengths, n_rows, name)
    stamp = _sas_timestamp(created)
    if writer == "pyreadstat":
        empty = n_rows == 0
        frame = _force_lengths(columns, lengths, placeholder_row=empty)
        tags = _special_offsets(variables, lengths, specials)

        def produce(tmp: Path) -> None:
            _pyreadstat_write(frame, tmp, name, label, variables)
            _finish_file(tmp, stamp, drop_rows=empty, tags=tags)
    else:
        cols = [
            xptv5.Column(v.name, v.label, v.type == "Char", lengths.get(v.name, NUM_LENGTH),
                         v.format.upper() if v.format else None, columns[v.name],
                         specials.get(v.name))
            for v in variables
        ]

        def produce(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                fh.write(xptv5.header_bytes(name, label, cols, stamp))
                xptv5.write_observations(fh, cols, n_rows)
                fh.flush()
                os.fsync(fh.fileno())

    _replace_atomically(target, produce)


def resolve_lengths(
    df: pd.DataFrame, *, dataset: str, label: str, variables: Sequence[XptVariable]
) -> list[XptVariable]:
    """``variables`` with every length fixed as :func:`write_xpt` would store it.

    Character variables without a length get the longest value in bytes (at least 1), numbers
    8. Runs every check of :func:`write_xpt` except the file-level ones, so an error is raised
    before anything is written (and split parts all share the whole dataset's lengths).
    """
    return _resolve(df, dataset, label, variables)[0]


def _resolve(df: pd.DataFrame, dataset: str, label: str, variables: Sequence[XptVariable]
             ) -> tuple[list[XptVariable], _Prepared]:
    """:func:`resolve_lengths`, and the checked columns it found them from."""
    name = _check_dataset(dataset, label)
    _check_variables(variables, name)
    _check_columns(df, variables, name)
    prepared = _prepare_columns(df, variables, name)
    lengths = prepared.lengths
    fixed = [XptVariable(v.name, v.label, v.type, lengths.get(v.name, NUM_LENGTH), v.format)
             for v in variables]
    return fixed, prepared


_NAMESTR_BYTES = 140
_HEADER_RECORDS = 8  # library header (3 records), member and descriptor (4), namestr header (1)


def xpt_file_size(n_rows: int, variables: Sequence[XptVariable]) -> int:
    """The exact size in bytes of a one-member XPT v5 file (SAS TS-140 layout).

    Eight 80-byte header records, one 140-byte namestr per variable padded to whole records,
    the OBS header record, then the rows padded with blanks to a whole record. Every
    variable needs its length (see :func:`resolve_lengths`).
    """
    if any(v.length is None for v in variables):
        raise ValueError("xpt_file_size needs every variable's length")
    row = sum(int(v.length or 0) for v in variables)
    namestrs = math.ceil(len(variables) * _NAMESTR_BYTES / _RECORD) * _RECORD
    data = math.ceil(n_rows * row / _RECORD) * _RECORD
    return (_HEADER_RECORDS + 1) * _RECORD + namestrs + data


def write_xpt_parts(
    df: pd.DataFrame,
    folder: str | os.PathLike[str],
    *,
    dataset: str,
    label: str,
    variables: Sequence[XptVariable],
    created: dt.datetime,
    max_bytes: int,
) -> list[XptPart]:
    """Write ``df`` as ``<dataset>.xpt``, or split into numbered parts if it would not fit.

    A dataset whose file would exceed ``max_bytes`` (the agency's limit, FDA 5 GB) is split by
    record order into ``<dataset>1.xpt``, ``<dataset>2.xpt``, ..., each as large as the limit
    allows. Each part's member is named like its file (``LB1``), so file and member names still
    match, and all parts share the whole dataset's lengths so they concatenate back into it.
    Raises XptError when even one record does not fit or a part's name would exceed 8 bytes.
    """
    name = _check_dataset(dataset, label)
    # checked once for the whole dataset; each part writes a slice of the checked columns
    fixed, prepared = _resolve(df, name, label, variables)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    whole = xpt_file_size(len(df), fixed)
    if whole <= max_bytes:
        path = folder / f"{name.lower()}.xpt"
        _write_prepared(prepared, len(df), path, name, label, fixed, created, "vectorised")
        return [XptPart(path, name, 0, len(df))]
    row = sum(int(v.length or 0) for v in fixed)
    room = max_bytes - xpt_file_size(0, fixed)
    per_part = (room // _RECORD) * _RECORD // row if room > 0 else 0
    if per_part < 1:
        raise XptError(
            f"not even one record fits in a file of at most {max_bytes} bytes",
            dataset=name,
            value=max_bytes,
        )
    starts = range(0, len(df), per_part)
    if len(name) + len(str(len(starts))) > MAX_NAME_BYTES:
        raise XptError(
            f"split into {len(starts)} parts, but a numbered part name would exceed "
            f"{MAX_NAME_BYTES} bytes",
            dataset=name,
        )
    parts = []
    for number, first in enumerate(starts, start=1):
        member = f"{name}{number}"
        stop = min(first + per_part, len(df))
        path = folder / f"{member.lower()}.xpt"
        _check_dataset(member, label)
        _write_prepared(prepared.rows(first, stop), stop - first, path, member, label, fixed,
                        created, "vectorised")
        parts.append(XptPart(path, member, first, stop))
    return parts


def read_special_missing(path: str | os.PathLike[str]) -> dict[str, dict[int, str]]:
    """The special missing values in a file: {variable: {row: "A"}} (``.`` is not listed).

    pyreadstat reads every missing number as NaN, so the tags are read from the bytes.
    """
    _, meta = read_xpt(path)
    offsets, start, row = {}, 0, sum(meta["lengths"].values())
    for var in meta["variables"]:
        if var.type == "Num":
            offsets[var.name] = start
        start += meta["lengths"][var.name]
    found: dict[str, dict[int, str]] = {}
    with open(path, "rb") as fh:

        def read(size: int) -> bytes:
            fh.seek(0)
            return fh.read(size)

        layout = _parse_layout(read)
        fh.seek(layout.data_start)
        data = fh.read()
    for n in range(meta["rows"]):
        for name, offset in offsets.items():
            cell = data[n * row + offset : n * row + offset + NUM_LENGTH]
            if cell[1:] == bytes(7) and (cell[:1] == b"_" or b"A" <= cell[:1] <= b"Z"):
                found.setdefault(name, {})[n] = cell[:1].decode("ascii")
    return found


def read_xpt(path: str | os.PathLike[str], reader: str = "vectorised"
             ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read an XPT file back as (frame, metadata).

    Numbers come back as float64 (dates stay SAS day/second counts, no conversion); text as
    Arrow-backed strings with trailing blanks cut (an empty value is ``""``). The metadata
    holds ``dataset``, ``label``, ``rows``, ``variables`` (a list of :class:`XptVariable` with
    the stored lengths) and the same facts keyed by variable name in ``variable_labels``,
    ``types``, ``lengths`` and ``formats`` (``"DATE9."`` form, or None).

    ``reader``: ``"vectorised"`` parses the file with numpy (:mod:`cdiscflow.xptv5`);
    ``"pyreadstat"`` is the reference it is tested against (text then comes as Python str).
    """
    if reader == "vectorised":
        return _read_vectorised(path)
    if reader != "pyreadstat":
        raise ValueError(f"reader is 'vectorised' or 'pyreadstat', not {reader!r}")
    frame, meta = pyreadstat.read_xport(os.fspath(path), disable_datetime_conversion=True)
    names = list(meta.column_names)
    labels = {n: meta.column_names_to_labels.get(n) or "" for n in names}
    types = {n: "Char" if meta.readstat_variable_types[n] == "string" else "Num" for n in names}
    lengths = {n: int(meta.variable_storage_width[n]) for n in names}
    formats = {n: _format_from_pyreadstat(meta.original_variable_types.get(n)) for n in names}
    variables = [XptVariable(n, labels[n], types[n], lengths[n], formats[n]) for n in names]
    return frame, {
        "dataset": meta.table_name,
        "label": meta.file_label or "",
        "rows": meta.number_rows,
        "variables": variables,
        "variable_labels": labels,
        "types": types,
        "lengths": lengths,
        "formats": formats,
    }


def _read_vectorised(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, dict[str, Any]]:
    data = Path(path).read_bytes()
    if not data.startswith(xptv5.LIBRARY_V5):
        # another transport version (v8 from other tools): the general reader handles it
        return read_xpt(path, reader="pyreadstat")
    try:
        member = xptv5.read_member(data)
    except ValueError as exc:
        raise XptError(f"{path}: {exc}", dataset=Path(path).stem.upper()) from None
    text = pd.StringDtype("pyarrow")
    frame = pd.DataFrame({
        n: (pd.Series(pd.arrays.ArrowStringArray(member.columns[n]), dtype=text) if char
            else pd.Series(member.columns[n], dtype=np.float64))
        for n, char in zip(member.names, member.is_char, strict=True)
    })
    types = {n: "Char" if c else "Num" for n, c in zip(member.names, member.is_char, strict=True)}
    labels = dict(zip(member.names, member.labels, strict=True))
    lengths = dict(zip(member.names, member.lengths, strict=True))
    formats = dict(zip(member.names, member.formats, strict=True))
    variables = [XptVariable(n, labels[n], types[n], lengths[n], formats[n])
                 for n in member.names]
    return frame, {
        "dataset": member.dataset,
        "label": member.label,
        "rows": member.rows,
        "variables": variables,
        "variable_labels": labels,
        "types": types,
        "lengths": lengths,
        "formats": formats,
    }


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


def _check_dataset(dataset: str, label: str) -> str:
    # Checked for ASCII before upper-casing: str.upper can change the length of other text.
    _check_text(dataset, "dataset name", MAX_NAME_BYTES, dataset, None)
    name = _check_name(dataset.upper(), "dataset name", dataset.upper(), None)
    _check_text(label, "dataset label", MAX_LABEL_BYTES, name, None)
    return name


def _check_variables(variables: Sequence[XptVariable], dataset: str) -> None:
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


def _check_columns(df: pd.DataFrame, variables: Sequence[XptVariable], dataset: str) -> None:
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


def _prepare_columns(
    df: pd.DataFrame, variables: Sequence[XptVariable], dataset: str
) -> _Prepared:
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
    return _Prepared(columns, lengths, specials)


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


def _check_trailing_blank_rows(
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


# --------------------------------------------------------------------------- writing


def _force_lengths(
    columns: dict[str, Any], lengths: dict[str, int], *, placeholder_row: bool
) -> pd.DataFrame:
    """A frame whose character columns make pyreadstat choose exactly ``lengths``.

    pyreadstat offers no storage-width argument: it uses the longest value in bytes (min 1).
    Blank-padding one value to the wanted length does not change the file's data (XPT pads
    every value with blanks to the full width anyway) but makes that value the longest.
    A frame without rows has no value to pad, so it gets one placeholder row, which
    ``_finish_file`` cuts off again.
    """
    frame = {}
    for name, values in columns.items():
        if name in lengths:  # pyreadstat takes Python strings, without trailing blanks
            values = np.asarray(xptv5.significant_text(values).to_pylist(), dtype=object)
        else:
            values = np.asarray(values, dtype=np.float64)
        if placeholder_row:
            values = np.array([""] if name in lengths else [np.nan], dtype=values.dtype)
        if name in lengths:
            values = values.copy()
            values[0] = values[0].ljust(lengths[name])  # ASCII by now: characters are bytes
            frame[name] = pd.Series(values, dtype=object, copy=False)
        else:
            frame[name] = pd.Series(values, dtype=np.float64, copy=False)
    return pd.DataFrame(frame, copy=False)


def _pyreadstat_write(
    frame: pd.DataFrame, path: Path, dataset: str, label: str, variables: Sequence[XptVariable]
) -> None:
    formats = {v.name: v.format.upper() for v in variables if v.format is not None}
    pyreadstat.write_xport(
        frame,
        os.fspath(path),
        file_label=label,
        column_labels=[v.label for v in variables],
        table_name=dataset,
        file_format_version=5,  # pyreadstat defaults to v8, which regulators do not accept
        variable_format=formats or None,
    )


def _replace_atomically(target: Path, produce: Callable[[Path], None]) -> None:
    """Build the file next to ``target`` and move it into place only when complete."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        produce(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; some platforms cannot open directories, which is fine.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sas_timestamp(created: dt.datetime) -> bytes:
    # Spelled out rather than strftime("%b"), whose month names follow the process locale.
    text = (
        f"{created.day:02d}{_MONTHS[created.month - 1]}{created.year % 100:02d}:"
        f"{created.hour:02d}:{created.minute:02d}:{created.second:02d}"
    )
    return text.encode("ascii")


# --------------------------------------------------------------------------- header records

_RECORD = 80
_TIMESTAMP_RE = re.compile(rb"[0-9]{2}[A-Z]{3}[0-9]{2}:[0-9]{2}:[0-9]{2}:[0-9]{2}")
_LIBRARY_HEADER = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"
_MEMBER_HEADER = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!"
_DESCRIPTOR_HEADER = b"HEADER RECORD*******DSCRPTR HEADER RECORD!!!!!!!"
_NAMESTR_HEADER = b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!"
_OBS_HEADER = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!"


@dataclass(frozen=True)
class _Layout:
    """Where the wall-clock stamps and the data start in a one-member XPT v5 file."""

    timestamps: tuple[int, ...]
    data_start: int


def _record(head: bytes, index: int) -> bytes:
    return head[index * _RECORD : (index + 1) * _RECORD]


def _expect(head: bytes, index: int, prefix: bytes) -> None:
    if not _record(head, index).startswith(prefix):
        raise RuntimeError(f"unexpected XPT layout: record {index} is not {prefix!r}")


def _parse_layout(read: Callable[[int], bytes]) -> _Layout:
    """Locate the stamps by walking the records laid out in SAS technical note TS-140.

    Records 0-2: library header, then "SAS SAS SASLIB <version> <os>" ending in the created
    stamp (bytes 64-79), then a record starting with the modified stamp. Records 3-6: member
    header (its bytes 74-77 give the namestr size), descriptor header, then "SAS <name>
    SASDATA ..." ending in the created stamp and a record starting with the modified stamp.
    Record 7 is the namestr header (bytes 54-57: number of variables); the namestrs follow,
    padded to whole records, and then the OBS header, after which the data starts.
    """
    head = read(8 * _RECORD)
    for index, prefix in (
        (0, _LIBRARY_HEADER),
        (1, b"SAS     SAS     SASLIB  "),
        (3, _MEMBER_HEADER),
        (4, _DESCRIPTOR_HEADER),
        (5, b"SAS     "),
        (7, _NAMESTR_HEADER),
    ):
        _expect(head, index, prefix)
    namestr_size = int(_record(head, 3)[74:78])
    n_variables = int(_record(head, 7)[54:58])
    obs_index = 8 + math.ceil(n_variables * namestr_size / _RECORD)
    head = read((obs_index + 1) * _RECORD)
    _expect(head, obs_index, _OBS_HEADER)
    stamps = (1 * _RECORD + 64, 2 * _RECORD, 5 * _RECORD + 64, 6 * _RECORD)
    for offset in stamps:
        if not _TIMESTAMP_RE.fullmatch(head[offset : offset + 16]):
            raise RuntimeError(f"unexpected XPT layout: no timestamp at byte {offset}")
    return _Layout(stamps, (obs_index + 1) * _RECORD)


def _special_offsets(
    variables: Sequence[XptVariable], lengths: dict[str, int], specials: dict[str, dict[int, str]]
) -> list[tuple[int, bytes]]:
    """(offset from the start of the data, tag byte) of every special missing value."""
    if not specials:
        return []
    starts, at = {}, 0
    for var in variables:
        starts[var.name] = at
        at += lengths.get(var.name, NUM_LENGTH)
    return sorted(
        (row * at + starts[name], code.encode("ascii"))
        for name, rows in specials.items()
        for row, code in rows.items()
    )


def _finish_file(
    path: Path, stamp: bytes, *, drop_rows: bool, tags: Sequence[tuple[int, bytes]] = ()
) -> None:
    """Overwrite every wall-clock stamp, tag special missings, optionally cut the data, flush."""
    with open(path, "r+b") as fh:

        def read(size: int) -> bytes:
            fh.seek(0)
            return fh.read(size)

        layout = _parse_layout(read)
        for offset in layout.timestamps:
            fh.seek(offset)
            fh.write(stamp)
        for offset, tag in tags:
            fh.seek(layout.data_start + offset)
            if fh.read(1) != b".":  # readstat wrote a plain missing here; anything else is a bug
                raise RuntimeError(f"unexpected XPT data: no missing value at byte {offset}")
            fh.seek(layout.data_start + offset)
            fh.write(tag)
        if drop_rows:
            fh.truncate(layout.data_start)
        fh.flush()
        os.fsync(fh.fileno())


def _format_from_pyreadstat(fmt: str | None) -> str | None:
    # pyreadstat reports "DATE9" / "8.2"; SAS notation always has the period ("DATE9.").
    if not fmt:
        return None
    return fmt if "." in fmt else fmt + "."
