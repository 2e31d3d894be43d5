"""A small, conformant SDTM + ADaM study as inline frames, for the validator tests.

Every rule test starts from ``sdtm()``/``adam()`` (which validate with no finding at all) and
breaks exactly one thing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdiscflow.validators import Dataset, ValidationResult, validate

STUDY = "S1"
SUBJ = ["S1-001", "S1-002"]


def dm() -> pd.DataFrame:
    return pd.DataFrame({
        "STUDYID": [STUDY] * 2, "DOMAIN": ["DM"] * 2, "USUBJID": SUBJ, "SUBJID": ["001", "002"],
        "RFSTDTC": ["2021-03-10T09:00", "2021-03-12"], "RFENDTC": ["2021-06-01", "2021-06-03"],
        "RFXSTDTC": ["2021-03-10T09:00", "2021-03-12"], "RFXENDTC": ["2021-03-17", "2021-03-12"],
        "RFICDTC": ["2021-03-01", "2021-03-02"], "RFPENDTC": ["2021-06-01", "2021-06-03"],
        "DTHDTC": ["", ""], "DTHFL": ["", ""], "SITEID": ["01", "01"],
        "AGE": [40.0, 31.0], "AGEU": ["YEARS"] * 2, "SEX": ["F", "M"], "RACE": ["ASIAN"] * 2,
        "ARMCD": ["A", "B"], "ARM": ["Drug A", "Drug B"], "ACTARMCD": ["A", "B"],
        "ACTARM": ["Drug A", "Drug B"], "ARMNRS": ["", ""], "ACTARMUD": ["", ""],
        "COUNTRY": ["CHN"] * 2,
    })


def ae() -> pd.DataFrame:
    n = 3
    return pd.DataFrame({
        "STUDYID": [STUDY] * n, "DOMAIN": ["AE"] * n, "USUBJID": ["S1-001", "S1-001", "S1-002"],
        "AESEQ": [1.0, 2.0, 1.0], "AETERM": ["headache", "nausea", "rash"],
        "AELLT": ["Headache", "Nausea", "Rash"], "AELLTCD": [10019211.0, 10028813.0, 10037844.0],
        "AEDECOD": ["Headache", "Nausea", "Rash"], "AEPTCD": [10019211.0, 10028813.0, 10037844.0],
        "AEHLT": ["Headaches NEC", "Nausea and vomiting symptoms", "Rashes, eruptions NEC"],
        "AEHLTCD": [10019233.0, 10028817.0, 10037868.0],
        "AEHLGT": ["Headaches", "GI signs and symptoms", "Epidermal conditions"],
        "AEHLGTCD": [10019231.0, 10017964.0, 10014982.0],
        "AEBODSYS": ["Nervous system disorders", "Gastrointestinal disorders",
                     "Skin disorders"], "AEBDSYCD": [10029205.0, 10017947.0, 10040785.0],
        "AESOC": ["Nervous system disorders", "Gastrointestinal disorders", "Skin disorders"],
        "AESOCCD": [10029205.0, 10017947.0, 10040785.0],
        "AESER": ["N", "N", "Y"], "AEACN": ["DOSE NOT CHANGED"] * n,
        "AEREL": ["NOT RELATED"] * n, "AESHOSP": ["N", "N", "Y"], "EPOCH": ["TREATMENT"] * n,
        "AESTDTC": ["2021-03-11", "2021-03", "2021-03-12T10:00"],
        "AEENDTC": ["2021-03-12", "2021-03-20", "2021-03-12T11:30"],
        "AESTDY": [2.0, np.nan, 1.0], "AEENDY": [3.0, 11.0, 1.0],
    })


def ex() -> pd.DataFrame:
    return pd.DataFrame({
        "STUDYID": [STUDY] * 3, "DOMAIN": ["EX"] * 3, "USUBJID": ["S1-001", "S1-001", "S1-002"],
        "EXSEQ": [1.0, 2.0, 1.0], "EXTRT": ["DRUG"] * 3, "EXDOSE": [5.0, 5.0, 10.0],
        "EXDOSU": ["mg"] * 3, "EXDOSFRM": ["TABLET"] * 3, "EPOCH": ["TREATMENT"] * 3,
        "EXSTDTC": ["2021-03-10T09:00", "2021-03-17", "2021-03-12"],
        "EXENDTC": ["2021-03-10T09:00", "2021-03-17", "2021-03-12"],
        "EXSTDY": [1.0, 8.0, 1.0], "EXENDY": [1.0, 8.0, 1.0],
    })


def lb() -> pd.DataFrame:
    n = 4
    return pd.DataFrame({
        "STUDYID": [STUDY] * n, "DOMAIN": ["LB"] * n, "USUBJID": ["S1-001"] * 3 + ["S1-002"],
        "LBSEQ": [1.0, 2.0, 3.0, 1.0], "LBTESTCD": ["PLAT", "PLAT", "HGB", "PLAT"],
        "LBTEST": ["Platelets", "Platelets", "Hemoglobin", "Platelets"],
        "LBCAT": ["HEMATOLOGY"] * n, "LBORRES": ["20", "<5", "12.5", "45"],
        "LBORRESU": ["10^9/L", "10^9/L", "g/dL", "10^9/L"],
        "LBORNRLO": ["125", "125", "11.5", "125"], "LBORNRHI": ["350", "350", "15", "350"],
        "LBSTRESC": ["20", "<5", "125", "45"], "LBSTRESN": [20.0, np.nan, 125.0, 45.0],
        "LBSTRESU": ["10^9/L", "10^9/L", "g/L", "10^9/L"],
        "LBSTNRLO": [125.0, 125.0, 115.0, 125.0], "LBSTNRHI": [350.0, 350.0, 150.0, 350.0],
        "LBNRIND": ["LOW", "LOW", "NORMAL", "LOW"], "LBLOBXFL": ["Y", "", "Y", "Y"],
        "VISITNUM": [1.0, 2.0, 1.0, 1.0], "VISIT": ["DAY 1", "WEEK 1", "DAY 1", "DAY 1"],
        "EPOCH": ["SCREENING", "TREATMENT", "SCREENING", "SCREENING"],
        "LBDTC": ["2021-03-09", "2021-03-17", "2021-03-09", "2021-03-11"],
        "LBDY": [-1.0, 8.0, -1.0, -1.0],
    })


def suppae() -> pd.DataFrame:
    return pd.DataFrame({
        "STUDYID": [STUDY] * 2, "RDOMAIN": ["AE"] * 2, "USUBJID": ["S1-001", "S1-002"],
        "IDVAR": ["AESEQ"] * 2, "IDVARVAL": ["2", "1"], "QNAM": ["AETRTEM"] * 2,
        "QLABEL": ["Treatment Emergent Flag"] * 2, "QVAL": ["Y"] * 2, "QORIG": ["DERIVED"] * 2,
        "QEVAL": ["", ""],
    })


def sdtm(**replace: pd.DataFrame) -> dict[str, pd.DataFrame]:
    frames = {"DM": dm(), "AE": ae(), "EX": ex(), "LB": lb(), "SUPPAE": suppae()}
    frames.update(replace)
    return frames


def adsl() -> pd.DataFrame:
    return pd.DataFrame({
        "STUDYID": [STUDY] * 2, "USUBJID": SUBJ, "SUBJID": ["001", "002"],
        "SITEID": ["01", "01"], "AGE": [40.0, 31.0], "AGEU": ["YEARS"] * 2, "SEX": ["F", "M"],
        "RACE": ["ASIAN"] * 2, "ARM": ["Drug A", "Drug B"], "TRT01P": ["Drug A", "Drug B"],
        "TRT01A": ["Drug A", "Drug B"], "SAFFL": ["Y", "Y"],
        "TRTSDT": [22349.0, 22351.0], "TRTEDT": [22356.0, 22351.0],
    })


def adae() -> pd.DataFrame:
    return pd.DataFrame({
        "STUDYID": [STUDY] * 3, "USUBJID": ["S1-001", "S1-001", "S1-002"],
        "AESEQ": [1.0, 2.0, 1.0], "AEDECOD": ["Headache", "Nausea", "Rash"],
        "TRTA": ["Drug A", "Drug A", "Drug B"], "ASTDT": [22350.0, np.nan, 22351.0],
        "ASTDY": [2.0, np.nan, 1.0], "TRTEMFL": ["Y", "", "Y"],
    })


def adlb() -> pd.DataFrame:
    return pd.DataFrame({
        "STUDYID": [STUDY] * 3, "USUBJID": ["S1-001", "S1-001", "S1-002"],
        "PARAM": ["Platelets (10^9/L)", "Platelets (10^9/L)", "Platelets (10^9/L)"],
        "PARAMCD": ["PLAT"] * 3, "AVAL": [20.0, 5.0, 45.0], "ADT": [22348.0, 22356.0, 22350.0],
        "ADY": [-1.0, 8.0, -1.0], "ABLFL": ["Y", "", "Y"], "TRTA": ["Drug A"] * 2 + ["Drug B"],
    })


def adam(**replace: pd.DataFrame) -> dict[str, pd.DataFrame]:
    frames = {"ADSL": adsl(), "ADAE": adae(), "ADLB": adlb()}
    frames.update(replace)
    return frames


def run(frames: dict[str, pd.DataFrame], **meta: dict) -> ValidationResult:
    """Validate frames by dataset name; ``meta`` adds labels/lengths/formats per dataset."""
    return validate([Dataset(name, frame, **meta.get(name, {})) for name, frame in
                     frames.items()])


def found(result: ValidationResult, rule: str) -> list[tuple]:
    """(dataset, row, usubjid, variable, value) of each finding of ``rule``."""
    f = result.of_rule(rule)
    return [(r.dataset, None if pd.isna(r.row) else int(r.row), r.usubjid, r.variable, r.value)
            for r in f.itertuples()]
