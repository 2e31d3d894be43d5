"""A join's matching (cdiscflow/sdtm/steps/join.py): each record's row of the joined table,
found once per distinct key combination and spread back onto the records."""

import numpy as np
import pandas as pd

from cdiscflow.sdtm.steps.join import _positions


def test_positions_per_record_with_repeated_and_missing_keys():
    frame = pd.DataFrame({
        "TEST": pd.Series(["HGB", "PLT", "HGB", "ALT", None, "PLT"] * 300, dtype="string"),
        "SEX": pd.Series(["F", "M", "M", "F", "F", None] * 300, dtype="string"),
    })
    right = pd.DataFrame({
        "TEST": pd.Series(["PLT", "HGB", "HGB", "ALT", None], dtype="string"),
        "SEX": pd.Series(["M", "F", "M", None, "F"], dtype="string"),
    })
    pairs = {"TEST": "TEST", "SEX": "SEX"}
    every = np.ones(len(right), dtype=bool)
    # exact keys, a missing key matching a missing key (None/F), no match elsewhere
    assert _positions(frame, right, every, pairs)[:6].tolist() == [1, 0, 2, -1, 4, -1]
    # only some of the table's rows are candidates (those whose SEX is blank match any)
    wild = right["SEX"].isna().to_numpy()
    at = _positions(frame, right, wild, {"TEST": "TEST"})
    assert at[:6].tolist() == [-1, -1, -1, 3, -1, -1]
    assert len(at) == 1800 and at.tolist() == at[:6].tolist() * 300
