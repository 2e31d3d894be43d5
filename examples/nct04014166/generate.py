"""Generate the synthetic raw CRF extracts of the NCT04014166 example study.

NCT04014166 is the phase I trial of umbilical-cord mesenchymal stem cells (UC-MSC) in refractory
immune thrombocytopenia (Chen et al., Signal Transduct Target Ther 2024; 9:102). No patient-level
data of the trial is public, so every value written here is invented. The data are built so that
the paper's published figures come out exactly when the paper's definitions are applied (see
``tests/test_example_raw.py``, which recomputes every figure from the CSV rows).

Usage::

    python examples/nct04014166/generate.py [--out DIR]

The output is deterministic: the hand-written per-subject tables below fix everything that
matters for a published figure, and the remaining detail (times, body size, chemistry noise,
unit spellings, bleeding at low counts) comes from ``numpy.random.default_rng(SEED)`` drawn in a
fixed order. Files are written with ``\\n`` line ends and explicit number formatting, so a rerun
is byte-identical.

Efficacy definitions the platelet series are written against
------------------------------------------------------------
* Baseline = Day 1 pre-infusion count. Post-baseline = samples after the first infusion up to
  Week 28.
* A count is not evaluable when its sample date lies in a rescue window: rescue start date to
  14 days after its end date (single-day rescue: end = start).
* Evaluable count: CR if PLT >= 100 without bleeding at that visit; R if PLT >= 30 and
  >= 2 x baseline without bleeding; otherwise NR. Responder = any R/CR visit. CR (subject) = two
  evaluable PLT >= 100 visits without bleeding at least 7 days apart.
* Cumulative response duration = sum over episodes of (first evaluable assessment no longer in
  response, or last assessment if still responding) - (first assessment of the episode), in
  weeks. Responders' visits therefore sit on exact study weeks.

Choices made where the paper is silent (all invented)
-----------------------------------------------------
* Dates. 001's first infusion is the registry's study start date (21 Nov 2019); cohorts follow
  each other with gaps for the 3+3 safety review and the early-2020 COVID-19 pause; 010-012 are
  added after 007's DLT (day 32, Sep 2020); the expansion cohort runs Sep 2021 - Aug 2022 (018
  enrolled 17 Aug 2022). Enrolment (ENRLDAT) is the day before Day 1; consent is 3-14 days before
  enrolment (column ``ic`` of the design table); screening labs 1-2 days after consent.
* Visit schedule. Study day 1 = first infusion; Week k = day 7k+1 for k = 1..16, then Week 20/24/28
  (days 141/169/197). Infusions on Day 1, Week 1, Week 2, Week 3. Responders' visits are on
  target; a few non-responders' visits move by 1-2 days (002's and 011's infusions included).
* Missed visits (COVID-19): 001 Week 11-13, 002 Week 9-10, 003 Week 7-8 (Feb 2020 lockdown);
  008 Week 11 (local restrictions, Nov 2020); 017 Week 28 and 018 Week 16 and 20 (Dec 2022 -
  Jan 2023 wave). A missed visit has no lab and no bleeding row. Day 1 is never missed.
* Unscheduled visits: the admissions for 007's myocardial infarction (day 32), 009's menstrual
  bleeding (day 17), 006's and 014's gastrointestinal haemorrhage (days 47 and 37). For 006, 009
  and 014 the admission sample is drawn before the first rescue dose but on its start date, so
  it is not evaluable (it is a non-response either way).
* Rescue therapy is given from the day after the triggering visit (or on the admission day), so
  no scheduled visit falls on a window boundary and the figures do not depend on whether the
  window ends are inclusive.
* Who received what: infusion reactions in 004 and 005 (both 1.0 cohort responders); rescue in
  001, 003, 004, 006, 009, 012 (escalation 6/12) and 013-017 (expansion 5/6; 018 none);
  concomitant ITP drugs in 002, 003, 005, 008, 010, 011, 012, 015, 017 (9/18), all started
  before consent at a stable dose (010's eltrombopag is then tapered 75 > 50 > 25 mg/day). The
  conmed form holds ITP-directed therapy only (the paper's definition), so e.g. the treatment of
  007's infarction is not listed. The transaminase rises (all grade 1) occur in subjects on a
  TPO-RA or danazol, as the paper attributes them.
* Subgroups: splenectomy only 001 005 011 015 018; rituximab only 002 004 006 007 010 012 016
  017; both 003 008 009 013 014 - giving 4/10, 6/13 and 2/5 responders.
* Edge cases: 014's count rises to 68 only inside its rescue window; responders 004, 013 and 016
  have rescue-window counts that would add response weeks if they were counted (and 016's
  first count >= 50 would move from day 35 to day 14); 005 bleeds at Week 6 with a count of 46
  (>= 30 and doubled), splitting its response into two 3-week episodes; 009's heavy menstrual
  bleeding SAE is during the infusion period.
* AEs: 13 subjects with TEAEs; 011 (no TEAE) has a cold during screening; 010's URTI is dated
  UNK-MAR-2021 and 008's diarrhoea UNK-DEC-2020 (clearly after Day 1); 013's URTI is dated
  UNK-SEP-2021, the month of its first infusion (deliberately ambiguous; 013 has another TEAE so
  the 13/18 count holds under any imputation); 002's insomnia and 017's ALT rise are ongoing.
  Lab AEs start on the date of the first sample above the upper limit and end on the first
  normal sample; outside those windows chemistry stays inside the normal range.
* Units: about 15% of lab rows come from the backup analyser that reports ``x10E9/L``/``G/L``,
  ``g/dL``, ``IU/L`` and ``mg/dL``. Conversions to the standard unit: Hb g/dL x 10, bilirubin
  mg/dL x 17.1, uric acid mg/dL x 59.48, creatinine mg/dL x 88.4. Chemistry values keep a >= 10%
  margin from the limits so no classification depends on the conversion factor's rounding.
* ``<5`` is the counter's lower limit; it is only ever reported for non-responders after Day 1.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from pathlib import Path
from typing import NamedTuple

import numpy as np

SEED = 20240302
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "raw"
SITEID = "01"

# --------------------------------------------------------------------------------------------
# Visit schedule: (visit name, target study day). Screening is placed relative to consent.
# --------------------------------------------------------------------------------------------
SCHEDULE: list[tuple[str, int]] = (
    [("Screening", 0), ("Day 1", 1)]
    + [(f"Week {k}", 7 * k + 1) for k in range(1, 17)]
    + [("Week 20", 141), ("Week 24", 169), ("Week 28", 197)]
)
INFUSION_VISITS = ["Day 1", "Week 1", "Week 2", "Week 3"]
ESC, EXP = "Dose escalation", "Dose expansion"


class Subject(NamedTuple):
    """One row of the design table: what the data must show for this subject."""

    subjid: str
    cohort: str  # planned dose level, 10^6 cells/kg
    phase: str
    sex: str  # "F" / "M"
    age: int  # whole years at consent
    day1: str  # first infusion date
    ic: int  # days from informed consent to enrolment (3-14)
    responder: bool
    episodes: tuple[tuple[str, str], ...]  # (first R visit, first visit no longer R / last visit)
    t50: int | None  # days from first infusion to first evaluable PLT >= 50
    peak: int  # highest evaluable post-baseline count
    cr: bool  # two evaluable PLT >= 100 visits without bleeding >= 7 days apart
    rescue: bool  # any rescue therapy (rows in MEDS)
    conmed: bool  # concomitant ITP medication (rows in MEDS)
    teae: bool  # any treatment-emergent AE (rows in AES)
    notes: str


# The per-subject design. dose = cohort (10^6 cells/kg); ph = esc(alation) / exp(ansion);
# age = whole years at consent; day1 = first infusion; ic = days from consent to enrolment;
# episodes = response episodes, first R visit - first visit no longer in response (or the last
# visit), e.g. W3-W6 = 3 weeks; t50 = days from first infusion to the first evaluable PLT >= 50;
# peak = highest evaluable post-baseline count; CR = confirmed complete response; resc / cm /
# te = has rescue therapy / concomitant ITP drug / treatment-emergent AE. check_design()
# verifies the columns from resp on against the rows generated from the tables further down.
# fmt: off
DESIGN_TABLE = """
id  dose ph  sex age day1       ic resp episodes     t50 peak CR resc cm te notes
001 0.5  esc F    44 2019-11-21 12 N    -              -   15 N  Y    N  N  IVIG
002 0.5  esc F    38 2019-12-05  5 N    -              -   33 N  N    Y  Y  fatigue, urate, insomnia
003 0.5  esc M    47 2019-12-19  9 N    -              -   12 N  Y    Y  N  platelet transfusion
004 1.0  esc F    30 2020-05-14  7 Y    W2-W5         14  118 N  Y    N  Y  IRR; rhTPO after W9
005 1.0  esc F    41 2020-06-04 10 Y    W3-W6,W7-W10  21  112 Y  N    Y  Y  IRR, fatigue; bleed W6
006 1.0  esc F    49 2020-06-24  4 N    -              -   13 N  Y    N  Y  GI haemorrhage SAE
007 2.0  esc M    50 2020-08-13  6 Y    W6-W13        42  104 N  N    N  Y  AMI SAE = DLT, urate
008 2.0  esc F    36 2020-08-27  8 Y    W1-W28         7   89 N  N    Y  Y  ALT, bili, diarrhoea
009 2.0  esc F    43 2020-09-10  3 N    -              -   17 N  Y    N  Y  HMB SAE, fatigue
010 2.0  esc F    46 2021-01-14 11 Y    W1-W28         7  141 Y  N    Y  Y  bili, ALT, AST, URTI
011 2.0  esc F    44 2021-03-11 13 N    -              -   35 N  N    Y  N  URTI at screening
012 2.0  esc F    48 2021-05-13  6 N    -              -   24 N  Y    Y  Y  AST, bilirubin
013 2.0  exp F    34 2021-09-02  9 Y    W3-W11        21  132 Y  Y    N  Y  fatigue, URTI UNK-SEP
014 2.0  exp F    49 2021-11-18  7 N    -              -   15 N  Y    N  Y  urate, GI bleed SAE
015 2.0  exp M    45 2022-01-13 12 N    -              -   14 N  Y    Y  N  platelet transfusion
016 2.0  exp F    40 2022-03-24  5 Y    W5-W8         35  104 N  Y    N  Y  headache, bilirubin
017 2.0  exp F    42 2022-06-09  8 N    -              -   29 N  Y    Y  Y  fatigue, ALT ongoing
018 2.0  exp F    50 2022-08-18 10 Y    W4-W10        28  126 Y  N    N  N  no rescue, no conmed
"""
# fmt: on


def _parse_design(table: str) -> list[Subject]:
    def week(token: str) -> str:
        return f"Week {token[1:]}"

    subjects = []
    for line in table.strip().splitlines()[1:]:
        f = line.split(maxsplit=15)
        episodes = () if f[8] == "-" else tuple(
            (week(a), week(b)) for a, b in (e.split("-") for e in f[8].split(","))
        )
        subjects.append(Subject(
            subjid=f[0], cohort=f[1], phase=ESC if f[2] == "esc" else EXP, sex=f[3],
            age=int(f[4]), day1=f[5], ic=int(f[6]), responder=f[7] == "Y", episodes=episodes,
            t50=None if f[9] == "-" else int(f[9]), peak=int(f[10]), cr=f[11] == "Y",
            rescue=f[12] == "Y", conmed=f[13] == "Y", teae=f[14] == "Y", notes=f[15],
        ))
    return subjects


DESIGN = _parse_design(DESIGN_TABLE)

# fmt: off
# Platelet counts (10^9/L) as reported, one token per visit in SCHEDULE order:
#   Scr  D1 | W1 W2 ... W16 | W20 W24 W28.   "-" = visit missed, "." = not done, "<5" = below limit.
# Counts marked * in the comments lie inside a rescue window (not evaluable).
PLT: dict[str, str] = {
    "001": "11  9 | 12  8 14 10  6 38 27 15 11  9  -  -  - 13 10 12 |  8 14 11",   # W6*,W7* IVIG
    "002": "20 18 | 22 26 31 28 24 33 29 25  -  - 21 27 30 26 22 24 | 28 23 25",   # >=30 but < 2x18
    "003": " 8  7 |  9  6 <5 34 21 10  -  -  8 12  9  7 11 <5  8 10 |  9 12  8",   # W4*,W5*
    "004": "12 10 | 16 54 118 72 26 19 15 13 9 36 58 44 22 18 14 12 | 16 11 13",   # W10*-W12* rhTPO
    "005": "16 14 | 18 24 62 105 80 46 58 112 66 26 20 18 22 17 19 21 | 16 18 15",  # W6 bleed
    "006": " 9  7 | 11  8 12  9  6  8 42 35 24 13  9 11  8 10 12  9 | 11  8 10",   # W7*-W9*
    "007": "23 21 | 24 19 26 22 28 56 78 96 104 85 66 52 38 35 40 33 | 37 34 36", # 2x21 = 42
    "008": "14 12 | 52 64 78 89 84 76 71 68 66 63  - 61 55 52 49 47 | 44 40 37",   # max 89
    "009": "12 10 | 13  9 46 33 17 12 14  9 11 15 12 10 13 16 11 14 | 12  9 13",   # W3*,W4*
    "010": "18 16 | 58 86 112 134 128 141 122 118 109 96 104 92 88 95 84 90 | 78 82 86",
    "011": "17 19 | 23 27 31 35 29 26 33 28 24 30 27 22 25  . 21 26 | 23 28 24",   # < 2x19
    "012": "15 13 | 17 21 24 19 16 22 18 14 11 <5 38 29 16 12 15 18 | 13 16 14",   # W11*,W12*
    "013": "15 13 | 18 24 58 95 120 132 110 96 75 48 22 14 96 64 19 16 | 21 17 15", # W13*,W14*
    "014": "11  9 | 12 10 14  8  6 68 41 15 11  9 13 10  8 12  9 11 | 10 12  9",   # W6*,W7*
    "015": "13 11 |  9 <5 28 21 12 10 14  9 12  8 11 13 10  9 12 14 | 11 10 12",   # W3*,W4*
    "016": "10  8 |  6 88 62 12 56 104 72 24 18 15 12 16 11 14 10 13 | 15 12 14",  # W2*,W3*
    "017": "17 15 | 19 22 26 29 24 21 27 23 18 16 13  9 34 27 20 22 | 18 16  -",   # W13*,W14*
    "018": "12 11 | 14 19 25 64 108 126 98 115 70 28 21 17 19 15 18  - |  - 16 13",
}

# Unscheduled samples: subject -> (study day, platelet token, reason).
UNSCHEDULED: dict[str, list[tuple[int, str, str]]] = {
    "006": [(47, "<5", "admission for gastrointestinal haemorrhage")],
    "007": [(32, "17", "admission for acute myocardial infarction")],
    "009": [(17, "<5", "admission for heavy menstrual bleeding")],
    "014": [(37, "<5", "admission for gastrointestinal haemorrhage")],
}

# Visit date shifts (days) for non-responders; infusion visits shift the infusion too.
SHIFTS: dict[tuple[str, str], int] = {
    ("002", "Week 2"): 1, ("011", "Week 3"): -1, ("001", "Week 20"): 2, ("009", "Week 24"): 1,
    ("011", "Week 20"): 2, ("014", "Week 28"): 2, ("015", "Week 16"): 1,
}

# Tests not done at a visit (blank value and unit).
NOT_DONE: dict[tuple[str, str], list[str]] = {
    ("001", "Week 15"): ["URATE", "CREAT"],
    ("003", "Week 24"): ["CREAT"],
    ("009", "Week 9"): ["ALT", "AST", "TBIL", "URATE", "CREAT"],  # blood count only
    ("011", "Week 14"): ["PLT"],  # clumped sample, platelet count not reported
    ("015", "Week 20"): ["URATE"],
}

# ITP history: ITPDUR months, diagnosis-date precision, splenectomy, rituximab, NPRTHER,
# GP autoantibody.
GP_IB, GP_IIB, GP_DBL, GP_NEG = (
    "Anti-GPIb/IX", "Anti-GPIIb/IIIa", "Anti-GPIIb/IIIa + Anti-GPIa/IIa", "Negative",
)
HISTORY: dict[str, tuple[int, str, str, str, int, str]] = {
    "001": (96,  "day",   "Y", "N", 6, GP_IIB),
    "002": (45,  "day",   "N", "Y", 5, GP_IB),
    "003": (180, "month", "Y", "Y", 8, GP_NEG),
    "004": (15,  "day",   "N", "Y", 4, GP_IIB),
    "005": (60,  "day",   "Y", "N", 6, GP_DBL),
    "006": (240, "month", "N", "Y", 7, GP_IIB),
    "007": (360, "year",  "N", "Y", 9, GP_NEG),
    "008": (38,  "day",   "Y", "Y", 6, GP_NEG),
    "009": (76,  "day",   "Y", "Y", 7, GP_IIB),
    "010": (110, "day",   "N", "Y", 6, GP_DBL),
    "011": (70,  "day",   "Y", "N", 5, GP_NEG),
    "012": (150, "month", "N", "Y", 8, GP_IIB),
    "013": (24,  "day",   "Y", "Y", 4, GP_IB),
    "014": (132, "day",   "Y", "Y", 7, GP_NEG),
    "015": (84,  "day",   "Y", "N", 6, GP_DBL),
    "016": (30,  "day",   "N", "Y", 3, GP_IIB),
    "017": (52,  "day",   "N", "Y", 5, GP_NEG),
    "018": (66,  "day",   "Y", "N", 5, GP_NEG),
}


class Med(NamedTuple):
    """A conmed or rescue row; start/end are study days (int) or a literal pre-study date."""

    subjid: str
    cat: str
    trt: str
    decod: str
    indc: str
    dose: str
    unit: str
    freq: str
    route: str
    start: int | str
    end: int | str | None  # None = ongoing


RESC, CONC = "Rescue therapy", "Concomitant medication"
IV, PO, SC = "Intravenous", "Oral", "Subcutaneous"
IVIG, IVIG_DEC = "Human immunoglobulin (pH4) for IV injection", "Immunoglobulin human normal"
PLTX, PLTX_DEC = "Apheresis platelet transfusion", "Platelets, human"
BLEED_ITP = "ITP with bleeding"
ELT = "Eltrombopag olamine tablets"
DANAZOL, PRED = "Danazol", "Prednisone"
# Rescue starts the day after the triggering visit (or on the admission day), see the docstring.
MEDS: list[Med] = [
    Med("001", RESC, IVIG, IVIG_DEC, BLEED_ITP, "0.4", "g/kg", "QD", IV, 37, 41),
    Med("002", CONC, "Prednisone acetate tablets", PRED, "ITP", "10", "mg", "QD", PO,
        "2019-08", None),
    Med("003", CONC, "Danazol capsules", DANAZOL, "ITP", "200", "mg", "BID", PO,
        "2019-06-15", None),
    Med("003", RESC, PLTX, PLTX_DEC, "Epistaxis, PLT <5", "1", "unit", "ONCE", IV, 23, 23),
    Med("004", RESC, "rhTPO (TPIAO)", "Thrombopoietin", BLEED_ITP, "15000", "U", "QD", SC,
        65, 77),
    Med("005", CONC, "danazol", DANAZOL, "ITP", "200", "mg", "BID", PO, "2019-12", None),
    Med("006", RESC, PLTX, PLTX_DEC, "GI haemorrhage", "2", "unit", "ONCE", IV, 47, 47),
    Med("006", RESC, "IVIG", IVIG_DEC, "GI haemorrhage", "0.4", "g/kg", "QD", IV, 47, 51),
    Med("006", RESC, "Dexamethasone sodium phosphate inj.", "Dexamethasone", "GI haemorrhage",
        "40", "mg", "QD", IV, 47, 50),
    Med("008", CONC, "Hetrombopag olamine tablets", "Hetrombopag", "ITP", "5", "mg", "QD", PO,
        "2020-04", None),
    Med("009", RESC, PLTX, PLTX_DEC, "Heavy menstrual bleeding", "2", "unit", "ONCE", IV, 17, 17),
    Med("009", RESC, IVIG, IVIG_DEC, "Heavy menstrual bleeding", "0.4", "g/kg", "QD", IV, 17, 21),
    # 010: 75 mg/day for the three months before enrolment, tapered to 25 mg/day in follow-up.
    Med("010", CONC, ELT, "Eltrombopag", "ITP", "75", "mg", "QD", PO, "2020-10", 84),
    Med("010", CONC, ELT, "Eltrombopag", "ITP", "50", "mg", "QD", PO, 85, 140),
    Med("010", CONC, ELT, "Eltrombopag", "ITP", "25", "mg", "QD", PO, 141, None),
    Med("011", CONC, "Prednisone", PRED, "ITP", "5", "mg", "QD", PO, "2020-10", None),
    Med("012", CONC, "Avatrombopag maleate tablets", "Avatrombopag", "ITP", "20", "mg", "QD", PO,
        "2021-02-20", None),
    Med("012", RESC, "Dexamethasone", "Dexamethasone", BLEED_ITP, "40", "mg", "QD", PO, 72, 75),
    Med("013", RESC, IVIG, IVIG_DEC, "Epistaxis", "0.4", "g/kg", "QD", IV, 86, 90),
    Med("014", RESC, PLTX, PLTX_DEC, "GI haemorrhage", "2", "unit", "ONCE", IV, 37, 37),
    Med("014", RESC, "IVIG", IVIG_DEC, "GI haemorrhage", "0.4", "g/kg", "QD", IV, 37, 41),
    Med("015", CONC, "Prednisone acetate", PRED, "ITP", "7.5", "mg", "QD", PO, "2021-08", None),
    Med("015", CONC, "Danazol", DANAZOL, "ITP", "200", "mg", "BID", PO, "2021-10-09", None),
    Med("015", RESC, "Platelet transfusion", PLTX_DEC, "Epistaxis, PLT <5", "1", "unit", "ONCE",
        IV, 16, 16),
    Med("016", RESC, IVIG, IVIG_DEC, BLEED_ITP, "0.4", "g/kg", "QD", IV, 9, 13),
    Med("017", CONC, "Danazol capsules", DANAZOL, "ITP", "200", "mg", "BID", PO, "2021-12", None),
    Med("017", RESC, "Dexamethasone acetate tablets", "Dexamethasone", BLEED_ITP, "40", "mg", "QD",
        PO, 86, 89),
]


class AE(NamedTuple):
    """An AE. start/end: "d<study day>", a visit name (lab AEs), or a literal partial date."""

    subjid: str
    term: str
    decod: str
    start: str
    end: str | None  # None = ongoing
    grade: int
    rel: str
    sae: str = ""  # "" = not serious, else the Y/N flags for AESHOSP, AESLIFE, AESMIE
    time: str = ""  # "HH:MM", or "inf+MM" = minutes after the Day 1 infusion start
    infrr: bool = False
    dlt: bool = False


NREL, UNL, POS, PROB = "Not related", "Unlikely related", "Possibly related", "Probably related"
BILI, URIC = "Blood bilirubin increased", "Blood uric acid increased"
ALT_UP, AST_UP = "Alanine aminotransferase increased", "Aspartate aminotransferase increased"
URTI, GIH = "Upper respiratory tract infection", "Gastrointestinal haemorrhage"
AES: list[AE] = [
    AE("002", "Fatigue", "Fatigue", "d10", "d24", 1, UNL),
    AE("002", "insomnia", "Insomnia", "d30", None, 1, NREL),
    AE("002", "Uric acid elevated", URIC, "Week 6", "Week 11", 1, NREL),
    AE("004", "Chest tightness during infusion", "Infusion related reaction", "d1", "d1", 1, POS,
       time="inf+20", infrr=True),
    AE("005", "chest tightness, during 1st MSC infusion", "Infusion related reaction", "d1", "d1",
       1, PROB, time="inf+25", infrr=True),
    AE("005", "FATIGUE", "Fatigue", "d3", "d9", 1, UNL),
    AE("006", "Nausea", "Nausea", "d2", "d3", 1, UNL),
    AE("006", "Gastrointestinal bleeding (melena)", GIH, "d47", "d49", 3, NREL, sae="YNN"),
    AE("007", "Acute myocardial infarction", "Acute myocardial infarction", "d32", "d46", 3, POS,
       sae="YNY", time="06:40", dlt=True),
    AE("007", "Hyperuricemia", URIC, "Week 9", "Week 12", 1, NREL),
    AE("008", "ALT elevated", ALT_UP, "Week 8", "Week 13", 1, UNL),
    AE("008", "diarrhoea", "Diarrhoea", "UNK-DEC-2020", "UNK-DEC-2020", 1, NREL),
    AE("008", "Total bilirubin increased", BILI, "Week 15", "Week 20", 1, UNL),
    AE("009", "Profuse menstruation", "Heavy menstrual bleeding", "d17", "d24", 3, NREL, sae="YNN"),
    AE("009", "Fatigue/tiredness", "Fatigue", "d18", "d35", 1, NREL),
    AE("010", "Bilirubin increased", BILI, "Week 4", "Week 8", 1, UNL),
    AE("010", "ALT increased", ALT_UP, "Week 6", "Week 10", 1, UNL),
    AE("010", "AST increased", AST_UP, "Week 6", "Week 8", 1, UNL),
    AE("010", "Upper respiratory infection", URTI, "UNK-MAR-2021", "d72", 1, NREL),
    AE("011", "common cold", URTI, "d-8", "d-3", 1, NREL),
    AE("012", "AST elevated", AST_UP, "Week 3", "Week 6", 1, UNL),
    AE("012", "hyperbilirubinemia", BILI, "Week 12", "Week 16", 1, UNL),
    AE("013", "URTI", URTI, "UNK-SEP-2021", "d13", 1, NREL),
    AE("013", "fatigue", "Fatigue", "d9", "d20", 1, UNL),
    AE("014", "uric acid increased", URIC, "Week 1", "Week 3", 1, NREL),
    AE("014", "Upper GI haemorrhage", GIH, "d37", "d41", 3, NREL, sae="YNN"),
    AE("016", "Headache", "Headache", "d10", "d11", 1, NREL),
    AE("016", "TBIL increased", BILI, "Week 2", "Week 4", 1, UNL),
    AE("017", "fatique", "Fatigue", "d30", "d45", 1, UNL),
    AE("017", "Elevated ALT", ALT_UP, "Week 8", None, 1, UNL),
]

# Bleeding assessments fixed by the design: (subject, visit or "U<day>") -> (site, WHO grade);
# site "" forces "no bleeding". Other visits follow the low-count rule in _bleeding().
BLEEDING: dict[tuple[str, str], tuple[str, int]] = {
    ("001", "Week 5"): ("Oral mucosa", 2),
    ("003", "Week 3"): ("Nose", 2),
    ("004", "Week 9"): ("Skin", 1),
    ("005", "Week 6"): ("Skin", 1),  # count 46 (>= 30, doubled) but bleeding: NR visit
    ("006", "U47"): ("Gastrointestinal", 3),
    ("007", "U32"): ("", 0),
    ("009", "U17"): ("Menstrual", 3),
    ("009", "Week 3"): ("Menstrual", 3),
    ("012", "Week 10"): ("Skin", 2),
    ("013", "Week 12"): ("Nose", 2),
    ("014", "U37"): ("Gastrointestinal", 3),
    ("015", "Week 2"): ("Nose", 2),
    ("016", "Week 1"): ("Oral mucosa", 2),
    ("017", "Week 12"): ("Oral mucosa", 2),
}

# Haemoglobin (g/L) around the haemorrhages; other visits are the subject's level plus noise.
HGB_FIXED: dict[tuple[str, str], int] = {
    ("006", "U47"): 72, ("006", "Week 7"): 79, ("006", "Week 8"): 88, ("006", "Week 9"): 97,
    ("009", "U17"): 68, ("009", "Week 3"): 76, ("009", "Week 4"): 86, ("009", "Week 5"): 95,
    ("014", "U37"): 70, ("014", "Week 6"): 81, ("014", "Week 7"): 90, ("014", "Week 8"): 98,
}
# fmt: on

# Local normal ranges in standard units: test -> {sex or "": (low, high)}.
RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "PLT": {"": (125, 350)},
    "WBC": {"": (3.5, 9.5)},
    "HGB": {"Female": (115, 150), "Male": (130, 175)},
    "ALT": {"": (7, 40)},
    "AST": {"": (13, 40)},
    "TBIL": {"": (5.0, 21.0)},
    "URATE": {"Female": (155, 357), "Male": (208, 428)},
    "CREAT": {"Female": (41, 81), "Male": (57, 111)},
}
STD_UNIT = {"PLT": "10^9/L", "WBC": "10^9/L", "HGB": "g/L", "ALT": "U/L", "AST": "U/L",
            "TBIL": "umol/L", "URATE": "umol/L", "CREAT": "umol/L"}
# Visit-to-visit variation (coefficient of variation) around each subject's level.
NOISE = {"WBC": 0.10, "HGB": 0.04, "ALT": 0.10, "AST": 0.08, "TBIL": 0.10, "URATE": 0.07,
         "CREAT": 0.05}
MGDL_FACTOR = {"TBIL": 17.1, "URATE": 59.48, "CREAT": 88.4}  # umol/L per mg/dL
LAB_AE_TEST = {
    "Blood bilirubin increased": "TBIL",
    "Alanine aminotransferase increased": "ALT",
    "Aspartate aminotransferase increased": "AST",
    "Blood uric acid increased": "URATE",
}
SOC = {
    "Fatigue": "General disorders and administration site conditions",
    "Insomnia": "Psychiatric disorders",
    "Blood uric acid increased": "Investigations",
    "Blood bilirubin increased": "Investigations",
    "Alanine aminotransferase increased": "Investigations",
    "Aspartate aminotransferase increased": "Investigations",
    "Infusion related reaction": "Injury, poisoning and procedural complications",
    "Nausea": "Gastrointestinal disorders",
    "Diarrhoea": "Gastrointestinal disorders",
    "Gastrointestinal haemorrhage": "Gastrointestinal disorders",
    "Acute myocardial infarction": "Cardiac disorders",
    "Heavy menstrual bleeding": "Reproductive system and breast disorders",
    "Upper respiratory tract infection": "Infections and infestations",
    "Headache": "Nervous system disorders",
}
# The MedDRA coding data management adds to each event: the preferred term (AEDECOD) is also
# the lowest level term chosen, and above it the primary path PT -> HLT -> HLGT -> SOC (SOC
# names as in SOC above). Codes: MedDRA is licensed and no MedDRA release is available here, so
# a code is given only where public documents agree on it (the SOC codes, and the PT codes
# marked); the others are blank rather than guessed (raw/README.md).
# PT: (PT/LLT code or "", HLT, HLGT)
MEDDRA = {
    "Fatigue": ("10016256", "Asthenic conditions", "General system disorders NEC"),
    "Insomnia": ("10022437", "Disturbances in initiating and maintaining sleep",
                 "Sleep disorders and disturbances"),
    "Blood uric acid increased": ("", "Purine and pyrimidine metabolism analyses",
                                  "Metabolic, nutritional and blood gas investigations"),
    "Blood bilirubin increased": ("10005364", "Liver function analyses",
                                  "Hepatobiliary investigations"),
    "Alanine aminotransferase increased": ("10001551", "Liver function analyses",
                                           "Hepatobiliary investigations"),
    "Aspartate aminotransferase increased": ("10003481", "Liver function analyses",
                                             "Hepatobiliary investigations"),
    "Infusion related reaction": ("10051792", "Non-site specific procedural complications",
                                  "Procedural related injuries and complications NEC"),
    "Nausea": ("10028813", "Nausea and vomiting symptoms", "Gastrointestinal signs and symptoms"),
    "Diarrhoea": ("10012735", "Diarrhoea (excl infective)",
                  "Gastrointestinal motility and defaecation conditions"),
    "Gastrointestinal haemorrhage": ("10017955", "Gastrointestinal haemorrhages NEC",
                                     "Gastrointestinal haemorrhages NEC"),
    "Acute myocardial infarction": ("10000891", "Ischaemic coronary artery disorders",
                                    "Coronary artery disorders"),
    "Heavy menstrual bleeding": ("", "Menstruation with increased bleeding",
                                 "Menstrual cycle and uterine bleeding disorders"),
    "Upper respiratory tract infection": ("10046306", "Upper respiratory tract infections NEC",
                                          "Infections - pathogen unspecified"),
    "Headache": ("10019211", "Headaches NEC", "Headaches"),
}
SOC_CODE = {
    "General disorders and administration site conditions": "10018065",
    "Psychiatric disorders": "10037175",
    "Investigations": "10022891",
    "Injury, poisoning and procedural complications": "10022117",
    "Gastrointestinal disorders": "10017947",
    "Cardiac disorders": "10007541",
    "Reproductive system and breast disorders": "10038604",
    "Infections and infestations": "10021881",
    "Nervous system disorders": "10029205",
}
SEX = {"F": "Female", "M": "Male"}
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------
def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _study_date(day1: dt.date, day: int) -> dt.date:
    """Study day -> date (no day 0: day -1 is the day before Day 1)."""
    return day1 + dt.timedelta(days=day - 1 if day >= 1 else day)


def _minus_months(d: dt.date, months: int) -> dt.date:
    """Same day-of-month `months` earlier (clamped to the 28th to stay valid)."""
    total = d.year * 12 + d.month - 1 - months
    return dt.date(total // 12, total % 12 + 1, min(d.day, 28))


def _minus_years(d: dt.date, years: int) -> dt.date:
    return d.replace(year=d.year - years, day=min(d.day, 28))


def _ae_date(d: dt.date) -> str:
    return f"{d.day:02d}-{MONTHS[d.month - 1]}-{d.year}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _fmt(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def _plt_value(token: str) -> float:
    """Numeric platelet value for design checks: `<5` counts as 4."""
    return 4.0 if token.startswith("<") else float(token)


class Visit(NamedTuple):
    name: str
    key: str  # visit name, or "U<day>" for unscheduled
    date: dt.date
    plt: str  # platelet token ("" = not done)


def _visits(s: Subject, consent: dt.date) -> list[Visit]:
    """Expand the platelet series (plus unscheduled samples) into dated visits."""
    day1 = _date(s.day1)
    tokens = PLT[s.subjid].replace("|", " ").split()
    assert len(tokens) == len(SCHEDULE), s.subjid
    visits: list[Visit] = []
    for (name, day), token in zip(SCHEDULE, tokens, strict=True):
        if token == "-":
            continue  # missed visit: nothing recorded
        if name == "Screening":
            # Screening labs 1-2 days after consent, always before Day 1.
            date = consent + dt.timedelta(days=1 + int(s.subjid) % 2)
        else:
            date = _study_date(day1, day + SHIFTS.get((s.subjid, name), 0))
        visits.append(Visit(name, name, date, "" if token == "." else token))
    for day, token, _reason in UNSCHEDULED.get(s.subjid, []):
        visits.append(Visit("Unscheduled", f"U{day}", _study_date(day1, day), token))
    return sorted(visits, key=lambda v: v.date)


def _rescue_windows(s: Subject) -> list[tuple[dt.date, dt.date]]:
    day1 = _date(s.day1)
    out = []
    for m in MEDS:
        if m.subjid == s.subjid and m.cat == RESC:
            assert isinstance(m.start, int) and isinstance(m.end, int)
            out.append((_study_date(day1, m.start), _study_date(day1, m.end) + dt.timedelta(14)))
    return out


def _consent(s: Subject) -> dt.date:
    # Enrolment is the day before Day 1; consent `ic` days before enrolment.
    return _date(s.day1) - dt.timedelta(days=1 + s.ic)


# --------------------------------------------------------------------------------------------
# Builders, one per CSV (called in a fixed order so the RNG stream is reproducible)
# --------------------------------------------------------------------------------------------
def build_demographics(rng: np.random.Generator) -> tuple[list[list[str]], dict[str, float]]:
    rows, weights = [], {}
    for s in DESIGN:
        consent = _consent(s)
        # Birthday 40-300 days before the consent anniversary: the next birthday is >= 65 days
        # after consent, i.e. after Day 1, so age is the same at consent and first infusion.
        birth = _minus_years(consent, s.age) - dt.timedelta(days=int(rng.integers(40, 301)))
        if s.sex == "F":
            height, weight = rng.uniform(152, 168), rng.uniform(48, 72)
        else:
            height, weight = rng.uniform(166, 180), rng.uniform(62, 82)
        weights[s.subjid] = round(float(weight), 1)
        rows.append([SITEID, s.subjid, consent.strftime("%d/%m/%Y"), birth.strftime("%d/%m/%Y"),
                     SEX[s.sex], "Asian", "Not Hispanic or Latino", _fmt(height, 0),
                     _fmt(weights[s.subjid], 1)])
    return rows, weights


def build_baseline(rng: np.random.Generator) -> list[list[str]]:
    rows = []
    for s in DESIGN:
        dur, precision, spln, rtx, nther, gpab = HISTORY[s.subjid]
        consent = _consent(s)
        # Diagnosis `dur` whole months (plus up to two weeks) before consent; partial dates keep
        # the month/year of exactly `dur` months before consent.
        anniversary = _minus_months(consent, dur)
        diag = anniversary - dt.timedelta(days=int(rng.integers(0, 15)))
        text = {"day": diag.isoformat(), "month": anniversary.isoformat()[:7],
                "year": str(anniversary.year)}
        rows.append([s.subjid, text[precision], str(dur), spln, rtx, str(nther), gpab])
    return rows


def build_enrolment() -> list[list[str]]:
    return [[s.subjid, (_date(s.day1) - dt.timedelta(days=1)).isoformat(), s.phase, s.cohort]
            for s in DESIGN]


def build_exposure(
    rng: np.random.Generator, weights: dict[str, float]
) -> tuple[list[list[str]], dict[tuple[str, str], int]]:
    """Four weekly infusions; returns rows and infusion start minutes per (subject, visit)."""
    rows, starts = [], {}
    for s in DESIGN:
        day1 = _date(s.day1)
        lot = f"UCMSC{day1:%y%m}-{s.subjid}"
        for num, visit in enumerate(INFUSION_VISITS, start=1):
            day = dict(SCHEDULE)[visit] + SHIFTS.get((s.subjid, visit), 0)
            start = int(rng.integers(18, 22)) * 30 + int(rng.integers(0, 6)) * 5  # 09:00-10:55
            length = int(rng.integers(6, 13)) * 5  # 30-60 min
            weight = weights[s.subjid] + float(rng.uniform(-0.9, 0.9))
            starts[(s.subjid, visit)] = start
            rows.append([s.subjid, visit, str(num), _study_date(day1, day).isoformat(),
                         _hhmm(start), _hhmm(start + length), s.cohort, "10^6 cells/kg",
                         _fmt(weight, 1), "Intravenous", lot])
    return rows, starts


def _lab_ae_windows() -> dict[tuple[str, str], list[tuple[str, str | None]]]:
    """(subject, test) -> [(first abnormal visit, first normal visit or None)]."""
    out: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
    for ae in AES:
        if ae.decod in LAB_AE_TEST:
            out.setdefault((ae.subjid, LAB_AE_TEST[ae.decod]), []).append((ae.start, ae.end))
    return out


def _bleeding(rng: np.random.Generator, s: Subject, v: Visit) -> tuple[str, int]:
    """(site, WHO grade) with site "" for no bleeding."""
    if (s.subjid, v.key) in BLEEDING:
        return BLEEDING[(s.subjid, v.key)]
    sites = ["Skin", "Oral mucosa", "Nose", "Menstrual" if s.sex == "F" else "Urinary"]
    draw = rng.random()
    site = sites[int(rng.choice(4, p=[0.6, 0.15, 0.15, 0.1]))]
    grade = 1 if site == "Skin" else 2
    # Bleeding is required at enrolment; afterwards it occurs at low counts only, so it never
    # decides a response on its own except at the visits fixed in BLEEDING.
    if v.name in ("Screening", "Day 1"):
        return site, grade
    value = _plt_value(v.plt) if v.plt else 99.0
    if value < 10 or (value < 20 and draw < 0.4):
        return site, grade
    return "", 0


def build_labs_and_bleeding(
    rng: np.random.Generator, starts: dict[tuple[str, str], int]
) -> tuple[list[list[str]], list[list[str]], dict[str, list[tuple[Visit, bool]]]]:
    lab_rows, bleed_rows = [], []
    assessed: dict[str, list[tuple[Visit, bool]]] = {}
    windows = _lab_ae_windows()
    for s in DESIGN:
        visits = _visits(s, _consent(s))
        by_name = {v.key: v.date for v in visits}
        # Subject-level chemistry and blood-count levels (inside the normal ranges).
        level = {
            "WBC": rng.uniform(4.2, 7.8),
            "HGB": rng.uniform(112, 136) if s.sex == "F" else rng.uniform(132, 152),
            "ALT": rng.uniform(12, 28), "AST": rng.uniform(16, 28), "TBIL": rng.uniform(7, 14),
            "URATE": rng.uniform(210, 300) if s.sex == "F" else rng.uniform(270, 360),
            "CREAT": rng.uniform(50, 68) if s.sex == "F" else rng.uniform(68, 95),
        }
        assessed[s.subjid] = []
        for v in visits:
            # Lab times: before the infusion on infusion days, morning clinic otherwise.
            if v.name in INFUSION_VISITS:
                lbtim = starts[(s.subjid, v.name)] - int(rng.integers(4, 16)) * 5
            else:
                lbtim = int(rng.integers(96, 126)) * 5  # 08:00-10:25
            backup = rng.random() < 0.15  # backup analyser: alternative units
            std: dict[str, float] = {}
            for test in ("WBC", "HGB", "ALT", "AST", "TBIL", "URATE", "CREAT"):
                low, high = RANGES[test].get(SEX[s.sex]) or RANGES[test][""]
                value = level[test] * float(rng.normal(1.0, NOISE[test]))
                if test == "HGB":
                    # Low haemoglobin is part of the disease (no AE); only cap the top.
                    value = HGB_FIXED.get((s.subjid, v.key), min(value, high * 0.97))
                else:
                    value = min(max(value, low * 1.1), high * 0.9)
                for first, stop in windows.get((s.subjid, test), []):
                    end = by_name[stop] if stop else dt.date.max
                    if by_name[first] <= v.date < end:
                        # CTCAE grade 1: above ULN, kept below 1.5 x ULN (3 x ULN for ALT/AST).
                        top = 1.8 if test in ("ALT", "AST") else 1.35
                        value = high * float(rng.uniform(1.12, top))
                std[test] = value
            row = [s.subjid, v.name, v.date.isoformat(), _hhmm(lbtim)]
            not_done = NOT_DONE.get((s.subjid, v.key), [])
            count_unit = str(rng.choice(["x10E9/L", "G/L"])) if backup else "10^9/L"
            row += ["", ""] if "PLT" in not_done or not v.plt else [v.plt, count_unit]
            row += [_fmt(std["WBC"], 2), count_unit]
            row += ([_fmt(std["HGB"] / 10, 1), "g/dL"] if backup
                    else [_fmt(round(std["HGB"]), 0), "g/L"])
            for test in ("ALT", "AST"):
                row += [_fmt(std[test], 0), "IU/L" if backup else "U/L"]
            for test, dec in (("TBIL", 1), ("URATE", 0), ("CREAT", 0)):
                if backup:
                    row += [_fmt(std[test] / MGDL_FACTOR[test], 2), "mg/dL"]
                else:
                    row += [_fmt(std[test], dec), "umol/L"]
            for i, test in enumerate(["PLT", "WBC", "HGB", "ALT", "AST", "TBIL", "URATE", "CREAT"]):
                if test in not_done:
                    row[4 + 2 * i] = row[5 + 2 * i] = ""
            lab_rows.append(row)
            site, grade = _bleeding(rng, s, v)
            bleed_rows.append([s.subjid, v.name, v.date.isoformat(), "Y" if site else "N",
                               site, str(grade)])
            assessed[s.subjid].append((v, bool(site)))
    return lab_rows, bleed_rows, assessed


def _med_date(day1: dt.date, value: int | str | None) -> str:
    """Study day -> ISO date; literal (possibly partial) pre-study dates pass through."""
    if value is None:
        return ""
    return value if isinstance(value, str) else _study_date(day1, value).isoformat()


def build_conmeds() -> list[list[str]]:
    rows = []
    for s in DESIGN:
        day1 = _date(s.day1)
        meds = sorted((m for m in MEDS if m.subjid == s.subjid),
                      key=lambda m: _med_date(day1, m.start))
        for n, m in enumerate(meds, start=1):
            rows.append([s.subjid, str(n), m.cat, m.trt, m.decod, m.indc, m.dose, m.unit, m.freq,
                         m.route, _med_date(day1, m.start), _med_date(day1, m.end),
                         "Y" if m.end is None else "N"])
    return rows


def _ae_when(token: str, day1: dt.date, visit_dates: dict[str, dt.date]) -> tuple[str, dt.date]:
    """AE date token -> (CRF text, sortable date; a partial date sorts as the 1st of its month)."""
    if token.startswith("UNK-"):
        _, mon, year = token.split("-")
        return token, dt.date(int(year), MONTHS.index(mon) + 1, 1)
    d = _study_date(day1, int(token[1:])) if token.startswith("d") else visit_dates[token]
    return _ae_date(d), d


def build_adverse_events(starts: dict[tuple[str, str], int]) -> list[list[str]]:
    rows = []
    for s in DESIGN:
        day1 = _date(s.day1)
        last_inf = _study_date(day1, 22 + SHIFTS.get((s.subjid, "Week 3"), 0))
        visits = {v.key: v.date for v in _visits(s, _consent(s))}
        events = sorted((a for a in AES if a.subjid == s.subjid),
                        key=lambda a: _ae_when(a.start, day1, visits)[1])
        for n, ae in enumerate(events, start=1):
            start_text, start = _ae_when(ae.start, day1, visits)
            end_text = _ae_when(ae.end, day1, visits)[0] if ae.end else ""
            if ae.time.startswith("inf+"):
                time = _hhmm(starts[(s.subjid, "Day 1")] + int(ae.time[4:]))
            else:
                time = ae.time
            # Action on study drug is only meaningful while infusions are still due.
            during = day1 <= start <= last_inf or (
                ae.start.startswith("UNK-") and start.month == day1.month)
            serious = bool(ae.sae)
            flags = list(ae.sae) if serious else ["", "", ""]
            outcome = "Not recovered/Not resolved" if ae.end is None else "Recovered/Resolved"
            code, hlt, hlgt = MEDDRA[ae.decod]
            soc = SOC[ae.decod]
            # no HLT or HLGT code could be checked against a public source: left blank
            rows.append([
                s.subjid, str(n), ae.term, ae.decod, code, ae.decod, code, hlt, "", hlgt, "",
                soc, SOC_CODE[soc], start_text, time, end_text,
                "Y" if ae.end is None else "N", str(ae.grade), "Y" if serious else "N", *flags,
                ae.rel, "Dose not changed" if during else "Not applicable", outcome,
                "Y" if ae.infrr else "N", "Y" if ae.dlt else "N",
            ])
    return rows


def build_lab_ranges() -> list[list[str]]:
    rows = []
    for test, by_sex in RANGES.items():
        for sex, (low, high) in by_sex.items():
            rows.append([test, sex, f"{low:g}", f"{high:g}", STD_UNIT[test]])
    return rows


# --------------------------------------------------------------------------------------------
# Design self-check: the platelet series must deliver what the design table declares.
# (tests/test_example_raw.py recomputes the published figures from the CSVs independently.)
# --------------------------------------------------------------------------------------------
def check_design(assessed: dict[str, list[tuple[Visit, bool]]]) -> None:
    for s in DESIGN:
        day1 = _date(s.day1)
        base = _plt_value(next(v.plt for v, _ in assessed[s.subjid] if v.name == "Day 1"))
        windows = _rescue_windows(s)
        evaluable = [
            (v, _plt_value(v.plt), bleed) for v, bleed in assessed[s.subjid]
            if v.date > day1 and v.plt and not any(a <= v.date <= b for a, b in windows)
        ]
        status = [not bleed and (p >= 100 or (p >= 30 and p >= 2 * base))
                  for _, p, bleed in evaluable]
        episodes, start = [], None
        for (v, _, _), responding in zip(evaluable, status, strict=True):
            if responding and start is None:
                start = v.key
            elif not responding and start is not None:
                episodes.append((start, v.key))
                start = None
        if start is not None:
            episodes.append((start, evaluable[-1][0].key))
        t50 = next(((v.date - day1).days for v, p, _ in evaluable if p >= 50), None)
        cr_dates = [v.date for v, p, bleed in evaluable if p >= 100 and not bleed]
        cr = bool(cr_dates) and (cr_dates[-1] - cr_dates[0]).days >= 7
        meds = {m.cat for m in MEDS if m.subjid == s.subjid}
        # Only 011's screening cold ("d-8") starts before Day 1.
        teae = any(a.subjid == s.subjid and not a.start.startswith("d-") for a in AES)
        got = (any(status), tuple(episodes), t50, int(max(p for _, p, _ in evaluable)), cr,
               RESC in meds, CONC in meds, teae)
        want = (s.responder, s.episodes, s.t50, s.peak, s.cr, s.rescue, s.conmed, s.teae)
        assert got == want, f"{s.subjid}: series gives {got}, design says {want}"


HEADERS = {
    "demographics.csv": ["SITEID", "SUBJID", "ICDAT", "BRTHDAT", "SEX", "RACE", "ETHNIC",
                         "HEIGHT", "WEIGHT"],
    "baseline.csv": ["SUBJID", "ITPDIAGDAT", "ITPDUR", "PRSPLN", "PRRTX", "NPRTHER", "GPAB"],
    "enrolment.csv": ["SUBJID", "ENRLDAT", "PHASE", "COHORT"],
    "exposure.csv": ["SUBJID", "VISIT", "INFNUM", "EXSTDAT", "EXSTTIM", "EXENTIM", "EXDOSE",
                     "EXDOSU", "WEIGHT", "EXROUTE", "EXLOT"],
    "adverse_events.csv": ["SUBJID", "AESPID", "AETERM", "AELLT", "AELLTCD", "AEDECOD",
                           "AEPTCD", "AEHLT", "AEHLTCD", "AEHLGT", "AEHLGTCD", "AEBODSYS",
                           "AEBDSYCD", "AESTDAT",
                           "AESTTIM", "AEENDAT", "AEONGO", "AETOXGR", "AESER", "AESHOSP",
                           "AESLIFE", "AESMIE", "AEREL", "AEACN", "AEOUT", "AEINFRR", "AEDLT"],
    "labs.csv": ["SUBJID", "VISIT", "LBDAT", "LBTIM"] + [
        f"{t}{suffix}" for t in ("PLT", "WBC", "HGB", "ALT", "AST", "TBIL", "URATE", "CREAT")
        for suffix in ("", "_U")],
    "lab_ranges.csv": ["TEST", "SEX", "LOW", "HIGH", "UNIT"],
    "bleeding.csv": ["SUBJID", "VISIT", "BLDAT", "BLEEDYN", "BLSITE", "WHOBLGR"],
    "conmeds.csv": ["SUBJID", "CMSPID", "CMCAT", "CMTRT", "CMDECOD", "CMINDC", "CMDOSE",
                    "CMDOSU", "CMDOSFRQ", "CMROUTE", "CMSTDAT", "CMENDAT", "CMONGO"],
}


def generate() -> dict[str, list[list[str]]]:
    rng = np.random.default_rng(SEED)
    demographics, weights = build_demographics(rng)
    baseline = build_baseline(rng)
    exposure, starts = build_exposure(rng, weights)
    labs, bleeding, assessed = build_labs_and_bleeding(rng, starts)
    check_design(assessed)
    return {
        "demographics.csv": demographics,
        "baseline.csv": baseline,
        "enrolment.csv": build_enrolment(),
        "exposure.csv": exposure,
        "adverse_events.csv": build_adverse_events(starts),
        "labs.csv": labs,
        "lab_ranges.csv": build_lab_ranges(),
        "bleeding.csv": bleeding,
        "conmeds.csv": build_conmeds(),
    }


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
