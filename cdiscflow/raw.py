"""Reading raw CRF extracts: every field as text, every record tagged with its file and line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from cdiscflow.errors import RawDataError

SOURCE_FILE = "__file"
SOURCE_ROW = "__row"


def read_header(path: Path, encoding: str = "utf-8") -> list[str]:
    """The column names of a raw CSV file (reads the first line only)."""
    try:
        with path.open("r", encoding=encoding, newline="") as fh:
            first = fh.readline()
    except FileNotFoundError:
        raise RawDataError(f"{path}: raw file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RawDataError(f"{path}: cannot read the header as {encoding}: {exc}") from None
    if not first.strip():
        raise RawDataError(f"{path}: the file is empty (no header row)")
    import csv

    return [c.strip() for c in next(csv.reader([first]))]


def read_form(path: Path, encoding: str = "utf-8") -> pd.DataFrame:
    """A raw CSV form as text columns (blank = missing) plus its file name and line numbers.

    pyarrow parses the file (fast and strict: a ragged row is an error naming its line);
    nothing is converted, so '007' stays '007' and '<5' stays '<5'.
    """
    header = read_header(path, encoding)
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=encoding),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError, OSError) as exc:
        raise RawDataError(f"{path}: cannot be read as CSV ({encoding}): {exc}") from None
    frame = table.to_pandas(types_mapper=lambda t: pd.StringDtype("pyarrow")
                            if t == pa.string() else None)
    frame.columns = [c.strip() for c in frame.columns]
    for col in frame.columns:
        frame[col] = frame[col].str.strip().replace("", pd.NA)
    frame[SOURCE_FILE] = path.name
    # line numbers as in the file: the header is line 1 (no field spans lines in EDC exports)
    frame[SOURCE_ROW] = pd.RangeIndex(2, len(frame) + 2)
    return frame
