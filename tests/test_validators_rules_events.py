"""Rules on events, deaths, DM, TS, visits, timing and values: each rule with a clean control
(the small study of ``validation_study``, plus the datasets the rule needs) and a planted
defect, asserting the exact findings."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.validation_study import STUDY, ae, dm, ex, found, lb, run, sdtm


def test_seriousness_criteria_and_aeser() -> None:
    assert found(run(sdtm()), "CF.AESER_CRIT") == []
    assert found(run(sdtm()), "CF.AESER_NOCRIT") == []
    frame = ae()
    frame.loc[0, "AESHOSP"] = "Y"  # AESER N
    frame.loc[2, "AESHOSP"] = "N"  # AESER Y, now with no criterion
    result = run(sdtm(AE=frame))
    assert found(result, "CF.AESER_CRIT") == [("AE", 1, "S1-001", "AESER", "N")]
    assert result.of_rule("CF.AESER_CRIT")["message"].tolist() == [
        "AESHOSP is Y but AESER is not Y"]
    assert found(result, "CF.AESER_NOCRIT") == [("AE", 3, "S1-002", "AESER", "Y")]
    assert found(result, "CF.AESER_CRIT_VAR") == []
    # no criterion variable at all: the criteria were not collected, said once
    result = run(sdtm(AE=ae().drop(columns="AESHOSP")))
    assert found(result, "CF.AESER_NOCRIT") == []
    assert found(result, "CF.AESER_CRIT_VAR") == [("AE", None, "", "AESER", "Y")]
    assert result.of_rule("CF.AESER_CRIT_VAR")["message"].tolist() == [
        "AESER is Y on 1 record(s) but no seriousness criterion variable is in AE"]


def test_body_system_code_and_soc() -> None:
    clean = run(sdtm())
    assert found(clean, "CF.BDSYCD") == [] and found(clean, "CF.BODSYS_SOC") == []
    frame = ae()
    frame.loc[1, "AEBDSYCD"] = np.nan
    frame.loc[2, "AEBODSYS"] = "Immune system disorders"
    result = run(sdtm(AE=frame))
    assert found(result, "CF.BDSYCD") == [("AE", 2, "S1-001", "AEBDSYCD",
                                           "Gastrointestinal disorders")]
    assert found(result, "CF.BODSYS_SOC") == [("AE", 3, "S1-002", "AEBODSYS",
                                               "Immune system disorders")]
    assert result.of_rule("CF.BODSYS_SOC")["message"].tolist() == [
        "AESOC is Skin disorders"]
    assert found(run(sdtm(AE=ae().drop(columns="AEBDSYCD"))), "CF.BDSYCD") == [
        ("AE", None, "", "AEBDSYCD", "")]


def _died(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[1, ["DTHFL", "DTHDTC"]] = ["Y", "2021-03-12"]
    return frame


def test_fatal_adverse_event_date_is_death_date() -> None:
    frame = ae()
    frame["AEOUT"] = ["RECOVERED/RESOLVED", "RECOVERED/RESOLVED", "FATAL"]
    # AEENDTC 2021-03-12T11:30 is the day of death at DTHDTC's precision: no finding
    assert found(run(sdtm(DM=_died(dm()), AE=frame)), "CF.FATAL_DTHDTC") == []
    frame.loc[2, "AEENDTC"] = "2021-03-13"
    result = run(sdtm(DM=_died(dm()), AE=frame))
    assert found(result, "CF.FATAL_DTHDTC") == [("AE", 3, "S1-002", "AEENDTC", "2021-03-13")]
    assert result.of_rule("CF.FATAL_DTHDTC")["message"].tolist() == [
        "DM.DTHDTC is 2021-03-12"]
    # no death date at all for a fatal event
    assert found(run(sdtm(AE=frame)), "CF.FATAL_DTHDTC") == [
        ("AE", 3, "S1-002", "AEENDTC", "2021-03-13")]


def test_death_flag_needs_a_fatal_event_or_death_record() -> None:
    result = run(sdtm(DM=_died(dm())))
    assert found(result, "CF.DTHFL_EVIDENCE") == [("DM", 2, "S1-002", "DTHFL", "Y")]
    frame = ae()
    frame["AESDTH"] = ["N", "N", "Y"]
    assert found(run(sdtm(DM=_died(dm()), AE=frame)), "CF.DTHFL_EVIDENCE") == []
    ds = _ds()
    ds.loc[1, "DSDECOD"] = "DEATH"
    assert found(run(sdtm(DM=_died(dm()), DS=ds)), "CF.DTHFL_EVIDENCE") == []


def _ds() -> pd.DataFrame:
    return pd.DataFrame({
        "STUDYID": [STUDY] * 2, "DOMAIN": ["DS"] * 2, "USUBJID": ["S1-001", "S1-002"],
        "DSSEQ": [1.0, 1.0], "DSTERM": ["COMPLETED"] * 2, "DSDECOD": ["COMPLETED"] * 2,
        "DSCAT": ["DISPOSITION EVENT"] * 2, "EPOCH": ["TREATMENT"] * 2,
        "DSSTDTC": ["2021-06-01", "2021-06-03"], "DSSTDY": [84.0, 84.0]})


def test_null_arm_terms() -> None:
    assert found(run(sdtm()), "CF.ARM_NULLTERM") == []
    frame = dm()
    frame.loc[1, ["ARMCD", "ARM", "ACTARMCD", "ACTARM"]] = ["SCRNFAIL", "Screen Failure",
                                                            "SCRNFAIL", "SCREEN FAILURE"]
    assert found(run(sdtm(DM=frame)), "CF.ARM_NULLTERM") == [
        ("DM", 2, "S1-002", "ACTARM", "SCREEN FAILURE"),
        ("DM", 2, "S1-002", "ARM", "Screen Failure")]


def test_armnrs_only_when_an_arm_is_null() -> None:
    frame = dm()
    frame.loc[0, ["ACTARMCD", "ACTARM", "ARMNRS"]] = [np.nan, np.nan, "NOT TREATED"]
    assert found(run(sdtm(DM=frame)), "CF.ARMNRS") == []
    frame.loc[1, "ARMNRS"] = "NOT ASSIGNED"
    assert found(run(sdtm(DM=frame)), "CF.ARMNRS") == [("DM", 2, "S1-002", "ARMNRS",
                                                         "NOT ASSIGNED")]


def test_rfendtc_when_arm_given() -> None:
    frame = dm()
    frame.loc[0, "RFENDTC"] = ""
    assert found(run(sdtm(DM=frame)), "CF.RFENDTC_ARM") == [("DM", 1, "S1-001", "RFENDTC",
                                                              "Drug A")]
    frame.loc[0, "ARM"] = ""
    assert found(run(sdtm(DM=frame)), "CF.RFENDTC_ARM") == []


def test_actual_arm_differs_without_explanation() -> None:
    frame = dm()
    frame.loc[1, ["ACTARMCD", "ACTARM"]] = ["A", "Drug A"]
    assert found(run(sdtm(DM=frame)), "CF.ARM_ACTUAL") == [("DM", 2, "S1-002", "ACTARMCD",
                                                             "A")]
    dv = pd.DataFrame({"STUDYID": [STUDY], "DOMAIN": ["DV"], "USUBJID": ["S1-002"],
                       "DVSEQ": [1.0], "DVTERM": ["Wrong kit dispensed"]})
    assert found(run(sdtm(DM=frame, DV=dv)), "CF.ARM_ACTUAL") == []
    frame.loc[1, "ACTARMUD"] = "Drug A instead of Drug B"
    assert found(run(sdtm(DM=frame)), "CF.ARM_ACTUAL") == []


def test_subjid_unique() -> None:
    assert found(run(sdtm()), "CF.SUBJID_DUP") == []
    frame = dm()
    frame.loc[1, "SUBJID"] = "001"
    assert found(run(sdtm(DM=frame)), "CF.SUBJID_DUP") == [
        ("DM", 1, "S1-001", "SUBJID", "001"), ("DM", 2, "S1-002", "SUBJID", "001")]


def test_treated_subject_has_disposition() -> None:
    assert found(run(sdtm(DS=_ds())), "CF.DS_TREATED") == []
    assert found(run(sdtm(DS=_ds().iloc[:1])), "CF.DS_TREATED") == [
        ("DM", 2, "S1-002", "USUBJID", "S1-002")]


def _suppdm(qnam: str) -> pd.DataFrame:
    return pd.DataFrame({
        "STUDYID": [STUDY], "RDOMAIN": ["DM"], "USUBJID": ["S1-001"], "IDVAR": [""],
        "IDVARVAL": [""], "QNAM": [qnam], "QLABEL": ["x"], "QVAL": ["Y"], "QORIG": ["CRF"],
        "QEVAL": [""]})


def test_population_flags_not_in_suppdm() -> None:
    assert found(run(sdtm(SUPPDM=_suppdm("RACEOTH"))), "CF.SUPPDM_POPFL") == []
    assert found(run(sdtm(SUPPDM=_suppdm("SAFETY"))), "CF.SUPPDM_POPFL") == [
        ("SUPPDM", 1, "S1-001", "QNAM", "SAFETY")]
    assert found(run(sdtm(SUPPDM=_suppdm("COMPLT16"))), "CF.SUPPDM_POPFL") == [
        ("SUPPDM", 1, "S1-001", "QNAM", "COMPLT16")]
    by_label = _suppdm("EFFICACY")
    by_label["QLABEL"] = ["Efficacy Population Flag"]
    assert found(run(sdtm(SUPPDM=by_label)), "CF.SUPPDM_POPFL") == [
        ("SUPPDM", 1, "S1-001", "QNAM", "EFFICACY")]


def _ts(**values: str) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({
        "STUDYID": [STUDY] * n, "DOMAIN": ["TS"] * n, "TSSEQ": [1.0] * n,
        "TSPARMCD": list(values), "TSPARM": list(values), "TSVAL": list(values.values())})


_TS_OK = {"SSTDTC": "2021-03-01", "AGEMIN": "P18Y", "AGEMAX": "P65Y", "INTMODEL": "PARALLEL",
          "INTTYPE": "DRUG", "PCLAS": "Antineoplastic Agent", "TITLE": "A 50 years study"}


def test_ts_dates_and_durations_iso8601() -> None:
    result = run(sdtm(TS=_ts(**_TS_OK)))
    assert found(result, "CF.TS_DATE") == [] and found(result, "CF.TS_DURATION") == []
    result = run(sdtm(TS=_ts(**{**_TS_OK, "SSTDTC": "01MAR2021", "AGEMIN": "18 years",
                                "AGEMAX": "P"})))
    assert found(result, "CF.TS_DATE") == [("TS", 1, "", "TSVAL", "01MAR2021")]
    assert found(result, "CF.TS_DURATION") == [("TS", 2, "", "TSVAL", "18 years"),
                                               ("TS", 3, "", "TSVAL", "P")]


def test_ts_required_parameters() -> None:
    assert found(run(sdtm(TS=_ts(**_TS_OK))), "CF.TS_REQUIRED") == []
    partial = {k: v for k, v in _TS_OK.items() if k != "PCLAS"}
    partial["INTTYPE"] = ""
    assert found(run(sdtm(TS=_ts(**partial))), "CF.TS_REQUIRED") == [
        ("TS", None, "", "TSPARMCD", "INTTYPE"), ("TS", None, "", "TSPARMCD", "PCLAS")]


def _sv() -> pd.DataFrame:
    return pd.DataFrame({
        "STUDYID": [STUDY] * 3, "DOMAIN": ["SV"] * 3, "USUBJID": ["S1-001", "S1-001", "S1-002"],
        "VISITNUM": [1.0, 2.0, 1.0], "VISIT": ["DAY 1", "WEEK 1", "DAY 1"],
        "SVSTDTC": ["2021-03-09", "2021-03-17", "2021-03-11"]})


def test_visitnum_in_sv_for_the_subject() -> None:
    assert found(run(sdtm(SV=_sv())), "CF.VISITNUM_SV") == []
    frame = lb()
    frame.loc[3, ["VISITNUM", "VISIT"]] = [2.0, "WEEK 1"]  # S1-002 had no week 1 visit
    frame.loc[0, "VISITNUM"] = 1.0000000000000002  # floating-point noise on S1-001's day 1
    result = run(sdtm(SV=_sv(), LB=frame))
    assert found(result, "CF.VISITNUM_SV") == [
        ("LB", 1, "S1-001", "VISITNUM", "1.0000000000000002"),
        ("LB", 4, "S1-002", "VISITNUM", "2")]
    assert result.of_rule("CF.VISITNUM_SV")["message"].tolist() == [
        "VISITNUM differs from the subject's SV visit number only in floating-point noise: a "
        "merge will not match it", "VISITNUM is not one of the subject's visits in SV"]


def _mh(start: list[str], end: list[str]) -> pd.DataFrame:
    return pd.DataFrame({
        "STUDYID": [STUDY] * 3, "DOMAIN": ["MH"] * 3, "USUBJID": ["S1-001", "S1-001", "S1-002"],
        "MHSEQ": [1.0, 2.0, 1.0], "MHTERM": ["asthma", "gout", "ITP"],
        "MHSTDTC": start, "MHENDTC": end})


def test_medical_history_before_reference_start() -> None:
    # RFSTDTC: S1-001 2021-03-10T09:00, S1-002 2021-03-12
    # 2021-03 cannot be ordered against 2021-03-10; 08:00 is before 09:00 on the same day
    clean = _mh(["2019", "2021-03", "2020-05-01"], ["2021-03-10T08:00", "2021-03-09", ""])
    assert found(run(sdtm(MH=clean)), "CF.MH_PRIOR") == []
    bad = _mh(["2019", "2021-03-10", "2021-04"], ["2021-03-10T10:00", "", ""])
    assert found(run(sdtm(MH=bad)), "CF.MH_PRIOR") == [
        ("MH", 1, "S1-001", "MHENDTC", "2021-03-10T10:00"),
        ("MH", 2, "S1-001", "MHSTDTC", "2021-03-10"),
        ("MH", 3, "S1-002", "MHSTDTC", "2021-04")]


def test_dates_after_end_of_participation() -> None:
    assert found(run(sdtm()), "CF.AFTER_RFPENDTC") == []
    frame = ae()
    frame.loc[2, "AEENDTC"] = "2021-06-04"  # S1-002 RFPENDTC 2021-06-03
    frame.loc[1, "AEENDTC"] = "2021-06"  # S1-001 RFPENDTC 2021-06-01: same month
    assert found(run(sdtm(AE=frame)), "CF.AFTER_RFPENDTC") == [
        ("AE", 3, "S1-002", "AEENDTC", "2021-06-04")]


def test_time_point_pairs() -> None:
    frame = ae()
    frame["AEENRTPT"] = ["", "ONGOING", ""]
    frame["AEENTPT"] = ["", "END OF STUDY", ""]
    assert found(run(sdtm(AE=frame)), "CF.TPT_PAIR") == []
    frame.loc[1, "AEENTPT"] = ""
    frame.loc[2, "AEENTPT"] = "END OF STUDY"
    assert found(run(sdtm(AE=frame)), "CF.TPT_PAIR") == [
        ("AE", 2, "S1-001", "AEENRTPT", "ONGOING"), ("AE", 3, "S1-002", "AEENTPT",
                                                     "END OF STUDY")]
    assert found(run(sdtm(AE=frame.drop(columns="AEENTPT"))), "CF.TPT_PAIR") == [
        ("AE", None, "", "AEENRTPT", "")]


def test_end_without_start() -> None:
    assert found(run(sdtm()), "CF.END_NO_START") == []
    frame = ae()
    frame.loc[1, "AESTDTC"] = ""
    frame.loc[2, ["AESTDTC", "AEENDTC"]] = ["", ""]
    frame["AEENRTPT"] = ["", "", "ONGOING"]  # an end relative to a time point, no start
    frame["AEENTPT"] = ["", "", "END OF STUDY"]
    assert found(run(sdtm(AE=frame)), "CF.END_NO_START") == [
        ("AE", 2, "S1-001", "AEENDTC", "2021-03-20"), ("AE", 3, "S1-002", "AEENRTPT", "ONGOING")]
    frame["AESTRTPT"] = ["", "", "BEFORE"]  # a start relative to a time point is a start
    frame["AESTTPT"] = ["", "", "SCREENING"]
    assert found(run(sdtm(AE=frame)), "CF.END_NO_START") == [
        ("AE", 2, "S1-001", "AEENDTC", "2021-03-20")]


def test_end_date_of_an_event_not_resolved() -> None:
    frame = ae()
    frame["AEOUT"] = ["RECOVERED/RESOLVED", "NOT RECOVERED/NOT RESOLVED", "RECOVERED/RESOLVED"]
    frame.loc[1, "AEENDTC"] = ""
    assert found(run(sdtm(AE=frame)), "CF.AEOUT_ENDTC") == []
    frame.loc[1, "AEENDTC"] = "2021-03-20"
    assert found(run(sdtm(AE=frame)), "CF.AEOUT_ENDTC") == [("AE", 2, "S1-001", "AEENDTC",
                                                             "2021-03-20")]


def test_dose_unit() -> None:
    assert found(run(sdtm()), "CF.DOSU") == []
    frame = ex()
    frame.loc[1, "EXDOSU"] = ""
    assert found(run(sdtm(EX=frame)), "CF.DOSU") == [("EX", 2, "S1-001", "EXDOSU", "")]
    # the unit variable not submitted at all: one warning for the dataset
    no_unit = run(sdtm(EX=ex().drop(columns="EXDOSU")))
    assert found(no_unit, "CF.DOSU") == []
    assert found(no_unit, "CF.DOSU_VAR") == [("EX", None, "", "EXDOSU", "")]


def test_study_day_variables_present() -> None:
    assert found(run(sdtm()), "CF.DY_VAR") == []
    result = run(sdtm(LB=lb().drop(columns="LBDY"), AE=ae().drop(columns="AEENDY")))
    assert found(result, "CF.DY_VAR") == [("AE", None, "", "AEENDY", ""),
                                          ("LB", None, "", "LBDY", "")]
