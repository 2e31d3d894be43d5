"""Labels users need not type: the ADaM OCCDS v1.1 variables, SDTMIG DM variables copied into
ADSL and the "(N)" convention, each filling only what ADaMIG 1.3 and the source domain leave
undefined (cdiscflow/adam/metadata.py, cdiscflow/standards/data/adam-occds-1.1)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cdiscflow.adam.metadata import occds_label, standard_label

DATA = Path(__file__).resolve().parent.parent / "cdiscflow" / "standards" / "data"


@pytest.mark.parametrize(("structure", "name", "domain", "expected"), [
    ("OCCDS", "TRTEMFL", "AE", ("Treatment Emergent Analysis Flag", "Char")),
    ("OCCDS", "AOCCFL", "AE", ("1st Occurrence within Subject Flag", "Char")),
    ("OCCDS", "AOCCSFL", "AE", ("1st Occurrence of SOC Flag", "Char")),
    ("OCCDS", "AOCCPFL", "AE", ("1st Occurrence of Preferred Term Flag", "Char")),
    ("OCCDS", "ADURN", "AE", ("Analysis Duration (N)", "Num")),
    ("OCCDS", "ADURU", "AE", ("Analysis Duration Units", "Char")),
    ("OCCDS", "DOSEON", "AE", ("Treatment Dose at Record Start", "Num")),
    # numbered customized queries and occurrence flags (the zz of OCCDS's names)
    ("OCCDS", "CQ01NAM", "AE", ("Customized Query 01 Name", "Char")),
    ("OCCDS", "AOCC02FL", "AE", ("1st Occurrence 02 Flag", "Char")),
    # the SDTMIG AE table comes before OCCDS for what it defines
    ("OCCDS", "AESEV", "AE", ("Severity/Intensity", "Char")),
    ("OCCDS", "AESEVN", "AE", ("Severity/Intensity (N)", "Num")),
    ("ADSL", "RACEN", None, ("Race (N)", "Num")),
    ("ADSL", "SEXN", None, ("Sex (N)", "Num")),
    ("ADSL", "DTHFL", None, ("Subject Death Flag", "Char")),
    ("ADSL", "ETHNIC", None, ("Ethnicity", "Char")),
    ("ADSL", "RFSTDTC", None, ("Subject Reference Start Date/Time", "Char")),
    ("BDS", "TRTEMFL", None, ("Treatment Emergent Analysis Flag", "Char")),
    # ADaMIG's own definitions are unchanged
    ("ADSL", "AGEGR1N", None, ("Pooled Age Group 1 (N)", "Num")),
    ("ADSL", "TRT01PN", None, ("Planned Treatment for Period 01 (N)", "Num")),
])
def test_labels_from_the_standards(structure: str, name: str, domain: str | None,
                                   expected: tuple[str, str]) -> None:
    assert standard_label(structure, name, domain) == expected


@pytest.mark.parametrize("name", ["TRTSTDT", "EFFFL", "RACEEN", "AGEN", "TRTSDTN", "COHORTN"])
def test_what_no_standard_defines_has_no_label(name: str) -> None:
    # a misspelling, a sponsor flag, "(N)" of an undefined or numeric variable (AGE, TRTSDT)
    assert standard_label("ADSL", name, None) is None


def test_the_occds_file_is_names_labels_and_types() -> None:
    with open(DATA / "adam-occds-1.1" / "Variables.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 50
    assert all(set(r) == {"Variable Name", "Variable Label", "Type"} for r in rows)
    assert all(len(r["Variable Label"]) <= 40 and r["Type"] in ("Char", "Num") for r in rows)
    assert len({r["Variable Name"] for r in rows}) == 50
    assert occds_label("ATOXGRN") == ("Analysis Toxicity Grade (N)", "Num")
    assert "adam-occds-1.1/Variables.csv" in (DATA / "README.md").read_text(encoding="utf-8")
