"""Conformance rules: each with a dataset that breaks it; the clean study (which breaks none)
is checked rule by rule first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdiscflow.validators import RULES, findings
from cdiscflow.validators.rules import RULE_FUNCTIONS, _isin, _longest_bytes
from tests.validation_study import (
    adae,
    adam,
    adlb,
    adsl,
    ae,
    dm,
    ex,
    found,
    lb,
    run,
    sdtm,
    suppae,
)

CLEAN = None


def clean():
    global CLEAN
    if CLEAN is None:
        CLEAN = run({**sdtm(), **adam()})
    return CLEAN


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_clean_study_breaks_no_rule(rule_id: str) -> None:
    assert found(clean(), rule_id) == []


def test_every_catalogue_rule_is_checked_somewhere() -> None:
    in_functions = {rid for ids, _fn in RULE_FUNCTIONS for rid in ids}
    schema_rules = {"CF.REQ_VAR", "CF.REQ_NULL", "CF.EXP_VAR", "CF.TYPE", "CF.ISO8601",
                    "CF.CT_NONEXT", "CF.CT_EXT", "CF.KEY_DUP", "CF.SEQ_INT", "CF.DY_ZERO",
                    "CF.STRESN"}
    assert set(RULES) == in_functions | schema_rules


def test_usubjid_not_in_dm() -> None:
    frame = ae()
    frame.loc[2, "USUBJID"] = "S1-099"
    assert found(run(sdtm(AE=frame)), "CF.USUBJID_DM") == [("AE", 3, "S1-099", "USUBJID",
                                                            "S1-099")]


def test_domain_equals_dataset_name() -> None:
    frame = ex()
    frame.loc[0, "DOMAIN"] = "EC"
    assert found(run(sdtm(EX=frame)), "CF.DOMAIN") == [("EX", 1, "S1-001", "DOMAIN", "EC")]
    # a split dataset carries its parent domain's abbreviation
    split = run({**sdtm(), "LBCH": lb()})
    assert found(split, "CF.DOMAIN") == []


def test_studyid_constant() -> None:
    frame = lb()
    frame.loc[1, "STUDYID"] = "S2"
    assert found(run(sdtm(LB=frame)), "CF.STUDYID") == [("LB", 2, "S1-001", "STUDYID", "S2")]


def test_start_not_after_end() -> None:
    frame = ae()
    frame.loc[0, "AEENDTC"] = "2021-03-10"  # before AESTDTC 2021-03-11
    frame.loc[1, "AEENDTC"] = "2021-03-02"  # AESTDTC 2021-03: same month, not comparable
    frame.loc[2, "AEENDTC"] = "2021-03-12T09:59"  # AESTDTC 2021-03-12T10:00
    result = run(sdtm(AE=frame))
    assert found(result, "CF.START_END") == [("AE", 1, "S1-001", "AESTDTC", "2021-03-11"),
                                             ("AE", 3, "S1-002", "AESTDTC", "2021-03-12T10:00")]
    assert result.of_rule("CF.START_END")["message"].tolist()[0] == (
        "AESTDTC is after AEENDTC (2021-03-10)")
    frame = dm()
    frame.loc[0, "RFENDTC"] = "2021-03-01"
    assert found(run(sdtm(DM=frame)), "CF.START_END") == [
        ("DM", 1, "S1-001", "RFSTDTC", "2021-03-10T09:00")]


def test_study_day_matches_dates() -> None:
    frame = lb()
    frame.loc[0, "LBDY"] = 1.0  # 2021-03-09 is the day before RFSTDTC 2021-03-10: day -1
    frame.loc[1, "LBDY"] = np.nan  # computable: 8
    result = run(sdtm(LB=frame))
    assert found(result, "CF.DY_CALC") == [("LB", 1, "S1-001", "LBDY", "1"),
                                           ("LB", 2, "S1-001", "LBDY", "")]
    assert result.of_rule("CF.DY_CALC")["message"].tolist() == [
        "LBDY should be -1 from LBDTC and DM.RFSTDTC", "LBDY should be 8 from LBDTC and DM.RFSTDTC"]


def test_epoch_present_and_populated() -> None:
    result = run(sdtm(EX=ex().drop(columns=["EPOCH"])))
    assert found(result, "CF.EPOCH_VAR") == [("EX", None, "", "EPOCH", "")]
    frame = ae()
    frame.loc[1, "EPOCH"] = ""
    assert found(run(sdtm(AE=frame)), "CF.EPOCH_NULL") == [("AE", 2, "S1-001", "EPOCH",
                                                            "2021-03")]
    # a record from before informed consent (a prior medication) has no epoch
    frame = ae()
    frame.loc[0, ["EPOCH", "AESTDTC", "AESTDY"]] = ["", "2021-02-01", -37.0]
    assert found(run(sdtm(AE=frame)), "CF.EPOCH_NULL") == []


def test_epoch_from_ct() -> None:
    frame = ex()
    frame.loc[1, "EPOCH"] = "DOSING"  # EPOCH (C99079) is extensible
    assert found(run(sdtm(EX=frame)), "CF.CT_EXT") == [("EX", 2, "S1-001", "EPOCH", "DOSING")]


def test_rfstdtc_is_first_exposure() -> None:
    frame = dm()
    frame.loc[1, "RFSTDTC"] = "2021-03-11"
    frame.loc[0, "RFXSTDTC"] = "2021-03-17"
    result = run(sdtm(DM=frame))
    assert found(result, "CF.RFSTDTC_EX") == [("DM", 2, "S1-002", "RFSTDTC", "2021-03-11")]
    assert found(result, "CF.RFXSTDTC_EX") == [("DM", 1, "S1-001", "RFXSTDTC", "2021-03-17")]
    assert result.of_rule("CF.RFXSTDTC_EX")["message"].tolist() == [
        "first EXSTDTC is 2021-03-10T09:00"]
    assert result.of_rule("CF.RFSTDTC_EX")["severity"].tolist() == ["warning"]


def test_arm_pairs_one_to_one() -> None:
    frame = pd.concat([dm(), dm().iloc[[1]].assign(USUBJID="S1-003", SUBJID="003",
                                                   ARM="Drug A")], ignore_index=True)
    result = run(sdtm(DM=frame))
    # ARM 'Drug A' now has codes A and B: every record of either pairing is reported
    assert found(result, "CF.ARM_PAIR") == [("DM", 1, "S1-001", "ARMCD", "A"),
                                            ("DM", 2, "S1-002", "ARMCD", "B"),
                                            ("DM", 3, "S1-003", "ARMCD", "B")]


def test_baseline_at_most_once_per_subject_and_test() -> None:
    frame = lb()
    frame.loc[1, "LBLOBXFL"] = "Y"  # second PLAT baseline for S1-001
    assert found(run(sdtm(LB=frame)), "CF.BASELINE_ONCE") == [
        ("LB", 1, "S1-001", "LBLOBXFL", "Y"), ("LB", 2, "S1-001", "LBLOBXFL", "Y")]


def test_supp_points_at_a_parent_record() -> None:
    frame = suppae()
    frame.loc[0, "IDVARVAL"] = "7"  # S1-001 has AESEQ 1 and 2 only
    result = run(sdtm(SUPPAE=frame))
    assert found(result, "CF.SUPP_PARENT") == [("SUPPAE", 1, "S1-001", "IDVARVAL",
                                                "AE.AESEQ=7")]
    assert result.of_rule("CF.SUPP_PARENT")["message"].tolist() == [
        "no AE record with this USUBJID and AESEQ"]
    frame = suppae()
    frame.loc[1, "RDOMAIN"] = "CM"
    assert found(run(sdtm(SUPPAE=frame)), "CF.SUPP_PARENT") == [
        ("SUPPAE", 2, "S1-002", "IDVARVAL", "CM.AESEQ=1")]


def test_variable_order() -> None:
    frame = ae()[["STUDYID", "DOMAIN", "USUBJID", "AETERM", "AESEQ"] +
                 [c for c in ae().columns if c not in ("STUDYID", "DOMAIN", "USUBJID",
                                                       "AETERM", "AESEQ")]]
    result = run(sdtm(AE=frame))
    assert found(result, "CF.VAR_ORDER") == [("AE", None, "", "AESEQ", "")]
    assert result.of_rule("CF.VAR_ORDER")["message"].tolist() == [
        "AESEQ comes after AETERM; the IG puts it before"]


def test_labels_match_the_ig() -> None:
    labels = {"STUDYID": "Study Identifier", "AGE": "Age in years"}
    result = run(sdtm(), DM={"labels": labels})
    assert found(result, "CF.LABEL") == [("DM", None, "", "AGE", "Age in years")]
    assert result.of_rule("CF.LABEL")["message"].tolist() == ["label should be 'Age'"]
    result = run(adam(), ADSL={"labels": {"TRTSDT": "Treatment start"}})
    assert found(result, "CF.LABEL") == [("ADSL", None, "", "TRTSDT", "Treatment start")]


def test_lengths_fit_the_data() -> None:
    result = run(sdtm(), DM={"lengths": {"USUBJID": 6, "SUBJID": 20}})
    assert found(result, "CF.LENGTH") == [("DM", None, "", "SUBJID", "20")]
    assert result.of_rule("CF.LENGTH")["message"].tolist() == [
        "length 20 but the longest value has 3 byte(s)"]


def test_adsl_one_record_per_subject() -> None:
    frame = pd.concat([adsl(), adsl().iloc[[0]]], ignore_index=True)
    assert found(run(adam(ADSL=frame)), "CF.ADSL_ONE") == [("ADSL", 1, "S1-001", "USUBJID",
                                                            "S1-001"),
                                                           ("ADSL", 3, "S1-001", "USUBJID",
                                                            "S1-001")]


def test_adam_subject_in_adsl() -> None:
    frame = adae()
    frame.loc[2, "USUBJID"] = "S1-404"
    assert found(run(adam(ADAE=frame)), "CF.ADSL_SUBJ") == [("ADAE", 3, "S1-404", "USUBJID",
                                                             "S1-404")]


def test_trtemfl_only_y_or_null() -> None:
    frame = adae()
    frame.loc[1, "TRTEMFL"] = "N"
    assert found(run(adam(ADAE=frame)), "CF.TRTEMFL") == [("ADAE", 2, "S1-001", "TRTEMFL",
                                                           "N")]


def test_paramcd_param_one_to_one() -> None:
    frame = adlb()
    frame.loc[2, "PARAM"] = "Platelet count"
    assert found(run(adam(ADLB=frame)), "CF.PARAM_1TO1") == [
        ("ADLB", 1, "S1-001", "PARAMCD", "PLAT"), ("ADLB", 2, "S1-001", "PARAMCD", "PLAT"),
        ("ADLB", 3, "S1-002", "PARAMCD", "PLAT")]


def test_aval_or_avalc_per_parameter() -> None:
    frame = pd.concat([adlb(), adlb().iloc[[0]].assign(PARAMCD="HGB", PARAM="Hemoglobin (g/L)",
                                                       AVAL=np.nan)], ignore_index=True)
    assert found(run(adam(ADLB=frame)), "CF.AVAL_PARAM") == [("ADLB", 4, "S1-001", "PARAMCD",
                                                              "HGB")]


def test_adt_is_a_sas_date() -> None:
    frame = adlb()
    frame["ADT"] = [22348.0, 22356.5, 22350.0]
    assert found(run(adam(ADLB=frame)), "CF.ADAM_DATE") == [("ADLB", 2, "S1-001", "ADT",
                                                             "22356.5")]
    frame["ADT"] = ["2021-03-09", "2021-03-17", "2021-03-11"]
    result = run(adam(ADLB=frame))
    assert found(result, "CF.ADAM_DATE") == [("ADLB", None, "", "ADT", "str")]
    assert found(result, "CF.TYPE") == [("ADLB", None, "", "ADT", "")]
    result = run(adam(), ADLB={"formats": {"ADT": "8.", "ADY": None}})
    assert found(result, "CF.ADAM_DATE_FMT") == [("ADLB", None, "", "ADT", "8.")]
    assert found(run(adam(), ADLB={"formats": {"ADT": "DATE9."}}), "CF.ADAM_DATE_FMT") == []


def test_isin_looks_texts_up_in_the_allowed_ones() -> None:
    text = pd.Series(["S1-001", "S1-003", "", "S1-002"], dtype="str")
    allowed = pd.Series(["S1-002", "S1-001", "S1-001"], dtype="str")
    assert _isin(text, allowed).tolist() == [True, False, False, True]
    assert _isin(text, allowed[:0]).tolist() == [False] * 4


@pytest.mark.parametrize("values,expected", [
    (["ab", "abc  ", None], 3),  # trailing blanks are not stored
    (["\u00e9t\u00e9", "x"], 5),  # bytes, not characters
    ([None, ""], 0),
    (["  lead"], 6),
])
def test_longest_bytes(values: list, expected: int) -> None:
    assert _longest_bytes(pd.Series(values, dtype="str")) == expected
    assert _longest_bytes(pd.Series(values, dtype=object)) == expected


def test_text_formats_each_distinct_value_once() -> None:
    assert findings._text(pd.Series([1.0, 2.5, np.nan, 1.0]), 4).tolist() == [
        "1", "2.5", "", "1"]
    assert findings._text(pd.Series([" a ", None], dtype="str"), 2, strip=True).tolist() == [
        "a", ""]
    assert findings._text("msg", 3).tolist() == ["msg"] * 3
    assert findings._text(None, 2).tolist() == ["", ""]
    assert findings._text(5.0, 1).tolist() == ["5.0"]  # a lone number is taken as it is
    assert str(findings._text("x", 1).dtype) == "str"
