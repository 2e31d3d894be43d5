"""What a raw CSV file's text says beyond its values: the physical line each record starts on,
the values holding control characters, a last line without its line break, and a field too long
to read.

A line is what an editor shows: it ends at a line feed, a carriage return and line feed, or a
lone carriage return (as the CSV parser reads them), never at a form feed or U+2028 (which
``str.splitlines`` would count). A quoted value may hold a line break: the record then spans
several lines and the next record's line number counts them, so lineage and defects name the
line a reviewer finds in the file.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdiscflow.errors import Defect, RawDataError

# longest raw value read (characters): an EDC export's longest free text is a few kB; a field
# beyond this is a broken export (an unclosed quote swallowing the file) or not a CRF extract
MAX_FIELD_CHARS = 1 << 20
# characters that are not text in a CRF value: C0 controls (tab, line breaks included), DEL,
# C1 controls and the Unicode line and paragraph separators
CONTROL = "[\\x00-\\x1f\\x7f-\\x9f\\x{2028}\\x{2029}]"
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# raw defects found while reading a form travel with its frame to the SDTM engine
DEFECTS_ATTR = "raw_defects"


def record_lines(text: str, n_records: int) -> np.ndarray:
    """The physical line each record starts on (the header is line 1; the empty lines the
    parser skips are counted)."""
    return numbered_records(text, n_records)[0]


def numbered_records(text: str, n_records: int, data: bytes | None = None
                     ) -> tuple[np.ndarray, bool]:
    """:func:`record_lines`, and whether every record is one line (no value holds a line
    break). ``data``: the text as UTF-8, when the caller has it (no second encoding)."""
    if "\r" not in text:
        # line feeds only (the usual file): the line ends found once on the bytes (a line
        # feed byte is never part of a longer UTF-8 character), not split into a list of
        # every line; the header line is never empty (checked when read)
        ends = np.flatnonzero(np.frombuffer(_utf8(text, data), dtype=np.uint8) == 0x0A)
        empty = bool(len(ends) > 1 and (np.diff(ends) == 1).any())
        body = None
        filled = len(ends) - (1 if text.endswith("\n") else 0)
        if empty:
            filled -= int((np.diff(ends) == 1).sum())
    else:
        lines = _LINE_BREAK.split(text)
        body = lines[1:-1] if lines[-1] == "" else lines[1:]
        empty = "" in body
        filled = len(body) - body.count("") if empty else len(body)
    # a quoted value may span lines; a record starts on a non-empty line and one that spans
    # adds at least one more, so as many non-empty lines as records means none spans (an
    # export that quotes every value, with no line break in any, is read without the slow
    # count of lines as the CSV parser reads them)
    if '"' in text and filled != n_records:
        return _quoted_record_lines(text, n_records), False
    if not empty:
        return np.arange(2, n_records + 2, dtype=np.int64), True  # one line per record
    if body is None:
        body = _LINE_BREAK.split(text)[1:]
    numbers = [i for i, line in enumerate(body, start=2) if line != ""]
    return np.asarray(numbers[:n_records], dtype=np.int64), True


def _utf8(text: str, data: bytes | None) -> bytes:
    return data if data is not None else text.encode("utf-8", "surrogatepass")


def free_of_controls(text: str, one_line_each: bool, data: bytes | None = None) -> bool:
    """True when no value of the file can hold a control character: every record is one line
    (so no value holds a line break) and the text holds no other C0 control or DEL, checked
    on the bytes at memory speed (every byte below a space is a line break, and no byte is
    DEL); only ASCII text is judged (C1 controls and U+2028 are not ASCII), anything else is
    left to :func:`control_character_defects`. ``data``: the text as UTF-8, if at hand."""
    if not one_line_each or not text.isascii():
        return False
    raw = _utf8(text, data)
    codes = np.frombuffer(raw, dtype=np.uint8)
    # counted with numpy: bytes.count takes two to three times as long for one byte value
    below_space = int(np.count_nonzero(codes < 0x20))
    breaks = int(np.count_nonzero(codes == 0x0A))
    if "\r" in text:
        breaks += int(np.count_nonzero(codes == 0x0D))
    return below_space == breaks and b"\x7f" not in raw


def _quoted_record_lines(text: str, n_records: int) -> np.ndarray:
    reader = csv.reader(io.StringIO(text, newline=""))
    starts: list[int] = []
    previous_end = 0
    with _field_limit():
        for row in reader:
            if row and previous_end:  # not the header, not an empty line
                starts.append(previous_end + 1)
            previous_end = reader.line_num
    return np.asarray(starts[:n_records], dtype=np.int64)


class _field_limit:  # noqa: N801 - used as a context manager
    """The csv module's per-field limit raised for one read (it is a process-wide setting)."""

    def __enter__(self) -> None:
        self._old = csv.field_size_limit(sys.maxsize)

    def __exit__(self, *exc: object) -> None:
        csv.field_size_limit(self._old)


def long_field_error(path: Path, text: str, header: list[str]) -> RawDataError | None:
    """The first value longer than MAX_FIELD_CHARS, named by line and column, or None."""
    reader = csv.reader(io.StringIO(text, newline=""))
    previous_end = 0
    with _field_limit():
        for row in reader:
            for i, value in enumerate(row):
                if len(value) > MAX_FIELD_CHARS:
                    column = header[i] if i < len(header) else f"field {i + 1}"
                    return RawDataError(
                        f"{path}:{previous_end + 1}: column {column} holds a value of "
                        f"{len(value):,} characters; a raw value may be at most "
                        f"{MAX_FIELD_CHARS:,} (an unclosed quote, or not a CRF extract?)")
            previous_end = reader.line_num
    return None


def control_character_defects(frame: pd.DataFrame, columns: list[str], file: str,
                              rows: np.ndarray) -> list[tuple[int, Defect]]:
    """A value holding a control character (a line break, form feed, U+2028...) as a defect
    with its line and column: it would reach the datasets as an invisible break."""
    found: list[tuple[int, Defect]] = []
    for column in columns:
        values = pa.array(frame[column].astype("string[pyarrow]").array, type=pa.string())
        hit = pc.match_substring_regex(values, CONTROL).fill_null(False)
        for at in np.flatnonzero(hit.to_numpy(zero_copy_only=False)):
            value = values[int(at)].as_py()
            char = _CONTROL_RE.search(value).group()  # type: ignore[union-attr]
            line = int(rows[at])
            found.append((line, Defect(
                "error", "-", file, line, column, value,
                f"control character U+{ord(char):04X} ({_char_name(char)}) in the value: a "
                f"value is one line of text")))
    return sorted(found, key=lambda pair: (pair[0], pair[1].column or ""))


def _char_name(char: str) -> str:
    names = {"\n": "line feed", "\r": "carriage return", "\t": "tab", "\f": "form feed",
             "\x0b": "vertical tab", "\x00": "NUL"}
    return names.get(char) or unicodedata.name(char, "control character").lower()


def missing_final_newline(file: str, text: str) -> tuple[int, Defect] | None:
    """A file whose last line has no line break may have been cut short in its last field."""
    if text.endswith(("\n", "\r")):
        return None
    last = len(_LINE_BREAK.findall(text)) + 1
    return last, Defect("warning", "-", file, last, None, None,
                        f"the file does not end with a line break: its last line ({last}) "
                        f"may have been cut short; check it is complete")
