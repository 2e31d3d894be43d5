"""Unit tests of the generic ADaM derivations: small inline input and expected tables."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cdiscflow.adam.conditions import VarRef, WhereKeys, evaluate
from cdiscflow.adam.derivations import (
    DerivationError,
    combine_supp,
    derive_var_analysis_ratio,
    derive_var_base,
    derive_var_chg,
    derive_var_extreme_flag,
    derive_var_flag,
    derive_var_merged_exist_flag,
    derive_var_merged_summary,
    derive_var_obs_number,
    derive_var_trtemfl,
    derive_vars_assign,
    derive_vars_cat,
    derive_vars_dt,
    derive_vars_dtm,
    derive_vars_duration,
    derive_vars_dy,
    derive_vars_merged,
    derive_vars_merged_lookup,
    derive_vars_transposed,
)

NA = np.nan


def d(iso: str) -> float:
    """SAS date of an ISO date (days since 1960-01-01), computed independently of cdiscflow."""
    return float((dt.date.fromisoformat(iso) - dt.date(1960, 1, 1)).days)


def dtm(iso: str) -> float:
    return (dt.datetime.fromisoformat(iso) - dt.datetime(1960, 1, 1)).total_seconds()


def frame(text: str) -> pd.DataFrame:
    """A table written as whitespace-separated columns; '.' is missing."""
    lines = [ln.split() for ln in text.strip().splitlines()]
    rows = [[None if v == "." else v for v in ln] for ln in lines[1:]]
    return pd.DataFrame(rows, columns=lines[0])


def values(df: pd.DataFrame, col: str) -> list:
    return [None if (v is None or (isinstance(v, float) and np.isnan(v))) else v
            for v in df[col].tolist()]


# --- conditions -------------------------------------------------------------------------------

def test_conditions_tests_and_missing_values() -> None:
    df = pd.DataFrame({"A": ["X", "Y", None], "N": [1.0, 5.0, NA], "M": [2.0, 2.0, 2.0]})
    assert evaluate(WhereKeys(var="A", eq="X"), df).tolist() == [True, False, False]
    # the one blank rule (cdiscflow/expr/evaluate.py): a missing value equals nothing and
    # differs from every value, as in SAS
    assert evaluate(WhereKeys(var="A", ne="X"), df).tolist() == [False, True, True]
    assert evaluate(WhereKeys.model_validate({"var": "A", "in": ["X", "Y"]}), df).tolist() == \
        [True, True, False]
    assert evaluate(WhereKeys(var="A", not_in=["X"]), df).tolist() == [False, True, True]
    # the keys are aliases of an expression, which may be written instead
    assert evaluate("A != 'X' and not is_missing(A)", df).tolist() == [False, True, False]
    assert evaluate("N >= M + 3 or A = 'X'", df).tolist() == [True, True, False]
    assert evaluate(WhereKeys(var="A", is_null=True), df).tolist() == [False, False, True]
    assert evaluate(WhereKeys(var="N", ge=5), df).tolist() == [False, True, False]
    assert evaluate(WhereKeys(var="N", lt=VarRef(var="M", plus=1)), df).tolist() == \
        [True, False, False]
    combo = WhereKeys.model_validate({"any": [{"var": "N", "gt": 4}, {"not": {"var": "A",
                                                                          "eq": "X"}}]})
    assert evaluate(combo, df).tolist() == [False, True, True]


def test_condition_needs_exactly_one_test() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        WhereKeys.model_validate({"var": "A", "eq": 1, "ne": 2})
    with pytest.raises(ValueError, match="unknown|Extra"):
        WhereKeys.model_validate({"var": "A", "equals": 1})


# --- combine_supp and merges -----------------------------------------------------------------

def test_combine_supp_by_idvar_and_subject() -> None:
    parent = pd.DataFrame({"USUBJID": ["S1", "S1", "S2"], "AESEQ": [1.0, 2.0, 1.0]})
    supp = frame("""
        USUBJID IDVAR IDVARVAL QNAM QVAL
        S1      AESEQ 2        AEDLT Y
        S2      AESEQ 1        AEDLT N
        S1      .     .        PHASE ESC
        """)
    out = combine_supp(parent, supp)
    assert values(out, "AEDLT") == [None, "Y", "N"]
    assert values(out, "PHASE") == ["ESC", "ESC", None]
    assert list(parent.columns) == ["USUBJID", "AESEQ"]  # the input is not modified


def test_derive_vars_merged_first_last_filter() -> None:
    df = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"]})
    ex = frame("""
        USUBJID EXSTDTC     EXDOSE
        S1      2021-03-17  0.5
        S1      2021-03-10  0.5
        S2      2021-04-01  0
        S2      2021-04-08  1.0
        """)
    first = derive_vars_merged(df, ex, ["USUBJID"], {"TRTSDTC": "EXSTDTC"},
                               WhereKeys(var="EXDOSE", gt=0), ["EXSTDTC"], "first")
    last = derive_vars_merged(first, ex, ["USUBJID"], {"TRTEDTC": "EXSTDTC"},
                              WhereKeys(var="EXDOSE", gt=0), ["EXSTDTC"], "last")
    assert values(last, "TRTSDTC") == ["2021-03-10", "2021-04-08", None]
    assert values(last, "TRTEDTC") == ["2021-03-17", "2021-04-08", None]
    with pytest.raises(DerivationError, match="more than one record"):
        derive_vars_merged(df, ex, ["USUBJID"], {"X": "EXSTDTC"})
    with pytest.raises(DerivationError, match="already exist"):
        derive_vars_merged(last, ex, ["USUBJID"], {"TRTSDTC": "EXSTDTC"}, order=["EXSTDTC"],
                           mode="first")
    again = derive_vars_merged(last, ex, ["USUBJID"], {"TRTSDTC": "EXSTDTC"},
                               order=["EXSTDTC"], mode="last", overwrite=True)
    assert values(again, "TRTSDTC") == ["2021-03-17", "2021-04-08", None]


def test_derive_var_merged_exist_flag_and_summary() -> None:
    df = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"]})
    cm = frame("""
        USUBJID CMCAT  CMDOSE
        S1      RESCUE 2
        S1      CONMED 5
        S2      CONMED 1
        """)
    flagged = derive_var_merged_exist_flag(df, cm, ["USUBJID"], "RESCUEFL",
                                           WhereKeys(var="CMCAT", eq="RESCUE"))
    assert values(flagged, "RESCUEFL") == ["Y", "N", "N"]
    counted = derive_var_merged_summary(df, cm, ["USUBJID"], "NCM", "count")
    assert values(counted, "NCM") == [2.0, 1.0, 0.0]
    summed = derive_var_merged_summary(df, cm, ["USUBJID"], "TOT", "sum", "CMDOSE",
                                       WhereKeys(var="CMCAT", eq="CONMED"))
    assert values(summed, "TOT") == [5.0, 1.0, None]


def test_derive_vars_merged_lookup() -> None:
    df = pd.DataFrame({"ARMCD": ["A", "B", "A"]})
    table = pd.DataFrame([{"ARMCD": "A", "TRT01P": "Drug 1", "TRT01PN": 1},
                          {"ARMCD": "B", "TRT01P": "Drug 2", "TRT01PN": 2}])
    out = derive_vars_merged_lookup(df, table, ["ARMCD"], ["TRT01P", "TRT01PN"])
    assert values(out, "TRT01P") == ["Drug 1", "Drug 2", "Drug 1"]
    assert values(out, "TRT01PN") == [1, 2, 1]
    with pytest.raises(DerivationError, match="'ARMCD': 'C'"):
        derive_vars_merged_lookup(pd.DataFrame({"ARMCD": ["C"]}), table, ["ARMCD"], ["TRT01P"])


# --- dates ------------------------------------------------------------------------------------

def test_derive_vars_dt_imputation_and_flags() -> None:
    df = frame("""
        AESTDTC           TRTSDT
        2021-09-10T08:30  .
        2021-09           .
        2021-09           X
        2021-08           X
        2021              .
        .                 .
        """)
    # the subject's first dose is 2021-09-02
    df["TRTSDT"] = [NA, NA, d("2021-09-02"), d("2021-09-02"), NA, NA]
    first = derive_vars_dt(df, "AST", "AESTDTC", "M", "first", min_dates=["TRTSDT"])
    assert values(first, "ASTDT") == [d("2021-09-10"), d("2021-09-01"), d("2021-09-02"),
                                      d("2021-08-01"), d("2021-01-01"), None]
    assert values(first, "ASTDTF") == [None, "D", "D", "D", "M", None]
    last = derive_vars_dt(df, "AEN", "AESTDTC", "M", "last")
    assert values(last, "AENDT") == [d("2021-09-10"), d("2021-09-30"), d("2021-09-30"),
                                     d("2021-08-31"), d("2021-12-31"), None]
    # only the day may be imputed: a year-only date stays missing
    day_only = derive_vars_dt(df, "AST", "AESTDTC", "D", "first", flag_imputation=False)
    assert values(day_only, "ASTDT")[4] is None and "ASTDTF" not in day_only
    none = derive_vars_dt(df, "AST", "AESTDTC")
    assert values(none, "ASTDT") == [d("2021-09-10"), None, None, None, None, None]
    mid = derive_vars_dt(df, "AST", "AESTDTC", "M", "mid")
    assert values(mid, "ASTDT")[1:5] == [d("2021-09-15"), d("2021-09-15"), d("2021-08-15"),
                                         d("2021-06-30")]


def test_derive_vars_dtm_time_flags() -> None:
    df = pd.DataFrame({"LBDTC": ["2021-03-10T08:05:30", "2021-03-10T08:05", "2021-03-10",
                                 None]})
    out = derive_vars_dtm(df, "A", "LBDTC")
    assert values(out, "ADTM") == [dtm("2021-03-10T08:05:30"), dtm("2021-03-10T08:05:00"),
                                   dtm("2021-03-10T00:00:00"), None]
    assert values(out, "ATMF") == [None, "S", "H", None]
    assert values(out, "ADTF") == [None, None, None, None]
    late = derive_vars_dtm(df, "A", "LBDTC", time_imputation="last", flag_imputation=False)
    assert values(late, "ADTM")[2] == dtm("2021-03-10T23:59:59")
    assert list(late.columns) == ["LBDTC", "ADTM"]


def test_derive_vars_dy_has_no_day_zero() -> None:
    df = pd.DataFrame({"TRTSDT": [d("2021-03-10")] * 4,
                       "ADT": [d("2021-03-08"), d("2021-03-09"), d("2021-03-10"),
                               d("2021-03-17")]})
    out = derive_vars_dy(df, "TRTSDT", {"ADY": "ADT"})
    assert values(out, "ADY") == [-2.0, -1.0, 1.0, 8.0]


def test_derive_vars_duration() -> None:
    df = pd.DataFrame({"ASTDT": [d("2021-03-10"), d("2021-03-10"), d("2021-03-10")],
                       "AENDT": [d("2021-03-10"), d("2021-03-13"), NA]})
    assert values(derive_vars_duration(df, "ADURN", "ASTDT", "AENDT"), "ADURN") == \
        [1.0, 4.0, None]
    assert values(derive_vars_duration(df, "ADURN", "ASTDT", "AENDT", "weeks", False),
                  "ADURN") == [0.0, 3 / 7, None]


# --- flags ------------------------------------------------------------------------------------

def test_derive_var_trtemfl() -> None:
    t0, end = d("2021-03-10"), d("2021-09-30")
    df = pd.DataFrame({
        "ASTDT": [d("2021-03-09"), t0, d("2021-05-01"), d("2021-10-01"), NA, NA],
        "AENDT": [d("2021-03-12"), NA, NA, NA, d("2021-03-01"), NA],
        "TRTSDT": [t0] * 6,
        "FUPEDT": [end] * 6,
    })
    out = derive_var_trtemfl(df, trt_end_date="FUPEDT")
    # before, on the first-dose day, during, after follow-up, no start but ended before, unknown
    assert values(out, "TRTEMFL") == [None, "Y", "Y", None, None, "Y"]
    windowed = derive_var_trtemfl(df, trt_end_date="FUPEDT", end_window=1)
    assert values(windowed, "TRTEMFL")[3] == "Y"
    open_ended = derive_var_trtemfl(df)
    assert values(open_ended, "TRTEMFL")[3] == "Y"


def test_derive_var_extreme_flag_with_filter() -> None:
    df = frame("""
        USUBJID AEDECOD ASTDT TRTEMFL
        S1      Fatigue 5     Y
        S1      Fatigue 3     Y
        S1      Fatigue 1     .
        S1      Nausea  4     Y
        S2      Fatigue 2     .
        """)
    df["ASTDT"] = df["ASTDT"].astype(float)
    out = derive_var_extreme_flag(df, ["USUBJID", "AEDECOD"], ["ASTDT"], "AOCCPFL", "first",
                                  WhereKeys(var="TRTEMFL", eq="Y"))
    assert values(out, "AOCCPFL") == [None, "Y", None, "Y", None]
    last = derive_var_extreme_flag(df, ["USUBJID"], ["ASTDT"], "LASTFL", "last",
                                   false_value="N")
    assert values(last, "LASTFL") == ["Y", "N", "N", "N", "Y"]


def test_derive_var_base_chg_ratio() -> None:
    df = frame("""
        USUBJID PARAMCD AVAL ABLFL
        S1      PLAT    10   Y
        S1      PLAT    25   .
        S2      PLAT    0    Y
        S2      PLAT    40   .
        S3      PLAT    12   .
        """)
    df["AVAL"] = df["AVAL"].astype(float)
    out = derive_var_analysis_ratio(derive_var_chg(derive_var_base(df, ["USUBJID", "PARAMCD"])),
                                    "AVAL", "BASE", "R2BASE")
    assert values(out, "BASE") == [10.0, 10.0, 0.0, 0.0, None]
    assert values(out, "CHG") == [0.0, 15.0, 0.0, 40.0, None]
    assert values(out, "R2BASE") == [1.0, 2.5, None, None, None]
    two = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    with pytest.raises(DerivationError, match="more than one ABLFL"):
        derive_var_base(two, ["USUBJID", "PARAMCD"])


def test_derive_vars_cat_and_flag() -> None:
    df = pd.DataFrame({"AGE": [30.0, 45.0, 50.0, NA], "TRTEDT": [100.0] * 4,
                       "ASTDT": [95.0, 130.0, 131.0, NA]})
    cat = derive_vars_cat(df, "AGEGR1", [(WhereKeys(var="AGE", lt=45), "<45", 1),
                                         (WhereKeys(var="AGE", ge=45), ">=45", 2)], "AGEGR1N")
    assert values(cat, "AGEGR1") == ["<45", ">=45", ">=45", None]
    assert values(cat, "AGEGR1N") == [1.0, 2.0, 2.0, None]
    # within one month of the last dose: a comparison with another variable plus days
    flag = derive_var_flag(df, "INWINFL", WhereKeys(var="ASTDT", le=VarRef(var="TRTEDT", plus=30)),
                           false_value="N")
    assert values(flag, "INWINFL") == ["Y", "Y", "N", "N"]


def test_derive_vars_assign_and_obs_number() -> None:
    df = pd.DataFrame({"USUBJID": ["S1", "S1", "S2"], "ORRES": ["3", "1", "x"],
                       "DAY": [2.0, 1.0, 1.0]})
    out = derive_vars_assign(df, {"AVAL": ("var", "ORRES", "Num"),
                                  "PARAMCD": ("constant", "GRADE", None),
                                  "DAYC": ("var", "DAY", "Char")}, drop=["ORRES"])
    assert values(out, "AVAL") == [3.0, 1.0, None]
    assert values(out, "PARAMCD") == ["GRADE"] * 3
    assert values(out, "DAYC") == ["2", "1", "1"]
    assert "ORRES" not in out
    seq = derive_var_obs_number(out, ["USUBJID"], ["DAY"])
    assert values(seq, "ASEQ") == [2.0, 1.0, 1.0]


def test_derive_vars_transposed_puts_results_of_one_assessment_together() -> None:
    df = frame("""
        USUBJID ADT PARAMCD AVAL
        S1      10  PLAT    40
        S1      20  PLAT    60
        S2      10  PLAT    15
        """)
    lb = frame("""
        USUBJID ADT PARAMCD AVAL
        S1      10  ANC     0.4
        S1      10  HGB     85
        S1      20  ANC     1.2
        S2      10  HGB     70
        S2      10  WBC     3
        """)
    out = derive_vars_transposed(df, lb, ["USUBJID", "ADT"], "PARAMCD", "AVAL",
                                 {"ANCVAL": "ANC", "HGBVAL": "HGB"})
    assert values(out, "ANCVAL") == ["0.4", "1.2", None]
    assert values(out, "HGBVAL") == ["85", None, "70"]
    with pytest.raises(DerivationError, match="more than one AVAL"):
        derive_vars_transposed(df, pd.concat([lb, lb.iloc[[0]]]), ["USUBJID", "ADT"],
                               "PARAMCD", "AVAL", {"ANCVAL": "ANC"})
