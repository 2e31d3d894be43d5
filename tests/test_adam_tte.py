"""derive_param_tte_sources (events and censorings pooled from several datasets) and
filter_records, on small inline tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cdiscflow.adam.conditions import WhereKeys
from cdiscflow.adam.derivations import DerivationError
from cdiscflow.adam.spec import STEP_KINDS, FilterRecords, ParamTteSources
from cdiscflow.adam.tte import TteSource, derive_param_tte_sources, filter_records

# day 1 of each subject: 2020-01-01 is SAS day 21915
D1 = 21915.0
ADSL = pd.DataFrame({"STUDYID": ["S"] * 4, "USUBJID": ["A", "B", "C", "D"],
                     "TRTSDT": [D1, D1, D1, D1]})
DS = pd.DataFrame({"USUBJID": ["A", "B", "C"],
                   "DSDECOD": ["DEATH", "COMPLETED", "COMPLETED"],
                   "DSSTDTC": ["2020-03-01", "2021-01-01", "2020-12"]})  # C's date is partial
CE = pd.DataFrame({"USUBJID": ["A", "B", "B"], "CESTDTC": ["2020-03-01", "2020-06-30",
                                                           "2020-05-01"]})


def deaths() -> TteSource:
    return TteSource(DS[DS["DSDECOD"] == "DEATH"], "DSSTDTC", {"EVNTDESC": "DEATH"})


def last_contact() -> TteSource:
    return TteSource(DS, "DSSTDTC", {"EVNTDESC": "LAST CONTACT"})


def test_event_else_censoring_from_several_sources() -> None:
    out = derive_param_tte_sources(
        pd.DataFrame(), ADSL, ["STUDYID", "USUBJID"], "TRTSDT",
        [deaths(), TteSource(CE, "CESTDTC", {"EVNTDESC": "FAILURE", "SRCDOM": "CE"})],
        [last_contact()], {"PARAMCD": "FFS"})
    out = out.set_index("USUBJID")
    # A: death and failure on the same day: the first listed source (death) names it
    assert out.loc["A", ["AVAL", "CNSR", "EVNTDESC"]].tolist() == [60.0, 0.0, "DEATH"]
    assert out.loc["A", "SRCDOM"] is None
    # B: the earliest of the two failures (2020-05-01 = day 122, AVAL 121)
    assert out.loc["B", ["AVAL", "CNSR", "EVNTDESC", "SRCDOM"]].tolist() == [
        121.0, 0.0, "FAILURE", "CE"]
    # C: a partial censoring date is no date, and D has no record at all: no parameter
    assert list(out.index) == ["A", "B"]
    assert set(out["PARAMCD"]) == {"FFS"} and set(out["STARTDT"]) == {D1}


def test_censored_at_last_contact_and_numeric_dates() -> None:
    ds = DS.assign(ADT=[21975.0, 22281.0, math.nan])
    out = derive_param_tte_sources(
        pd.DataFrame({"USUBJID": ["X"]}), ADSL, ["USUBJID"], "TRTSDT",
        [TteSource(ds[ds["DSDECOD"] == "DEATH"], "ADT")], [TteSource(ds, "ADT")],
        {"PARAMCD": "OS"}, unit="WEEKS")
    assert out["USUBJID"].tolist() == ["X", "A", "B"]  # appended after the existing records
    assert out.loc[1:, "CNSR"].tolist() == [0.0, 1.0]
    assert out.loc[1:, "AVAL"].tolist() == pytest.approx([60 / 7, 366 / 7])
    assert out.loc[1:, "AVALU"].tolist() == ["WEEKS", "WEEKS"]


def test_needs_an_event_source_and_the_date_variable() -> None:
    with pytest.raises(DerivationError):
        derive_param_tte_sources(pd.DataFrame(), ADSL, ["USUBJID"], "TRTSDT", [],
                                 [last_contact()], {"PARAMCD": "OS"})
    with pytest.raises(DerivationError, match="NOPE"):
        derive_param_tte_sources(pd.DataFrame(), ADSL, ["USUBJID"], "TRTSDT",
                                 [TteSource(DS, "NOPE")], [], {"PARAMCD": "OS"})


def test_filter_records() -> None:
    df = pd.DataFrame({"PARAMCD": [None, "OS", "FFS"], "V": [1, 2, 3]})
    out = filter_records(df, WhereKeys.model_validate({"var": "PARAMCD", "is_null": False}))
    assert out["V"].tolist() == [2, 3] and out.index.tolist() == [0, 1]


def test_spec_steps_parse() -> None:
    assert STEP_KINDS["derive_param_tte_sources"] is ParamTteSources
    assert STEP_KINDS["filter_records"] is FilterRecords
    step = ParamTteSources.model_validate({
        "start_date": "TRTSDT",
        "event_sources": [{"dataset": "DS", "where": {"var": "DSDECOD", "eq": "DEATH"},
                           "date": "DSSTDTC", "set_values_to": {"EVNTDESC": "DEATH"}}],
        "censor_sources": [{"dataset": "DS", "date": "DSSTDTC"}],
        "set_values_to": {"PARAMCD": "OS"}})
    assert step.event_sources[0].date == "DSSTDTC"
    with pytest.raises(ValueError):
        ParamTteSources.model_validate({"start_date": "TRTSDT", "event_sources": [],
                                        "set_values_to": {"PARAMCD": "OS"}})
    with pytest.raises(ValueError):  # a source needs its date variable
        ParamTteSources.model_validate({"start_date": "TRTSDT",
                                        "event_sources": [{"dataset": "DS"}],
                                        "set_values_to": {"PARAMCD": "OS"}})


def test_a_source_value_computed_on_the_record_that_gave_the_date() -> None:
    # B has two failures: the earlier (CESEQ 2) gives the date and so its own sequence number;
    # a tie within one source goes to its first record in the source's order
    ce = CE.assign(CESEQ=[7.0, 1.0, 2.0])
    tied = pd.DataFrame({"USUBJID": ["C", "C"], "CESTDTC": ["2020-02-01", "2020-02-01"],
                         "CESEQ": [5.0, 4.0]})
    failures = TteSource(pd.concat([ce, tied], ignore_index=True), "CESTDTC",
                         {"SRCDOM": "CE", "SRCSEQ": {"expr": "CESEQ"},
                          "EVNTDESC": {"expr": "'FAILURE ' || to_text(CESEQ)"}})
    out = derive_param_tte_sources(pd.DataFrame(), ADSL, ["USUBJID"], "TRTSDT", [failures],
                                   [last_contact()], {"PARAMCD": "FFS"}).set_index("USUBJID")
    assert out.loc[["A", "B", "C"], "SRCSEQ"].tolist() == [7.0, 2.0, 5.0]
    assert out.loc[["A", "B", "C"], "EVNTDESC"].tolist() == ["FAILURE 7", "FAILURE 2",
                                                              "FAILURE 5"]
    assert out.loc[["A", "B", "C"], "CNSR"].tolist() == [0.0, 0.0, 0.0]


def test_a_source_value_expression_is_checked_on_load() -> None:
    with pytest.raises(ValueError, match="unknown function 'rnd'"):
        ParamTteSources.model_validate({
            "start_date": "TRTSDT", "set_values_to": {"PARAMCD": "OS"},
            "event_sources": [{"dataset": "DS", "date": "DSSTDTC",
                               "set_values_to": {"SRCSEQ": {"expr": "rnd(DSSEQ)"}}}]})
