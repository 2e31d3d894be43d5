"""Reading raw CRF extracts: every field as text, every record tagged with its file and row.

A raw form is a CSV, SAS7BDAT, SAS XPORT (XPT), Excel (xlsx) or Parquet file; whatever the
format, the frame is the same: every column text (blank = missing, values trimmed) plus the
record's file name and position (``__file``, ``__row``). Typed cells become the text a data
programmer would write (docs/mapping-language.md, section 2): numbers in their shortest form,
dates and times in ISO 8601, booleans as Y/N.

A CSV file is decoded strictly with its declared encoding before parsing: a byte that is not
valid in that encoding, a byte-order mark that was not declared, a ragged row or an empty file is
an error naming the file and line, never a silently mangled value. A file the format's library
cannot read is an error naming the file and the library's reason.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cdiscflow.codedtext import arrow, text_series
from cdiscflow.csvlines import (
    DEFECTS_ATTR,
    control_character_defects,
    free_of_controls,
    long_field_error,
    missing_final_newline,
    numbered_records,
)
from cdiscflow.errors import Defect, RawDataError
from cdiscflow.spec import RAW_FORMATS, format_of_file
from cdiscflow.textops import format_numbers

SOURCE_FILE = "__file"
SOURCE_ROW = "__row"
_MAX_LISTED = 10

# how a record's __row is named in messages: a CSV line, a worksheet row, an observation
_POSITION_WORD = {"csv": "line", "xlsx": "row"}


def position_word(fmt: str) -> str:
    """What ``__row`` counts in a file of this format ("line", "row" or "record")."""
    return _POSITION_WORD.get(fmt, "record")


def _codec(path: Path, encoding: str) -> str:
    try:
        info = codecs.lookup(encoding)
        name = info.name
        # rot13, base64, zlib: codecs Python knows that are not text encodings
        if not getattr(info, "_is_text_encoding", True):
            raise LookupError(name)
    except LookupError:
        raise RawDataError(f"{path}: unknown encoding {encoding!r} declared in the study file "
                           f"(a text encoding such as utf-8, latin-1 or gb18030)") from None
    return name


def _decode(path: Path, data: bytes, encoding: str) -> str:
    codec = _codec(path, encoding)
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


def _opened(path: Path) -> io.BufferedReader:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise RawDataError(f"{path}: raw file not found") from None
    except OSError as exc:
        raise RawDataError(f"{path}: cannot be read: {exc}") from None


def _read_text(path: Path, encoding: str, first_line_only: bool = False) -> str:
    return _read_text_and_utf8(path, encoding, first_line_only)[0]


def _read_text_and_utf8(path: Path, encoding: str, first_line_only: bool = False
                        ) -> tuple[str, bytes]:
    """The file's text, strictly decoded, and the same text as UTF-8 (the file's own bytes
    when it is UTF-8: not encoded again)."""
    with _opened(path) as fh:
        data = fh.readline() if first_line_only else fh.read()
    text = _decode(path, data, encoding)
    if not text or text.isspace():  # (isspace stops at the first other character: no copy)
        raise RawDataError(f"{path}: the file is empty (no header row)")
    return text, data if _codec(path, encoding) == "utf-8" else text.encode("utf-8")


def _csv_header(path: Path, encoding: str) -> list[str]:
    """The column names of a raw CSV file (reads and checks its first line only)."""
    line = _read_text(path, encoding, first_line_only=True)
    try:
        header = [c.strip() for c in next(csv.reader([line]))]
    except csv.Error as exc:  # e.g. a lone carriage return inside the header line
        raise RawDataError(f"{path}:1: the header row cannot be read as CSV: {exc}") from None
    return _checked_header(header, f"{path}:1")


def _checked_header(header: list[str], where: str) -> list[str]:
    """Column names as every reader must give them: each named, none twice."""
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise RawDataError(f"{where}: column name(s) {', '.join(dup)} appear more than once")
    if "" in header:
        raise RawDataError(f"{where}: column {header.index('') + 1} has no name")
    return header


def _ragged_lines(path: Path, text: str, width: int) -> RawDataError:
    bad = []
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0  # a record's line is the one after the previous record's end (physical lines)
    for row in reader:
        if row and len(row) != width:
            bad.append(f"line {end + 1} has {len(row)} fields")
            if len(bad) == _MAX_LISTED:
                break
        end = reader.line_num
    return RawDataError(f"{path}: expected {width} fields per row (the header's): "
                        + "; ".join(bad))


def _read_csv(path: Path, encoding: str) -> pd.DataFrame:
    """A raw CSV form as text columns (blank = missing) plus its file name and line numbers.

    pyarrow parses the (already strictly decoded) text; nothing is converted, so '007' stays
    '007' and '<5' stays '<5'.
    """
    header = _csv_header(path, encoding)
    text, data = _read_text_and_utf8(path, encoding)
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            # a quoted value may hold a line break: read such a file with that in mind
            parse_options=pacsv.ParseOptions(newlines_in_values='"' in text),
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
        raise long_field_error(path, text, header) or RawDataError(
            f"{path}: cannot be read as CSV: {exc}") from None
    # physical lines: a quoted line break inside a value does not shift the later records
    rows, one_line_each = numbered_records(text, len(table), data)
    clean = free_of_controls(text, one_line_each, data)
    columns = list(table.columns)
    if not clean or _spaces_at_value_edges(data):
        # values trimmed, and blank made missing, in Arrow before pandas sees them (as
        # ``str.strip`` would: the same kernel); a file with no space beside a comma, quote
        # or line break and no other white space has nothing to trim, and the parser has
        # made its blanks missing already
        columns = []
        for col in table.columns:
            trimmed = pc.utf8_trim_whitespace(col)
            columns.append(pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, trimmed.type),
                                      trimmed))
    table = pa.table(columns, names=[c.strip() for c in table.column_names])
    frame = table.to_pandas(types_mapper=lambda t: pd.StringDtype("pyarrow")
                            if t == pa.string() else None)
    frame[SOURCE_FILE] = path.name
    frame[SOURCE_ROW] = rows
    defects = ([] if clean else control_character_defects(frame, header, path.name, rows))
    unterminated = missing_final_newline(path.name, text)
    frame.attrs[DEFECTS_ATTR] = defects + ([unterminated] if unterminated else [])
    return frame


_VALUE_EDGES = np.frombuffer(b',"\r\n', dtype=np.uint8)


def _spaces_at_value_edges(data: bytes) -> bool:
    """Whether a space of the (ASCII, control-free) file stands beside a comma, a quote or a
    line break, or at either end: where a value could begin or end with one. Spaces inside a
    value ("Day 1") are not."""
    raw = np.frombuffer(data, dtype=np.uint8)
    at = np.flatnonzero(raw == 0x20)
    if not len(at):
        return False
    if at[0] == 0 or at[-1] == len(raw) - 1:
        return True
    return bool(np.isin(raw[at - 1], _VALUE_EDGES).any()
                or np.isin(raw[at + 1], _VALUE_EDGES).any())


def raw_defects(frame: pd.DataFrame) -> list[tuple[int, Defect]]:
    """What reading a form found in its values, as (line, defect): reported with the data."""
    return list(frame.attrs.get(DEFECTS_ATTR, []))


# ---- every format: one dispatch, one check of the names, one conversion to text ----------

def read_header(path: Path, encoding: str | None = None, *, fmt: str | None = None,
                sheet: str | None = None) -> list[str]:
    """The column names of a raw file, read without its data where the format allows.

    ``fmt``: one of RAW_FORMATS (default: from the extension); ``encoding``: of a CSV file
    (default utf-8) or of a SAS file's text (default: the file's own); ``sheet``: Excel only.
    """
    path = Path(path)
    fmt = _format(path, fmt)
    if fmt == "csv":
        return _csv_header(path, encoding or "utf-8")
    _check_not_empty(path)
    names = _READERS[fmt].header(path, encoding, sheet)
    if not names:
        raise RawDataError(f"{path}: the file has no columns (no header)")
    return _checked_header([n.strip() for n in names], _header_place(path, fmt))


def read_form(path: Path, encoding: str | None = None, *, fmt: str | None = None,
              sheet: str | None = None, missing: Sequence[str] = ()) -> pd.DataFrame:
    """A raw form as text columns (blank = missing, trimmed) plus its file name and positions.

    CSV: nothing is converted, so '007' stays '007' and '<5' stays '<5'. Other formats: typed
    values become text by the rules of ``_arrow_text`` (docs/mapping-language.md, section 2).
    ``missing``: the form's own tokens for "no value" (NA, ND, UNK), read as blanks.
    """
    path = Path(path)
    fmt = _format(path, fmt)
    if fmt == "csv":
        frame = _read_csv(path, encoding or "utf-8")
    else:
        names = read_header(path, encoding, fmt=fmt, sheet=sheet)
        columns, rows = _READERS[fmt].data(path, encoding, sheet, len(names))
        frame = _text_frame(path, fmt, names, columns, rows)
    return blank_tokens(frame, missing)


def blank_tokens(frame: pd.DataFrame, tokens: Sequence[str]) -> pd.DataFrame:
    """The frame with every value that is exactly one of ``tokens`` made missing (a form's
    own spelling of "no value": a CRF that writes NA or ND in empty fields)."""
    if not tokens:
        return frame
    choices = pa.array(list(tokens), type=pa.large_string())
    for col in frame.columns:
        if col in (SOURCE_FILE, SOURCE_ROW):
            continue
        data = arrow(frame[col])
        hit = pc.fill_null(pc.is_in(data, value_set=choices), False)
        if pc.any(hit).as_py():
            frame[col] = text_series(pc.if_else(hit, pa.scalar(None, data.type), data),
                                     frame.index)
    return frame


def _format(path: Path, fmt: str | None) -> str:
    fmt = fmt or format_of_file(path)
    if fmt not in RAW_FORMATS:
        raise RawDataError(f"{path}: unknown raw format {fmt or path.suffix!r} (known: "
                           f"{', '.join(RAW_FORMATS)})")
    return fmt


def _check_not_empty(path: Path) -> None:
    with _opened(path) as fh:
        if not fh.read(1):
            raise RawDataError(f"{path}: the file is empty (no header row)")


def _header_place(path: Path, fmt: str) -> str:
    # an Excel header is worksheet row 1, as a CSV header is line 1; SAS and Parquet names
    # are metadata, not a record
    return f"{path}:1" if fmt == "xlsx" else str(path)


_LIBRARY_NAME = {"sas7bdat": "SAS7BDAT (pyreadstat)", "xpt": "SAS XPORT (pyreadstat)",
                 "xlsx": "an Excel workbook (openpyxl)", "parquet": "Parquet (pyarrow)"}


@contextmanager
def _library_errors(path: Path, fmt: str) -> Iterator[None]:
    """Whatever a reading library raises on a damaged file, as a RawDataError naming it.

    The libraries raise many types for a corrupt file (zip, XML, Arrow and ReadStat errors, even
    KeyError), so every exception is caught, but only around the library's own calls.
    """
    try:
        yield
    except RawDataError:
        raise
    except Exception as exc:
        reason = str(exc).strip() or type(exc).__name__
        raise RawDataError(f"{path}: cannot be read as {_LIBRARY_NAME[fmt]}: {reason}"
                           ) from None


# ---- SAS7BDAT and XPT: pyreadstat ----------------------------------------------------------

_READSTAT_FUNCTION = {"sas7bdat": "read_sas7bdat", "xpt": "read_xport"}


def _readstat(path: Path, fmt: str, encoding: str | None, **options: Any) -> tuple[Any, Any]:
    # the format libraries are imported when a form needs them: a CSV-only run (and each
    # chunk worker) does not pay for them
    import pyreadstat

    read = getattr(pyreadstat, _READSTAT_FUNCTION[fmt])
    with _library_errors(path, fmt):
        return read(str(path), encoding=_iconv_name(path, encoding), **options)


def _iconv_name(path: Path, encoding: str | None) -> str | None:
    """The declared encoding as ReadStat's iconv knows it (None: the file's own)."""
    if encoding is None:
        return None
    codec = _codec(path, encoding)  # 'latin-1' -> 'iso8859-1', which iconv accepts
    return "utf-8" if codec == "utf-8-sig" else codec  # SAS files carry no byte-order mark


def _sas_header(fmt: str) -> Callable[[Path, str | None, str | None], list[str]]:
    def header(path: Path, encoding: str | None, sheet: str | None) -> list[str]:
        _, meta = _readstat(path, fmt, encoding, metadataonly=True)
        return list(meta.column_names)
    return header


def _sas_data(fmt: str) -> Callable[..., tuple[list[Any], np.ndarray]]:
    def data(path: Path, encoding: str | None, sheet: str | None, width: int
             ) -> tuple[list[Any], np.ndarray]:
        # dates, datetimes and times by their SAS format (DATE9., DATETIME20., TIME8., ...)
        # arrive as date/time objects and datetime64; other numbers as float64
        frame, _ = _readstat(path, fmt, encoding)
        columns = [list(frame[c]) if frame[c].dtype == object else pa.array(frame[c],
                                                                             from_pandas=True)
                   for c in frame.columns]
        return columns, np.arange(1, len(frame) + 1)  # observation numbers
    return data


# ---- Parquet: pyarrow ----------------------------------------------------------------------

def _parquet_header(path: Path, encoding: str | None, sheet: str | None) -> list[str]:
    import pyarrow.parquet as pq

    with _library_errors(path, "parquet"):
        return list(pq.read_schema(path).names)  # the footer only, no data pages


def _parquet_data(path: Path, encoding: str | None, sheet: str | None, width: int
                  ) -> tuple[list[Any], np.ndarray]:
    import pyarrow.parquet as pq

    with _library_errors(path, "parquet"):
        table = pq.read_table(path)
    return [c.combine_chunks() for c in table.columns], np.arange(1, table.num_rows + 1)


# ---- Excel: openpyxl -----------------------------------------------------------------------

def _worksheet_rows(path: Path, sheet: str | None, header_only: bool
                    ) -> list[tuple[int, list[Any]]]:
    """(worksheet row number, cell values) of the non-empty rows; row 1 is the header."""
    import openpyxl
    from openpyxl.styles.numbers import is_datetime

    with _library_errors(path, "xlsx"):
        # data_only: a formula cell's value as Excel last computed it, never the formula
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        with _library_errors(path, "xlsx"):
            sheets = book.sheetnames
            if sheet is not None and sheet not in sheets:
                raise RawDataError(f"{path}: no sheet {sheet!r} in the workbook (sheets: "
                                   f"{', '.join(sheets)})")
            ws = book[sheet] if sheet is not None else book.worksheets[0]
            # the sheet's <dimension> record is what the writing program claimed: read-only
            # mode would stop at its last row (losing records) or pad every row out to its
            # last column (A1:XFD1048576: 17 billion empty cells); read the cells there are
            ws.reset_dimensions()
            kept = []
            rows = ws.iter_rows(min_row=1, max_row=1 if header_only else None)
            for number, row in enumerate(rows, start=1):
                values = [_cell_value(c, is_datetime) for c in row]
                if number == 1 or any(v is not None for v in values):
                    kept.append((number, values))
            return kept
    finally:
        book.close()


def _cell_value(cell: Any, is_datetime: Callable[[str], str | None]) -> Any:
    value = cell.value
    # Excel stores a date as a datetime at midnight: the cell's number format tells a date
    # (yyyy-mm-dd) from a date and time (yyyy-mm-dd h:mm)
    if isinstance(value, dt.datetime) and is_datetime(cell.number_format) == "date":
        return value.date()
    return value


def _excel_header(path: Path, encoding: str | None, sheet: str | None) -> list[str]:
    rows = _worksheet_rows(path, sheet, header_only=True)
    which = f"sheet {sheet!r}" if sheet else "the first sheet"
    if not rows:
        raise RawDataError(f"{path}: {which} is empty (no header row)")
    if all(v is None for v in rows[0][1]):
        raise RawDataError(f"{path}:1: row 1 of {which}, the header row, is empty")
    names = [n or "" for n in _arrow_text_of(rows[0][1]).to_pylist()]
    while names and not names[-1]:  # cells formatted but never filled
        names.pop()
    return names


def _excel_data(path: Path, encoding: str | None, sheet: str | None, width: int
                ) -> tuple[list[Any], np.ndarray]:
    rows = _worksheet_rows(path, sheet, header_only=False)[1:]
    for number, values in rows:
        extra = [i for i, v in enumerate(values[width:], start=width) if v is not None]
        if extra:
            from openpyxl.utils import get_column_letter

            cell = f"{get_column_letter(extra[0] + 1)}{number}"
            raise RawDataError(f"{path}: row {number}: cell {cell} value "
                               f"{values[extra[0]]!r} is right of the last named column")
    records = [values[:width] + [None] * (width - len(values)) for _, values in rows]
    columns = ([list(col) for col in zip(*records, strict=True)] if records
               else [[] for _ in range(width)])
    return columns, np.array([number for number, _ in rows], dtype=np.int64)


class _Reader(NamedTuple):
    """A format's two jobs: its column names, and its columns with each record's position."""

    header: Callable[..., list[str]]
    data: Callable[..., tuple[list[Any], np.ndarray]]


_READERS = {
    "sas7bdat": _Reader(_sas_header("sas7bdat"), _sas_data("sas7bdat")),
    "xpt": _Reader(_sas_header("xpt"), _sas_data("xpt")),
    "parquet": _Reader(_parquet_header, _parquet_data),
    "xlsx": _Reader(_excel_header, _excel_data),
}


# ---- typed values to text, shared by every reader -------------------------------------------

class _Unsupported(Exception):
    """A value (at a position) or a column type that has no text form."""

    def __init__(self, what: Any, position: int | None = None) -> None:
        super().__init__(what)
        self.what, self.position = what, position


def _text_frame(path: Path, fmt: str, names: list[str], columns: list[Any], rows: np.ndarray
                ) -> pd.DataFrame:
    index = pd.RangeIndex(len(rows))
    data = {}
    for name, values in zip(names, columns, strict=True):
        try:
            data[name] = text_series(_trimmed(_arrow_text_of(values)), index)
        except _Unsupported as exc:
            where = "" if exc.position is None else f" {position_word(fmt)} {rows[exc.position]}"
            raise RawDataError(f"{path}:{where} column {name}: {exc.what!r} has no text form "
                               f"(numbers, text, dates, times and booleans do)") from None
    frame = pd.DataFrame(data, index=index)
    frame[SOURCE_FILE] = path.name
    frame[SOURCE_ROW] = rows.astype(np.int64)
    return frame


def _trimmed(text: pa.Array) -> pa.Array:
    text = pc.utf8_trim_whitespace(text)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.large_string()), text)


def _arrow_text_of(values: pa.Array | Sequence[Any]) -> pa.Array:
    """A typed Arrow array, or a column of Python cell values, as a large_string array."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return _arrow_text(values)
    return _python_text(list(values))


# the Arrow type a column of Python values of one kind is read as
_KIND_TYPE = {"text": pa.large_string(), "bool": pa.bool_(), "int": pa.int64(),
              "float": pa.float64(), "datetime": pa.timestamp("us"), "date": pa.date32(),
              "time": pa.time64("us")}


def _kind(value: Any) -> str | None:
    """What a Python cell value is (None: missing)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**63:
        return "float"  # a whole number too large for int64 (Excel holds it as a double)
    for kinds, name in (((str,), "text"), ((bool, np.bool_), "bool"),
                        ((int, np.integer), "int"), ((float, np.floating), "float"),
                        ((dt.datetime,), "datetime"), ((dt.date,), "date"),
                        ((dt.time,), "time")):
        if isinstance(value, kinds):  # datetime is checked before date: it is one
            return name
    raise _Unsupported(value)


def _python_text(values: list[Any]) -> pa.Array:
    """Cells of mixed kinds (an Excel column of numbers and '<5'): each kind by its own rule."""
    kinds = []
    for position, value in enumerate(values):
        try:
            kinds.append(_kind(value))
        except _Unsupported as exc:
            raise _Unsupported(exc.what, position) from None
    present = set(kinds) - {None}
    if len(present) <= 1:
        kind = present.pop() if present else "text"
        return _arrow_text(pa.array([v if k else None for v, k in zip(values, kinds, strict=True)],
                                    type=_KIND_TYPE[kind]))
    out: list[str | None] = [None] * len(values)
    for kind in present:
        at = [i for i, k in enumerate(kinds) if k == kind]
        texts = _arrow_text(pa.array([values[i] for i in at], type=_KIND_TYPE[kind]))
        for i, text in zip(at, texts.to_pylist(), strict=True):
            out[i] = text
    return pa.array(out, type=pa.large_string())


def _arrow_text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A typed column as text, the way a data programmer writes it:

    numbers in their shortest form with up to 10 significant digits (1.0 -> 1, 2.50 -> 2.5),
    integers exactly; dates YYYY-MM-DD, datetimes YYYY-MM-DDTHH:MM:SS and times HH:MM:SS, to the
    nearest second (a SAS datetime is a float: 10:05:00 may arrive as 10:04:59.999999), in the
    value's own time zone without an offset; booleans Y/N; text as it is.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    t = values.type
    if pa.types.is_dictionary(t):
        return _arrow_text(values.dictionary_decode())
    if pa.types.is_null(t):
        return pa.nulls(len(values), pa.large_string())
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return values.cast(pa.large_string())
    if pa.types.is_boolean(t):
        return pc.if_else(values, "Y", "N").cast(pa.large_string())
    if pa.types.is_integer(t):
        return values.cast(pa.large_string())
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        numbers = pd.Series(values.cast(pa.float64()).to_numpy(zero_copy_only=False))
        return arrow(format_numbers(numbers))
    if pa.types.is_timestamp(t):
        return _clock_text(values, "%Y-%m-%dT%H:%M:%S")
    if pa.types.is_date(t):
        return _clock_text(values.cast(pa.timestamp("s")), "%Y-%m-%d")
    if pa.types.is_time(t):
        since_midnight = values.cast(pa.time64("us")).cast(pa.int64()).cast(pa.timestamp("us"))
        return _clock_text(since_midnight, "%H:%M:%S")
    raise _Unsupported(f"a column of type {t}")


def _clock_text(stamps: pa.Array, fmt: str) -> pa.Array:
    if stamps.type.tz is not None:
        stamps = pc.local_timestamp(stamps)  # the wall clock where it was recorded
    seconds = pc.round_temporal(stamps, unit="second").cast(pa.timestamp("s"))
    return pc.strftime(seconds, format=fmt).cast(pa.large_string())
