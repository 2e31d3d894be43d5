"""Values through the expression language in ADaM steps (``derive_vars_assign`` with
``{expr: ...}``): rounding, arithmetic, coalesce, case; errors on load and at the step name
the file, dataset, step and position."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from cdiscflow.adam.derivations import DerivationError, derive_vars_assign
from cdiscflow.adam.engine import build_dataset
from cdiscflow.adam.spec import AdamSpecError, load_dataset
from cdiscflow.adam.values import compute, set_values

FRAME = pd.DataFrame({
    "USUBJID": ["S-1", "S-2", "S-3"],
    "WEIGHTBL": [70.0, 82.5, math.nan],
    "HEIGHTBL": [175.0, 160.0, 180.0],
    "AGE": [64.0, 17.0, 45.0],
    "RACE": ["WHITE", None, ""],
    "ETHNIC": ["NOT HISPANIC", "HISPANIC", "UNKNOWN"],
})


def test_rounding_and_arithmetic_halves_away_from_zero() -> None:
    bmi = compute(FRAME, "round(WEIGHTBL / (HEIGHTBL / 100) ** 2, 1)")
    # 70 / 1.75^2 = 22.857..., 82.5 / 1.6^2 = 32.2265625; missing weight stays missing
    assert bmi.tolist()[:2] == [22.9, 32.2]
    assert math.isnan(bmi.iloc[2])
    assert compute(FRAME, "round(AGE / 10 + 0.05, 1)").tolist() == [6.5, 1.8, 4.6]


def test_coalesce_and_case_give_text() -> None:
    assert compute(FRAME, "coalesce(RACE, ETHNIC)").tolist() == ["WHITE", "HISPANIC",
                                                                 "UNKNOWN"]
    groups = compute(FRAME, "case when AGE < 18 then '<18' when AGE < 65 then '18-64' "
                            "else '>=65' end")
    assert groups.tolist() == ["18-64", "<18", "18-64"]
    # no else: missing where no branch holds
    assert compute(FRAME, "case when AGE >= 65 then 'Y' end").tolist() == [None, None, None]


def test_assign_in_order_an_expression_sees_earlier_values() -> None:
    out = derive_vars_assign(FRAME, {
        "BMIBL": ("expr", "round(WEIGHTBL / (HEIGHTBL / 100) ** 2, 2)", None),
        "BMIBLGR1": ("expr", "case when BMIBL >= 25 then '>=25' when BMIBL is not missing "
                             "then '<25' end", None),
        "AGEC": ("expr", "AGE", "Char"),
    })
    assert out["BMIBL"].tolist()[:2] == [22.86, 32.23]
    assert out["BMIBLGR1"].tolist() == ["<25", ">=25", None]
    assert out["AGEC"].tolist() == ["64", "17", "45"]


def test_unknown_column_at_the_step_names_position() -> None:
    with pytest.raises(DerivationError,
                       match=r"'WEIGHT' is not a column here \(did you mean WEIGHTBL\?\) "
                             r"at position 7"):
        compute(FRAME, "round(WEIGHT, 1)")
    with pytest.raises(DerivationError, match="'\\+' takes number, got text"):
        compute(FRAME, "RACE + 1")


def test_set_values_constants_and_expressions() -> None:
    out = set_values(FRAME, {"PARAMCD": "BMI", "PARAMN": 3, "AVAL": {"expr": "AGE * 2"}})
    assert out["PARAMCD"].tolist() == ["BMI"] * 3
    assert out["PARAMN"].tolist() == [3.0] * 3
    assert out["AVAL"].tolist() == [128.0, 34.0, 90.0]


ADSL = textwrap.dedent("""\
    dataset: ADSL
    label: Subject-Level Analysis Dataset
    structure: ADSL
    source: {dataset: DM}
    key: [USUBJID]
    steps:
      - derive_vars_assign:
          values:
            AGEGR1: {expr: "case when AGE < 65 then '<65' else '>=65' end"}
            HEIGHTBL: {expr: "round(to_number(HEIGHT) * 2.54, 1)"}
    variables:
      STUDYID:
      USUBJID:
      AGE:
      AGEGR1:
      HEIGHTBL: {label: Baseline Height (cm)}
    """)

DM = pd.DataFrame({"STUDYID": ["S", "S"], "USUBJID": ["S-1", "S-2"], "AGE": [70.0, 40.0],
                   "HEIGHT": ["65", "70.5"]})


def test_an_adsl_with_expressions_builds(tmp_path: Path) -> None:
    path = tmp_path / "adsl.yaml"
    path.write_text(ADSL, encoding="utf-8")
    ds = build_dataset(load_dataset(path), {"DM": DM}, {})
    assert ds.data["AGEGR1"].tolist() == [">=65", "<65"]
    # 65 * 2.54 = 165.1; 70.5 * 2.54 = 179.07 -> 179.1
    assert ds.data["HEIGHTBL"].tolist() == [165.1, 179.1]


def test_a_bad_function_fails_on_load_naming_step_and_position(tmp_path: Path) -> None:
    path = tmp_path / "adsl.yaml"
    path.write_text(ADSL.replace("round(to_number", "rnd(to_number"), encoding="utf-8")
    with pytest.raises(AdamSpecError) as info:
        load_dataset(path)
    message = str(info.value)
    assert f"{path}:10," in message and "dataset ADSL" in message
    assert "steps.0.derive_vars_assign.values.HEIGHTBL.expr" in message
    assert "unknown function 'rnd' (did you mean round?) at position 1" in message


def test_a_condition_is_not_a_value(tmp_path: Path) -> None:
    path = tmp_path / "adsl.yaml"
    path.write_text(ADSL.replace("\"case when AGE < 65 then '<65' else '>=65' end\"",
                                 "\"AGE < 65\""), encoding="utf-8")
    with pytest.raises(AdamSpecError, match="is a condition, not a value"):
        load_dataset(path)


def test_a_misspelled_column_fails_at_its_step(tmp_path: Path) -> None:
    path = tmp_path / "adsl.yaml"
    path.write_text(ADSL.replace("to_number(HEIGHT)", "to_number(HIEGHT)"), encoding="utf-8")
    loaded = load_dataset(path)
    with pytest.raises(AdamSpecError) as info:
        build_dataset(loaded, {"DM": DM}, {})
    message = str(info.value)
    assert f"{path}:7," in message and "dataset ADSL" in message
    assert "steps.0 (derive_vars_assign): expr: 'HIEGHT' is not a column here " \
           "(did you mean HEIGHT?) at position 17" in message


def test_exactly_one_source_per_value(tmp_path: Path) -> None:
    path = tmp_path / "adsl.yaml"
    path.write_text(ADSL.replace('AGEGR1: {expr:', 'AGEGR1: {var: AGE, expr:'),
                    encoding="utf-8")
    with pytest.raises(AdamSpecError, match="exactly one of var, constant or expr"):
        load_dataset(path)


def test_overwrite_replaces_a_variable_in_place() -> None:
    with pytest.raises(DerivationError, match="already exist"):
        derive_vars_assign(FRAME, {"AGE": ("expr", "AGE / 12", None)})
    out = derive_vars_assign(FRAME, {"AGE": ("expr", "round(AGE / 12, 2)", None)},
                             overwrite=True)
    assert out["AGE"].tolist() == [5.33, 1.42, 3.75]
    assert list(out.columns) == list(FRAME.columns)  # in its place
