"""Lookup and map tables read from CSV files beside the mapping files (`tables: {name: {file:
...}}`), as a study keeps its own terminology and schedules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cdiscflow.errors import SpecError
from cdiscflow.sdtm.engine import Engine
from cdiscflow.specload import load_study
from tests.conftest import write_study
from tests.test_expr_sdtm import CM, DM, RAW, STUDY

SITES = "SEX,COUNTRY\nF,CHN\nM,\n"


def _study(tmp_path: Path, table: str = "{file: tables/countries.csv}",
           csv: str = SITES) -> Path:
    dm = DM.replace("      COUNTRY: {constant: CHN}",
                    "      COUNTRY: {lookup: {table: countries, match: {SEX: SEX}, "
                    "value: COUNTRY, missing: blank}}")
    study_file = STUDY.rstrip(" ") + f"    tables:\n      countries: {table}\n"
    study = write_study(tmp_path / "s", study_file, {"dm.yaml": dm, "cm.yaml": CM}, RAW)
    (study / "tables").mkdir()
    (study / "tables" / "countries.csv").write_text(csv)
    return study


def test_a_table_read_from_a_csv_file(tmp_path):
    study = load_study(_study(tmp_path))
    assert study.spec.tables["countries"] == [{"SEX": "F", "COUNTRY": "CHN"},
                                              {"SEX": "M", "COUNTRY": None}]
    dm = Engine(study).run()["DM"].data
    assert [None if pd.isna(v) else v for v in dm["COUNTRY"]] == ["CHN", None, None]


def test_a_table_file_outside_the_study_folder_is_a_spec_error(tmp_path):
    (tmp_path / "secret.csv").write_text("A\n1\n")
    with pytest.raises(SpecError) as err:
        load_study(_study(tmp_path, "{file: ../secret.csv}"))
    assert (err.value.line, err.value.message) == (
        9, "tables.countries: file '../secret.csv' must be inside the study folder")


def test_a_ragged_table_file_names_its_line(tmp_path):
    with pytest.raises(SpecError) as err:
        load_study(_study(tmp_path, csv="SEX,COUNTRY\nF,CHN,extra\n"))
    assert "countries.csv line 2 has a different number of fields than its header" \
        in err.value.message
