"""A seeded synthetic study scaled to a number of LB records, as raw CRF extracts.

It has the example study's raw layout (so the example's mapping files convert it) with many
more subjects: each subject has 20 lab samples of the 8 tests (160 LB records), 4 infusions,
2 adverse events, 2 bleeding assessments... so AE, EX and DM grow in proportion to LB.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

EXAMPLE_RAW = Path(__file__).resolve().parent.parent / "examples" / "nct04014166" / "raw"
VISITS = ["Screening", "Day 1", *[f"Week {k}" for k in range(1, 17)], "Week 20", "Week 24"]
VISIT_DAYS = [-10, 1, *[7 * k + 1 for k in range(1, 17)], 141, 169]
TESTS = {  # column: (unit, mean, sd)
    "PLT": ("10^9/L", 60, 40), "WBC": ("10^9/L", 6, 2), "HGB": ("g/L", 125, 15),
    "ALT": ("U/L", 25, 10), "AST": ("U/L", 24, 8), "TBIL": ("umol/L", 12, 4),
    "URATE": ("umol/L", 300, 60), "CREAT": ("umol/L", 65, 12),
}
LB_PER_SUBJECT = len(VISITS) * len(TESTS)
SEED = 20241125


def _write(path: Path, columns: dict[str, np.ndarray]) -> None:
    table = pa.table({k: pa.array(np.asarray(v).astype(str)) for k, v in columns.items()})
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


def _dates(start: np.ndarray, days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(start + days.astype("timedelta64[D]"), unit="D")


def generate(out: Path, lb_records: int) -> int:
    """Write the raw files into ``out``; returns the number of subjects."""
    rng = np.random.default_rng(SEED)
    n = max(1, lb_records // LB_PER_SUBJECT)
    out.mkdir(parents=True, exist_ok=True)
    subj = np.array([f"{i:06d}" for i in range(1, n + 1)])
    day1 = np.datetime64("2020-01-06") + rng.integers(0, 900, n).astype("timedelta64[D]")
    female = rng.random(n) < 0.8
    _write(out / "demographics.csv", {
        "SITEID": np.full(n, "01"), "SUBJID": subj,
        "ICDAT": _dmy(day1 - np.timedelta64(12, "D")),
        "BRTHDAT": _dmy(day1 - (rng.integers(20, 60, n) * 365 + 30).astype("timedelta64[D]")),
        "SEX": np.where(female, "Female", "Male"), "RACE": np.full(n, "Asian"),
        "ETHNIC": np.full(n, "Not Hispanic or Latino"),
        "HEIGHT": rng.integers(150, 185, n), "WEIGHT": np.round(rng.normal(62, 8, n), 1),
    })
    cohort = rng.choice(["0.5", "1.0", "2.0"], n)
    _write(out / "enrolment.csv", {
        "SUBJID": subj, "ENRLDAT": np.datetime_as_string(day1 - np.timedelta64(1, "D"), "D"),
        "PHASE": np.where(cohort == "2.0", "Dose expansion", "Dose escalation"),
        "COHORT": cohort,
    })
    _write(out / "baseline.csv", {
        "SUBJID": subj, "ITPDIAGDAT": np.datetime_as_string(day1 - np.timedelta64(2000, "D"), "D"),
        "ITPDUR": rng.integers(15, 360, n), "PRSPLN": rng.choice(["Y", "N"], n),
        "PRRTX": rng.choice(["Y", "N"], n), "NPRTHER": rng.integers(2, 9, n),
        "GPAB": rng.choice(["Negative", "Anti-GPIb/IX", "Anti-GPIIb/IIIa"], n),
    })
    inf = np.arange(4)
    ex_s = np.repeat(np.arange(n), 4)
    _write(out / "exposure.csv", {
        "SUBJID": subj[ex_s], "VISIT": np.tile(["Day 1", "Week 1", "Week 2", "Week 3"], n),
        "INFNUM": np.tile(inf + 1, n), "EXSTDAT": _dates(day1[ex_s], np.tile(inf * 7, n)),
        "EXSTTIM": np.full(4 * n, "10:00"), "EXENTIM": np.full(4 * n, "10:45"),
        "EXDOSE": cohort[ex_s], "EXDOSU": np.full(4 * n, "10^6 cells/kg"),
        "WEIGHT": np.round(rng.normal(62, 8, 4 * n), 1), "EXROUTE": np.full(4 * n, "Intravenous"),
        "EXLOT": np.full(4 * n, "LOT-001"),
    })
    ae_s = np.repeat(np.arange(n), 2)
    _write(out / "adverse_events.csv", {
        "SUBJID": subj[ae_s], "AESPID": np.tile([1, 2], n),
        "AETERM": np.tile(["Fatigue", "headache"], n),
        # the MedDRA hierarchy as the example's AE extract codes these two terms
        "AELLT": np.tile(["Fatigue", "Headache"], n),
        "AELLTCD": np.tile(["10016256", "10019211"], n),
        "AEDECOD": np.tile(["Fatigue", "Headache"], n),
        "AEPTCD": np.tile(["10016256", "10019211"], n),
        "AEHLT": np.tile(["Asthenic conditions", "Headaches NEC"], n),
        "AEHLTCD": np.full(2 * n, ""),
        "AEHLGT": np.tile(["General system disorders NEC", "Headaches"], n),
        "AEHLGTCD": np.full(2 * n, ""),
        "AEBODSYS": np.tile(["General disorders and administration site conditions",
                             "Nervous system disorders"], n),
        "AEBDSYCD": np.tile(["10018065", "10029205"], n),
        "AESTDAT": _dmony(day1[ae_s] + rng.integers(2, 150, 2 * n).astype("timedelta64[D]")),
        "AESTTIM": np.full(2 * n, ""), "AEENDAT": np.full(2 * n, ""), "AEONGO": np.full(2 * n, "Y"),
        "AETOXGR": rng.choice(["1", "2"], 2 * n), "AESER": np.full(2 * n, "N"),
        "AESHOSP": np.full(2 * n, ""), "AESLIFE": np.full(2 * n, ""), "AESMIE": np.full(2 * n, ""),
        "AEREL": np.full(2 * n, "Not related"), "AEACN": np.full(2 * n, "Dose not changed"),
        "AEOUT": np.full(2 * n, "Not recovered/Not resolved"), "AEINFRR": np.full(2 * n, "N"),
        "AEDLT": np.full(2 * n, "N"),
    })
    v = len(VISITS)
    lb_s = np.repeat(np.arange(n), v)
    days = np.tile(np.array(VISIT_DAYS) - 1, n)
    labs = {"SUBJID": subj[lb_s], "VISIT": np.tile(VISITS, n),
            "LBDAT": _dates(day1[lb_s], days), "LBTIM": np.full(v * n, "08:30")}
    for col, (unit, mean, sd) in TESTS.items():
        labs[col] = np.round(np.abs(rng.normal(mean, sd, v * n)), 1)
        labs[f"{col}_U"] = np.full(v * n, unit)
    _write(out / "labs.csv", labs)
    bl_s = np.repeat(np.arange(n), 2)
    _write(out / "bleeding.csv", {
        "SUBJID": subj[bl_s], "VISIT": np.tile(["Screening", "Day 1"], n),
        "BLDAT": _dates(day1[bl_s], np.tile([-11, 0], n)), "BLEEDYN": np.full(2 * n, "N"),
        "BLSITE": np.full(2 * n, ""), "WHOBLGR": np.full(2 * n, "0"),
    })
    _write(out / "conmeds.csv", {
        "SUBJID": subj, "CMSPID": np.ones(n, int), "CMCAT": np.full(n, "Concomitant medication"),
        "CMTRT": np.full(n, "Danazol capsules"), "CMDECOD": np.full(n, "Danazol"),
        "CMINDC": np.full(n, "ITP"), "CMDOSE": np.full(n, "200"), "CMDOSU": np.full(n, "mg"),
        "CMDOSFRQ": np.full(n, "BID"), "CMROUTE": np.full(n, "Oral"),
        "CMSTDAT": np.datetime_as_string(day1 - np.timedelta64(100, "D"), "D"),
        "CMENDAT": np.full(n, ""), "CMONGO": np.full(n, "Y"),
    })
    shutil.copy(EXAMPLE_RAW / "lab_ranges.csv", out / "lab_ranges.csv")
    return n


def _dmony(dates: np.ndarray) -> np.ndarray:
    """Dates as the AE form writes them: 05-MAR-2021."""
    return pd.DatetimeIndex(dates).strftime("%d-%b-%Y").str.upper().to_numpy()


def _dmy(dates: np.ndarray) -> np.ndarray:
    """Dates as the demographics form writes them: 05/03/2021."""
    return pd.DatetimeIndex(dates).strftime("%d/%m/%Y").to_numpy()
