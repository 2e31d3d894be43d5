"""Regression guard for the synthetic raw CRF data of the CTR20221330 sister study (UC-MSC
salvage therapy for steroid-refractory acute GVHD).

Reads ``examples/ctr20221330/raw/*.csv`` with pandas only (no cdiscflow code) and recomputes
every figure the abstract publishes, with the definitions of ``generate.py`` made exact:

* day-28 response from each organ's stage (skin, liver, lower GI) against the Day 1 baseline:
  CR all stages 0; PR some organ better, none worse; otherwise not a response;
* time origin = first infusion; time = date - first infusion date in days; 1 year = 365 days;
* OS: Kaplan-Meier, death = event, last contact = censoring;
* relapse and non-relapse mortality (death without prior relapse): cumulative incidence
  (Aalen-Johansen), each the other's competing event.

The only literal expectations are the published figures and the trial facts.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "ctr20221330"
RAW = EXAMPLE / "raw"
CSV_FILES = ["demographics.csv", "transplant.csv", "enrolment.csv", "exposure.csv",
             "gvhd_staging.csv", "adverse_events.csv", "followup.csv"]
KEY = ["SITEID", "SUBJID"]
GRADES = {"0": 0, "I": 1, "II": 2, "III": 3, "IV": 4}


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(RAW / name, dtype=str, keep_default_na=False)


def iso(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def pct(x: float) -> str:
    return f"{100 * x:.1f}"


@pytest.fixture(scope="module")
def day1() -> dict[tuple[str, str], dt.date]:
    ex = read("exposure.csv")
    first = ex[ex.INFNUM == "1"]
    return {(r.SITEID, r.SUBJID): iso(r.EXSTDAT) for r in first.itertuples()}


def test_generator_is_byte_identical(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(EXAMPLE / "generate.py"), "--out", str(tmp_path)],
                   check=True)
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == sorted(CSV_FILES)
    for name in CSV_FILES:
        assert (tmp_path / name).read_bytes() == (RAW / name).read_bytes(), name


def test_headers_match_readme() -> None:
    readme = (RAW / "README.md").read_text(encoding="utf-8")
    documented = {}
    for section in re.split(r"^## ", readme, flags=re.M)[1:]:
        fields: list[str] = []
        for line in section.splitlines():
            match = re.match(r"\| ([A-Z][A-Z0-9_, ]*) \|", line)
            if match:
                fields += [f.strip() for f in match.group(1).split(",")]
        documented[section.split()[0]] = fields
    for name in CSV_FILES:
        header = (RAW / name).read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header == documented[name], name


def test_multicentre_with_per_site_numbering() -> None:
    dm = read("demographics.csv")
    assert len(dm) == 25 and not dm.duplicated(KEY).any()
    assert dm.SITEID.nunique() >= 3
    # numbering restarts at each site: SUBJID alone is ambiguous
    assert dm.SUBJID.duplicated().any()
    for _, rows in dm.groupby("SITEID"):
        assert sorted(rows.SUBJID) == [f"{n:03d}" for n in range(1, len(rows) + 1)]
    for name in CSV_FILES:
        frame = read(name)
        keys = set(zip(frame.SITEID, frame.SUBJID, strict=True))
        assert keys == set(zip(dm.SITEID, dm.SUBJID, strict=True)), name


def test_escalation_and_expansion_cohorts() -> None:
    enr = read("enrolment.csv")
    esc = enr[enr.PHASE == "Dose escalation"]
    # 3+3 with no DLT: three patients per level; expansion at the RP2D 1.0
    assert esc.COHORT.value_counts().to_dict() == {"0.5": 3, "1.0": 3, "2.0": 3}
    exp = enr[enr.PHASE == "Dose expansion"]
    assert set(exp.COHORT) == {"1.0"} and len(exp) == 16
    # escalation levels in dose order over time
    order = esc.sort_values("ENRLDAT").COHORT.tolist()
    assert order == sorted(order)
    assert esc.ENRLDAT.max() < exp.ENRLDAT.min()


def test_twice_weekly_six_infusions(day1: dict[tuple[str, str], dt.date]) -> None:
    ex = read("exposure.csv")
    enr = read("enrolment.csv").set_index(KEY)
    for key, rows in ex.groupby(KEY):
        assert rows.INFNUM.tolist() == [str(i) for i in range(1, 7)]
        days = [(iso(d) - day1[key]).days + 1 for d in rows.EXSTDAT]
        assert days == [1, 4, 8, 11, 15, 18]  # twice weekly for 3 weeks
        assert set(rows.EXDOSE) == {enr.loc[key, "COHORT"]}
    assert len(ex) == 25 * 6


def stages(row: pd.Series) -> tuple[int, int, int]:
    return int(row.SKINSTG), int(row.LIVERSTG), int(row.GISTG)


def magic_grade(skin: int, liver: int, gi: int) -> int:
    if 4 in (skin, liver, gi):
        return 4
    if liver >= 2 or gi >= 2:
        return 3
    if skin == 3 or liver == 1 or gi == 1:
        return 2
    return 1 if skin >= 1 else 0


def day28_response() -> dict[tuple[str, str], str]:
    g = read("gvhd_staging.csv")
    out = {}
    for key, rows in g.groupby(KEY):
        base = stages(rows[rows.VISIT == "Day 1"].iloc[0])
        end = stages(rows[rows.VISIT == "Day 28"].iloc[0])
        better = any(e < b for b, e in zip(base, end, strict=True))
        worse = any(e > b for b, e in zip(base, end, strict=True))
        out[key] = ("CR" if not any(end) else "PR" if better and not worse
                    else "MR" if better else "PD" if worse else "NC")
    return out


def test_staging_and_grade() -> None:
    g = read("gvhd_staging.csv")
    assert g.groupby(KEY).VISIT.apply(list).map(tuple).unique().tolist() == [
        ("Day 1", "Day 8", "Day 15", "Day 22", "Day 28")]
    for r in g.itertuples():
        assert GRADES[r.GRADE] == magic_grade(int(r.SKINSTG), int(r.LIVERSTG), int(r.GISTG))
    baseline = g[g.VISIT == "Day 1"].GRADE
    assert set(baseline) <= {"II", "III", "IV"}  # grades II-IV enrolled


def test_day28_response() -> None:
    resp = day28_response()
    counts = pd.Series(resp).value_counts().to_dict()
    assert (counts["CR"], counts["PR"]) == (10, 10)
    assert pct(counts["CR"] / 25) == "40.0" and pct(counts["PR"] / 25) == "40.0"
    assert pct((counts["CR"] + counts["PR"]) / 25) == "80.0"


def test_no_dlt_and_adverse_events() -> None:
    ae = read("adverse_events.csv")
    assert set(ae.AEDLT) == {"N"}
    assert ae.groupby(KEY).ngroups == 25
    fu = read("followup.csv")
    nrm = fu[(fu.VSTAT == "Dead") & (fu.RELAPSE == "N")]
    fatal = ae[ae.AETOXGR == "5"]
    # each non-relapse death has a fatal AE ending on the death date
    assert sorted(zip(fatal.SITEID, fatal.SUBJID, fatal.AEENDAT, strict=True)) == sorted(
        zip(nrm.SITEID, nrm.SUBJID, nrm.DTHDAT, strict=True))


def kaplan_meier_at(times: list[int], events: list[bool], t: int) -> float:
    s = 1.0
    for x in sorted(set(times)):
        if x > t:
            break
        n = sum(1 for y in times if y >= x)
        d = sum(1 for y, e in zip(times, events, strict=True) if y == x and e)
        s *= 1 - d / n
    return s


def incidence_at(times: list[int], kinds: list[int], cause: int, t: int) -> float:
    free, cif = 1.0, 0.0
    for x in sorted(set(times)):
        if x > t:
            break
        n = sum(1 for y in times if y >= x)
        d_all = sum(1 for y, k in zip(times, kinds, strict=True) if y == x and k)
        d = sum(1 for y, k in zip(times, kinds, strict=True) if y == x and k == cause)
        cif += free * d / n
        free *= 1 - d_all / n
    return cif


def test_survival_nrm_and_relapse(day1: dict[tuple[str, str], dt.date]) -> None:
    fu = read("followup.csv")
    os_t, os_e, cr_t, cr_k = [], [], [], []
    for r in fu.itertuples():
        start = day1[(r.SITEID, r.SUBJID)]
        last = iso(r.LSTCNTDAT)
        dead = r.VSTAT == "Dead"
        assert (r.DTHDAT != "") == dead and (r.RELDAT != "") == (r.RELAPSE == "Y")
        if dead:
            assert r.DTHDAT == r.LSTCNTDAT
        os_t.append((last - start).days)
        os_e.append(dead)
        # first event: relapse (1) or death without relapse (2); else censored (0)
        if r.RELAPSE == "Y":
            cr_t.append((iso(r.RELDAT) - start).days)
            cr_k.append(1)
        elif dead:
            cr_t.append((last - start).days)
            cr_k.append(2)
        else:
            cr_t.append((last - start).days)
            cr_k.append(0)
    assert pct(kaplan_meier_at(os_t, os_e, 365)) == "74.3"
    assert pct(incidence_at(cr_t, cr_k, 2, 365)) == "17.0"
    assert pct(incidence_at(cr_t, cr_k, 1, 365)) == "8.4"
    # follow-up: everyone event-free is followed beyond a year except the two censored early
    short = [t for t, e in zip(os_t, os_e, strict=True) if not e and t < 365]
    assert sorted(short) == [96, 143]
    assert all(iso(d) <= dt.date(2024, 10, 31) for d in fu.LSTCNTDAT)
