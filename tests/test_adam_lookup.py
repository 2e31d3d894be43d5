"""Lookup keys compared by value: 13 equals "13.0"."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cdiscflow.adam.derivations import DerivationError, derive_vars_merged_lookup

TABLE = pd.DataFrame({"VISITNUM": [13, "14.0", 1.5], "AVISIT": ["Week 8", "Week 12", "Day 1"],
                      "AVISITN": [8, 12, 0]})


def test_numbers_and_number_text_match_by_value() -> None:
    df = pd.DataFrame({"VISITNUM": [13.0, 14.0, 1.5]})
    out = derive_vars_merged_lookup(df, TABLE, ["VISITNUM"], ["AVISIT", "AVISITN"])
    assert out["AVISIT"].tolist() == ["Week 8", "Week 12", "Day 1"]
    text = pd.DataFrame({"VISITNUM": ["13.0", " 14", "1.50"]})
    out = derive_vars_merged_lookup(text, TABLE, ["VISITNUM"], ["AVISITN"])
    assert out["AVISITN"].tolist() == [8, 12, 0]


def test_text_keys_still_match_as_text_and_a_gap_is_named() -> None:
    table = pd.DataFrame({"ARMCD": ["A", "B01"], "TRT01PN": [1, 2]})
    out = derive_vars_merged_lookup(pd.DataFrame({"ARMCD": ["B01", "A"]}), table, ["ARMCD"],
                                    ["TRT01PN"])
    assert out["TRT01PN"].tolist() == [2, 1]
    with pytest.raises(DerivationError, match=r"'VISITNUM': '99'"):
        derive_vars_merged_lookup(pd.DataFrame({"VISITNUM": [99.0]}), TABLE, ["VISITNUM"],
                                  ["AVISIT"])
    with pytest.raises(DerivationError, match=r"'VISITNUM': ''"):
        derive_vars_merged_lookup(pd.DataFrame({"VISITNUM": [math.nan]}), TABLE, ["VISITNUM"],
                                  ["AVISIT"])


def test_large_columns_take_the_distinct_route() -> None:
    df = pd.DataFrame({"VISITNUM": [13.0, 14.0] * 1000})
    out = derive_vars_merged_lookup(df, TABLE, ["VISITNUM"], ["AVISITN"])
    assert out["AVISITN"].tolist() == [8, 12] * 1000


def test_merged_keys_of_a_number_and_text_compare_by_value() -> None:
    from cdiscflow.adam.derivations import derive_vars_merged

    advs = pd.DataFrame({"USUBJID": ["A", "A", "B"], "VISITNUM": [13.0, 14.0, 13.0]})
    tv = pd.DataFrame({"USUBJID": ["A", "A", "B"], "VISITNUM": ["13", "14.0", "15"],
                       "VISIT": ["WEEK 8", "WEEK 12", "WEEK 16"]})
    out = derive_vars_merged(advs, tv, ["USUBJID", "VISITNUM"], {"AVISIT": "VISIT"})
    assert [None if pd.isna(v) else v for v in out["AVISIT"]] == ["WEEK 8", "WEEK 12", None]
    assert out["VISITNUM"].tolist() == [13.0, 14.0, 13.0]  # the dataset's own values kept
    assert list(out.columns) == ["USUBJID", "VISITNUM", "AVISIT"]
    dup = pd.concat([tv, tv.iloc[[0]].assign(VISITNUM="13.0")])
    with pytest.raises(DerivationError, match="compared by value"):
        derive_vars_merged(advs, dup, ["USUBJID", "VISITNUM"], {"AVISIT": "VISIT"})
