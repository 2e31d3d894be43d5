"""Each derivation on a small inline table with its exact expected output."""

import pandas as pd
import pytest

from cdiscflow.sdtm.derivations.findings import (
    derive_baseline_flag,
    derive_reference_range_indicator,
    derive_standard_character_result,
    derive_standard_numeric_result,
)
from cdiscflow.sdtm.derivations.identifiers import derive_seq, derive_usubjid
from cdiscflow.sdtm.derivations.other import derive_actual_arm, derive_product
from cdiscflow.sdtm.derivations.timing import (
    derive_age,
    derive_epoch,
    derive_extreme_date,
    derive_study_day,
    derive_visit,
)


def values(frame, col):
    return [None if pd.isna(v) else v for v in frame[col]]


def test_usubjid_joins_parts():
    df = pd.DataFrame({"STUDYID": ["S1", "S1"], "SITEID": ["01", "02"], "SUBJID": ["001", None]})
    out = derive_usubjid(df, new_var="USUBJID", parts=["STUDYID", "SITEID", "SUBJID"])
    assert values(out, "USUBJID") == ["S1-01-001", None]
    assert "USUBJID" not in df.columns  # a new frame, the input untouched


def test_study_day_has_no_day_zero_and_skips_partial_dates():
    df = pd.DataFrame({
        "LBDTC": ["2021-03-03", "2021-03-04T07:00", "2021-03-05", "2021-02-25", "2021-03",
                  None],
        "RFSTDTC": ["2021-03-04T10:00"] * 6,
    })
    out = derive_study_day(df, new_var="LBDY", dtc="LBDTC", ref="RFSTDTC")
    assert values(out, "LBDY") == [-1, 1, 2, -7, None, None]


def test_study_day_per_distinct_pair_at_scale():
    # 1,200 records of four (date, reference) pairs: worked out per pair, spread back to
    # every record in its place (index kept), partial dates blank, as Int64
    df = pd.DataFrame({
        "DTC": pd.array(["2021-03-03", "2021-03-04T08:00", "2021-03", "2021-02-25"] * 300,
                        dtype="string"),
        "REF": pd.array(["2021-03-04", "2021-03-04", "2021-03-04", "2021-03-01"] * 300,
                        dtype="string"),
    }, index=range(7000, 8200))
    out = derive_study_day(df, new_var="DY", dtc="DTC", ref="REF")
    assert out["DY"].dtype == "Int64"
    assert list(out.index[:2]) == [7000, 7001]
    assert values(out, "DY")[:8] == [-1, 1, None, -4, -1, 1, None, -4]
    assert out["DY"].isna().sum() == 300


def test_seq_numbers_within_subject_in_declared_order_with_stable_ties():
    df = pd.DataFrame({
        "USUBJID": ["B", "A", "A", "B", "A"],
        "AESTDTC": ["2021-01-02", "2021-01-05", "2021-01-01", "2021-01-01", "2021-01-01"],
        "AESPID": ["1", "2", "3", "2", "1"],
    })
    out = derive_seq(df, new_var="AESEQ", order=["AESTDTC"])
    # A: 01-01 (row 2), 01-01 (row 4, tie keeps file order), 01-05; B: 01-01, 01-02
    assert values(out, "AESEQ") == [2, 3, 1, 1, 2]
    out = derive_seq(df, new_var="AESEQ", order=["AESTDTC", "AESPID"])
    assert values(out, "AESEQ") == [2, 3, 2, 1, 1]


def test_seq_groups_by_several_columns_with_missing_keys_and_any_index():
    df = pd.DataFrame({
        "USUBJID": ["A", "A", None, "A", None, "A"],
        "GRP": ["1", "2", "1", "1", "1", "2"],
        "DTC": ["2021-01-03", "2021-01-01", "2021-01-02", "2021-01-01", "2021-01-01", None],
        "SPID": ["10", "2", "1", "9", "3", "1"],
    }, index=[50, 40, 30, 20, 10, 0])
    out = derive_seq(df, new_var="SEQ", by=["USUBJID", "GRP"], order=["DTC"])
    assert values(out, "SEQ") == [2, 1, 2, 1, 1, 2]  # a missing date numbers last
    # numeric text sorts as numbers: 2 before 10
    out = derive_seq(df, new_var="SEQ", by=["USUBJID"], order=["SPID"])
    assert values(out, "SEQ") == [4, 2, 1, 3, 2, 1]


def test_baseline_flag_is_last_nonmissing_on_or_before_first_dose():
    df = pd.DataFrame({
        "USUBJID": ["A"] * 5 + ["B"] * 2,
        "LBTESTCD": ["PLAT", "PLAT", "PLAT", "PLAT", "HGB", "PLAT", "PLAT"],
        "LBDTC": ["2021-01-01", "2021-01-10T08:00", "2021-01-10T09:30", "2021-01-17",
                  "2021-01-10T08:00", "2021-02-01", "2021-02-08"],
        "LBORRES": ["20", "18", "25", "60", "110", None, "30"],
        "RFXSTDTC": ["2021-01-10T09:00"] * 5 + ["2021-02-01"] * 2,
    })
    out = derive_baseline_flag(df, new_var="LBLOBXFL", by=["USUBJID", "LBTESTCD"],
                               dtc="LBDTC", ref="RFXSTDTC", result="LBORRES")
    # A/PLAT: 08:00 is the last before the 09:00 infusion (09:30 is after); A/HGB its only one;
    # B: the day-1 record has no result, so B has no baseline
    assert values(out, "LBLOBXFL") == [None, "Y", None, None, "Y", None, None]



def test_baseline_flag_ties_and_missing_groups_at_scale():
    # two records at the same moment: the later in the file is the baseline (a stable sort's
    # last); a missing test code is a group of its own; 1,200 records (the per-distinct path)
    df = pd.DataFrame({
        "USUBJID": pd.array(["A", "A", "A", "B", "B", "B"] * 200, dtype="string"),
        "LBTESTCD": pd.array(["PLAT", "PLAT", None, "PLAT", None, None] * 200, dtype="string"),
        "LBDTC": pd.array(["2021-01-05", "2021-01-05", "2021-01-02", "2021-01-03",
                           "2021-01-01", "2021-01-04"] * 200, dtype="string"),
        "LBORRES": pd.array(["1", " 2", "3", "", "5", "6"] * 200, dtype="string"),
        "RFXSTDTC": pd.array(["2021-01-05"] * 1200, dtype="string"),
    }, index=range(5000, 6200))
    out = derive_baseline_flag(df, new_var="FL", by=["USUBJID", "LBTESTCD"], dtc="LBDTC",
                               ref="RFXSTDTC", result="LBORRES")
    flagged = list(out.index[out["FL"].eq("Y").fillna(False).to_numpy(dtype=bool)])
    # in the last block of six: A/PLAT its second 01-05 record (label 6195), A/missing its
    # only one (6196); B/PLAT has only blank results; B/missing 01-04 (6199), after 01-01
    assert flagged == [6195, 6196, 6199]
    assert out["FL"].dtype == "string"


CONVERSIONS = [
    {"test": "*", "from": "g/dL", "to": "g/L", "factor": 10},
    {"test": "BILI", "from": "mg/dL", "to": "umol/L", "factor": 17.104},
]


def lab_frame():
    return pd.DataFrame({
        "LBTESTCD": ["BILI", "BILI", "HGB", "PLAT", "HGB", "PLAT", "URATE"],
        "LBORRES": ["1.2", "15", "9.5", "<5", "abc", "1,000", "5"],
        "LBORRESU": ["mg/dL", "umol/L", "g/dL", "10^9/L", "g/L", "10^9/L", "mg/dL"],
        "LBSTRESU": ["umol/L", "umol/L", "g/L", "10^9/L", "g/L", "10^9/L", "umol/L"],
    })


def test_unit_conversion_to_standard_units():
    out = derive_standard_numeric_result(
        lab_frame(), new_var="LBSTRESN", result="LBORRES", unit="LBORRESU", test="LBTESTCD",
        standard_unit="LBSTRESU", conversions=CONVERSIONS)
    # 1.2 mg/dL x 17.104 = 20.5248; comparator, text and an undeclared factor give no number
    assert values(out, "LBSTRESN") == [20.5248, 15.0, 95.0, None, None, None, None]
    out = derive_standard_character_result(
        out, new_var="LBSTRESC", result="LBORRES", unit="LBORRESU", test="LBTESTCD",
        standard_unit="LBSTRESU", conversions=CONVERSIONS)
    assert values(out, "LBSTRESC") == ["20.5248", "15", "95", "<5", "abc", "1,000", None]


def test_reference_range_indicator_places_comparator_results_by_their_bound():
    df = pd.DataFrame({"C": ["100", "20", "400", "<5", ">1000", "<200", "x"],
                       "LO": [125.0] * 7, "HI": [350.0] * 7})
    out = derive_reference_range_indicator(df, new_var="LBNRIND", result="C", low="LO", high="HI")
    assert values(out, "LBNRIND") == ["LOW", "LOW", "HIGH", "LOW", "HIGH", None, None]
    df = pd.DataFrame({"C": ["125", "350"], "LO": [125.0, 125.0], "HI": [350.0, 350.0]})
    out = derive_reference_range_indicator(df, new_var="X", result="C", low="LO", high="HI")
    assert values(out, "X") == ["NORMAL", "NORMAL"]


def test_extreme_dates_per_subject_ignore_partial_dates():
    dm = pd.DataFrame({"USUBJID": ["A", "B", "C"]})
    src = pd.DataFrame({"USUBJID": ["A", "A", "A", "B"],
                        "VALUE": ["2021-01-08T10:00", "2021-01-01T09:00", "2020-12", "2021-05-02"]})
    first = derive_extreme_date(dm, new_var="RFSTDTC", sources=src, mode="first")
    last = derive_extreme_date(dm, new_var="RFENDTC", sources=src, mode="last")
    assert values(first, "RFSTDTC") == ["2021-01-01T09:00", "2021-05-02", None]
    assert values(last, "RFENDTC") == ["2021-01-08T10:00", "2021-05-02", None]
    with pytest.raises(ValueError):
        derive_extreme_date(dm, new_var="X", sources=src, mode="middle")


def test_age_in_completed_years():
    df = pd.DataFrame({"BRTHDTC": ["1980-06-15", "1980-06-15", "1980-06-15", "1980"],
                       "RFICDTC": ["2020-06-14", "2020-06-15", "2021-01-01", "2020-06-15"]})
    out = derive_age(df, new_var="AGE", birth="BRTHDTC", ref="RFICDTC")
    assert values(out, "AGE") == [39, 40, 40, None]


def test_epoch_around_first_and_last_dose():
    df = pd.DataFrame({
        "DTC": ["2021-01-10T08:00", "2021-01-10T09:00", "2021-01-20", "2021-01-31T10:00",
                "2021-02-01", "2021-01", None],
        "S": ["2021-01-10T09:00"] * 7, "E": ["2021-01-31T10:00"] * 7,
    })
    out = derive_epoch(df, new_var="EPOCH", dtc="DTC",
                       epochs=["SCREENING", "TREATMENT", "FOLLOW-UP"], ends=["S", "E"],
                       ends_inclusive=[False, True])
    assert values(out, "EPOCH") == ["SCREENING", "TREATMENT", "TREATMENT", "TREATMENT",
                                    "FOLLOW-UP", None, None]


SCHEDULE = [
    {"name": "Screening", "VISIT": "SCREENING", "VISITNUM": 1},
    {"name": "Day 1", "VISIT": "DAY 1", "VISITNUM": 2, "VISITDY": 1},
    {"name": "Week 1", "VISIT": "WEEK 1", "VISITNUM": 3, "VISITDY": 8},
]


def test_visits_from_schedule_with_unscheduled_numbered_after_the_previous_visit():
    df = pd.DataFrame({
        "USUBJID": ["A"] * 5,
        "V": ["Screening", "Day 1", "Unscheduled", "Unscheduled", "Week 1"],
        "DTC": ["2021-01-01", "2021-01-10", "2021-01-12", "2021-01-13", "2021-01-17"],
    })
    kw = dict(visit="V", dtc="DTC", schedule=SCHEDULE)
    out = derive_visit(df, new_var="VISITNUM", target="VISITNUM", **kw)
    assert values(out, "VISITNUM") == [1.0, 2.0, 2.01, 2.02, 3.0]
    out = derive_visit(df, new_var="VISIT", target="VISIT", **kw)
    assert values(out, "VISIT") == ["SCREENING", "DAY 1", "UNSCHEDULED 2.01",
                                    "UNSCHEDULED 2.02", "WEEK 1"]
    out = derive_visit(df, new_var="VISITDY", target="VISITDY", **kw)
    assert values(out, "VISITDY") == [None, 1, None, None, 8]


def test_visits_without_unscheduled_and_an_unknown_name_reported_for_each_target():
    # no unscheduled visit: the numbers and days come from the schedule alone; a name the
    # schedule lacks is blank in all three and its records reported, whichever is derived
    df = pd.DataFrame({
        "USUBJID": ["A", "A", "B", "B", "B"],
        "V": ["Day 1", "Week 9", None, "Screening", "Week 9"],
        "DTC": ["2021-01-10", "2021-03-01", "2021-01-12", "2021-01-01", "2021-03-02"],
    }, index=[10, 11, 12, 13, 14])
    expected = {"VISITNUM": [2.0, None, None, 1.0, None],
                "VISIT": ["DAY 1", None, None, "SCREENING", None],
                "VISITDY": [1, None, None, None, None]}
    for target, want in expected.items():
        reported: list = []

        def report(rows, why, col, into=reported):  # noqa: ANN001, ANN202
            into.append((list(rows), why, col))

        out = derive_visit(df, new_var=target, target=target, visit="V", dtc="DTC",
                           schedule=SCHEDULE, report=report)
        assert values(out, target) == want
        assert reported == [([11, 14], "visit name not in the schedule (nor 'Unscheduled')",
                             "V")]


def test_actual_arm_follows_exposure():
    dm = pd.DataFrame({"USUBJID": ["A", "B"], "ARMCD": ["ESC05", "ESC10"]})
    ex = pd.DataFrame({"USUBJID": ["A", "A"], "VALUE": [0.5, 0.5]})
    out = derive_actual_arm(dm, new_var="ACTARMCD", planned="ARMCD", exposure=ex,
                            not_treated="NOTTRT")
    assert values(out, "ACTARMCD") == ["ESC05", "NOTTRT"]


def test_product_of_dose_and_weight():
    df = pd.DataFrame({"D": ["0.5", "2.0", None], "W": ["61.3", "50", "70"]})
    out = derive_product(df, new_var="CELLS", factors=["D", "W"], digits=2)
    assert values(out, "CELLS") == [30.65, 100.0, None]
