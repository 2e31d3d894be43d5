"""The bytes of an XPORT version 5 file, produced with numpy on whole columns.

This module only lays out bytes (SAS technical note TS-140): the library and member headers,
one 140-byte NAMESTR per variable, and the observations as fixed-width records, numbers as
IBM System/370 double precision. Everything a value must satisfy is checked before it gets here
(``cdiscflow.xptcheck``). The layout follows what readstat writes field for field, so a file from
here is byte-identical to pyreadstat's for the same frame: pyreadstat stays the reference the
tests compare against.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

RECORD = 80
NAMESTR = 140
LIBRARY_V5 = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"
_HEADER = b"HEADER RECORD*******%-7s HEADER RECORD!!!!!!!%s  "
_FORMAT_RE = re.compile(r"^(?P<name>\$?[A-Z_]*?)(?P<width>\d*)\.?(?P<decimals>\d*)$")
_VERSION = b"6.06    "
_OS = b"bsd4.2  "
# bytes of records laid out at a time: large enough to amortise the per-column calls, small
# enough that a 10-million-record (2 GB) dataset never has its file bytes in memory at once
SLICE_BYTES = 16 * 2**20


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    is_char: bool
    length: int  # bytes in each record (8 for numbers)
    format: str | None  # "DATE9." style or None
    # sliced by rows as the records are written. char: Arrow text or an object array of str
    # (missing and trailing blanks allowed); num: anything numpy reads as float64, NaN missing
    values: Any
    specials: dict[int, str] | None = None  # row -> special missing code ("A".."Z", "_")


def _pad(text: bytes, width: int) -> bytes:
    return text[:width].ljust(width, b" ")


def _header(kind: bytes, digits: bytes = b"0" * 30) -> bytes:
    return _HEADER % (kind, digits)


def _split_format(fmt: str | None) -> tuple[bytes, int, int]:
    if not fmt:
        return b"", 0, 0
    m = _FORMAT_RE.match(fmt.upper())
    if m is None:
        raise ValueError(f"format {fmt!r} is not NAMEw.d")
    width = int(m.group("width") or 0)
    decimals = int(m.group("decimals") or 0)
    return m.group("name").encode("ascii"), width, decimals


def _namestr(col: Column, number: int, position: int) -> bytes:
    name, width, decimals = _split_format(col.format)
    justify = 0 if col.is_char else 1  # numbers are right-justified
    return b"".join([
        (2 if col.is_char else 1).to_bytes(2, "big"),
        b"\0\0",
        col.length.to_bytes(2, "big"),
        number.to_bytes(2, "big"),
        _pad(col.name.encode("ascii"), 8),
        _pad(col.label.encode("ascii"), 40),
        _pad(name, 8),
        width.to_bytes(2, "big"),
        decimals.to_bytes(2, "big"),
        justify.to_bytes(2, "big"),
        b"\0\0",
        b" " * 8,  # no informat
        b"\0\0\0\0",
        position.to_bytes(4, "big"),
        b"\0" * 52,
    ])


def header_bytes(dataset: str, label: str, columns: Sequence[Column], stamp: bytes) -> bytes:
    """Everything before the first observation; ``stamp`` is ``ddMONyy:hh:mm:ss``."""
    parts = [
        _header(b"LIBRARY"),
        b"SAS     SAS     SASLIB  " + _VERSION + _OS + b" " * 24 + stamp,
        stamp + b" " * 64,
        _header(b"MEMBER ", b"0" * 17 + b"16" + b"0" * 8 + b"140"),
        _header(b"DSCRPTR"),
        b"SAS     " + _pad(dataset.encode("ascii"), 8) + b"SASDATA " + _VERSION + _OS
        + b" " * 24 + stamp,
        stamp + b" " * 16 + _pad(label.encode("ascii"), 40) + b" " * 8,
        _header(b"NAMESTR", b"000000" + f"{len(columns):04d}".encode() + b"0" * 20),
    ]
    names, position = [], 0
    for number, col in enumerate(columns, start=1):
        names.append(_namestr(col, number, position))
        position += col.length
    block = b"".join(names)
    parts.append(block + b" " * (-len(block) % RECORD))
    parts.append(_header(b"OBS    "))
    return b"".join(parts)


def ibm_doubles(values: np.ndarray, specials: dict[int, str] | None = None) -> np.ndarray:
    """IEEE doubles as big-endian IBM System/370 doubles, as an (n, 8) uint8 array.

    IBM: sign bit, 7-bit excess-64 base-16 exponent, 56-bit fraction in [1/16, 1). A double's
    53 significant bits always fit the fraction after the hexadecimal normalising shift (at
    most 3 bits), so the conversion is exact for every value inside the IBM exponent range
    (callers refuse the rest). Missing is ``.`` (0x2E) followed by zeros; special missing
    values ``.A``-``.Z`` and ``._`` store their letter in place of the dot.
    """
    x = np.ascontiguousarray(values, dtype=np.float64)
    missing = np.isnan(x)
    # integer work on the IEEE bits: |x| = m * 2**(e - 1075), m the 53-bit significand
    # (every accepted non-zero number is a normal double, so its leading 1 is implicit)
    bits = x.view(np.uint64)
    exp2 = ((bits >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64) - 1022  # m in [.5, 1)
    exp16 = -(-exp2 // 4)  # ceil(e / 4): the base-16 exponent
    shift = 4 * exp16 - exp2  # 0..3 bits to reach a fraction in [1/16, 1)
    significand = (bits & np.uint64(2**52 - 1)) | np.uint64(2**52)
    fraction = significand << (3 - shift).astype(np.uint64)  # 53 bits placed in 56
    top = (bits & np.uint64(2**63)) | ((exp16 + 64).astype(np.uint64) << np.uint64(56))
    word = np.where(x == 0, np.uint64(0), top | fraction)
    word[missing] = np.uint64(0x2E) << np.uint64(56)
    for row, code in (specials or {}).items():
        word[row] = np.uint64(ord(code)) << np.uint64(56)
    return word.astype(">u8").view(np.uint8).reshape(-1, 8)


def significant_text(values: np.ndarray | pa.Array | pa.ChunkedArray) -> pa.Array:
    """Text as one Arrow array with missing values as ``""`` and trailing blanks cut: what
    XPT stores (blank-padded) and readers give back. ``values``: Arrow text, or an object
    array of str. Values are only copied to cut blanks when some value ends in one."""
    text = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(
        np.asarray(values, dtype=object), type=pa.string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    if pa.types.is_null(text.type):
        text = text.cast(pa.string())
    text = pc.fill_null(text, "")
    if ends_in_blank(text).any():
        text = pc.utf8_rtrim(text, characters=" ")
    return text


def text_buffers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The value offsets (n + 1) and the byte buffer of an Arrow string or large_string
    array, as numpy views; value ``i`` is ``data[offsets[i]:offsets[i + 1]]``."""
    n = len(text)
    wide = pa.types.is_large_string(text.type)
    offsets_buf, data_buf = text.buffers()[1:3]
    if n == 0 or offsets_buf is None:
        return np.zeros(n + 1, dtype=np.int64), np.empty(0, dtype=np.uint8)
    offsets = np.frombuffer(offsets_buf, dtype=np.int64 if wide else np.int32, count=n + 1,
                            offset=text.offset * (8 if wide else 4))
    data = (np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None
            else np.empty(0, dtype=np.uint8))
    return offsets, data


def ends_in_blank(text: pa.Array) -> np.ndarray:
    """Whether each value (of a string array without nulls) ends in a blank."""
    offsets, data = text_buffers(text)
    if data.size == 0:
        return np.zeros(len(text), dtype=bool)
    ends = offsets[1:]
    return (ends > offsets[:-1]) & (data[np.maximum(ends - 1, 0)] == 0x20)


def _char_bytes(values: np.ndarray | pa.Array | pa.ChunkedArray, length: int) -> np.ndarray:
    """ASCII text as an (n, length) uint8 array padded with blanks.

    Arrow pads every value to the same width in C++, after which the values lie back to back
    in one buffer that numpy can view without a per-value Python step.
    """
    padded = pc.utf8_rpad(significant_text(values), width=length, padding=" ")
    n = len(padded)
    if n == 0:
        return np.empty((0, length), dtype=np.uint8)
    offsets, data = text_buffers(padded)
    return data[offsets[0]:offsets[0] + n * length].reshape(n, length)


def _place(block: np.ndarray, cells: np.ndarray, at: int, width: int) -> None:
    """Copy (n, length) cells into bytes ``at`` to ``at + length`` of each ``width``-byte record
    of ``block``, a value (not a byte) at a time: numpy copies a whole ``V<length>`` item per
    step, much faster than a two-dimensional byte copy for narrow columns."""
    n, length = cells.shape
    if n == 0:
        return
    item = np.dtype(f"V{length}")
    target = np.ndarray((n,), dtype=item, buffer=block, offset=at, strides=(width,))
    target[...] = np.ascontiguousarray(cells).view(item).reshape(n)


def write_observations(fh: BinaryIO, columns: Sequence[Column], rows: int,
                       slice_bytes: int | None = None) -> int:
    """Write the fixed-width records, then blank padding to a whole record.

    The records are laid out and written a slice at a time, each of at most ``slice_bytes``
    (default :data:`SLICE_BYTES`, at least one record), so memory stays bounded however many
    records there are; the bytes do not depend on the slice size. Returns the bytes written.
    """
    width = sum(c.length for c in columns)
    offsets = np.cumsum([0] + [c.length for c in columns])
    step = max(1, (SLICE_BYTES if slice_bytes is None else slice_bytes) // max(1, width))
    written = 0
    for start in range(0, rows, step):
        stop = min(rows, start + step)
        block = np.empty((stop - start) * width, dtype=np.uint8)
        for col, at in zip(columns, offsets, strict=False):
            piece = col.values[start:stop]
            if col.is_char:
                cells = _char_bytes(piece, col.length)
            else:
                specials = {r - start: c for r, c in (col.specials or {}).items()
                            if start <= r < stop}
                cells = ibm_doubles(piece, specials)
            _place(block, cells, at, width)
        fh.write(block.data)
        written += block.size
    pad = -written % RECORD
    fh.write(b" " * pad)
    return written + pad


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Member:
    """What a one-member XPT v5 file holds, read with numpy on whole columns."""

    dataset: str
    label: str
    names: list[str]
    labels: list[str]
    is_char: list[bool]
    lengths: list[int]
    formats: list[str | None]
    columns: dict[str, np.ndarray | pa.Array]  # text as Arrow (trailing blanks cut), numbers f8
    rows: int


def _text(raw: bytes) -> str:
    return raw.decode("ascii", errors="replace").rstrip(" \0")


def _format_name(name: bytes, width: int, decimals: int) -> str | None:
    text = _text(name)
    if not text and not width:
        return None
    return f"{text}{width or ''}.{decimals or ''}"


def from_ibm(cells: np.ndarray) -> np.ndarray:
    """(n, 8) uint8 big-endian IBM doubles as float64; missing values (``.``, ``.A``-``.Z``,
    ``._``: a tag byte followed by zeros) as NaN."""
    cells = np.ascontiguousarray(cells, dtype=np.uint8)
    return ibm_words_to_float(cells.view(">u8").reshape(-1).astype(np.uint64))


_TAGS = np.arange(256)
# per leading byte: the factor taking the 56-bit fraction to the number (sign and base-16
# exponent; always a normal double, so the product is exact), and whether a zero fraction
# there is a missing value (``.``, ``.A``-``.Z``, ``._``) rather than 0
_IBM_SCALE = np.where(_TAGS >= 0x80, -1.0, 1.0) * np.ldexp(1.0, 4 * ((_TAGS & 0x7F) - 64) - 56)
_MISSING_TAG = np.isin(_TAGS, [0x2E, 0x5F, *range(0x41, 0x5B)])


def ibm_words_to_float(word: np.ndarray) -> np.ndarray:
    """IBM doubles held as native uint64 words as float64 (missing values as NaN)."""
    fraction = word & np.uint64(0x00FFFFFFFFFFFFFF)
    tag = (word >> np.uint64(56)).astype(np.uint8)
    value = fraction.astype(np.float64)
    value *= _IBM_SCALE[tag]
    # only a zero fraction can be missing: look at those few cells' tags
    zero = np.flatnonzero(fraction == 0)
    value[zero[_MISSING_TAG[tag[zero]]]] = np.nan
    return value


def _number_column(body: np.ndarray, rows: int, width: int, at: int) -> np.ndarray:
    """The 8-byte cells at byte ``at`` of every record, read in place (a strided view of the
    file's bytes, no copy of the column first) and decoded."""
    if rows == 0:
        return np.empty(0, dtype=np.float64)
    cells = np.ndarray((rows,), dtype=">u8", buffer=body, offset=at, strides=(width,))
    return ibm_words_to_float(cells.astype(np.uint64))


def _text_column(body: np.ndarray, rows: int, width: int, at: int, length: int) -> pa.Array:
    """The fixed-width text at byte ``at`` of every record as Arrow large_string with trailing
    blanks cut: the cells are copied out as one buffer of ``length``-byte values (no Python
    str per value) and Arrow trims them."""
    if rows == 0:
        return pa.array([], type=pa.large_string())
    cells = np.ndarray((rows,), dtype=f"V{length}", buffer=body, offset=at, strides=(width,))
    data = cells.copy().view(np.uint8)
    if data.max() >= 0x80:
        # not ASCII: Arrow checks the UTF-8 (and refuses what is not) as it always has
        fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(length), rows,
                                                     [None, pa.py_buffer(data)])
        text = fixed.cast(pa.large_binary()).cast(pa.large_string())
    else:
        offsets = np.arange(0, (rows + 1) * length, length, dtype=np.int64)
        text = pa.LargeStringArray.from_buffers(rows, pa.py_buffer(offsets),
                                                pa.py_buffer(data))
    return pc.utf8_rtrim(text, characters=" ")


def _data_rows(body: np.ndarray, width: int) -> int:
    """Records in the observation bytes: the file ends in blank padding, and trailing rows
    made only of blanks are that padding, not data. Looks back from the end in growing
    steps, so only the tail of the data is scanned."""
    rows = len(body) // width
    step = 64
    while rows:
        start = max(0, rows - step)
        tail = body[start * width:rows * width].reshape(-1, width)
        kept = np.flatnonzero((tail != 0x20).any(axis=1))
        if kept.size:
            return start + int(kept[-1]) + 1
        rows, step = start, step * 2
    return 0


def member_name(head: bytes) -> str | None:
    """The dataset name in the member header of an XPT v5 file's first 7 records (None when
    ``head`` is not the start of one): read here, as ReadStat cannot open a member with no
    variables."""
    base = 3 * RECORD
    if not head.startswith(LIBRARY_V5) or len(head) < base + 3 * RECORD or not head.startswith(
            b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!", base):
        return None
    return _text(head[base + 2 * RECORD + 8:base + 2 * RECORD + 16])


def read_member(data: bytes) -> Member:
    """Parse a whole one-member XPT v5 file held in memory.

    Columns are decoded from views of ``data``: the observations are never copied as a whole.
    """
    if not data.startswith(LIBRARY_V5):
        raise ValueError("not a SAS XPORT version 5 file (no library header record)")
    if len(data) % RECORD:
        # XPT v5 is made of whole 80-byte records: anything else was cut short or added to,
        # and the last observations cannot be trusted
        raise ValueError(f"{len(data)} bytes, not a whole number of {RECORD}-byte records "
                         f"(the file is truncated or has bytes added)")
    base = 3 * RECORD  # where the member starts
    if not data.startswith(b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!", base):
        raise ValueError("no member header record where XPT v5 puts it")
    namestr_size = int(data[base + 74:base + 78])
    descriptor = data[base + 2 * RECORD:base + 4 * RECORD]
    dataset = _text(descriptor[8:16])
    label = _text(descriptor[RECORD + 32:RECORD + 72])
    count = int(data[base + 4 * RECORD + 54:base + 4 * RECORD + 58])
    start = base + 5 * RECORD
    names, labels, is_char, lengths, formats, positions = [], [], [], [], [], []
    for i in range(count):
        ns = data[start + i * namestr_size:start + (i + 1) * namestr_size]
        is_char.append(int.from_bytes(ns[0:2], "big") == 2)
        lengths.append(int.from_bytes(ns[4:6], "big"))
        names.append(_text(ns[8:16]))
        labels.append(_text(ns[16:56]))
        formats.append(_format_name(ns[56:64], int.from_bytes(ns[64:66], "big"),
                                    int.from_bytes(ns[66:68], "big")))
        positions.append(int.from_bytes(ns[84:88], "big"))
    block = count * namestr_size
    obs = start + block + (-block % RECORD)
    if not data.startswith(b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!", obs):
        raise ValueError("no observation header record after the variable descriptions")
    body = np.frombuffer(data, dtype=np.uint8, offset=min(obs + RECORD, len(data)))
    width = sum(lengths)
    rows = _data_rows(body, width) if width else 0
    columns: dict[str, np.ndarray | pa.Array] = {}
    for name, char, length, at in zip(names, is_char, lengths, positions, strict=True):
        columns[name] = (_text_column(body, rows, width, at, length) if char
                         else _number_column(body, rows, width, at))
    return Member(dataset, label, names, labels, is_char, lengths, formats, columns, rows)
