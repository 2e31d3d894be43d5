"""Date formats real CRF extracts need: a two-digit year read with a declared cutoff (as SAS
YEARCUTOFF), and a date and time collected in one field."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cdiscflow.errors import SpecError
from cdiscflow.sdtm import dates
from cdiscflow.sdtm.engine import Engine
from cdiscflow.specload import load_study
from tests.conftest import write_study
from tests.test_expr_sdtm import CM, DM, RAW, STUDY


def _parse(values: list[str], fmt: str | list[str], cutoff: int | None = None):
    iso, problems = dates.parse_dates(pd.Series(values, dtype="string"), fmt, None, cutoff)
    return ([None if pd.isna(v) else v for v in iso],
            [(p.value, p.message, p.severity) for p in problems])


def test_two_digit_years_fall_in_the_hundred_years_from_the_cutoff():
    assert _parse(["15-Sep-20", "01-JAN-39", "01-jan-40", "UN-JAN-85", "31-FEB-21"],
                  "DD-MON-YY", 1940) == (
        ["2020-09-15", "2039-01-01", "1940-01-01", "1985-01", None],
        [("31-FEB-21", "not a calendar date", "error")])


def test_a_date_and_time_in_one_field():
    assert _parse(["2023-04-14T08:36", "2023-04-14T25:00", "2023-04-14T08:36:59"],
                  ["YYYY-MM-DDTHH:MI:SS", "YYYY-MM-DDTHH:MI"]) == (
        ["2023-04-14T08:36", None, "2023-04-14T08:36:59"],
        [("2023-04-14T25:00", "not a time of day (HH:MI or HH:MI:SS)", "error")])
    assert _parse(["14/04/2023 8:05", "14/04/2023", "UN/04/2023 10:00"],
                  ["DD/MM/YYYY HH:MI", "DD/MM/YYYY"]) == (
        ["2023-04-14T08:05", "2023-04-14", "2023-04"],
        [("UN/04/2023 10:00", "time ignored: the date is partial", "warning")])


@pytest.mark.parametrize("fmt, known", [
    ("DD-MON-YY", True), ("YYYY-MM-DD HH:MI", True), ("YYYY-MM-DDTHH:MI:SS", True),
    ("YY-YYYY", False), ("YYYY-MM HH:MI", False), ("YYYY-MM-DDTHH", False),
    ("YYYY-MM-DD MI:SS", False),
])
def test_which_formats_can_be_read(fmt, known):
    assert dates.known_date_format(fmt) is known


def test_a_two_digit_year_without_a_cutoff_is_a_spec_error(tmp_path: Path):
    dm = DM.replace("RFICDTC: {date: {date: ICDAT}}",
                    "RFICDTC: {date: {date: ICDAT, format: DD-MON-YY}}")
    study = write_study(tmp_path / "s", STUDY, {"dm.yaml": dm, "cm.yaml": CM}, RAW)
    with pytest.raises(SpecError) as err:
        Engine(load_study(study)).check()
    assert err.value.variable == "RFICDTC"
    assert "a two-digit year (YY) needs year_cutoff" in err.value.message


def test_a_two_digit_year_in_a_mapping(tmp_path: Path):
    raw = dict(RAW)
    raw["demog.csv"] = raw["demog.csv"].replace("2023-01-10", "10-Jan-23").replace(
        "2023-02-01", "01-Feb-99").replace("2023-03-05", "05-Mar-00")
    dm = DM.replace("RFICDTC: {date: {date: ICDAT}}",
                    "RFICDTC: {date: {date: ICDAT, format: DD-MON-YY, year_cutoff: 1930}}")
    study = write_study(tmp_path / "s", STUDY, {"dm.yaml": dm, "cm.yaml": CM}, raw)
    engine = Engine(load_study(study))
    assert engine.run()["DM"].data["RFICDTC"].tolist() == ["2023-01-10", "1999-02-01",
                                                          "2000-03-05"]
