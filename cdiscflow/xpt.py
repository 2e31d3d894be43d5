"""Write (and read back) SAS transport files, XPORT version 5: the format FDA and PMDA accept.

Everything XPT v5 cannot hold is refused with an :class:`XptError` (the checks live in
``cdiscflow.xptcheck``) before a byte is written, because the library that produces the bytes
(pyreadstat) silently truncates labels and format names, writes over-long and non-ASCII values,
cuts values at a NUL byte and turns numbers out of the IBM float range into 0 or infinity.

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
import pyreadstat

from cdiscflow import xptv5
from cdiscflow.xptcheck import (
    MAX_NAME_BYTES,
    MONTHS,
    NUM_LENGTH,
    Prepared,
    SpecialMissing,
    XptError,
    XptVariable,
    check_columns,
    check_dataset,
    check_trailing_blank_rows,
    check_variables,
    prepare_columns,
)

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
    name = check_dataset(dataset, label)
    check_variables(variables, name)
    check_columns(df, variables, name)
    prepared = prepare_columns(df, variables, name)
    _write_prepared(prepared, len(df), Path(path), name, label, variables, created, writer)


def _write_prepared(prepared: Prepared, n_rows: int, target: Path, name: str, label: str,
                    variables: Sequence[XptVariable], created: dt.datetime, writer: str) -> None:
    columns, lengths, specials = prepared.columns, prepared.lengths, prepared.specials
    check_trailing_blank_rows(columns, lengths, n_rows, name)
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
             ) -> tuple[list[XptVariable], Prepared]:
    """:func:`resolve_lengths`, and the checked columns it found them from."""
    name = check_dataset(dataset, label)
    check_variables(variables, name)
    check_columns(df, variables, name)
    prepared = prepare_columns(df, variables, name)
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
    name = check_dataset(dataset, label)
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
        check_dataset(member, label)
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
        f"{created.day:02d}{MONTHS[created.month - 1]}{created.year % 100:02d}:"
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
