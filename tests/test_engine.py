"""The mapping engine on a small study: values, defects, reconciliation, lineage."""

from __future__ import annotations

import pandas as pd
import pytest

from cdiscflow.sdtm.engine import Engine
from cdiscflow.specload import load_study


@pytest.fixture
def built(mini_study):
    engine = Engine(load_study(mini_study))
    results = engine.run()
    return engine, results


def col(frame: pd.DataFrame, name: str) -> list:
    return [None if pd.isna(v) else v for v in frame[name]]


def test_dm_reference_dates_come_from_exposure(built):
    _, results = built
    dm = results["DM"].data
    assert col(dm, "USUBJID") == ["MINI1-01-001", "MINI1-01-002"]
    assert col(dm, "RFSTDTC") == ["2021-03-10T09:00", "2021-03-12T10:00"]
    assert col(dm, "SEX") == ["F", "M"]
    assert col(dm, "AGE") == [40.0, 31.0]
    # IG order, not mapping order
    assert list(dm.columns) == ["STUDYID", "DOMAIN", "USUBJID", "SUBJID", "RFSTDTC", "RFXSTDTC",
                                "RFICDTC", "SITEID", "BRTHDTC", "AGE", "SEX", "ARMCD", "ARM",
                                "COUNTRY"]


def test_lab_form_is_stacked_converted_and_flagged(built):
    _, results = built
    lb = results["LB"].data
    assert len(lb) == 5  # 3 kept samples x 2 tests, less the blank HGB of 001 week 1
    assert col(lb, "LBTESTCD") == ["PLAT", "HGB", "PLAT", "PLAT", "HGB"]
    assert col(lb, "LBTEST") == ["Platelets", "Hemoglobin", "Platelets", "Platelets",
                                 "Hemoglobin"]
    assert col(lb, "LBORRESU") == ["10^9/L", "g/dL", "10^9/L", "10^9/L", "g/L"]
    assert col(lb, "LBSTRESN") == [20.0, 125.0, None, 45.0, 130.0]
    # 08:00 samples precede the 09:00 first infusion; 001's week-1 sample is after it
    assert col(lb, "LBLOBXFL") == ["Y", "Y", None, "Y", "Y"]
    assert col(lb, "LBDY") == [1, 1, 8, 1, 1]
    assert col(lb, "LBSEQ") == [1, 2, 3, 1, 2]


def test_reconciliation_accounts_for_every_raw_record(built):
    _, results = built
    lb = results["LB"].recon
    assert (lb.raw_records, lb.raw_records_landed, lb.empty) == (5, 3, 1)
    assert lb.rejected == {"no match in DM on SUBJID": 1}
    assert lb.cells_not_done == 3
    assert lb.balanced
    ae = results["AE"].recon
    assert ae.filtered == {"KEEP = 'Y'": 1}
    assert (ae.raw_records, ae.records_out) == (4, 3)
    assert ae.balanced


def test_defects_name_file_row_column_and_value(built):
    engine, _ = built
    found = {(d.severity, d.file, d.row, d.column, d.value) for d in engine.defects.defects}
    assert ("error", "labs.csv", 5, "SUBJID", "009") in found  # subject not in DM
    assert ("error", "adverse_events.csv", 3, "AESER", "Maybe") in found  # not in NY codelist
    assert ("error", "adverse_events.csv", 4, "AESTDAT", "31-FEB-2021") in found
    messages = {d.value: d.message for d in engine.defects.defects}
    assert "not a calendar date" in messages["31-FEB-2021"]
    assert "codelist NY" in messages["Maybe"]


def test_partial_dates_are_kept_and_get_no_study_day(built):
    _, results = built
    ae = results["AE"].data
    assert col(ae, "AESTDTC") == ["2021-03", "2021-03-12", None]
    assert col(ae, "AESTDY") == [None, 3, None]


def test_lineage_traces_each_record_to_its_raw_line(built):
    _, results = built
    lin = results["LB"].lineage
    assert col(lin, "SOURCE_ROW") == [2, 2, 3, 4, 4]
    assert col(lin, "SOURCE_FIELD") == ["PLT", "HGB", "PLT", "PLT", "HGB"]
    assert set(lin["SOURCE_FILE"]) == {"labs.csv"}


def test_supp_records_point_at_their_parent(mini_study):
    dm = (mini_study / "ae.yaml").read_text().replace(
        "  AESTDY:", "  AEKEEP: {field: KEEP, supp: {qlabel: Keep Flag}}\n  AESTDY:")
    (mini_study / "ae.yaml").write_text(dm + "supp_idvar: AESEQ\n")
    results = Engine(load_study(mini_study)).run()
    supp = results["AE"].supp
    assert col(supp, "IDVAR") == ["AESEQ"] * 3
    assert col(supp, "IDVARVAL") == ["1", "2", "1"]
    assert col(supp, "QNAM") == ["AEKEEP"] * 3
    assert col(supp, "RDOMAIN") == ["AE"] * 3
