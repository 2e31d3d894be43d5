"""derive_vars_extreme_event: the last date known alive (LSTALVDT) over several sources."""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from cdiscflow.adam.derivations import DerivationError
from cdiscflow.adam.engine import build_dataset
from cdiscflow.adam.extreme_event import Event, derive_vars_extreme_event
from cdiscflow.adam.spec import load_dataset


def day(iso: str) -> float:
    return float((dt.date.fromisoformat(iso) - dt.date(1960, 1, 1)).days)


DM = pd.DataFrame({"STUDYID": ["S"] * 3, "USUBJID": ["A", "B", "C"]})
AE = pd.DataFrame({"STUDYID": ["S"] * 3, "USUBJID": ["A", "A", "B"],
                   "AESTDTC": ["2021-03-01", "2021-05", "2021-04-10"]})
LB = pd.DataFrame({"STUDYID": ["S"] * 3, "USUBJID": ["A", "B", "B"],
                   "LBDTC": ["2021-04-01T09:00", "2021-04-10", "2021-02-01"]})

EVENTS = [
    Event(AE[AE["AESTDTC"].str.len() >= 10],
          {"LSTALVDT": {"expr": "sas_date(AESTDTC)"}, "LALVDOM": "AE"}),
    Event(LB, {"LSTALVDT": {"expr": "sas_date(LBDTC)"}, "LALVDOM": "LB"}),
]


def test_last_date_known_alive_over_two_sources() -> None:
    out = derive_vars_extreme_event(DM, ["STUDYID", "USUBJID"], EVENTS, ["LSTALVDT"], "last",
                                    {"LSTALVDT": "LSTALVDT", "LALVDOM": "LALVDOM"})
    # A: the lab on 1 April beats the AE of 1 March (the partial May date is left out);
    # B: AE and lab tie on 10 April: ties keep the events' order, so the last listed (LB)
    assert out["LSTALVDT"].tolist()[:2] == [day("2021-04-01"), day("2021-04-10")]
    assert out["LALVDOM"].tolist()[:2] == ["LB", "LB"]
    assert math.isnan(out["LSTALVDT"].iloc[2])  # C has no event


def test_event_number_breaks_ties_and_first_mode() -> None:
    out = derive_vars_extreme_event(DM, ["STUDYID", "USUBJID"], EVENTS,
                                    ["LSTALVDT", "-EVENTNR"], "last", {"LALVDOM": "LALVDOM"},
                                    tmp_event_nr_var="EVENTNR")
    assert out["LALVDOM"].tolist()[:2] == ["LB", "AE"]  # B: the tie goes to event 1 (AE)
    first = derive_vars_extreme_event(DM, ["STUDYID", "USUBJID"], EVENTS, ["LSTALVDT"],
                                      "first", {"FIRSTDT": "LSTALVDT"})
    assert first["FIRSTDT"].tolist()[:2] == [day("2021-03-01"), day("2021-02-01")]


def test_an_event_without_the_variable_is_named() -> None:
    with pytest.raises(DerivationError, match="event 2 has no 'LALVDOM'"):
        derive_vars_extreme_event(DM, ["USUBJID"], [EVENTS[0], Event(LB, {"LSTALVDT": 1})],
                                  ["LSTALVDT"], "last", {"LALVDOM": "LALVDOM"})


SPEC = textwrap.dedent("""\
    dataset: ADSL
    label: Subject-Level Analysis Dataset
    structure: ADSL
    source: {dataset: DM}
    key: [USUBJID]
    steps:
      - derive_vars_extreme_event:
          events:
            - dataset_name: AE
              condition: "sas_date(AESTDTC) is not missing"
              set_values_to: {LSTALVDT: {expr: "sas_date(AESTDTC)"}, LALVDOM: AE}
            - dataset_name: LB
              condition: "sas_date(LBDTC) is not missing"
              set_values_to: {LSTALVDT: {expr: "sas_date(LBDTC)"}, LALVDOM: LB}
          order: [LSTALVDT, -EVENTNR]
          tmp_event_nr_var: EVENTNR
          mode: last
          new_vars: [LSTALVDT, LALVDOM]
    variables:
      STUDYID:
      USUBJID:
      LSTALVDT:
      LALVDOM: {label: Domain of Last Known Alive Date}
    """)


def test_in_a_spec(tmp_path: Path) -> None:
    path = tmp_path / "adsl.yaml"
    path.write_text(SPEC, encoding="utf-8")
    ds = build_dataset(load_dataset(path), {"DM": DM, "AE": AE, "LB": LB}, {})
    assert ds.data["LSTALVDT"].tolist()[:2] == [day("2021-04-01"), day("2021-04-10")]
    assert ds.data["LALVDOM"].tolist() == ["LB", "AE", ""]
