"""Lineage CSV through Arrow's writer: the same bytes as pandas' to_csv."""

from __future__ import annotations

import pandas as pd
import pytest

from cdiscflow.output import csv_bytes


def _pandas(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


@pytest.mark.parametrize("frame", [
    pd.DataFrame({"DOMAIN": "LB", "USUBJID": pd.array(["S-1", None, "S-3"], dtype="string"),
                  "LBSEQ": pd.array([1, None, 3], dtype="Int64"),
                  "SOURCE_ROW": [2, 3, 4], "SOURCE_FIELD": pd.array(["PLT", "ÄÖ", None],
                                                                     dtype="string")}),
    # values pandas quotes: the Arrow path is refused and pandas writes them
    pd.DataFrame({"A": pd.array(['a,b', 'say "x"', "two\nlines"], dtype="string"),
                  "N": [1, 2, 3]}),
    pd.DataFrame({"A": ["x", 1, None]}, dtype=object),
    pd.DataFrame({"X": [1.5, None]}),
    pd.DataFrame({"A": pd.array([], dtype="string"), "B": pd.array([], dtype="Int64")}),
])
def test_csv_bytes_are_pandas_bytes(frame):
    assert csv_bytes(frame) == _pandas(frame)


def test_lineage_text_is_as_expected():
    frame = pd.DataFrame({"DOMAIN": "AE", "AESEQ": pd.array([1, None], dtype="Int64"),
                          "SOURCE_FILE": "ae.csv", "SOURCE_ROW": [2, 3]})
    assert csv_bytes(frame) == b"DOMAIN,AESEQ,SOURCE_FILE,SOURCE_ROW\nAE,1,ae.csv,2\nAE,,ae.csv,3\n"
