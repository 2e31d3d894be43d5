"""A small study written into a temporary folder, for engine and CLI tests."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import settings

# shared, noisy machines: a property test is about behaviour, never about time
settings.register_profile("cdiscflow", deadline=None, derandomize=True)
settings.load_profile("cdiscflow")


@pytest.fixture(autouse=True, scope="session")
def _own_cache_folder(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN202
    """The CT cache (cdiscflow/standards/ctcache.py) of this test session in its own folder,
    never the user's: the suite neither reads nor leaves files in ~/.cache. Set in the
    environment, so CLI runs in child processes share it."""
    from cdiscflow.standards.ctcache import CACHE_ENV

    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(tmp_path_factory.mktemp("cache"))
    yield
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before

MINI_RAW = {
    "demographics.csv": """\
        SITEID,SUBJID,ICDAT,BRTHDAT,SEX
        01,001,01/03/2021,15/06/1980,Female
        01,002,02/03/2021,20/01/1990,Male
        """,
    "exposure.csv": """\
        SUBJID,INFNUM,EXSTDAT,EXSTTIM,EXDOSE
        001,1,2021-03-10,09:00,0.5
        001,2,2021-03-17,09:30,0.5
        002,1,2021-03-12,10:00,1.0
        """,
    "labs.csv": """\
        SUBJID,VISIT,LBDAT,LBTIM,PLT,PLT_U,HGB,HGB_U
        001,Day 1,2021-03-10,08:00,20,10^9/L,12.5,g/dL
        001,Week 1,2021-03-17,08:00,<5,x10E9/L,,
        002,Day 1,2021-03-12,09:00,45,G/L,130,g/L
        009,Day 1,2021-03-12,09:00,45,G/L,130,g/L
        002,Week 1,2021-03-19,09:00,,,,
        """,
    "adverse_events.csv": """\
        SUBJID,AESPID,AETERM,AESTDAT,AESER,KEEP
        001,1,headache,UNK-MAR-2021,N,Y
        001,2,nausea,12-MAR-2021,Maybe,Y
        002,1,rash,31-FEB-2021,N,Y
        002,2,test entry,12-MAR-2021,N,N
        """,
}

MINI_STUDY = """\
    study: {studyid: MINI1, created: 2024-01-01T00:00:00}
    raw:
      dir: raw
      forms:
        demographics: {file: demographics.csv, keys: [SUBJID]}
        exposure: {file: exposure.csv, keys: [SUBJID, INFNUM]}
        labs: {file: labs.csv}
        adverse_events: {file: adverse_events.csv, keys: [SUBJID, AESPID]}
    domains: [dm, ex, lb, ae]
    tables:
      visits:
        - {name: Day 1, VISIT: DAY 1, VISITNUM: 1, VISITDY: 1}
        - {name: Week 1, VISIT: WEEK 1, VISITNUM: 2, VISITDY: 8}
    """

MINI_DOMAINS = {
    "dm.yaml": """\
        domain: DM
        source: demographics
        variables:
          STUDYID: {constant: MINI1}
          DOMAIN: {constant: DM}
          SUBJID: {field: SUBJID}
          SITEID: {field: SITEID}
          USUBJID: {derive: {function: usubjid, parts: [STUDYID, SITEID, SUBJID]}}
          RFICDTC: {date: {date: ICDAT, format: DD/MM/YYYY}}
          BRTHDTC: {date: {date: BRTHDAT, format: DD/MM/YYYY}}
          SEX: {ct: {field: SEX, codelist: SEX}}
          ARMCD: {constant: A}
          ARM: {constant: Arm A}
          COUNTRY: {constant: CHN}
          RFSTDTC: {derive: {function: extreme_date, sources: [EX.EXSTDTC], mode: first}}
          RFXSTDTC: {derive: {function: extreme_date, sources: [EX.EXSTDTC], mode: first}}
          AGE: {derive: {function: age, birth: BRTHDTC, ref: RFICDTC}}
        """,
    "ex.yaml": """\
        domain: EX
        source: exposure
        steps:
          - join: {domain: DM, on: [SUBJID], columns: [USUBJID], required: true}
        variables:
          STUDYID: {constant: MINI1}
          DOMAIN: {constant: EX}
          USUBJID: {field: USUBJID}
          EXTRT: {constant: DRUG}
          EXDOSE: {field: EXDOSE}
          EXSTDTC: {date: {date: EXSTDAT, time: EXSTTIM}}
          EXSEQ: {derive: {function: seq, order: [EXSTDTC]}}
          EXSTDY: {derive: {function: study_day, dtc: EXSTDTC, ref: DM.RFSTDTC}}
        """,
    "lb.yaml": """\
        domain: LB
        source: labs
        steps:
          - join: {domain: DM, on: [SUBJID], columns: [USUBJID], required: true}
          - stack:
              key: TEST
              groups:
                PLT: {ORRES: PLT, ORRESU: PLT_U}
                HGB: {ORRES: HGB, ORRESU: HGB_U}
              drop_empty: ORRES
        tables:
          tests:
            - {TEST: PLT, LBTESTCD: PLAT, STRESU: 10^9/L}
            - {TEST: HGB, LBTESTCD: HGB, STRESU: g/L}
          conversions:
            - {from: g/dL, to: g/L, factor: 10}
        variables:
          STUDYID: {constant: MINI1}
          DOMAIN: {constant: LB}
          USUBJID: {field: USUBJID}
          LBTESTCD: {lookup: {table: tests, match: {TEST: TEST}, value: LBTESTCD}}
          LBTEST: {ct: {field: LBTESTCD, codelist: LBTEST, from_codelist: LBTESTCD}}
          LBORRES: {field: ORRES}
          LBORRESU: {ct: {field: ORRESU, codelist: UNIT, values: {x10E9/L: 10^9/L}}}
          LBSTRESU: {lookup: {table: tests, match: {TEST: TEST}, value: STRESU}}
          # LBSTRESC is Expected (written even when unmapped) and LBSTRESN must agree with it
          LBSTRESC:
            derive: {function: standard_character_result, result: LBORRES, unit: LBORRESU,
                     test: LBTESTCD, standard_unit: LBSTRESU, conversions: conversions}
          LBSTRESN:
            derive: {function: standard_numeric_result, result: LBORRES, unit: LBORRESU,
                     test: LBTESTCD, standard_unit: LBSTRESU, conversions: conversions}
          LBDTC: {date: {date: LBDAT, time: LBTIM}}
          VISITNUM: {derive: {function: visit, visit: VISIT, dtc: LBDTC, schedule: visits,
                              target: VISITNUM}}
          LBSEQ: {derive: {function: seq, order: [LBDTC, VISITNUM]}}
          LBLOBXFL: {derive: {function: baseline_flag, by: [USUBJID, LBTESTCD], dtc: LBDTC,
                              ref: DM.RFXSTDTC, result: LBORRES}}
          LBDY: {derive: {function: study_day, dtc: LBDTC, ref: DM.RFSTDTC}}
        """,
    "ae.yaml": """\
        domain: AE
        source: adverse_events
        steps:
          - filter: {column: KEEP, equals: Y}
          - join: {domain: DM, on: [SUBJID], columns: [USUBJID], required: true}
        variables:
          STUDYID: {constant: MINI1}
          DOMAIN: {constant: AE}
          USUBJID: {field: USUBJID}
          AETERM: {field: AETERM}
          AEDECOD: {field: AETERM}
          AESER: {ct: {field: AESER, codelist: NY}}
          AESTDTC: {date: {date: AESTDAT, format: DD-MON-YYYY}}
          AESEQ: {derive: {function: seq, order: [AESTDTC]}}
          AESTDY: {derive: {function: study_day, dtc: AESTDTC, ref: DM.RFSTDTC}}
        """,
}


def write_study(folder: Path, study: str = MINI_STUDY, domains: dict[str, str] | None = None,
                raw: dict[str, str] | None = None) -> Path:
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    (folder / "study.yaml").write_text(textwrap.dedent(study))
    for name, text in (domains or MINI_DOMAINS).items():
        (folder / name).write_text(textwrap.dedent(text))
    for name, text in (raw or MINI_RAW).items():
        (folder / "raw" / name).write_text(textwrap.dedent(text))
    return folder


@pytest.fixture
def mini_study(tmp_path: Path) -> Path:
    return write_study(tmp_path / "mini")
