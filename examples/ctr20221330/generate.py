"""Generate the synthetic raw CRF extracts of the CTR20221330 sister study.

CTR20221330 is the multicentre phase Ib/IIa trial of an off-the-shelf human umbilical-cord MSC
product as salvage therapy for steroid-refractory acute GVHD (grades II-IV) after allogeneic
HSCT. No patient-level data is public: every value written here is invented, built so that the
figures the abstract publishes come out exactly under the definitions below
(``tests/test_ctr20221330_raw.py`` recomputes them from the CSV rows with pandas alone).

Usage::

    python examples/ctr20221330/generate.py [--out DIR]

Deterministic: the design table below fixes everything a published figure depends on; the rest
(times, weights, ages, AE detail) comes from ``numpy.random.default_rng(SEED)`` drawn in a fixed
order, and the CSVs are written with ``\\n`` line ends and explicit formatting.

Published figures reproduced
----------------------------
* 25 patients; 3+3 escalation at 0.5 / 1.0 / 2.0 x10^6 cells/kg with no dose-limiting toxicity
  (so three patients per level), then expansion at the RP2D 1.0 x10^6/kg (16 patients).
* Twice-weekly infusions for 3 weeks: six infusions on days 1, 4, 8, 11, 15 and 18.
* Day-28 response: CR 10/25 (40.0%), PR 10/25 (40.0%), ORR 20/25 (80.0%).
* 1-year OS 74.3% (Kaplan-Meier), 1-year non-relapse mortality 17.0% and relapse 8.4%
  (Aalen-Johansen cumulative incidence, relapse and non-relapse death competing).

Choices made where the abstract is silent (all invented)
--------------------------------------------------------
* Sites. Four sites (SITEID 01-04) enrol 9, 7, 5 and 4 patients. Each site numbers its own
  patients from 001, so SUBJID alone does not identify a patient: every form carries SITEID and
  USUBJID must include it.
* Dates. First infusions from September 2022 to July 2024; escalation cohorts follow each
  other after the 28-day DLT window; data cut-off 31 Oct 2024. Enrolment is the day before the
  first infusion, consent 1-5 days before enrolment.
* Time origin for survival and incidence is the first infusion (time = date - first infusion
  date, in days; "1 year" = 365 days). Every event before day 365 is in the design table; the
  17 other patients are alive and relapse-free beyond day 365 (last contact near the cut-off).
  The two last-enrolled patients are censored at the cut-off before one year (days 143 and 96):
  with 25 patients a 1-year OS of 74.3% needs censoring (6 deaths without it give 76.0%).
  Events in time order (day): relapse 58, non-relapse death 71, censoring 96, non-relapse death
  118, censoring 143, non-relapse death 167, relapse 190, non-relapse death 221, deaths after
  relapse 256 and 301. KM OS(365) = 0.7434, NRM CIF = 0.1696, relapse CIF = 0.0839.
* GVHD staging (MAGIC criteria, lower GI only): skin, liver and GI stage 0-4 and the overall
  grade 0-IV at Day 1 (baseline, before the first infusion), Day 8, 15, 22 and 28. Grade: IV
  if any stage is 4; III if liver or GI stage >= 2; II if skin stage 3 or liver or GI stage 1;
  I if skin stage 1-2; else 0. The CRF records the grade the investigator gave, which always
  agrees with these rules. Every patient is grade II-IV at baseline.
* Day-28 response (consensus aGVHD criteria, each organ's stage against baseline): CR = every
  organ stage 0; PR = at least one organ better by >= 1 stage and none worse; MR (mixed) =
  some organ better, some worse; NC = no organ changed; PD = some organ worse, none better.
  ORR = CR + PR. Non-responders: 2 NC, 2 PD, 1 MR. No patient dies before day 28.
* Who has which outcome (subject order = enrolment order, see DESIGN_TABLE): the non-relapse
  deaths are three non-responders and one PR; both relapses follow a response.
* Not in this extract: laboratory values, concomitant medication and the biomarker panel
  (CD8+ central memory T cells, CXCR-10 at 24 h), for which the abstract gives no figure; so
  the study has no LB or CM domain. The liver and GI stages are the investigator's (the
  bilirubin and stool volume behind them are not exported).
* Safety: no DLT (the CRF box is N throughout); each patient has 1-4 AEs drawn from a list of
  post-transplant complications (CTCAE v5.0 grade 1-3), plus an infusion-related reaction in
  three patients; each non-relapse death has a fatal (grade 5) AE ending on the death date.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from pathlib import Path
from typing import NamedTuple

import numpy as np

SEED = 20221330
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "raw"
CUTOFF = dt.date(2024, 10, 31)
INFUSION_DAYS = [1, 4, 8, 11, 15, 18]  # twice weekly for 3 weeks (Mon/Thu pattern)
INFUSION_VISITS = [f"Day {d}" for d in INFUSION_DAYS]
ASSESSMENT_DAYS = [1, 8, 15, 22, 28]
ESC, EXP = "Dose escalation", "Dose expansion"
GRADE_TEXT = ["0", "I", "II", "III", "IV"]


class Subject(NamedTuple):
    siteid: str
    subjid: str
    cohort: str
    phase: str
    day1: dt.date
    response: str  # day-28 response: CR PR MR NC PD
    relapse: int | None  # study day count (days after the first infusion) of relapse
    death: int | None  # days after the first infusion of death
    censor: int | None  # days after the first infusion of last contact, when before 1 year


# n: enrolment order; site; dose cohort; ph(ase); day1 = first infusion; rsp = day-28 response;
# rel / dth / cns = days from the first infusion to relapse / death / censoring (before 1 year).
# fmt: off
DESIGN_TABLE = """
n  site dose ph  day1       rsp rel dth cns
1  01   0.5  esc 2022-09-05 NC  -   -   -
2  02   0.5  esc 2022-09-19 PR  -   221 -
3  01   0.5  esc 2022-10-10 PD  -   71  -
4  03   1.0  esc 2022-11-14 CR  -   -   -
5  01   1.0  esc 2022-11-28 CR  58  256 -
6  02   1.0  esc 2022-12-12 PR  -   -   -
7  04   2.0  esc 2023-01-16 CR  -   -   -
8  01   2.0  esc 2023-01-30 MR  -   167 -
9  03   2.0  esc 2023-02-13 PR  -   -   -
10 02   1.0  exp 2023-03-20 CR  -   -   -
11 01   1.0  exp 2023-04-03 PR  -   -   -
12 04   1.0  exp 2023-04-17 NC  -   118 -
13 02   1.0  exp 2023-05-08 CR  -   -   -
14 01   1.0  exp 2023-05-22 PR  190 301 -
15 03   1.0  exp 2023-06-05 CR  -   -   -
16 02   1.0  exp 2023-06-26 PD  -   -   -
17 01   1.0  exp 2023-07-10 PR  -   -   -
18 04   1.0  exp 2023-07-24 CR  -   -   -
19 03   1.0  exp 2023-08-14 PR  -   -   -
20 01   1.0  exp 2023-08-28 CR  -   -   -
21 02   1.0  exp 2023-09-11 PR  -   -   -
22 01   1.0  exp 2023-09-25 CR  -   -   -
23 02   1.0  exp 2023-10-16 PR  -   -   -
24 03   1.0  exp 2024-06-10 CR  -   -   143
25 04   1.0  exp 2024-07-27 PR  -   -   96
"""
# fmt: on


def _opt(text: str) -> int | None:
    return None if text == "-" else int(text)


def _design() -> list[Subject]:
    rows = [line.split() for line in DESIGN_TABLE.strip().splitlines()[1:]]
    counters: dict[str, int] = {}
    out = []
    for _, site, dose, ph, day1, rsp, rel, dth, cns in rows:
        counters[site] = counters.get(site, 0) + 1  # per-site numbering
        out.append(Subject(site, f"{counters[site]:03d}", dose, ESC if ph == "esc" else EXP,
                           dt.date.fromisoformat(day1), rsp, _opt(rel), _opt(dth), _opt(cns)))
    return out


DESIGN = _design()


def overall_grade(skin: int, liver: int, gi: int) -> int:
    """MAGIC overall grade from the organ stages (lower GI only)."""
    if 4 in (skin, liver, gi):
        return 4
    if liver >= 2 or gi >= 2:
        return 3
    if skin == 3 or liver == 1 or gi == 1:
        return 2
    return 1 if skin >= 1 else 0


# Baseline stages (skin, liver, GI) by day-28 response, cycled through per response; each
# gives grade II-IV. Day-28 stages come from _day28().
BASELINES = {
    "CR": [(3, 0, 1), (2, 0, 2), (3, 1, 0), (1, 0, 3), (4, 0, 1)],
    "PR": [(3, 2, 2), (2, 1, 3), (3, 0, 2), (4, 1, 1), (2, 0, 3)],
    "MR": [(3, 0, 2)],
    "NC": [(2, 1, 2), (3, 0, 1)],
    "PD": [(2, 0, 1), (3, 1, 1)],
}


def _day28(response: str, base: tuple[int, int, int]) -> tuple[int, int, int]:
    skin, liver, gi = base
    if response == "CR":
        return 0, 0, 0
    if response == "PR":  # each involved organ one stage better, none worse, not all clear
        better = (max(skin - 1, 0), max(liver - 1, 0), max(gi - 1, 0))
        return better if any(better) else (skin, liver, max(gi - 1, 0))
    if response == "MR":  # skin better, GI worse
        return skin - 2, liver, gi + 1
    if response == "PD":  # GI worse, nothing better
        return skin, liver, gi + 1
    return base  # NC


def _stages(response: str, base: tuple[int, int, int]) -> list[tuple[int, int, int]]:
    """Stages at the assessment days: baseline, two steps towards day 28, day 28."""
    end = _day28(response, base)
    mid = tuple(b + (e - b) // 2 if e < b else b for b, e in zip(base, end, strict=True))
    return [base, base, mid, end, end]  # days 1, 8, 15, 22, 28


AE_POOL = [
    # (verbatim, MedDRA PT, SOC, max grade)
    ("CMV reactivation", "Cytomegalovirus infection reactivation",
     "Infections and infestations", 2),
    ("Fever", "Pyrexia", "General disorders and administration site conditions", 2),
    ("Low platelets", "Platelet count decreased", "Investigations", 3),
    ("Neutropenia", "Neutrophil count decreased", "Investigations", 3),
    ("Anaemia", "Anaemia", "Blood and lymphatic system disorders", 3),
    ("High blood sugar", "Hyperglycaemia", "Metabolism and nutrition disorders", 2),
    ("Hypertension", "Hypertension", "Vascular disorders", 2),
    ("Low potassium", "Hypokalaemia", "Metabolism and nutrition disorders", 2),
    ("Lung infection", "Pneumonia", "Infections and infestations", 3),
    ("EBV viraemia", "Epstein-Barr viraemia", "Infections and infestations", 2),
]
FATAL_AES = [
    ("Septic shock", "Septic shock", "Infections and infestations"),
    ("Severe pneumonia", "Pneumonia", "Infections and infestations"),
    ("Multiple organ failure", "Multiple organ dysfunction syndrome",
     "General disorders and administration site conditions"),
    ("Fungal pneumonia", "Pneumonia fungal", "Infections and infestations"),
]
IRR_SUBJECTS = {3, 11, 19}  # enrolment order of the patients with an infusion reaction
DIAGNOSES = ["AML", "ALL", "MDS", "CML", "Lymphoma"]
DONORS = ["Haploidentical", "Matched sibling", "Matched unrelated"]


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day(s: Subject, study_day: int) -> dt.date:
    """Date of a study day (day 1 = first infusion)."""
    return s.day1 + dt.timedelta(days=study_day - 1)


def _after(s: Subject, days: int) -> dt.date:
    """Date `days` days after the first infusion (survival time scale)."""
    return s.day1 + dt.timedelta(days=days)


def build(rng: np.random.Generator) -> dict[str, list[list[str]]]:
    demo, base, enrol, expo, gvhd, aes, fup = [], [], [], [], [], [], []
    counts: dict[str, int] = {}
    for n, s in enumerate(DESIGN, start=1):
        key = [s.siteid, s.subjid]
        enrolled = s.day1 - dt.timedelta(days=1)
        consent = enrolled - dt.timedelta(days=int(rng.integers(1, 6)))
        age = int(rng.integers(18, 63))
        birth = consent - dt.timedelta(days=365 * age + int(rng.integers(10, 350)) + age // 4)
        sex = "Male" if rng.random() < 0.6 else "Female"
        weight = float(rng.uniform(48, 82)) if sex == "Male" else float(rng.uniform(42, 70))
        demo.append(key + [consent.isoformat(), birth.isoformat(), sex, "Asian",
                           "Not Hispanic or Latino", f"{weight:.1f}"])
        hsct = s.day1 - dt.timedelta(days=int(rng.integers(35, 90)))
        onset = hsct + dt.timedelta(days=int(rng.integers(14, 28)))
        base.append(key + [DIAGNOSES[int(rng.integers(0, len(DIAGNOSES)))], hsct.isoformat(),
                           DONORS[int(rng.integers(0, len(DONORS)))], onset.isoformat()])
        enrol.append(key + [enrolled.isoformat(), s.phase, s.cohort])
        lot = f"HUCMSC{s.day1:%y%m}{n:02d}"
        for num, day in enumerate(INFUSION_DAYS, start=1):
            start = int(rng.integers(18, 22)) * 30 + int(rng.integers(0, 6)) * 5  # 09:00-10:55
            wt = weight + float(rng.uniform(-0.8, 0.8))
            expo.append(key + [f"Day {day}", str(num), _day(s, day).isoformat(), _hhmm(start),
                               _hhmm(start + int(rng.integers(4, 7)) * 5), s.cohort,
                               "10^6 cells/kg", f"{wt:.1f}", "Intravenous", lot])
        pool = BASELINES[s.response]
        counts[s.response] = counts.get(s.response, 0) + 1
        stage0 = pool[(counts[s.response] - 1) % len(pool)]
        for day, (skin, liver, gi) in zip(ASSESSMENT_DAYS, _stages(s.response, stage0),
                                          strict=True):
            gvhd.append(key + [f"Day {day}", _day(s, day).isoformat(), str(skin), str(liver),
                               str(gi), GRADE_TEXT[overall_grade(skin, liver, gi)]])
        # adverse events: 1-4 from the pool, within the first 60 days
        picks = rng.choice(len(AE_POOL), size=int(rng.integers(1, 5)), replace=False)
        events = []
        for i in sorted(int(p) for p in picks):
            term, pt, soc, top = AE_POOL[i]
            start = int(rng.integers(2, 50))
            grade = int(rng.integers(1, top + 1))
            length = int(rng.integers(3, 20))
            events.append((start, term, pt, soc, grade, start + length, "N", "Not related"))
        if n in IRR_SUBJECTS:
            events.append((1, "Chills during infusion", "Infusion related reaction",
                           "Injury, poisoning and procedural complications", 1, 1, "N",
                           "Probably related"))
        if s.death is not None and s.relapse is None:  # non-relapse death: its fatal AE
            term, pt, soc = FATAL_AES[int(rng.integers(0, len(FATAL_AES)))]
            onset_after = s.death - int(rng.integers(5, 15))
            events.append((onset_after + 1, term, pt, soc, 5, s.death + 1, "Y", "Not related"))
        for spid, (start, term, pt, soc, grade, end, ser, rel) in enumerate(
                sorted(events), start=1):
            fatal = grade == 5
            aes.append(key + [str(spid), term, pt, soc, _day(s, start).isoformat(),
                              _day(s, end).isoformat(), str(grade), ser, rel,
                              "Fatal" if fatal else "Recovered/Resolved", "N"])
        # survival follow-up: last contact, death, relapse
        if s.death is not None:
            last = _after(s, s.death)
        elif s.censor is not None:
            last = _after(s, s.censor)
        else:
            last = CUTOFF - dt.timedelta(days=int(rng.integers(0, 25)))
        assert last <= CUTOFF
        fup.append(key + [
            last.isoformat(), "Dead" if s.death is not None else "Alive",
            _after(s, s.death).isoformat() if s.death is not None else "",
            ("Relapse of underlying malignancy" if s.relapse is not None else
             "Non-relapse mortality: " + next(e[2] for e in events if e[4] == 5))
            if s.death is not None else "",
            "Y" if s.relapse is not None else "N",
            _after(s, s.relapse).isoformat() if s.relapse is not None else ""])
    return {"demographics.csv": demo, "transplant.csv": base, "enrolment.csv": enrol,
            "exposure.csv": expo, "gvhd_staging.csv": gvhd, "adverse_events.csv": aes,
            "followup.csv": fup}


HEADERS = {
    "demographics.csv": ["SITEID", "SUBJID", "ICDAT", "BRTHDAT", "SEX", "RACE", "ETHNIC",
                         "WEIGHT"],
    "transplant.csv": ["SITEID", "SUBJID", "DIAG", "HSCTDAT", "DONOR", "GVHDDAT"],
    "enrolment.csv": ["SITEID", "SUBJID", "ENRLDAT", "PHASE", "COHORT"],
    "exposure.csv": ["SITEID", "SUBJID", "VISIT", "INFNUM", "EXSTDAT", "EXSTTIM", "EXENTIM",
                     "EXDOSE", "EXDOSU", "WEIGHT", "EXROUTE", "EXLOT"],
    "gvhd_staging.csv": ["SITEID", "SUBJID", "VISIT", "ASSDAT", "SKINSTG", "LIVERSTG", "GISTG",
                         "GRADE"],
    "adverse_events.csv": ["SITEID", "SUBJID", "AESPID", "AETERM", "AEDECOD", "AEBODSYS",
                           "AESTDAT", "AEENDAT", "AETOXGR", "AESER", "AEREL", "AEOUT", "AEDLT"],
    "followup.csv": ["SITEID", "SUBJID", "LSTCNTDAT", "VSTAT", "DTHDAT", "DTHCAUS", "RELAPSE",
                     "RELDAT"],
}


def generate() -> dict[str, list[list[str]]]:
    return build(np.random.default_rng(SEED))


def write(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, rows in generate().items():
        with (out / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(HEADERS[name])
            writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    write(parser.parse_args().out)


if __name__ == "__main__":
    main()
