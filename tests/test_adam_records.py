"""Steps adding records: derive_summary_records (visit averages with DTYPE),
derive_extreme_records (end-of-treatment records), derive_param_computed (MAP, BMI)."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from cdiscflow.adam.derivations import DerivationError
from cdiscflow.adam.engine import build_dataset
from cdiscflow.adam.records import (
    derive_extreme_records,
    derive_param_computed,
    derive_summary_records,
)
from cdiscflow.adam.spec import AdamSpecError, load_dataset

NA = math.nan

# two subjects, systolic and diastolic pressure, replicate readings at week 2
ADVS = pd.DataFrame({
    "USUBJID": ["A"] * 6 + ["B"] * 3,
    "PARAMCD": ["SYSBP", "SYSBP", "DIABP", "DIABP", "SYSBP", "DIABP", "SYSBP", "DIABP",
                "SYSBP"],
    "AVISITN": [2.0, 2.0, 2.0, 2.0, 4.0, 4.0, 2.0, 2.0, 4.0],
    "ADT": [10.0, 10.0, 10.0, 10.0, 24.0, 24.0, 11.0, 11.0, 25.0],
    "AVAL": [120.0, 131.0, 80.0, 83.0, 125.0, NA, 140.0, 90.0, 150.0],
})


def listed(values: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in values]


def test_summary_records_average_per_visit() -> None:
    out = derive_summary_records(ADVS, ADVS, ["USUBJID", "PARAMCD", "AVISITN"],
                                 {"AVAL": {"mean": "AVAL"}, "N": {"n": "AVAL"},
                                  "DTYPE": "AVERAGE", "AVALR": {"expr": "round(AVAL, 0)"}},
                                 filter_add="AVISITN = 2")
    new = out.iloc[len(ADVS):]
    assert new[["USUBJID", "PARAMCD"]].values.tolist() == [
        ["A", "DIABP"], ["A", "SYSBP"], ["B", "DIABP"], ["B", "SYSBP"]]
    assert new["AVAL"].tolist() == [81.5, 125.5, 90.0, 140.0]
    assert new["N"].tolist() == [2.0, 2.0, 1.0, 1.0]
    assert new["DTYPE"].tolist() == ["AVERAGE"] * 4
    assert new["AVALR"].tolist() == [82.0, 126.0, 90.0, 140.0]  # halves away from zero
    assert listed(out["DTYPE"].iloc[:len(ADVS)]) == [None] * len(ADVS)


def test_summary_of_missing_values_is_missing() -> None:
    out = derive_summary_records(pd.DataFrame(), ADVS, ["USUBJID", "PARAMCD", "AVISITN"],
                                 {"AVAL": {"sum": "AVAL"}, "SD": {"sd": "AVAL"}},
                                 filter_add="AVISITN = 4")
    assert listed(out["AVAL"]) == [None, 125.0, 150.0]
    assert listed(out["SD"]) == [None, None, None]


def test_extreme_records_copy_the_last_record_per_parameter() -> None:
    out = derive_extreme_records(ADVS, ADVS, ["USUBJID", "PARAMCD"], ["ADT", "-AVAL"], "last",
                                 {"AVISIT": "END OF TREATMENT", "AVISITN": 99,
                                  "DTYPE": "LOV"}, filter_add="AVAL is not missing")
    new = out.iloc[len(ADVS):]
    assert new[["USUBJID", "PARAMCD", "ADT", "AVAL"]].values.tolist() == [
        ["A", "DIABP", 10.0, 80.0],  # day 24 is missing; of day 10, the lower value is last
        ["A", "SYSBP", 24.0, 125.0],
        ["B", "DIABP", 11.0, 90.0],
        ["B", "SYSBP", 25.0, 150.0]]
    assert new["AVISITN"].tolist() == [99.0] * 4
    assert set(new["AVISIT"]) == {"END OF TREATMENT"}


def test_param_computed_mean_arterial_pressure() -> None:
    visits = ADVS.drop_duplicates(["USUBJID", "PARAMCD", "AVISITN"])  # one reading per visit
    out = derive_param_computed(
        visits, ["USUBJID", "AVISITN", "ADT"], ["SYSBP", "DIABP"],
        {"PARAMCD": "MAP", "AVAL": {"expr": "round((AVAL.SYSBP + 2 * AVAL.DIABP) / 3, 2)"}})
    new = out.iloc[len(visits):]
    # A week 2: (120 + 160) / 3; A week 4 has a missing DIABP and B week 4 none: no record
    assert new[["USUBJID", "AVISITN", "PARAMCD"]].values.tolist() == [
        ["A", 2.0, "MAP"], ["B", 2.0, "MAP"]]
    assert new["AVAL"].tolist() == [93.33, 106.67]
    kept = derive_param_computed(
        visits, ["USUBJID", "AVISITN"], ["SYSBP", "DIABP"],
        {"PARAMCD": "MAP", "AVAL": {"expr": "(AVAL.SYSBP + 2 * AVAL.DIABP) / 3"}},
        keep_nas=True).iloc[len(visits):]
    assert len(kept) == 3 and math.isnan(kept["AVAL"].iloc[1])


def test_param_computed_bmi_with_a_constant_height() -> None:
    vs = pd.DataFrame({"USUBJID": ["A", "A", "A", "B"],
                       "PARAMCD": ["HEIGHT", "WEIGHT", "WEIGHT", "WEIGHT"],
                       "AVISITN": [1.0, 1.0, 2.0, 1.0],
                       "AVAL": [180.0, 81.0, 79.0, 60.0]})
    out = derive_param_computed(
        vs, ["USUBJID", "AVISITN"], ["WEIGHT"],
        {"PARAMCD": "BMI", "AVAL": {"expr": "round(AVAL.WEIGHT / (AVAL.HEIGHT / 100) ** 2, 1)"}},
        constant_parameters=["HEIGHT"], constant_by_vars=["USUBJID"])
    new = out.iloc[len(vs):]
    # 81 / 1.8^2 = 25.0; 79 / 3.24 = 24.38...; B has no height: no BMI
    assert new[["USUBJID", "AVISITN", "AVAL"]].values.tolist() == [["A", 1.0, 25.0],
                                                                   ["A", 2.0, 24.4]]
    with pytest.raises(DerivationError, match="more than one WEIGHT record"):
        derive_param_computed(vs, ["USUBJID"], ["WEIGHT"],
                              {"PARAMCD": "X", "AVAL": {"expr": "AVAL.WEIGHT"}})


SPEC = textwrap.dedent("""\
    dataset: ADVS
    label: Vital Signs Analysis Dataset
    structure: BDS
    source: {dataset: VS}
    key: [USUBJID, PARAMCD, AVISITN, DTYPE]
    steps:
      - derive_param_computed:
          by_vars: [USUBJID, AVISITN]
          parameters: [SYSBP, DIABP]
          filter: "AVISITN = 4 or ADT = 11"
          set_values_to:
            PARAMCD: MAP
            AVAL: {expr: "round((AVAL.SYSBP + 2 * AVAL.DIABP) / 3, 1)"}
      - derive_summary_records:
          by_vars: [USUBJID, PARAMCD, AVISITN]
          filter_add: "USUBJID = 'A' and AVISITN = 2"
          set_values_to: {AVAL: {mean: AVAL}, DTYPE: AVERAGE}
      - derive_extreme_records:
          by_vars: [USUBJID, PARAMCD]
          order: [AVISITN]
          mode: last
          filter_add: "DTYPE is missing and USUBJID = 'B'"
          set_values_to: {AVISITN: 99, DTYPE: LOV}
    variables:
      USUBJID:
      PARAMCD:
      AVISITN:
      AVAL:
      DTYPE:
    """)


def test_in_a_spec(tmp_path: Path) -> None:
    path = tmp_path / "advs.yaml"
    path.write_text(SPEC, encoding="utf-8")
    vs = ADVS[~((ADVS["USUBJID"] == "A") & (ADVS["AVISITN"] == 2))]
    ds = build_dataset(load_dataset(path), {"VS": pd.concat([vs, ADVS.iloc[[0, 2]]])}, {})
    rows = [[None if isinstance(v, float) and math.isnan(v) else v for v in row]
            for row in ds.data[["USUBJID", "PARAMCD", "AVISITN", "AVAL", "DTYPE"]].values.tolist()]
    # sorted by the key: a missing DTYPE sorts after AVERAGE
    assert rows == [
        ["A", "DIABP", 2.0, 80.0, "AVERAGE"], ["A", "DIABP", 2.0, 80.0, ""],
        ["A", "DIABP", 4.0, None, ""],
        ["A", "SYSBP", 2.0, 120.0, "AVERAGE"], ["A", "SYSBP", 2.0, 120.0, ""],
        ["A", "SYSBP", 4.0, 125.0, ""],
        ["B", "DIABP", 2.0, 90.0, ""], ["B", "DIABP", 99.0, 90.0, "LOV"],
        ["B", "MAP", 2.0, 106.7, ""], ["B", "MAP", 99.0, 106.7, "LOV"],
        ["B", "SYSBP", 2.0, 140.0, ""], ["B", "SYSBP", 4.0, 150.0, ""],
        ["B", "SYSBP", 99.0, 150.0, "LOV"]]


def test_a_summary_that_is_none_fails_on_load(tmp_path: Path) -> None:
    path = tmp_path / "advs.yaml"
    path.write_text(SPEC.replace("{mean: AVAL}", "{average: AVAL}"), encoding="utf-8")
    with pytest.raises(AdamSpecError, match="'average' is not a summary"):
        load_dataset(path)
    path.write_text(SPEC.replace("AVAL.DIABP) / 3, 1)", "AVAL.DIABP) / 3, 1"),
                    encoding="utf-8")
    with pytest.raises(AdamSpecError, match=r"steps.0.derive_param_computed.set_values_to"):
        load_dataset(path)


def test_vars_computed_bmi_at_baseline_onto_adsl() -> None:
    from cdiscflow.adam.records import derive_vars_computed

    adsl = pd.DataFrame({"USUBJID": ["A", "B", "C"]})
    advs = pd.DataFrame({"USUBJID": ["A", "A", "A", "B"],
                         "PARAMCD": ["HEIGHT", "WEIGHT", "WEIGHT", "WEIGHT"],
                         "ABLFL": ["Y", "Y", None, "Y"],
                         "AVAL": [180.0, 81.0, 79.0, 60.0]})
    out = derive_vars_computed(
        adsl, advs, ["USUBJID"], ["WEIGHT", "HEIGHT"],
        {"BMIBL": "round(AVAL.WEIGHT / (AVAL.HEIGHT / 100) ** 2, 1)",
         "BMIBLGR1": "case when BMIBL >= 25 then '>=25' else '<25' end"},
        filter_add="ABLFL = 'Y'")
    # A: 81 / 1.8^2 = 25.0; B has no height and C no record: missing
    assert listed(out["BMIBL"]) == [25.0, None, None]
    assert listed(out["BMIBLGR1"]) == [">=25", None, None]
