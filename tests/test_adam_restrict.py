"""``restrict_derivation``: a step applied only to the records meeting a condition."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from cdiscflow.adam.derivations import derive_var_obs_number
from cdiscflow.adam.engine import build_dataset
from cdiscflow.adam.restrict import restrict_derivation
from cdiscflow.adam.spec import AdamSpecError, load_dataset

ADVS = pd.DataFrame({
    "USUBJID": ["A", "A", "A", "B"],
    "ADY": [-3.0, 1.0, 8.0, 2.0],
    "AVAL": [120.0, 125.0, 118.0, 90.0],
})


def test_only_the_chosen_records_are_derived_and_keep_their_places() -> None:
    out = restrict_derivation(ADVS, lambda df: derive_var_obs_number(df, ["USUBJID"], ["ADY"],
                                                                     "PSTSEQ"), "ADY > 0")
    assert out["ADY"].tolist() == [-3.0, 1.0, 8.0, 2.0]
    seq = out["PSTSEQ"].tolist()
    assert math.isnan(seq[0]) and seq[1:] == [1.0, 2.0, 1.0]


def test_nothing_chosen_adds_the_variable_missing() -> None:
    out = restrict_derivation(ADVS, lambda df: df.assign(X=1.0), "ADY > 100")
    assert out["X"].isna().all() and out["AVAL"].tolist() == ADVS["AVAL"].tolist()


SPEC = textwrap.dedent("""\
    dataset: ADVS
    label: Vital Signs Analysis Dataset
    structure: BDS
    source: {dataset: VS}
    key: [USUBJID, ADY]
    steps:
      - restrict_derivation:
          filter: "ADY > 0"
          derivation:
            derive_vars_assign:
              values:
                AVALCAT1: {expr: "case when AVAL >= 120 then 'HIGH' else 'NORMAL' end"}
    variables:
      USUBJID:
      ADY:
      AVAL:
      AVALCAT1:
    """)


def test_in_a_spec(tmp_path: Path) -> None:
    path = tmp_path / "advs.yaml"
    path.write_text(SPEC, encoding="utf-8")
    ds = build_dataset(load_dataset(path), {"VS": ADVS}, {})
    assert ds.data["AVALCAT1"].tolist() == ["", "HIGH", "NORMAL", "NORMAL"]


def test_a_bad_inner_step_fails_on_load(tmp_path: Path) -> None:
    path = tmp_path / "advs.yaml"
    path.write_text(SPEC.replace("derive_vars_assign:", "derive_vars_asign:"), encoding="utf-8")
    with pytest.raises(AdamSpecError, match="unknown derivation 'derive_vars_asign'"):
        load_dataset(path)
    path.write_text(SPEC.replace("values:", "valuez:"), encoding="utf-8")
    with pytest.raises(AdamSpecError, match="derive_vars_assign.valuez: unknown key"):
        load_dataset(path)


def test_records_added_go_after_every_record() -> None:
    from cdiscflow.adam.records import derive_extreme_records

    out = restrict_derivation(
        ADVS, lambda df: derive_extreme_records(df, df, ["USUBJID"], ["ADY"], "last",
                                                {"DTYPE": "LOV"}), "ADY > 0")
    assert out["ADY"].tolist() == [-3.0, 1.0, 8.0, 2.0, 8.0, 2.0]
    assert [None if pd.isna(v) else v for v in out["DTYPE"]] == [None] * 4 + ["LOV", "LOV"]
