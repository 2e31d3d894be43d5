"""End to end: `cdiscflow run` on the paediatric SAA study (mapping files only), then every
figure of the abstract recomputed from the ADaM XPT files it wrote (read back with read_xpt):
the groups, the MSC group's median age, the UC-MSC schedule, ATG anaphylaxis, the day-90
response and the 4-year Kaplan-Meier OS and FFS by group (with Greenwood standard errors)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cdiscflow.adam.survival import greenwood_se_at, kaplan_meier, survival_at
from cdiscflow.cli import main
from cdiscflow.xpt import read_xpt

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "mappings" / "nct02218437"
MSC, CTRL = "UC-MSC + IST", "IST alone"
FOUR_YEARS = 1461  # days from the first IST day


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("saa") / "out"
    result = CliRunner().invoke(main, ["run", str(STUDY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _read(out: Path, name: str) -> pd.DataFrame:
    paths = [p for p in out.rglob(f"{name}.xpt") if "adam" in p.parts]
    assert len(paths) == 1, paths
    return read_xpt(paths[0])[0]


@pytest.fixture(scope="module")
def adsl(out: Path) -> pd.DataFrame:
    return _read(out, "adsl")


def test_no_validation_errors(out: Path) -> None:
    report = json.loads((out / "report" / "validation.json").read_text(encoding="utf-8"))
    assert report["errors"] == 0
    datasets = {d["dataset"] for d in report["datasets"]}
    assert {"DM", "EX", "CM", "LB", "AE", "CE", "DS", "ADSL", "ADAE", "ADRS",
            "ADTTE"} <= datasets


def test_two_groups_of_children(adsl: pd.DataFrame) -> None:
    assert adsl["TRT01P"].value_counts().to_dict() == {MSC: 9, CTRL: 9}
    assert (adsl["TRT01A"] == adsl["TRT01P"]).all()
    assert adsl.loc[adsl["TRT01P"] == MSC, "AGE"].median() == 4
    assert (adsl["AGE"] < 18).all() and set(adsl["AGEU"]) == {"YEARS"}
    assert (adsl["SAFFL"] == "Y").all()


def test_msc_exposure_only_in_the_msc_arm(adsl: pd.DataFrame) -> None:
    msc = adsl["TRT01P"] == MSC
    assert adsl.loc[msc, "NINF"].tolist() == [3] * 9
    assert adsl.loc[~msc, "NINF"].tolist() == [0] * 9
    assert adsl.loc[~msc, "MSCSDT"].isna().all()
    # the first infusion is 14 days after the first ATG day, the last two weeks later
    assert ((adsl.loc[msc, "MSCSDT"] - adsl.loc[msc, "TRTSDT"]) == 14).all()
    assert ((adsl.loc[msc, "MSCEDT"] - adsl.loc[msc, "MSCSDT"]) == 14).all()


def test_atg_anaphylaxis(out: Path, adsl: pd.DataFrame) -> None:
    adae = _read(out, "adae")
    ana = adae[(adae["AEDECOD"] == "Anaphylactic reaction") & (adae["ATGRELFL"] == "Y")
               & (adae["TRTEMFL"] == "Y")]
    subjects = ana.drop_duplicates("USUBJID")
    assert subjects["TRT01A"].value_counts()[MSC] == 4  # 4/9 = 44%
    assert round(100 * 4 / (adsl["TRT01A"] == MSC).sum()) == 44
    # the reactions are to ATG, before any UC-MSC infusion
    assert (ana["POSTMSFL"] == "N").all()


def test_day90_response(out: Path) -> None:
    adrs = _read(out, "adrs")

    def rate(paramcd: str, group: str) -> tuple[int, int]:
        rows = adrs[(adrs["PARAMCD"] == paramcd) & (adrs["TRT01P"] == group)]
        return int((rows["AVALC"] == "Y").sum()), len(rows)

    assert rate("PR90", MSC) == (1, 9)  # 11%
    assert rate("PR90", CTRL) == (2, 9)  # 22%
    assert rate("CR90", MSC) == (0, 9) and rate("CR90", CTRL) == (0, 9)
    assert rate("ORR90", MSC) == (1, 9) and rate("ORR90", CTRL) == (2, 9)
    rsp90 = adrs[adrs["PARAMCD"] == "RSP90"]
    assert sorted(rsp90["AVALC"]) == ["NR"] * 15 + ["PR"] * 3


def test_four_year_kaplan_meier(out: Path) -> None:
    adtte = _read(out, "adtte")
    assert adtte.groupby("PARAMCD").size().to_dict() == {"FFS": 18, "OS": 18}
    # median follow-up (time on study to last contact or death): 48 months
    os_ = adtte[adtte["PARAMCD"] == "OS"]
    assert round(os_["AVAL"].median() / 30.4375) == 48
    published = {("OS", MSC): (88.9, 10.5), ("OS", CTRL): (88.9, 10.5),
                 ("FFS", MSC): (38.1, 17.2), ("FFS", CTRL): (66.7, 15.7)}
    for (param, group), figure in published.items():
        rows = adtte[(adtte["PARAMCD"] == param) & (adtte["TRT01P"] == group)]
        table = kaplan_meier(rows["AVAL"], rows["CNSR"] == 0)
        got = (round(100 * survival_at(table, FOUR_YEARS), 1),
               round(100 * greenwood_se_at(table, FOUR_YEARS), 1))
        assert got == figure, (param, group)


def test_declared_survival_estimates(out: Path) -> None:
    # the spec's survival_estimates: the run writes the same figures as the ADTTE recomputation
    est = pd.read_csv(out / "report" / "km_estimates.csv")
    at4 = est[est["TIME"] == FOUR_YEARS].set_index(["PARAMCD", "GROUP"])
    assert at4.index.tolist() == [("OS", MSC), ("OS", CTRL), ("FFS", MSC), ("FFS", CTRL)]
    assert (100 * at4["SURVIVAL"]).round(1).tolist() == [88.9, 88.9, 38.1, 66.7]
    assert (100 * at4["STDERR"]).round(1).tolist() == [10.5, 10.5, 17.2, 15.7]
    assert at4["EVENTS"].tolist() == [1, 1, 5, 3] and set(at4["N"]) == {9}


def test_submission_package_passes_technical_checks(out: Path) -> None:
    result = CliRunner().invoke(main, ["check-package", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
