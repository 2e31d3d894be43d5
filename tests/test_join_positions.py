"""A join's matching (cdiscflow/sdtm/steps/join.py): each record's row of the joined table,
found once per distinct key combination and spread back onto the records."""

import numpy as np
import pandas as pd

from cdiscflow.codes import Codes, factorised
from cdiscflow.sdtm.steps.join import _key_positions


def test_positions_per_record_with_repeated_and_missing_keys():
    frame = pd.DataFrame({
        "TEST": pd.Series(["HGB", "PLT", "HGB", "ALT", None, "PLT"] * 300, dtype="string"),
        "SEX": pd.Series(["F", "M", "M", "F", "F", None] * 300, dtype="string"),
    })
    right = pd.DataFrame({
        "TEST": pd.Series(["PLT", "HGB", "HGB", "ALT", None], dtype="string"),
        "SEX": pd.Series(["M", "F", "M", None, "F"], dtype="string"),
    })
    keys, distinct = factorised(frame["TEST"], frame["SEX"])
    every = np.ones(len(right), dtype=bool)
    # one position per distinct (TEST, SEX) of the records, in order of first appearance:
    # exact keys, a missing key matching a missing key (None/F), no match elsewhere
    at = _key_positions([distinct[0], distinct[1]], right, every, ["TEST", "SEX"])
    assert at.tolist() == [1, 0, 2, -1, 4, -1]
    assert len(keys.codes) == 1800 and at[keys.codes][:7].tolist() == [1, 0, 2, -1, 4, -1, 1]
    # only some of the table's rows are candidates (those whose SEX is blank match any)
    wild = right["SEX"].isna().to_numpy()
    assert _key_positions([distinct[0]], right, wild, ["TEST"]).tolist() == [
        -1, -1, -1, 3, -1, -1]


def test_merged_columns_take_the_matched_rows_values_and_missing_elsewhere():
    from cdiscflow import codes as coding
    from cdiscflow.sdtm.steps.join import merge_at

    frame = pd.DataFrame({"TEST": ["B", "A", "C", "B"]}, index=[4, 3, 2, 1], dtype="string")
    right = pd.DataFrame({"TEST": ["A", "B"], "LOW": ["1.5", None], "N": [7.0, 8.0]},
                         index=[10, 20]).astype({"TEST": "string", "LOW": "string"})
    # the records' keys B, A, C, B: codes 0, 1, 2, 0; B is right's row 1, A row 0, C none
    keys = Codes.of(np.array([0, 1, 2, 0], dtype=np.int32))
    merged = merge_at(frame, right, {"TEST": "TEST"}, keys, np.array([1, 0, -1]))
    assert list(merged.index) == [4, 3, 2, 1] and list(merged.columns) == ["TEST", "LOW", "N"]
    assert merged["LOW"].dtype == right["LOW"].dtype and merged["LOW"].name == "LOW"
    assert [None if pd.isna(v) else v for v in merged["LOW"]] == [None, "1.5", None, None]
    assert merged["N"].fillna(-1).tolist() == [8.0, 7.0, -1, 8.0]
    # the text column's codes come with it
    assert coding._FACTORISED.get([merged["LOW"].array._pa_array]) is not None
