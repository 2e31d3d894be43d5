"""Generate the synthetic raw CRF extracts of the NCT02218437 study (UC-MSC + IST in paediatric
severe aplastic anaemia).

NCT02218437 is an open-label, prospective trial of umbilical-cord mesenchymal stem cells (UC-MSC)
added to standard immunosuppressive therapy (IST: rabbit ATG + ciclosporin) in children with newly
diagnosed severe aplastic anaemia (SAA), compared with a concurrent control group on IST alone
(BMC Pediatr 2021; 21:102). No patient-level data is public: every value here is invented, built so
that the abstract's figures come out exactly (``tests/test_nct02218437_raw.py`` recomputes them
from the CSV rows):

* 9 MSC + IST and 9 IST-alone controls; MSC group median age 4 years.
* UC-MSC 1 x10^6 cells/kg weekly for 3 weeks, the first infusion 14 days after rabbit ATG started.
* Anaphylactic reaction associated with rabbit ATG in 4/9 of the MSC group.
* Day-90 response: PR 1/9 (MSC) vs 2/9 (controls); no CR at day 90 (the abstract reports PR only,
  so CR 0/9 and ORR = PR in both groups).
* Median follow-up 48 months; 4-year OS 88.9% +- 10.5% in both groups; 4-year FFS 38.1% +- 17.2%
  (MSC) vs 66.7% +- 15.7% (controls), Kaplan-Meier with Greenwood standard errors.

Usage::

    python examples/nct02218437/generate.py [--out DIR]

Deterministic: the per-subject design table below fixes everything a published figure depends on;
the remaining detail (count noise, weights, times) comes from ``numpy.random.default_rng(SEED)``
drawn in a fixed order, and files are written with ``\\n`` line ends and explicit number formats.

Definitions the data are written against (where the abstract is silent, chosen here)
------------------------------------------------------------------------------------
* Study day 1 = first day of rabbit ATG (the start of IST) for both groups; ATG 3.5 mg/kg/day on
  days 1-5, ciclosporin 5 mg/kg/day (BID) from day 1. "Starting on the 14th day after ATG": the
  first UC-MSC infusion is on day 15 (day 1 + 14 days), then days 22 and 29.
* Response by blood counts (paediatric SAA criteria as used in Chinese paediatric centres):
  CR = ANC > 1.5 x10^9/L and Hb > 110 g/L and PLT > 100 x10^9/L; PR = ANC > 0.5 and Hb > 80
  and PLT > 20 (not CR); NR otherwise. Transfusion independence is not collected separately: the
  PR/CR count thresholds stand for it. A subject with no day-90 count (died before day 90) is NR.
* Blood counts at Screening (day -3), Day 30, Day 60, Day 90, Month 6 (day 180) and Month 12
  (day 365), while the subject is alive and followed. Counts are exact study days (no window).
* Treatment failure (FFS event) = death, no response (NR) at the Month 6 assessment, or relapse
  after a response; failures are recorded on the treatment outcome form (except death, on the
  end-of-study form). No clonal evolution occurred (the abstract says so): none is recorded.
* OS / FFS time = days from day 1 to the event; censored at the last contact date (end-of-study
  form). 4 years = 1461 days. Follow-up = day 1 to last contact or death; its median over the 18
  subjects is 48 months (1461 days).
* The KM figures fix the order of events: MSC: death (001, day 75) before any censoring; a
  subject lost to follow-up (002, day 150) before the two Month-6 failures (003, 004, day 180),
  then relapses 005 (day 540) and 006 (day 900); 007-009 followed beyond 4 years. Controls: NR at
  Month 6 in 010 and 011 (day 180, 010 then dies on day 400), relapse 012 (day 700), 013-018
  followed beyond 4 years.
* ATG anaphylaxis in controls (the abstract gives the MSC group only): 2/9 (011, 015). Other AEs:
  ATG fever and serum sickness, infections; the deaths are grade 5 infections. No AE is related
  to UC-MSC (the abstract calls the combination safe).
* Control ages (median 5) are invented; sex, weights, dates likewise. One site (SITEID 01);
  enrolment March 2014 - June 2016. SUBJID 001-009 MSC + IST, 010-018 IST alone.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from pathlib import Path

import numpy as np

SEED = 2218437
HERE = Path(__file__).resolve().parent
FOUR_YEARS = 1461  # days

# Per subject: group, age at consent (years), sex, first ATG date, day-90 response, month-6
# response, failure (reason, study day) or None, end of study (status, study day), ATG
# anaphylaxis (Y/N).
MSC, CTRL = "MSC + IST", "IST alone"
DESIGN: list[dict[str, object]] = [
    # MSC + IST
    dict(s="001", g=MSC, age=3, sex="Male", d1="2014-03-10", r90=None, r180=None,
         fail=None, end=("Died", 75), ana="Y"),
    dict(s="002", g=MSC, age=4, sex="Female", d1="2014-06-16", r90="NR", r180=None,
         fail=None, end=("Lost to follow-up", 150), ana="N"),
    dict(s="003", g=MSC, age=2, sex="Male", d1="2014-09-01", r90="NR", r180="NR",
         fail=("No response at 6 months", 180), end=("Completed", 1540), ana="Y"),
    dict(s="004", g=MSC, age=8, sex="Female", d1="2014-12-08", r90="NR", r180="NR",
         fail=("No response at 6 months", 180), end=("Completed", 1475), ana="N"),
    dict(s="005", g=MSC, age=5, sex="Male", d1="2015-03-02", r90="NR", r180="PR",
         fail=("Relapse", 540), end=("Completed", 1461), ana="Y"),
    dict(s="006", g=MSC, age=10, sex="Male", d1="2015-06-15", r90="NR", r180="PR",
         fail=("Relapse", 900), end=("Completed", 1461), ana="N"),
    dict(s="007", g=MSC, age=4, sex="Female", d1="2015-09-07", r90="PR", r180="CR",
         fail=None, end=("Completed", 1461), ana="N"),
    dict(s="008", g=MSC, age=6, sex="Female", d1="2015-12-14", r90="NR", r180="PR",
         fail=None, end=("Completed", 1461), ana="Y"),
    dict(s="009", g=MSC, age=3, sex="Male", d1="2016-03-21", r90="NR", r180="PR",
         fail=None, end=("Completed", 1461), ana="N"),
    # IST alone (concurrent controls)
    dict(s="010", g=CTRL, age=7, sex="Male", d1="2014-04-14", r90="NR", r180="NR",
         fail=("No response at 6 months", 180), end=("Died", 400), ana="N"),
    dict(s="011", g=CTRL, age=5, sex="Female", d1="2014-07-21", r90="NR", r180="NR",
         fail=("No response at 6 months", 180), end=("Completed", 1620), ana="Y"),
    dict(s="012", g=CTRL, age=1, sex="Male", d1="2014-10-13", r90="PR", r180="PR",
         fail=("Relapse", 700), end=("Completed", 1580), ana="N"),
    dict(s="013", g=CTRL, age=9, sex="Female", d1="2015-01-19", r90="PR", r180="CR",
         fail=None, end=("Completed", 1700), ana="N"),
    dict(s="014", g=CTRL, age=12, sex="Male", d1="2015-04-27", r90="NR", r180="PR",
         fail=None, end=("Completed", 1600), ana="N"),
    dict(s="015", g=CTRL, age=3, sex="Female", d1="2015-08-03", r90="NR", r180="PR",
         fail=None, end=("Completed", 1500), ana="Y"),
    dict(s="016", g=CTRL, age=5, sex="Male", d1="2015-11-09", r90="NR", r180="CR",
         fail=None, end=("Completed", 1470), ana="N"),
    dict(s="017", g=CTRL, age=6, sex="Female", d1="2016-02-15", r90="NR", r180="PR",
         fail=None, end=("Completed", 1461), ana="N"),
    dict(s="018", g=CTRL, age=4, sex="Male", d1="2016-05-23", r90="NR", r180="PR",
         fail=None, end=("Completed", 1461), ana="N"),
]

LAB_DAYS = {"Screening": -3, "Day 30": 30, "Day 60": 60, "Day 90": 90, "Month 6": 180,
            "Month 12": 365}
# (ANC 10^9/L, Hb g/L, PLT 10^9/L) ranges per response level; NR stays within SAA counts
RANGES = {"SAA": ((0.05, 0.45), (55, 75), (3, 18)),
          "NR": ((0.10, 0.48), (60, 79), (5, 19)),
          "PR": ((0.60, 1.40), (85, 105), (25, 90)),
          "CR": ((1.60, 3.00), (112, 130), (110, 210))}


def day(d1: str, study_day: int) -> dt.date:
    """Calendar date of a study day (day 1 = first ATG day, no day 0)."""
    base = dt.date.fromisoformat(d1)
    return base + dt.timedelta(days=study_day - 1 if study_day > 0 else study_day)


def level(subj: dict[str, object], visit: str) -> str:
    """Response level a visit's counts are drawn in. Month 12 keeps the month-6 level, except
    that an NR at month 6 stays NR."""
    if visit == "Screening":
        return "SAA"
    if visit in ("Day 30", "Day 60"):
        return "NR"
    if visit == "Day 90":
        return str(subj["r90"])
    return str(subj["r180"])


def end_day(subj: dict[str, object]) -> int:
    return int(subj["end"][1])  # type: ignore[index]


def write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def generate(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    demo, enrol, expo, ist, labs, aes, fails, disp = [], [], [], [], [], [], [], []
    for subj in DESIGN:
        s, d1 = str(subj["s"]), str(subj["d1"])
        consent = day(d1, -7)
        # birthday: the age at consent is exact (whole years), with the birthday 30-300 days
        # before the consent date's anniversary
        back = int(rng.integers(30, 300))
        birth = consent.replace(year=consent.year - int(subj["age"])) - dt.timedelta(days=back)
        weight = round(float(7.5 + 2.3 * int(subj["age"]) + rng.normal(0, 1.0)), 1)
        demo.append(["01", s, consent.isoformat(), birth.isoformat(), subj["sex"], "Asian",
                     "Not Hispanic or Latino", f"{weight:.1f}"])
        enrol.append([s, day(d1, -1).isoformat(), subj["g"],
                      "Very severe" if rng.random() < 0.4 else "Severe"])
        # IST form: rabbit ATG days 1-5, ciclosporin from day 1 (to month 18 or end of study)
        atg_dose, csa_end = 3.5, min(end_day(subj), 540)
        ist.append([s, 1, "Rabbit antithymocyte globulin", "ANTITHYMOCYTE IMMUNOGLOBULIN (RABBIT)",
                    f"{atg_dose:.1f}", "mg/kg", "QD", "Intravenous", day(d1, 1).isoformat(),
                    day(d1, 5).isoformat(), "N"])
        ist.append([s, 2, "Ciclosporin", "CICLOSPORIN", "2.5", "mg/kg", "BID", "Oral",
                    day(d1, 1).isoformat(), day(d1, csa_end).isoformat(), "N"])
        if subj["g"] == MSC:
            for n, sd in enumerate((15, 22, 29), start=1):
                if sd > end_day(subj):
                    break
                start = f"{int(rng.integers(9, 11)):02d}:{int(rng.integers(0, 4)) * 15:02d}"
                expo.append([s, f"Infusion {n}", n, day(d1, sd).isoformat(), start, "1.0",
                             "10^6 cells/kg", f"{weight:.1f}", "Intravenous",
                             f"UCMSC-{day(d1, sd):%y%m}-{int(rng.integers(100, 999))}"])
        for visit, sd in LAB_DAYS.items():
            if sd > end_day(subj):  # no sample after death or the last contact
                continue
            lev = level(subj, visit)
            (a0, a1), (h0, h1), (p0, p1) = RANGES[lev]
            anc = round(float(rng.uniform(a0, a1)), 2)
            hgb = int(rng.integers(h0, h1 + 1))
            plt = int(rng.integers(p0, p1 + 1))
            labs.append([s, visit, day(d1, sd).isoformat(), "08:00", f"{anc:.2f}", "10^9/L",
                         str(hgb), "g/L", str(plt), "10^9/L"])
        # adverse events: (verbatim, PT, SOC, start day, end day, grade, serious,
        # relationship to non-study treatment, outcome)
        events: list[tuple[str, str, str, int, int, int, str, str, str]] = []
        if subj["ana"] == "Y":
            first = 1 + int(rng.integers(0, 2))
            events.append(("Anaphylaxis during ATG infusion", "Anaphylactic reaction",
                           "Immune system disorders", first, first + 1, 3, "Y", "Rabbit ATG",
                           "Recovered/Resolved"))
        events.append(("Fever with ATG", "Pyrexia",
                       "General disorders and administration site conditions", 1, 4, 1, "N",
                       "Rabbit ATG", "Recovered/Resolved"))
        if rng.random() < 0.5:
            events.append(("Serum sickness", "Serum sickness", "Immune system disorders", 9, 13,
                           2, "N", "Rabbit ATG", "Recovered/Resolved"))
        if subj["end"][0] == "Died":  # type: ignore[index]
            events.append(("Severe infection, sepsis", "Sepsis", "Infections and infestations",
                           end_day(subj) - 6, end_day(subj), 5, "Y", "", "Fatal"))
        for n, (term, decod, soc, start, stop, grade, ser, rel_nst, outcome) in enumerate(
                events, start=1):
            aes.append([s, n, term, decod, soc, day(d1, start).isoformat(),
                        day(d1, stop).isoformat(), grade, ser, "Not related", rel_nst, outcome])
        if subj["fail"] is not None:
            reason, fday = subj["fail"]  # type: ignore[misc]
            fails.append([s, 1, reason, day(d1, int(fday)).isoformat()])
        status, eday = subj["end"]  # type: ignore[misc]
        disp.append([s, status, day(d1, int(eday)).isoformat(),
                     day(d1, int(eday)).isoformat() if status == "Died" else "",
                     "Sepsis" if status == "Died" else ""])
    write(out / "demographics.csv",
          ["SITEID", "SUBJID", "ICDAT", "BRTHDAT", "SEX", "RACE", "ETHNIC", "WEIGHT"], demo)
    write(out / "enrolment.csv", ["SUBJID", "ENRLDAT", "GROUP", "SEVERITY"], enrol)
    write(out / "exposure.csv", ["SUBJID", "VISIT", "INFNUM", "EXSTDAT", "EXSTTIM", "EXDOSE",
                                 "EXDOSU", "WEIGHT", "EXROUTE", "EXLOT"], expo)
    write(out / "ist.csv", ["SUBJID", "CMSPID", "CMTRT", "CMDECOD", "CMDOSE", "CMDOSU",
                            "CMDOSFRQ", "CMROUTE", "CMSTDAT", "CMENDAT", "CMONGO"], ist)
    write(out / "labs.csv", ["SUBJID", "VISIT", "LBDAT", "LBTIM", "ANC", "ANC_U", "HGB", "HGB_U",
                             "PLT", "PLT_U"], labs)
    write(out / "adverse_events.csv", ["SUBJID", "AESPID", "AETERM", "AEDECOD", "AEBODSYS",
                                       "AESTDAT", "AEENDAT", "AETOXGR", "AESER", "AEREL",
                                       "AERELNST", "AEOUT"], aes)
    write(out / "treatment_failure.csv", ["SUBJID", "CESPID", "FAILREAS", "FAILDAT"], fails)
    write(out / "end_of_study.csv", ["SUBJID", "EOSSTAT", "LSTCDAT", "DTHDAT", "DTHCAUS"], disp)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "raw")
    generate(ap.parse_args().out)


if __name__ == "__main__":
    main()
