"""Working datasets: built for the datasets after them, never written or validated."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pandas as pd

from cdiscflow.adam.engine import build_adam, write_adam
from cdiscflow.adam.spec import load_adam

ADEXW = textwrap.dedent("""\
    dataset: ADEXW
    label: Doses (working)
    structure: BDS
    working: true
    source: {dataset: EX, where: "EXDOSE > 0"}
    key: [USUBJID, ASTDT]
    steps:
      - derive_vars_assign:
          values: {ASTDT: {expr: "sas_date(EXSTDTC)"}, DOSEMG: {expr: "EXDOSE * 1000"}}
    variables:
      USUBJID:
      ASTDT:
      DOSEMG:
    """)

ADSL = textwrap.dedent("""\
    dataset: ADSL
    label: Subject-Level Analysis Dataset
    structure: ADSL
    source: {dataset: DM}
    key: [USUBJID]
    steps:
      - derive_vars_merged:
          dataset_add: ADEXW
          new_vars: {TRTSDT: ASTDT, FDOSEMG: DOSEMG}
          order: [ASTDT]
          mode: first
    variables:
      STUDYID:
      USUBJID:
      TRTSDT:
      FDOSEMG: {label: First Dose (mg)}
    """)

SDTM = {
    "DM": pd.DataFrame({"STUDYID": ["S", "S"], "USUBJID": ["S-1", "S-2"]}),
    "EX": pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-2"], "EXDOSE": [0.5, 1.0, 0.0],
                        "EXSTDTC": ["2021-03-02", "2021-03-01", "2021-03-01"]}),
}


def test_a_working_dataset_feeds_later_ones_and_is_not_written(tmp_path: Path) -> None:
    folder = tmp_path / "study" / "adam"
    folder.mkdir(parents=True)
    (folder / "adam.yaml").write_text("datasets: [adexw, adsl]\n", encoding="utf-8")
    (folder / "adexw.yaml").write_text(ADEXW, encoding="utf-8")
    (folder / "adsl.yaml").write_text(ADSL, encoding="utf-8")
    adam = load_adam(tmp_path / "study")
    assert adam is not None
    built = build_adam(adam, SDTM)
    assert list(built) == ["ADSL"]
    # S-1's first dose is 1 March (1.0 g); S-2's only dose is 0: filtered out, no first dose
    assert built["ADSL"].data["TRTSDT"].tolist()[0] == 22340.0
    assert built["ADSL"].data["FDOSEMG"].tolist()[0] == 1000.0
    assert pd.isna(built["ADSL"].data["FDOSEMG"].tolist()[1])
    written = write_adam(built, tmp_path / "out", dt.datetime(2024, 1, 1))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["adsl.xpt"]
    assert list(written) == ["ADSL"]


def test_a_working_dataset_needs_no_labels_when_the_spec_is_checked(tmp_path: Path) -> None:
    import pytest

    from cdiscflow.adam.engine import check_spec
    from cdiscflow.adam.spec import AdamSpecError

    folder = tmp_path / "study" / "adam"
    folder.mkdir(parents=True)
    (folder / "adam.yaml").write_text("datasets: [adexw, adsl]\n", encoding="utf-8")
    (folder / "adsl.yaml").write_text(ADSL, encoding="utf-8")
    (folder / "adexw.yaml").write_text(ADEXW, encoding="utf-8")
    adam = load_adam(tmp_path / "study")
    assert adam is not None
    check_spec(adam)  # DOSEMG, a working variable, has no label: accepted
    # the same dataset written (not working) must label DOSEMG
    (folder / "adexw.yaml").write_text(ADEXW.replace("working: true\n", ""), encoding="utf-8")
    adam = load_adam(tmp_path / "study")
    assert adam is not None
    with pytest.raises(AdamSpecError, match="variable DOSEMG"):
        check_spec(adam)
