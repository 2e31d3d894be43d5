"""Unit tests of the response derivations (per-assessment response and per-subject parameters)
on small inline tables, including the edge cases: a response that starts under rescue therapy,
a relapse, and a subject with no post-baseline count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdiscflow.adam.conditions import WhereKeys
from cdiscflow.adam.derivations import DerivationError
from cdiscflow.adam.response import (
    ResponseRule,
    SameDayFlag,
    Window,
    derive_extreme_event,
    derive_param_confirmed_resp,
    derive_param_exist_flag,
    derive_param_response,
    derive_param_response_duration,
    derive_param_tte,
)

T0 = 20000.0  # first dose (SAS date); study day n is T0 + n - 1


def w(text: str) -> WhereKeys:
    """Where from compact YAML-like dicts written in the tests."""
    return WhereKeys.model_validate(text)


PLAT = w({"var": "PARAMCD", "eq": "PLAT"})
RESP = w({"var": "PARAMCD", "eq": "RSP"})


def counts(rows: list[tuple[str, int, float]]) -> pd.DataFrame:
    """Platelet records: (subject, study day, count); day 1 is the baseline (BASE)."""
    base = {s: c for s, day, c in rows if day == 1}
    return pd.DataFrame({
        "STUDYID": "ST1",
        "USUBJID": [r[0] for r in rows],
        "PARAMCD": "PLAT",
        "ADY": [float(r[1]) for r in rows],
        "ADT": [T0 + r[1] - 1 for r in rows],
        "AVAL": [float(r[2]) for r in rows],
        "BASE": [float(base[r[0]]) for r in rows],
    }).assign(R2BASE=lambda f: f["AVAL"] / f["BASE"])


def rule(rescue: pd.DataFrame, bleeding: pd.DataFrame) -> ResponseRule:
    no_bleed = {"var": "BLEEDFL", "eq": "N"}
    return ResponseRule(
        categories=[("CR", w({"all": [{"var": "AVAL", "ge": 100}, no_bleed]})),
                    ("R", w({"all": [{"var": "AVAL", "ge": 30}, {"var": "R2BASE", "ge": 2},
                                     no_bleed]}))],
        otherwise="NR", not_evaluable_code="NE", response_codes=["CR", "R"],
        windows={"RESCFL": [Window(rescue, "CMSTDTC", "CMENDTC", days_after_end=14)]},
        same_day={"BLEEDFL": SameDayFlag(bleeding, "RSDTC", "BLEEDYN", ["Y"])},
        loss_var="RELAPSFL",
    )


# S1: R, bleeding at >= 100 (NR), CR, CR, relapse; rescue on day 47 -> days 47..61 NE.
# S2: counts >= 30 and doubled only under rescue (days 8-9 + 14 -> to day 23): the response
#     starts at the first evaluable count after the window, day 29.
# S3: baseline only (no post-baseline count).
DATA = counts([
    ("S1", 1, 10), ("S1", 8, 25), ("S1", 15, 40), ("S1", 22, 120), ("S1", 29, 110),
    ("S1", 36, 105), ("S1", 43, 15), ("S1", 50, 80), ("S1", 57, 60), ("S1", 64, 20),
    ("S2", 1, 12), ("S2", 15, 60), ("S2", 22, 90), ("S2", 29, 40), ("S2", 36, 35),
    ("S3", 1, 9),
])
SUBJECTS = pd.DataFrame({"STUDYID": "ST1", "USUBJID": ["S1", "S2", "S3"],
                         "TRTSDT": [T0, T0, T0]})


def iso(day: int) -> str:
    """ISO date of study day ``day`` (T0 = 2014-10-04 is day 1)."""
    return (pd.Timestamp("1960-01-01") + pd.Timedelta(days=T0 + day - 1)).date().isoformat()


def test_study_day_helper() -> None:
    assert iso(1) == "2014-10-04" and iso(22) == "2014-10-25"


@pytest.fixture()
def rsp() -> pd.DataFrame:
    # S1: one day, end given; S2: one day, no end (ends on its start day)
    rescue = pd.DataFrame({"USUBJID": ["S1", "S2"], "CMSTDTC": [iso(47), iso(8)],
                           "CMENDTC": [iso(47), None]})
    bleeding = pd.DataFrame({"USUBJID": ["S1", "S1"], "RSDTC": [iso(22), iso(15)],
                             "BLEEDYN": ["Y", "N"]})
    return derive_param_response(DATA, PLAT, w({"var": "ADY", "ge": 2}),
                                 rule(rescue, bleeding), {"PARAMCD": "RSP", "PARAMN": 2})


def per_visit(rsp: pd.DataFrame, subject: str, col: str = "AVALC") -> list:
    rows = rsp[(rsp["PARAMCD"] == "RSP") & (rsp["USUBJID"] == subject)]
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else v
            for v in rows[col]]


def test_per_visit_response_relapse_and_rescue(rsp: pd.DataFrame) -> None:
    # S1 days 8..64: 25 NR; 40 R; 120 with bleeding NR; 110 CR; 105 CR; 15 NR (relapse);
    # 80 and 60 inside the rescue window (47 .. 47 + 14 = 61) NE; 20 NR (not a relapse: no
    # response since the last one was lost)
    assert per_visit(rsp, "S1") == ["NR", "R", "NR", "CR", "CR", "NR", "NE", "NE", "NR"]
    assert per_visit(rsp, "S1", "RELAPSFL") == [None, None, "Y", None, None, "Y", None, None,
                                                None]
    # S2: rescue on day 8 (single day) -> days 8..22 not evaluable; response from day 29
    assert per_visit(rsp, "S2") == ["NE", "NE", "R", "R"]
    assert per_visit(rsp, "S3") == []
    plat = rsp[rsp["PARAMCD"] == "PLAT"]
    assert plat["ANL01FL"].tolist() == [None, "Y", "Y", "Y", "Y", "Y", "Y", None, None, "Y",
                                        None, None, None, "Y", "Y", None]
    assert plat["RESCFL"].tolist() == [None, "N", "N", "N", "N", "N", "N", "Y", "Y", "N",
                                       None, "Y", "Y", "N", "N", None]
    assert plat["BLEEDFL"].tolist() == [None, "N", "N", "Y", "N", "N", "N", "N", "N", "N",
                                        None, "N", "N", "N", "N", None]
    # the new records are copies: dates and study days kept, AVAL cleared
    new = rsp[rsp["PARAMCD"] == "RSP"]
    assert new["ADY"].tolist() == [8, 15, 22, 29, 36, 43, 50, 57, 64, 15, 22, 29, 36]
    assert new["AVAL"].isna().all() and (new["PARAMN"] == 2).all()


def test_best_response_exist_flags_and_no_post_baseline(rsp: pd.DataFrame) -> None:
    out = derive_extreme_event(rsp, SUBJECTS, ["STUDYID", "USUBJID"], RESP,
                               ["CR", "R", "NR", "NE"], {"PARAMCD": "BOR"}, if_none="NE",
                               values_n={"CR": 1, "R": 2, "NR": 3, "NE": 4})
    bor = out[out["PARAMCD"] == "BOR"]
    assert bor["AVALC"].tolist() == ["CR", "R", "NE"]
    assert bor["AVAL"].tolist() == [1.0, 2.0, 4.0]
    assert bor["ADT"].tolist()[:2] == [T0 + 28, T0 + 28]  # S1's first CR; S2's first R
    ever50 = derive_param_exist_flag(rsp, SUBJECTS, ["STUDYID", "USUBJID"],
                                     w({"all": [{"var": "ANL01FL", "eq": "Y"},
                                                {"var": "AVAL", "ge": 50}]}),
                                     {"PARAMCD": "PLT50"})
    rec = ever50[ever50["PARAMCD"] == "PLT50"]
    # S2's only counts >= 50 are under rescue: not evaluable, so never >= 50
    assert rec["AVALC"].tolist() == ["Y", "N", "N"] and rec["AVAL"].tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(DerivationError, match="not in the order"):
        derive_extreme_event(rsp, SUBJECTS, ["USUBJID"], RESP, ["CR", "R"], {"PARAMCD": "X"},
                             None)


def test_confirmed_response_needs_days_apart(rsp: pd.DataFrame) -> None:
    # S1's CRs: days 29 and 36, 7 days apart
    out = derive_param_confirmed_resp(rsp, SUBJECTS, ["USUBJID"], RESP, ["CR"], 2, 7,
                                      {"PARAMCD": "CR"})
    cr = out[out["PARAMCD"] == "CR"]
    assert cr["AVALC"].tolist() == ["Y", "N", "N"]
    assert cr["ADT"].tolist()[0] == T0 + 35
    stricter = derive_param_confirmed_resp(rsp, SUBJECTS, ["USUBJID"], RESP, ["CR"], 2, 8,
                                           {"PARAMCD": "CR"})
    assert stricter[stricter["PARAMCD"] == "CR"]["AVALC"].tolist() == ["N", "N", "N"]


def test_time_to_event_and_censoring(rsp: pd.DataFrame) -> None:
    evaluable = {"all": [{"var": "PARAMCD", "eq": "PLAT"}, {"var": "ANL01FL", "eq": "Y"}]}
    event = w({"all": [evaluable, {"var": "AVAL", "ge": 100}]})
    out = derive_param_tte(rsp, SUBJECTS, ["USUBJID"], "TRTSDT", event, w(evaluable),
                           {"PARAMCD": "TT100"})
    tte = out[out["PARAMCD"] == "TT100"]
    # S1: the first evaluable count >= 100 is day 22's 120 (bleeding does not matter to a
    # time-to-count endpoint); S2 censored at its last evaluable assessment (day 36); S3 has
    # no assessment: no record
    assert tte["USUBJID"].tolist() == ["S1", "S2"]
    assert tte["AVAL"].tolist() == [21.0, 35.0]
    assert tte["CNSR"].tolist() == [0.0, 1.0]
    assert tte["AVALU"].tolist() == ["DAYS", "DAYS"]


def test_cumulative_response_duration(rsp: pd.DataFrame) -> None:
    out = derive_param_response_duration(rsp, SUBJECTS, ["USUBJID"], RESP, ["CR", "R"], ["NE"],
                                         {"PARAMCD": "DUR"})
    dur = out[out["PARAMCD"] == "DUR"]
    # S1: day 15 -> day 22 (bleeding ends it) = 1 week, day 29 -> day 43 (relapse) = 2 weeks;
    # the NE counts on days 50 and 57 are skipped. S2: day 29 -> last assessment day 36.
    # S3: no evaluable assessment, no record.
    assert dur["USUBJID"].tolist() == ["S1", "S2"]
    assert dur["AVAL"].tolist() == [3.0, 1.0]
    days = derive_param_response_duration(rsp, SUBJECTS, ["USUBJID"], RESP, ["CR", "R"],
                                          ["NE"], {"PARAMCD": "DUR"}, unit="DAYS")
    assert days[days["PARAMCD"] == "DUR"]["AVAL"].tolist() == [21.0, 7.0]


def test_same_day_flag_if_missing_true() -> None:
    """An assessment with no bleeding record counts as bleeding when the spec says so."""
    none = pd.DataFrame({"USUBJID": [], "RSDTC": [], "BLEEDYN": [], "CMSTDTC": [],
                         "CMENDTC": []})
    r = rule(none, none)
    strict = ResponseRule(r.categories, r.otherwise, r.not_evaluable_code, r.response_codes,
                          {}, {"BLEEDFL": SameDayFlag(none, "RSDTC", "BLEEDYN", ["Y"],
                                                      if_missing="true")})
    out = derive_param_response(DATA, PLAT, w({"var": "ADY", "ge": 2}), strict,
                                {"PARAMCD": "RSP"})
    assert set(out.loc[out["PARAMCD"] == "RSP", "AVALC"]) == {"NR"}


def test_set_values_to_expressions_see_the_step_s_own_values(rsp: pd.DataFrame) -> None:
    # constants are set when the records are made; an {expr: ...} is computed on each finished
    # record, so it may use the AVALC and ADT the step gave it
    out = derive_param_exist_flag(
        rsp, SUBJECTS, ["STUDYID", "USUBJID"],
        w({"all": [{"var": "ANL01FL", "eq": "Y"}, {"var": "AVAL", "ge": 50}]}),
        {"PARAMCD": "PLT50", "PARAM": {"expr": "concat('Ever >= 50: ', AVALC)"},
         "AVALN": {"expr": "if_else(AVALC = 'Y', 10, 20)"}})
    rec = out[out["PARAMCD"] == "PLT50"]
    assert rec["PARAM"].tolist() == ["Ever >= 50: Y", "Ever >= 50: N", "Ever >= 50: N"]
    assert rec["AVALN"].tolist() == [10.0, 20.0, 20.0]
    best = derive_extreme_event(rsp, SUBJECTS, ["STUDYID", "USUBJID"], RESP,
                                ["CR", "R", "NR", "NE"],
                                {"PARAMCD": "BOR", "ADY": {"expr": "ADT - 20000 + 1"}},
                                if_none="NE")
    assert best.loc[best["PARAMCD"] == "BOR", "ADY"].tolist()[:2] == [29.0, 29.0]


def test_set_values_to_of_a_parameter_step_is_checked_on_load() -> None:
    from cdiscflow.adam.param_steps import ParamExistFlag

    step = ParamExistFlag.model_validate({
        "condition": {"var": "AVAL", "ge": 50},
        "set_values_to": {"PARAMCD": "PLT50", "AVAL": {"expr": "if_else(AVALC = 'Y', 1, 0)"}}})
    assert step.set_values_to["AVAL"] == {"expr": "if_else(AVALC = 'Y', 1, 0)"}
    with pytest.raises(ValueError, match="AVAL: "):
        ParamExistFlag.model_validate({"condition": {"var": "AVAL", "ge": 50},
                                       "set_values_to": {"PARAMCD": "X",
                                                         "AVAL": {"expr": "if_else(AVALC = "}}})
    with pytest.raises(ValueError, match="a value is a constant or"):
        ParamExistFlag.model_validate({"condition": {"var": "AVAL", "ge": 50},
                                       "set_values_to": {"PARAMCD": "X", "AVAL": {"exp": "1"}}})
