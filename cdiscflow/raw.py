"""Reading raw CRF extracts: every field as text, every record tagged with its file and line.

A file is decoded strictly with its declared encoding before parsing: a byte that is not valid in
that encoding, a byte-order mark that was not declared, a ragged row or an empty file is an error
naming the file and line, never a silently mangled value.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from cdiscflow.errors import RawDataError

SOURCE_FILE = "__file"
SOURCE_ROW = "__row"
_MAX_LISTED = 10


def _decode(path: Path, data: bytes, encoding: str) -> str:
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise RawDataError(f"{path}: unknown encoding {encoding!r} declared in the study file"
                           ) from None
    if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
        raise RawDataError(f"{path}: starts with a UTF-8 byte-order mark but the study file "
                           f"declares utf-8; declare encoding: utf-8-sig for this file")
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start:exc.end].hex(" ")
        raise RawDataError(f"{path}:{line}: byte(s) {bad} are not valid {encoding}; declare the "
                           f"file's real encoding (e.g. latin-1, gb18030, utf-8-sig) in the "
                           f"study file") from None


def _read_text(path: Path, encoding: str, first_line_only: bool = False) -> str:
    try:
        with path.open("rb") as fh:
            data = fh.readline() if first_line_only else fh.read()
    except FileNotFoundError:
        raise RawDataError(f"{path}: raw file not found") from None
    except OSError as exc:
        raise RawDataError(f"{path}: cannot be read: {exc}") from None
    text = _decode(path, data, encoding)
    if not text.strip():
        raise RawDataError(f"{path}: the file is empty (no header row)")
    return text


def read_header(path: Path, encoding: str = "utf-8") -> list[str]:
    """The column names of a raw CSV file (reads and checks its first line only)."""
    line = _read_text(path, encoding, first_line_only=True)
    try:
        header = [c.strip() for c in next(csv.reader([line]))]
    except csv.Error as exc:  # e.g. a lone carriage return inside the header line
        raise RawDataError(f"{path}:1: the header row cannot be read as CSV: {exc}") from None
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise RawDataError(f"{path}:1: column name(s) {', '.join(dup)} appear more than once")
    if "" in header:
        raise RawDataError(f"{path}:1: column {header.index('') + 1} has no name")
    return header


def _ragged_lines(path: Path, text: str, width: int) -> RawDataError:
    bad = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if row and len(row) != width:
            bad.append(f"line {number} has {len(row)} fields")
            if len(bad) == _MAX_LISTED:
                break
    return RawDataError(f"{path}: expected {width} fields per row (the header's): "
                        + "; ".join(bad))


def read_form(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    """A raw CSV form as text columns (blank = missing) plus its file name and line numbers.

    pyarrow parses the (already strictly decoded) text; nothing is converted, so '007' stays
    '007' and '<5' stays '<5'.
    """
    header = read_header(path, encoding)
    text = _read_text(path, encoding)
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "columns" in str(exc):
            raise _ragged_lines(path, text, len(header)) from None
        raise RawDataError(f"{path}: cannot be read as CSV: {exc}") from None
    frame = table.to_pandas(types_mapper=lambda t: pd.StringDtype("pyarrow")
                            if t == pa.string() else None)
    frame.columns = [c.strip() for c in frame.columns]
    for col in frame.columns:
        frame[col] = frame[col].str.strip().replace("", pd.NA)
    frame[SOURCE_FILE] = path.name
    # line numbers as in the file: the header is line 1 (no field spans lines in EDC exports)
    frame[SOURCE_ROW] = pd.RangeIndex(2, len(frame) + 2)
    return frame
