"""Each SDTM construct words its own define.xml origin: a source kind's ``describe`` and a
step's ``origin`` (through ``column_origins``), read off the mini study's mapping files."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdiscflow.sdtm.provenance import ColumnOrigin, Provenance
from cdiscflow.sdtm.sources import SOURCES
from cdiscflow.sdtm.steps import STEPS, column_origins
from cdiscflow.specload import load_study
from tests.conftest import write_study


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory):
    return load_study(write_study(Path(tmp_path_factory.mktemp("describe")) / "mini"))


def described(study, domain: str, name: str) -> Provenance:
    ld = study.domain(domain)
    var = ld.spec.variables[name]
    return SOURCES[var.kind].describe(var, column_origins(study.spec.raw.forms, ld))


def test_every_source_kind_and_step_has_its_description() -> None:
    assert sorted(SOURCES) == ["constant", "ct", "date", "derive", "expr", "field", "lookup",
                               "map", "text"]
    assert all(callable(s.describe) for s in SOURCES.values())
    assert sorted(STEPS) == ["filter", "join", "stack"]


def test_a_field_read_from_the_form_is_collected(study) -> None:
    assert described(study, "DM", "SITEID") == Provenance(
        "Collected", "raw form demographics (demographics.csv), field SITEID.")


def test_a_field_joined_from_dm_is_its_predecessor(study) -> None:
    assert described(study, "EX", "USUBJID") == Provenance("Predecessor", "DM.USUBJID")


def test_a_stacked_field_names_each_test_s_raw_column(study) -> None:
    assert described(study, "LB", "LBORRES") == Provenance(
        "Collected", "raw form labs (labs.csv), one record per test from fields PLT, HGB.")
    origins = column_origins(study.spec.raw.forms, study.domain("LB"))
    assert origins("TEST") == ColumnOrigin(  # the stack's key: made, not read
        "raw form labs (labs.csv), the name of the group of fields each record was stacked "
        "from (PLT, HGB)")
    assert origins("USUBJID") == ColumnOrigin("DM.USUBJID", domain="DM")


def test_ct_date_constant_and_lookup(study) -> None:
    assert described(study, "DM", "SEX") == Provenance(
        "Collected", "raw form demographics (demographics.csv), field SEX, coded to CT "
                     "codelist SEX (C66731).")
    assert described(study, "EX", "EXSTDTC") == Provenance(
        "Collected", "raw form exposure (exposure.csv), field EXSTDAT with EXSTTIM, converted "
                     "from YYYY-MM-DD to ISO 8601 (EXSTDAT and EXSTTIM).")
    assert described(study, "DM", "ARMCD") == Provenance("Assigned", "Assigned the value A.")
    assert described(study, "LB", "LBTESTCD") == Provenance(
        "Assigned", "Looked up in the study's table tests (LBTESTCD where TEST = TEST).")


def test_a_derivation_words_its_rule_with_the_mapping_s_parameters(study) -> None:
    assert described(study, "EX", "EXSEQ") == Provenance(
        "Derived", "Sequence number 1, 2, ... within each USUBJID, records ordered by EXSTDTC.")
    assert described(study, "DM", "RFSTDTC") == Provenance(
        "Derived", "The earliest complete date of the subject's EX.EXSTDTC.")
