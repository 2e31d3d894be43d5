"""Counting a domain's raw records and finding duplicate keys (cdiscflow/sdtm/context.py):
the reconciliation's numbers and the duplicate-key defects rest on them."""

import numpy as np
import pandas as pd

from cdiscflow.raw import SOURCE_FILE, SOURCE_ROW
from cdiscflow.sdtm.context import duplicate_keys, raw_records_present


def _form(rows, **columns):
    return pd.DataFrame({**{k: pd.Series(v, dtype="string") for k, v in columns.items()},
                         SOURCE_FILE: "labs.csv", SOURCE_ROW: np.asarray(rows, dtype=np.int64)})


def test_raw_records_present_counts_each_line_once():
    # a stacked record repeats its line; lines need not be in order or start at 2
    assert raw_records_present(_form([5, 5, 5, 2, 9, 2])) == 3
    assert raw_records_present(_form([])) == 0
    # far-apart line numbers (a filtered extract of a large file) are counted all the same
    assert raw_records_present(_form([2, 10**9, 10**9, 7])) == 3
    nullable = pd.DataFrame({SOURCE_ROW: pd.array([3, None, 3, 4], dtype="Int64")})
    assert raw_records_present(nullable) == 2


def test_duplicate_keys_names_every_record_sharing_a_key():
    form = _form([2, 3, 4, 5], SUBJID=["001", "001", "002", "001"],
                 VISIT=["Day 1", "Day 8", "Day 1", "Day 1"])
    found = duplicate_keys("labs", form, ["SUBJID", "VISIT"])
    assert [line for line, _ in found] == [2, 5]
    assert [d.value for _, d in found] == ["001/Day 1", "001/Day 1"]
    assert duplicate_keys("labs", form, ["SUBJID", "VISIT", SOURCE_ROW]) == []
    # a missing key is a value: two records both without a visit share their key
    blank = _form([2, 3], SUBJID=["001", "001"], VISIT=[None, None])
    assert [line for line, _ in duplicate_keys("labs", blank, ["SUBJID", "VISIT"])] == [2, 3]
