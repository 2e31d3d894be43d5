"""Schema checks built from the IG metadata: each with a dataset that breaks it and the clean
study that does not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

from cdiscflow.standards.adamig import adam_variable, adam_variables
from cdiscflow.validators import RULES, Dataset, build_schema
from cdiscflow.validators.schema import _Memo, iso8601_ok
from tests.validation_study import adam, ae, dm, ex, found, lb, run, sdtm


def test_clean_study_has_no_finding() -> None:
    result = run({**sdtm(), **adam()})
    assert result.errors == 0
    assert result.warnings == 0
    assert list(result.findings.columns) == ["dataset", "row", "usubjid", "variable", "value",
                                             "rule", "severity", "message"]


def test_schema_is_pandera_built_from_the_ig() -> None:
    built = build_schema(Dataset("AE", ae()))
    assert isinstance(built.schema, pa.DataFrameSchema)
    # every SDTMIG AE variable is a column; Req ones are required
    assert built.schema.columns["AESEQ"].required is True
    assert built.schema.columns["AEENDTC"].required is False
    assert "CF.ISO8601:AESTDTC" in {c.name for c in built.schema.columns["AESTDTC"].checks}
    assert "CF.CT_NONEXT:AESER" in {c.name for c in built.schema.columns["AESER"].checks}
    assert "CF.KEY_DUP:AESEQ" in {c.name for c in built.schema.checks}


def test_required_variable_missing_is_an_error() -> None:
    result = run(sdtm(AE=ae().drop(columns=["AETERM"])))
    assert found(result, "CF.REQ_VAR") == [("AE", None, "", "AETERM", "")]
    assert result.of_rule("CF.REQ_VAR")["severity"].tolist() == ["error"]


def test_required_variable_null_is_an_error() -> None:
    frame = ae()
    frame.loc[1, "AEDECOD"] = "  "  # blanks are null in SAS
    frame.loc[2, "AESEQ"] = np.nan
    result = run(sdtm(AE=frame))
    assert found(result, "CF.REQ_NULL") == [("AE", 2, "S1-001", "AEDECOD", "  "),
                                            ("AE", 3, "S1-002", "AESEQ", "")]
    assert set(result.of_rule("CF.REQ_NULL")["severity"]) == {"error"}


def test_expected_variable_missing_is_a_warning() -> None:
    result = run(sdtm(EX=ex().drop(columns=["EXDOSU", "EXENDTC"])))
    assert found(result, "CF.EXP_VAR") == [("EX", None, "", "EXDOSU", ""),
                                           ("EX", None, "", "EXENDTC", "")]
    assert set(result.of_rule("CF.EXP_VAR")["severity"]) == {"warning"}
    assert result.errors == 0


def test_types() -> None:
    frame = ae()
    frame["AESEQ"] = ["1", "2", "1"]  # Num in the IG
    frame["AETERM"] = [1.0, 2.0, 3.0]  # Char in the IG
    result = run(sdtm(AE=frame))
    rows = result.of_rule("CF.TYPE")
    assert rows["variable"].tolist() == ["AESEQ", "AETERM"]
    assert rows["message"].tolist() == [
        "Variable type differs from the IG (Char/Num): expected Num",
        "Variable type differs from the IG (Char/Num): expected Char"]


@pytest.mark.parametrize("value", ["2021", "2021-03", "2021-03-10", "2021-03-10T09",
                                   "2021-03-10T09:05", "2021-03-10T09:05:30",
                                   "2021-03-10T09:05:30.5", "2021---10", "2021-03-10T09:05Z",
                                   "2021-03-10/2021-03-12", "2024-02-29"])
def test_iso8601_accepts_partials(value: str) -> None:
    assert iso8601_ok(pd.Series([value], dtype="str")).tolist() == [True]


@pytest.mark.parametrize("value", ["10/03/2021", "2021-3-10", "2021-13-01", "2021-02-30",
                                   "2021-03-10 09:05", "2021-03-10T25:00", "2021-03-10T9:05",
                                   "UNK-03-2021", "2023-02-29"])
def test_iso8601_refuses(value: str) -> None:
    assert iso8601_ok(pd.Series([value], dtype="str")).tolist() == [False]


def test_iso8601_finding() -> None:
    frame = ae()
    frame.loc[0, "AEENDTC"] = "12/03/2021"
    result = run(sdtm(AE=frame))
    assert found(result, "CF.ISO8601") == [("AE", 1, "S1-001", "AEENDTC", "12/03/2021")]


def test_non_extensible_codelist_value_is_an_error() -> None:
    frame = dm()
    frame.loc[1, "SEX"] = "Male"  # SEX (C66731) is not extensible
    result = run(sdtm(DM=frame))
    f = result.of_rule("CF.CT_NONEXT")
    assert found(result, "CF.CT_NONEXT") == [("DM", 2, "S1-002", "SEX", "Male")]
    assert f["severity"].tolist() == ["error"]
    assert f["message"].tolist() == ["'Male' is not in non-extensible codelist SEX (C66731)"]


def test_extensible_codelist_value_is_a_warning_naming_the_value() -> None:
    frame = ex()
    frame.loc[2, "EXDOSU"] = "10^6 cells/kg"  # UNIT (C71620) is extensible
    result = run(sdtm(EX=frame))
    f = result.of_rule("CF.CT_EXT")
    assert found(result, "CF.CT_EXT") == [("EX", 3, "S1-002", "EXDOSU", "10^6 cells/kg")]
    assert f["severity"].tolist() == ["warning"]
    assert f["message"].tolist() == [
        "'10^6 cells/kg' is not in extensible codelist UNIT (C71620)"]


def test_result_codelist_ignores_numeric_results() -> None:
    # LBSTRESC has a codelist for text results; 20 and <5 are numbers, CLUMPED is no term
    frame = lb()
    frame.loc[3, ["LBSTRESC", "LBSTRESN"]] = ["CLUMPED", np.nan]
    result = run(sdtm(LB=frame))
    assert found(result, "CF.CT_EXT") == [("LB", 4, "S1-002", "LBSTRESC", "CLUMPED")]


def test_key_uniqueness() -> None:
    frame = ae()
    frame.loc[1, "AESEQ"] = 1.0  # same USUBJID + AESEQ as record 1
    result = run(sdtm(AE=frame))
    assert found(result, "CF.KEY_DUP") == [("AE", 1, "S1-001", "AESEQ", "1"),
                                           ("AE", 2, "S1-001", "AESEQ", "1")]
    two = dm()
    two.loc[1, "USUBJID"] = "S1-001"
    assert found(run(sdtm(DM=two)), "CF.KEY_DUP") == [("DM", 1, "S1-001", "USUBJID", "S1-001"),
                                                      ("DM", 2, "S1-001", "USUBJID", "S1-001")]


def test_seq_must_be_a_positive_integer() -> None:
    frame = ex()
    frame["EXSEQ"] = [1.0, 2.5, 0.0]
    result = run(sdtm(EX=frame))
    assert found(result, "CF.SEQ_INT") == [("EX", 2, "S1-001", "EXSEQ", "2.5"),
                                           ("EX", 3, "S1-002", "EXSEQ", "0")]


def test_study_day_is_never_zero() -> None:
    frame = lb()
    frame.loc[3, "LBDY"] = 0.0
    result = run(sdtm(LB=frame))
    assert found(result, "CF.DY_ZERO") == [("LB", 4, "S1-002", "LBDY", "0")]
    bds = adam()["ADLB"]
    bds.loc[0, "ADY"] = 0.0
    assert found(run(adam(ADLB=bds)), "CF.DY_ZERO") == [("ADLB", 1, "S1-001", "ADY", "0")]


def test_stresn_agrees_with_stresc() -> None:
    frame = lb()
    frame.loc[0, "LBSTRESN"] = 21.0  # STRESC says 20
    frame.loc[1, "LBSTRESN"] = 5.0  # STRESC '<5' is not a number: STRESN must be null
    frame.loc[3, "LBSTRESN"] = np.nan  # STRESC '45' is a number: STRESN must say so
    result = run(sdtm(LB=frame))
    assert found(result, "CF.STRESN") == [("LB", 1, "S1-001", "LBSTRESN", "21"),
                                          ("LB", 2, "S1-001", "LBSTRESN", "5"),
                                          ("LB", 4, "S1-002", "LBSTRESN", "")]


def test_lazy_validation_collects_every_failure() -> None:
    frame = ae()
    frame.loc[0, "AESTDTC"] = "bad"
    frame.loc[1, "AESER"] = "X"
    frame.loc[2, "AEDECOD"] = ""
    result = run(sdtm(AE=frame))
    assert sorted(set(result.findings["rule"])) == ["CF.CT_NONEXT", "CF.ISO8601", "CF.REQ_NULL"]


def test_adam_schema_from_adamig() -> None:
    frame = adam()["ADSL"].drop(columns=["TRT01P", "AGE"])
    result = run(adam(ADSL=frame))
    # AGE is Req in ADSL; TRTxxP is Req as a family: at least one TRT01P, TRT02P, ...
    assert found(result, "CF.REQ_VAR") == [("ADSL", None, "", "AGE", ""),
                                           ("ADSL", None, "", "TRTxxP", "")]
    bds = adam()["ADLB"].drop(columns=["PARAM"])
    assert found(run(adam(ADLB=bds)), "CF.REQ_VAR") == [("ADLB", None, "", "PARAM", "")]


def test_adamig_placeholders() -> None:
    assert adam_variable("ADSL", "TRT01P").name == "TRTxxP"
    assert adam_variable("ADSL", "AGEGR1").name == "AGEGRy"
    assert adam_variable("BDS", "ANL01FL").name == "ANLzzFL"
    assert adam_variable("BDS", "ADT").name == "ADT"
    assert adam_variable("ADSL", "TRTP") is None
    assert [v.name for v in adam_variables("BDS") if v.core == "Req"] == [
        "PARAM", "PARAMCD", "STUDYID", "USUBJID"]


def test_every_rule_is_documented() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "validation.md").read_text()
    missing = [rid for rid in RULES if f"`{rid}`" not in text]
    assert missing == []


def test_iso8601_judges_ascii_and_other_text_alike() -> None:
    # ASCII values go to Arrow's RE2, the others to Python's re, whose \d takes any script's
    # digits (an Arabic-Indic year has the shape; it has no full date to refuse)
    values = ["2021-03-10", "\u0662\u0660\u0662\u0661", "2021-03-10\u00e9", "2021-02-30",
              "2021-03-10/2021-02-30", "x2021-03-10", "2021-03-10\n", None, "2021-03-10T09:05Z"]
    assert iso8601_ok(pd.Series(values, dtype="str")).tolist() == [
        True, True, False, False, False, False, False, False, True]


def test_key_duplicates_with_many_key_values() -> None:
    # six keys of 5,000 distinct values each: the mixed-radix number is re-factorized
    # before it would overflow
    n = 5000
    frame = pd.DataFrame({f"K{i}": [f"{(r * (i + 1)) % n:04d}" for r in range(n)]
                          for i in range(6)})
    frame = pd.concat([frame, frame.iloc[[17]]], ignore_index=True)
    memo = _Memo(Dataset("XX", frame))
    dup = memo.duplicated(frame, list(frame.columns))
    assert np.flatnonzero(dup.to_numpy()).tolist() == [17, n]
