"""Edge cases of the whole-column ADaM code: date imputation on columns (impossible dates,
repeated values, references), response runs and durations in sorted order (missing dates,
several episodes), SUPP-- lookups, text columns as the XPT writer gets them, and the
dataset's key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdiscflow.adam.conditions import WhereKeys, evaluate, plain_text
from cdiscflow.adam.dates import impute_date, impute_datetime, sas_day
from cdiscflow.adam.derivations import combine_supp, derive_var_obs_number
from cdiscflow.adam.engine import _text_column, build_dataset
from cdiscflow.adam.response import (
    derive_param_confirmed_resp,
    derive_param_response_duration,
)
from cdiscflow.adam.spec import AdamSpecError, load_dataset


def day(iso: str) -> float:
    return sas_day(dt.date.fromisoformat(iso))


def listed(series: pd.Series) -> list:
    return [None if isinstance(v, float) and np.isnan(v) else v for v in series]


# ---- dates ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "level", "message"), [
    ("2021-02-30", "n", "day is out of range for month"),
    ("2021-13", "D", "month must be in 1..12"),
    ("2021-00", "D", "month must be in 1..12"),
    ("0000", "M", "year 0 is out of range"),
    ("9999-12", "D", "year 10000 is out of range"),  # its last day needs the next month
])
def test_an_impossible_date_raises_as_the_calendar_does(text: str, level: str, message: str
                                                        ) -> None:
    with pytest.raises(ValueError, match=message):
        impute_date(pd.Series(["2021-01-01", text]), level)


def test_an_impossible_date_not_to_be_imputed_stays_missing() -> None:
    days, flags = impute_date(pd.Series(["2021-13", "0000", "2021-05"]), "n")
    assert listed(days) == [None, None, None] and listed(flags) == [None, None, None]


def test_imputation_on_a_column_of_repeated_values() -> None:
    # more than 1000 records: each distinct text is parsed once and spread back
    text = pd.Series(["2021-03", "2020", " 2021-03-05 ", None, "UNK", "2021-03-05T08"] * 300)
    days, flags = impute_date(text, "M", "mid")
    assert listed(days[:6]) == [day("2021-03-15"), day("2020-06-30"), day("2021-03-05"),
                                None, None, day("2021-03-05")]
    assert listed(flags[:6]) == ["D", "M", None, None, None, None]
    assert listed(days) == listed(days[:6]) * 300


def test_the_last_reference_date_in_range_wins() -> None:
    text = pd.Series(["2021-03", "2021-03", "2021-03", "2021-04-02"])
    lo = pd.Series([day("2021-03-10"), np.nan, day("2021-04-10"), day("2021-04-01")])
    hi = pd.Series([day("2021-03-20"), day("2021-03-25"), np.nan, np.nan])
    days, flags = impute_date(text, "D", "first", min_dates=[lo], max_dates=[hi])
    assert listed(days) == [day("2021-03-20"), day("2021-03-25"), day("2021-03-01"),
                            day("2021-04-02")]
    assert listed(flags) == ["D", "D", "D", None]


def test_datetime_time_flags_and_last_imputation() -> None:
    text = pd.Series(["2021-03-05T08:30:15", "2021-03-05T08:30", "2021-03-05T08",
                      "2021-03-05", "2021-03", "2021-03-05T25:99"])
    secs, dflag, tflag = impute_datetime(text, "D", "last", "last")
    base = day("2021-03-05") * 86400
    assert listed(secs) == [base + 30615, base + 30659, base + 32399, base + 86399,
                            day("2021-03-31") * 86400 + 86399, base + 25 * 3600 + 99 * 60 + 59]
    assert listed(dflag) == [None, None, None, None, "D", None]
    assert listed(tflag) == [None, "S", "M", "H", "H", "S"]


# ---- response runs -------------------------------------------------------------------------

def _assessments(rows: list[tuple[str, float, str]]) -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": [r[0] for r in rows], "PARAMCD": "RSPPLT",
                         "ADT": [r[1] for r in rows], "AVALC": [r[2] for r in rows]})


SUBJECTS = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"]})
RSPPLT = WhereKeys.model_validate({"var": "PARAMCD", "eq": "RSPPLT"})


def test_response_duration_sums_episodes_in_date_order() -> None:
    data = _assessments([
        # A: two episodes (10..20 and 30..45, open at the end), records out of date order
        ("A", 45.0, "R"), ("A", 10.0, "R"), ("A", 15.0, "CR"), ("A", 20.0, "NR"),
        ("A", 25.0, "NE"), ("A", 30.0, "R"),
        # B: never in response; C: a response on an unknown date; D: nothing evaluable
        ("B", 10.0, "NR"), ("C", 10.0, "R"), ("C", np.nan, "R"), ("C", 20.0, "NR"),
        ("D", 10.0, "NE"),
    ])
    out = derive_param_response_duration(data, SUBJECTS, ["USUBJID"], RSPPLT, ["CR", "R"],
                                         ["NE"], {"PARAMCD": "DUR"}, unit="DAYS")
    new = out[out["PARAMCD"] == "DUR"]
    assert list(new["USUBJID"]) == ["A", "B", "C"]
    assert listed(new["AVAL"]) == [25.0, 0.0, None]  # C: its missing date is sorted last


def test_confirmed_response_ignores_missing_dates_and_counts_dated_ones() -> None:
    data = _assessments([("A", 10.0, "CR"), ("A", np.nan, "CR"), ("A", 14.0, "CR"),
                         ("A", 17.0, "CR"), ("B", 10.0, "CR"), ("B", np.nan, "CR"),
                         ("C", 20.0, "CR"), ("C", 10.0, "R"), ("C", 30.0, "CR")])
    out = derive_param_confirmed_resp(data, SUBJECTS, ["USUBJID"], RSPPLT, ["CR"], 2, 7,
                                      {"PARAMCD": "CR"})
    new = out[out["PARAMCD"] == "CR"]
    assert list(new["AVALC"]) == ["Y", "N", "Y", "N"]
    assert listed(new["ADT"]) == [17.0, None, 30.0, None]


# ---- SUPP-- and text -----------------------------------------------------------------------

def test_combine_supp_last_qualifier_wins_and_unmatched_are_missing() -> None:
    parent = pd.DataFrame({"USUBJID": ["S1", "S1", "S2"], "AESEQ": [1.0, 2.0, 1.0]})
    supp = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S1", "S2"],
                         "IDVAR": ["AESEQ", "AESEQ", "AESEQ", "", ""],
                         "IDVARVAL": ["2", "2", "7", "", ""],
                         "QNAM": ["AEX", "AEX", "AEX", "SUBJQ", "SUBJQ"],
                         "QVAL": ["first", "second", "none", "s1", "s2"]})
    out = combine_supp(parent, supp)
    assert listed(out["AEX"]) == [None, "second", None]
    assert list(out["SUBJQ"]) == ["s1", "s1", "s2"]


def test_plain_text_columns() -> None:
    values, missing = plain_text(pd.Series(["a", None, np.nan, ""], dtype=object))
    assert list(values[:2]) == ["a", None] and list(missing) == [False, True, True, False]
    _, missing = plain_text(pd.Series(["a", pd.NA], dtype=object))
    assert list(missing) == [False, True]
    assert plain_text(pd.Series(["a", pd.NaT], dtype=object)) is None
    assert plain_text(pd.Series(["a", 1.5], dtype=object)) is None
    assert plain_text(pd.Series(["a"], dtype="string")) is None


def test_conditions_on_plain_and_other_text() -> None:
    frame = pd.DataFrame({"X": pd.Series(["Y", None, np.nan, "", "N"], dtype=object),
                          "Z": pd.Series(["Y", pd.NA, 1, "", "N"], dtype=object),
                          "NA": pd.Series(["Y", pd.NA, None, "", "N"], dtype=object)})
    for var in ("X", "Z", "NA"):
        test = {"var": var}
        assert list(evaluate(WhereKeys.model_validate({**test, "eq": "Y"}), frame)) == [
            True, False, False, False, False]
        assert list(evaluate(WhereKeys.model_validate({**test, "in": ["Y", "N"]}), frame)) == [
            True, False, False, False, True]
        # the one blank rule: a missing value differs from "Y"
        assert list(evaluate(WhereKeys.model_validate({**test, "ne": "Y"}), frame)) == [
            False, True, True, True, True]
        assert list(evaluate(WhereKeys.model_validate({**test, "is_null": True}), frame)) == [
            False, True, var != "Z", True, False]


def test_text_column_as_the_xpt_writer_gets_it() -> None:
    assert list(_text_column(pd.Series(["a", None, np.nan], dtype=object))) == ["a", "", ""]
    assert list(_text_column(pd.Series([1.0, 2.5, None], dtype=object))) == ["1", "2.5", ""]
    # pd.NA (a text column's missing value seen as an object) is blank, never the text "<NA>"
    assert list(_text_column(pd.Series(["a", None], dtype="string"))) == ["a", ""]
    assert list(_text_column(pd.Series(["a", None], dtype="str"))) == ["a", ""]
    assert list(_text_column(pd.Series(["a", None, pd.NA, np.float32("nan")], dtype=object))) \
        == ["a", "", "", ""]


def test_obs_number_keeps_the_record_order() -> None:
    frame = pd.DataFrame({"USUBJID": ["B", "A", "A", "B"], "DAY": [2.0, 5.0, 1.0, 1.0]},
                         index=[3, 0, 2, 1])
    out = derive_var_obs_number(frame, ["USUBJID"], ["DAY"])
    assert list(out.index) == [0, 1, 2, 3]
    assert list(out["ASEQ"]) == [2.0, 1.0, 1.0, 2.0]


# ---- the dataset's key -----------------------------------------------------------------------

def test_a_duplicate_key_names_the_first_duplicate_in_key_order(tmp_path: Path) -> None:
    path = tmp_path / "adsl.yaml"
    path.write_text("dataset: ADSL\nlabel: Subjects\nstructure: ADSL\nsource: {dataset: DM}\n"
                    "key: [USUBJID]\nsteps: []\nvariables:\n  STUDYID:\n  USUBJID:\n")
    dm = pd.DataFrame({"STUDYID": "S", "USUBJID": ["S-3", "S-2", "S-3", "S-2"]})
    with pytest.raises(AdamSpecError, match=r"key \['USUBJID'\] is not unique \(e.g. \['S-2'\]\)"):
        build_dataset(load_dataset(path), {"DM": dm}, {})
