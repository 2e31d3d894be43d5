"""The NCT02218437 raw extracts reproduce every figure of the abstract (recomputed here with
pandas from the CSV rows, by the definitions documented in examples/nct02218437/generate.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cdiscflow.adam.survival import kaplan_meier, survival_at

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "nct02218437"
RAW = EXAMPLE / "raw"
FOUR_YEARS = 1461


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(RAW / f"{name}.csv", dtype=str, keep_default_na=False)


def study_day(date: pd.Series, day1: pd.Series) -> pd.Series:
    delta = (pd.to_datetime(date) - pd.to_datetime(day1)).dt.days
    return delta.where(delta < 0, delta + 1)


@pytest.fixture(scope="module")
def subjects() -> pd.DataFrame:
    demo = read("demographics").merge(read("enrolment"), on="SUBJID")
    atg = read("ist").query("CMDECOD == 'ANTITHYMOCYTE IMMUNOGLOBULIN (RABBIT)'")
    demo = demo.merge(atg[["SUBJID", "CMSTDAT"]].rename(columns={"CMSTDAT": "DAY1"}),
                      on="SUBJID")
    return demo.set_index("SUBJID")


def test_generator_is_deterministic(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(EXAMPLE / "generate.py"), "--out", str(tmp_path)],
                   check=True)
    for f in sorted(RAW.glob("*.csv")):
        assert (tmp_path / f.name).read_bytes() == f.read_bytes(), f.name


def test_groups_and_age(subjects: pd.DataFrame) -> None:
    assert subjects["GROUP"].value_counts().to_dict() == {"MSC + IST": 9, "IST alone": 9}
    consent = pd.to_datetime(subjects["ICDAT"])
    birth = pd.to_datetime(subjects["BRTHDAT"])
    age = consent.dt.year - birth.dt.year - (
        (consent.dt.month * 100 + consent.dt.day) < (birth.dt.month * 100 + birth.dt.day))
    msc = subjects["GROUP"] == "MSC + IST"
    assert age[msc].median() == 4
    assert age.max() < 18  # children


def test_msc_schedule(subjects: pd.DataFrame) -> None:
    ex = read("exposure").merge(subjects[["DAY1", "GROUP"]], left_on="SUBJID", right_index=True)
    assert set(ex["GROUP"]) == {"MSC + IST"}  # no exposure for controls
    ex["DY"] = study_day(ex["EXSTDAT"], ex["DAY1"])
    # first infusion 14 days after the first ATG day, then weekly, three in all
    assert ex.groupby("SUBJID")["DY"].apply(list).tolist() == [[15, 22, 29]] * 9
    assert set(ex["EXDOSE"]) == {"1.0"} and set(ex["EXDOSU"]) == {"10^6 cells/kg"}
    atg = read("ist").query("CMDECOD == 'ANTITHYMOCYTE IMMUNOGLOBULIN (RABBIT)'")
    assert len(atg) == 18  # every subject had rabbit ATG (IST in both groups)


def test_atg_anaphylaxis(subjects: pd.DataFrame) -> None:
    ae = read("adverse_events")
    ana = ae[(ae["AEDECOD"] == "Anaphylactic reaction") & (ae["AERELNST"] == "Rabbit ATG")]
    by_group = subjects.loc[ana["SUBJID"].unique(), "GROUP"].value_counts()
    assert by_group["MSC + IST"] == 4  # 4/9 = 44%
    assert round(100 * by_group["MSC + IST"] / 9) == 44


def response(labs: pd.DataFrame) -> pd.Series:
    anc, hgb, plt = (pd.to_numeric(labs[c]) for c in ("ANC", "HGB", "PLT"))
    cr = (anc > 1.5) & (hgb > 110) & (plt > 100)
    pr = (anc > 0.5) & (hgb > 80) & (plt > 20)
    return pd.Series(["CR" if c else "PR" if p else "NR" for c, p in zip(cr, pr, strict=True)],
                     index=labs["SUBJID"])


def test_day90_response(subjects: pd.DataFrame) -> None:
    d90 = read("labs").query("VISIT == 'Day 90'")
    d90 = d90.merge(subjects[["DAY1"]], left_on="SUBJID", right_index=True)
    assert (study_day(d90["LBDAT"], d90["DAY1"]) == 90).all()
    rsp = response(d90).reindex(subjects.index, fill_value="NR")  # no day-90 count: NR
    table = pd.crosstab(subjects["GROUP"], rsp)
    assert table.loc["MSC + IST"].to_dict() == {"NR": 8, "PR": 1}
    assert table.loc["IST alone"].to_dict() == {"NR": 7, "PR": 2}
    assert "CR" not in table.columns


def tte(subjects: pd.DataFrame) -> pd.DataFrame:
    eos = read("end_of_study").set_index("SUBJID")
    fail = read("treatment_failure").groupby("SUBJID")["FAILDAT"].min()
    out = pd.DataFrame(index=subjects.index)
    out["GROUP"] = subjects["GROUP"]
    out["OS"] = study_day(eos["LSTCDAT"], subjects["DAY1"]) - 1
    out["DIED"] = eos["EOSSTAT"] == "Died"
    ffs_date = pd.concat([pd.to_datetime(fail), pd.to_datetime(eos["LSTCDAT"])], axis=1).min(
        axis=1)
    out["FFS"] = (ffs_date - pd.to_datetime(subjects["DAY1"])).dt.days
    out["FAILED"] = out.index.isin(fail.index) | out["DIED"]
    return out


def greenwood(table: pd.DataFrame, t: float) -> float:
    rows = table[(table["time"] <= t) & (table["n_event"] > 0)]
    var = (rows["n_event"] / (rows["n_risk"] * (rows["n_risk"] - rows["n_event"]))).sum()
    return survival_at(table, t) * var ** 0.5


def test_survival(subjects: pd.DataFrame) -> None:
    t = tte(subjects)
    assert round(t["OS"].median() / 30.4375) == 48  # median follow-up, months
    for group, os_, ffs in (("MSC + IST", (88.9, 10.5), (38.1, 17.2)),
                            ("IST alone", (88.9, 10.5), (66.7, 15.7))):
        g = t[t["GROUP"] == group]
        km = kaplan_meier(g["OS"], g["DIED"])
        assert (round(100 * survival_at(km, FOUR_YEARS), 1),
                round(100 * greenwood(km, FOUR_YEARS), 1)) == os_
        km = kaplan_meier(g["FFS"], g["FAILED"])
        assert (round(100 * survival_at(km, FOUR_YEARS), 1),
                round(100 * greenwood(km, FOUR_YEARS), 1)) == ffs


def test_failure_agrees_with_counts(subjects: pd.DataFrame) -> None:
    # a "no response at 6 months" failure has NR counts at Month 6; every other subject seen at
    # Month 6 responds
    m6 = read("labs").query("VISIT == 'Month 6'")
    rsp = response(m6)
    fail = read("treatment_failure")
    nr6 = set(fail.loc[fail["FAILREAS"] == "No response at 6 months", "SUBJID"])
    assert set(rsp[rsp == "NR"].index) == nr6
