"""End to end: `cdiscflow run` on the CTR20221330 sister study (UC-MSC salvage therapy for
steroid-refractory acute GVHD), then every figure the abstract publishes recomputed from the
ADaM XPT files it wrote, read back with read_xpt: 25 patients in a 3+3 escalation and an
expansion at 1.0 x10^6/kg, six twice-weekly infusions, no DLT, day-28 CR 40.0% / PR 40.0% /
ORR 80.0%, 1-year OS 74.3% (Kaplan-Meier on ADTTE) and 1-year non-relapse mortality 17.0% and
relapse 8.4% (Aalen-Johansen cumulative incidence on ADTTE, each the other's competing event).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cdiscflow.adam.competing import cumulative_incidence, incidence_at
from cdiscflow.adam.survival import kaplan_meier, survival_at
from cdiscflow.cli import main
from cdiscflow.xpt import read_xpt

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "mappings" / "ctr20221330"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gvhd") / "out"
    result = CliRunner().invoke(main, ["run", str(STUDY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "validation: 0 error(s)" in result.output
    return out


def _read(out: Path, name: str, folder: str = "adam") -> pd.DataFrame:
    paths = [p for p in out.rglob(f"{name}.xpt") if folder in p.parts]
    assert len(paths) == 1, paths
    return read_xpt(paths[0])[0]


@pytest.fixture(scope="module")
def adsl(out: Path) -> pd.DataFrame:
    return _read(out, "adsl")


@pytest.fixture(scope="module")
def adrs(out: Path) -> pd.DataFrame:
    return _read(out, "adrs")


@pytest.fixture(scope="module")
def adtte(out: Path) -> pd.DataFrame:
    return _read(out, "adtte")


def pct(x: float) -> str:
    return f"{100 * x:.1f}"


def test_multicentre_subjects(adsl: pd.DataFrame) -> None:
    assert len(adsl) == 25 and (adsl["SAFFL"] == "Y").all()
    assert adsl["SITEID"].nunique() == 4
    # each site numbers its own patients from 001: SUBJID is made unique in the study by the
    # mapping (site-prefixed), and USUBJID is the study and SUBJID
    assert not adsl["SUBJID"].duplicated().any() and not adsl["USUBJID"].duplicated().any()
    assert sorted(adsl["SUBJID"])[:4] == ["01-001", "01-002", "01-003", "01-004"]
    assert (adsl["SUBJID"].str[:2] == adsl["SITEID"]).all()
    assert (adsl["USUBJID"] == "CTR20221330-" + adsl["SUBJID"]).all()


def test_every_subject_has_a_disposition(out: Path) -> None:
    ds = _read(out, "ds", "sdtm")
    dispo = ds[ds["DSCAT"] == "DISPOSITION EVENT"]
    # one disposition each: the 19 alive at the end of follow-up completed, 6 died
    assert dispo["USUBJID"].nunique() == len(dispo) == 25
    assert dispo["DSDECOD"].value_counts().to_dict() == {"COMPLETED": 19, "DEATH": 6}
    dm = _read(out, "dm", "sdtm")
    # the completion is dated at the last contact, which is also where participation ends
    done = dispo[dispo["DSDECOD"] == "COMPLETED"].merge(dm, on="USUBJID")
    assert (done["DSSTDTC"] == done["RFPENDTC"]).all()


def test_escalation_expansion_and_six_infusions(adsl: pd.DataFrame, out: Path) -> None:
    assert adsl["COHORT"].value_counts().to_dict() == {
        "1.0 (expansion)": 16, "0.5 (escalation)": 3, "1.0 (escalation)": 3,
        "2.0 (escalation)": 3}
    assert (adsl.loc[adsl["PHASE"] == "DOSE EXPANSION", "TRT01AN"] == 1.0).all()  # the RP2D
    assert (adsl["NINF"] == 6).all() and (adsl["DLTEVLFL"] == "Y").all()
    ex = _read(out, "ex", "sdtm")
    assert set(ex["EXDOSFRQ"]) == {"2 TIMES PER WEEK"}
    days = ex.groupby("USUBJID")["EXSTDY"].apply(list)
    assert set(days.map(tuple)) == {(1.0, 4.0, 8.0, 11.0, 15.0, 18.0)}


def test_no_dose_limiting_toxicity(out: Path) -> None:
    adae = _read(out, "adae")
    assert not (adae["DLTFL"] == "Y").any() and not (adae["AEDLT"] == "Y").any()
    assert adae.loc[adae["TRTEMFL"] == "Y", "USUBJID"].nunique() == 25


def test_day28_response(adrs: pd.DataFrame) -> None:
    d28 = adrs[adrs["PARAMCD"] == "D28RSP"]
    assert len(d28) == 25
    counts = d28["AVALC"].value_counts().to_dict()
    assert (counts["CR"], counts["PR"]) == (10, 10)
    assert sum(counts.values()) == 25

    def rate(paramcd: str) -> str:
        rows = adrs[adrs["PARAMCD"] == paramcd]
        assert len(rows) == 25
        return pct((rows["AVALC"] == "Y").mean())

    assert (rate("CR28"), rate("PR28"), rate("ORR28")) == ("40.0", "40.0", "80.0")
    orr = set(adrs.loc[(adrs["PARAMCD"] == "ORR28") & (adrs["AVALC"] == "Y"), "USUBJID"])
    assert orr == set(d28.loc[d28["AVALC"].isin(["CR", "PR"]), "USUBJID"])


def test_grade_from_organ_stages_agrees_with_the_investigator(adrs: pd.DataFrame,
                                                              adsl: pd.DataFrame) -> None:
    grades = adrs[adrs["PARAMCD"] == "AGVHDGR"]
    assert len(grades) == 25 * 5
    assert (grades["AVAL"] == grades["GRDDERN"]).all()
    # grades II-IV at baseline
    assert set(adsl["BGVHDGR"]) <= {"II", "III", "IV"}
    base = grades[grades["ABLFL"] == "Y"]
    assert len(base) == 25 and (base["ADY"] == 1).all()


def _estimates(adtte: pd.DataFrame, paramcd: str) -> tuple[pd.Series, pd.Series]:
    rows = adtte[adtte["PARAMCD"] == paramcd]
    assert len(rows) == 25
    return rows["AVAL"], rows["CNSR"]


def test_one_year_overall_survival(adtte: pd.DataFrame) -> None:
    time, cnsr = _estimates(adtte, "OS")
    table = kaplan_meier(time, cnsr == 0)
    assert pct(survival_at(table, 365)) == "74.3"
    assert (cnsr == 0).sum() == 6


def test_one_year_nrm_and_relapse_competing_risks(adtte: pd.DataFrame) -> None:
    for paramcd, published in (("NRM", "17.0"), ("RELAPSE", "8.4")):
        time, cnsr = _estimates(adtte, paramcd)
        kind = cnsr.map({0.0: 1, 2.0: 2, 1.0: 0})
        assert kind.notna().all()
        table = cumulative_incidence(time, kind, cause=1)
        assert pct(incidence_at(table, 365)) == published, paramcd
        # treating the competing event as a censoring (1 - KM) would overstate it
        naive = 1 - survival_at(kaplan_meier(time, cnsr == 0), 365)
        assert naive > incidence_at(table, 365)
    # the NRM and relapse events are the competing events of each other
    nrm = adtte[adtte["PARAMCD"] == "NRM"].set_index("USUBJID")
    rel = adtte[adtte["PARAMCD"] == "RELAPSE"].set_index("USUBJID")
    assert (nrm["AVAL"] == rel["AVAL"]).all()
    assert ((nrm["CNSR"] == 0) == (rel["CNSR"] == 2)).all()
    assert ((nrm["CNSR"] == 2) == (rel["CNSR"] == 0)).all()


def test_estimates_reported_from_the_spec(out: Path) -> None:
    km = pd.read_csv(out / "report" / "km_estimates.csv")
    assert km[["PARAMCD", "N", "EVENTS", "TIME"]].values.tolist() == [["OS", 25, 6, 365.0]]
    assert pct(km["SURVIVAL"].iloc[0]) == "74.3"
    cif = pd.read_csv(out / "report" / "cif_estimates.csv").set_index("PARAMCD")
    assert pct(cif.loc["NRM", "INCIDENCE"]) == "17.0"
    assert pct(cif.loc["RELAPSE", "INCIDENCE"]) == "8.4"
    assert cif.loc["NRM", ["EVENTS", "COMPETING"]].tolist() == [4, 2]
    assert cif.loc["RELAPSE", ["EVENTS", "COMPETING"]].tolist() == [2, 4]
