"""derive_vars_joined: the last dose before an adverse event (LDOSEDT, DOSEON)."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from cdiscflow.adam.derivations import DerivationError
from cdiscflow.adam.engine import build_dataset
from cdiscflow.adam.joined import derive_vars_joined
from cdiscflow.adam.spec import AdamSpecError, load_dataset

ADAE = pd.DataFrame({
    "USUBJID": ["A", "A", "A", "B"],
    "AESEQ": [1.0, 2.0, 3.0, 1.0],
    "ASTDT": [105.0, 100.0, 99.0, 200.0],
})
EX = pd.DataFrame({
    "USUBJID": ["A", "A", "A", "B"],
    "ASTDT": [100.0, 104.0, 110.0, 201.0],  # the same name as ADAE's: EX's is ASTDT.join
    "EXDOSE": [10.0, 0.0, 20.0, 5.0],
    "EXTRT": ["DRUG", "DRUG", "DRUG", "DRUG"],
})


def test_last_dose_on_or_before_the_event() -> None:
    out = derive_vars_joined(ADAE, EX, ["USUBJID"], {"LDOSEDT": "ASTDT", "DOSEON": "EXDOSE"},
                             filter_join="`ASTDT.join` <= ASTDT", filter_add="EXDOSE > 0",
                             order=["ASTDT"], mode="last", exist_flag="DOSEFL")
    # AE 1 (day 105): doses of day 100 (10) and 104 (0, filtered out) before it: day 100
    # AE 2 (day 100): the dose that same day; AE 3 (day 99) and B's AE precede every dose
    assert out["LDOSEDT"].tolist()[:2] == [100.0, 100.0]
    assert all(math.isnan(v) for v in out["LDOSEDT"].tolist()[2:])
    assert out["DOSEON"].tolist()[:2] == [10.0, 10.0]
    assert out["DOSEFL"].tolist() == ["Y", "Y", None, None]
    assert out["ASTDT"].tolist() == ADAE["ASTDT"].tolist()  # the dataset's own value kept


def test_first_dose_after_and_descending_order() -> None:
    out = derive_vars_joined(ADAE, EX, ["USUBJID"], {"NEXTDT": "ASTDT"},
                             filter_join="ASTDT.join > ASTDT", order=["-ASTDT"], mode="last")
    assert out["NEXTDT"].tolist() == [110.0, 104.0, 100.0, 201.0]


def test_text_values_and_several_pairs_without_mode() -> None:
    out = derive_vars_joined(ADAE, EX, ["USUBJID"], {"LTRT": "EXTRT"},
                             filter_join="`ASTDT.join` <= ASTDT", order=["ASTDT"], mode="last",
                             exist_flag="DOSEFL", false_value="N")
    assert out["LTRT"].tolist() == ["DRUG", "DRUG", None, None]
    assert out["DOSEFL"].tolist() == ["Y", "Y", "N", "N"]
    with pytest.raises(DerivationError, match="record 1 pairs with more than one record"):
        derive_vars_joined(ADAE, EX, ["USUBJID"], {"LTRT": "EXTRT"},
                           filter_join="`ASTDT.join` <= ASTDT")


SPEC = textwrap.dedent("""\
    dataset: ADAE
    label: Adverse Events Analysis Dataset
    structure: OCCDS
    source: {dataset: AE}
    key: [USUBJID, AESEQ]
    steps:
      - derive_vars_joined:
          dataset_add: EX
          new_vars: {LDOSEDT: ASTDT, DOSEON: EXDOSE}
          filter_add: "EXDOSE > 0"
          filter_join: "`ASTDT.join` <= ASTDT"
          order: [ASTDT]
          mode: last
    variables:
      USUBJID:
      AESEQ:
      ASTDT:
      LDOSEDT: {label: Date of Last Dose before AE}
      DOSEON: {label: Dose at AE Onset}
    """)


def test_in_a_spec(tmp_path: Path) -> None:
    path = tmp_path / "adae.yaml"
    path.write_text(SPEC, encoding="utf-8")
    ds = build_dataset(load_dataset(path), {"AE": ADAE, "EX": EX}, {})
    assert ds.data["LDOSEDT"].tolist()[:2] == [100.0, 100.0]  # AESEQ 1 and 2 of A
    assert ds.data["DOSEON"].tolist()[:2] == [10.0, 10.0]
    path.write_text(SPEC.replace("      mode: last\n", ""), encoding="utf-8")
    with pytest.raises(AdamSpecError, match="order needs mode"):
        load_dataset(path)
