"""SDTM built in chunks of whole subjects: every output byte the same as one run's."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from cdiscflow import pipeline
from cdiscflow.errors import SpecError
from cdiscflow.sdtm.chunked import build_sdtm_chunked, chunk_refusal
from cdiscflow.sdtm.engine import Engine
from cdiscflow.specload import load_study
from tests.conftest import MINI_DOMAINS, MINI_RAW, MINI_STUDY, write_study

ROOT = Path(__file__).resolve().parent.parent


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_same_output(whole: Path, chunked: Path) -> None:
    a, b = _files(whole), _files(chunked)
    assert sorted(a) == sorted(b)
    differing = [name for name in a if a[name] != b[name]]
    assert differing == []


@pytest.mark.parametrize("study, chunk_records, subjects", [
    ("nct04014166", 350, 18), ("nct02218437", 100, 18), ("ctr20221330", 160, 25)])
def test_example_studies_chunked_equal_whole(tmp_path, study, chunk_records, subjects):
    folder = ROOT / "mappings" / study
    whole = pipeline.run_study(folder, None, tmp_path / "whole", chunk_records=0)
    chunked = pipeline.run_study(folder, None, tmp_path / "chunked",
                                 chunk_records=chunk_records)
    assert whole.chunks.chunks == 1
    assert chunked.chunks.chunks == 3 and chunked.chunks.subjects == subjects
    _assert_same_output(tmp_path / "whole", tmp_path / "chunked")


# the mini study with defects spread over subjects: an unknown unit spelling in three
# subjects' records (one warning with a count), a subject missing from DM, a duplicate key,
# a filtered record and a bad date in two subjects
RAW = {
    **MINI_RAW,
    "demographics.csv": """\
        SITEID,SUBJID,ICDAT,BRTHDAT,SEX
        01,001,01/03/2021,15/06/1980,Female
        01,002,02/03/2021,20/01/1990,Male
        01,003,03/03/2021,20/01/1991,Male
        01,004,03/03/2021,20/01/1992,Female
        """,
    "exposure.csv": """\
        SUBJID,INFNUM,EXSTDAT,EXSTTIM,EXDOSE
        004,1,2021-03-12,10:00,1.0
        001,1,2021-03-10,09:00,0.5
        001,2,2021-03-17,09:30,0.5
        002,1,2021-03-12,10:00,1.0
        003,1,2021-03-13,10:00,1.0
        003,1,2021-03-14,10:00,1.0
        """,
    "labs.csv": """\
        SUBJID,VISIT,LBDAT,LBTIM,PLT,PLT_U,HGB,HGB_U
        004,Day 1,2021-03-12,08:00,30,Giga/L,120,g/L
        001,Day 1,2021-03-10,08:00,20,10^9/L,12.5,g/dL
        001,Week 1,2021-03-17,08:00,<5,x10E9/L,,
        002,Day 1,2021-03-12,09:00,45,Giga/L,130,g/L
        009,Day 1,2021-03-12,09:00,45,G/L,130,g/L
        003,Day 1,2021-03-13,09:00,50,Giga/L,131,g/L
        002,Week 1,2021-03-19,09:00,,,,
        """,
    "adverse_events.csv": """\
        SUBJID,AESPID,AETERM,AESTDAT,AESER,KEEP
        003,1,fever,30-FEB-2021,N,Y
        001,1,headache,UNK-MAR-2021,N,Y
        001,2,nausea,12-MAR-2021,Maybe,Y
        002,1,rash,31-FEB-2021,N,Y
        002,2,test entry,12-MAR-2021,N,N
        004,1,test entry,12-MAR-2021,N,N
        """,
}

SUBJECT_STUDY = MINI_STUDY.replace("      dir: raw\n", "      dir: raw\n      subject: [SUBJID]\n")


def test_defects_and_reconciliation_chunked_equal_whole(tmp_path):
    folder = write_study(tmp_path / "mini", SUBJECT_STUDY, raw=RAW)
    whole = pipeline.run_study(folder, None, tmp_path / "whole", chunk_records=0)
    chunked = pipeline.run_study(folder, None, tmp_path / "chunked", chunk_records=1)
    assert chunked.chunks.chunks == 4  # 001-004; 009 (not in DM) goes with the last
    assert chunked.defects.defects == whole.defects.defects
    _assert_same_output(tmp_path / "whole", tmp_path / "chunked")
    units = [d for d in chunked.defects.defects
             if d.value == "Giga/L" and d.message.startswith("LBORRESU")]
    assert len(units) == 1 and units[0].row == 2  # the first record, labs.csv line 2
    assert "kept as 'Giga/L' in 3 record(s)" in units[0].message
    report = json.loads((tmp_path / "chunked" / "report" / "run.json").read_text())
    lb = report["domains"]["LB"]
    assert lb["raw_records"] == 7 and lb["rejected"] == {"no match in DM on SUBJID": 1}
    assert report["domains"]["AE"]["filtered"] == {"KEEP = 'Y'": 2}
    rejected = [d for d in chunked.defects.defects if d.domain == "LB" and d.row == 6]
    assert [d.value for d in rejected] == ["009"]
    dup = [d for d in chunked.defects.defects if d.message.startswith("duplicate key")]
    assert [(d.file, d.row) for d in dup] == [("exposure.csv", 6), ("exposure.csv", 7)]


def test_a_study_without_subject_columns_runs_whole_and_says_why(tmp_path):
    folder = write_study(tmp_path / "mini", raw=RAW)
    outcome = pipeline.run_study(folder, None, tmp_path / "o", chunk_records=1)
    assert outcome.chunks.chunks == 1
    assert outcome.chunks.whole_because == ("the study file does not name the raw subject "
                                            "columns (raw.subject)")


@pytest.mark.parametrize("edit, reason", [
    (("          - join: {domain: DM, on: [SUBJID], columns: [USUBJID], required: true}\n"
      "          - stack:",
      "          - join: {domain: DM, on: {VISIT: SUBJID}, columns: [USUBJID]}\n"
      "          - stack:"),
     "LB joins DM on VISIT, not on SUBJID"),
    (("        domain: AE\n", "        domain: AE\n        sort: [AETERM, USUBJID]\n"),
     "AE is sorted by AETERM, USUBJID, not by USUBJID first"),
])
def test_chunking_is_refused_where_a_subject_could_straddle_chunks(tmp_path, edit, reason):
    domains = {name: (text.replace(*edit) if edit[0] in text else text)
               for name, text in MINI_DOMAINS.items()}
    folder = write_study(tmp_path / "mini", SUBJECT_STUDY, domains=domains, raw=RAW)
    study = load_study(folder)
    assert chunk_refusal(study, Engine(study)) == reason


def test_dm_usubjid_without_running_the_study(tmp_path):
    study = load_study(write_study(tmp_path / "mini", SUBJECT_STUDY, raw=RAW))
    engine = Engine(study)
    frame = engine.frame_for("DM", "USUBJID")
    assert list(frame["USUBJID"]) == ["MINI1-01-001", "MINI1-01-002", "MINI1-01-003",
                                      "MINI1-01-004"]
    assert engine._work["LB"].frame is None  # nothing DM's USUBJID does not need was run


def test_chunk_sizes_follow_usubjid_order(tmp_path):
    folder = write_study(tmp_path / "mini", SUBJECT_STUDY, raw=RAW)
    # raw records (DM, EX, LB, AE): 001: 1+2+2+2, 002: 1+1+2+2, 003: 1+2+1+1, 004: 1+1+1+1;
    # 009 (one lab record, not in DM) goes with the last chunk
    results, _, report = build_sdtm_chunked(load_study(folder), None, chunk_records=12)
    assert report.chunks == 2 and report.records_per_chunk == [13, 10]
    assert list(results["DM"].data["USUBJID"]) == ["MINI1-01-001", "MINI1-01-002",
                                                   "MINI1-01-003", "MINI1-01-004"]


def test_spec_accepts_subject_columns(tmp_path):
    folder = write_study(tmp_path / "mini", textwrap.dedent(SUBJECT_STUDY), raw=RAW)
    assert load_study(folder).spec.raw.subject == ["SUBJID"]


def test_chunks_built_by_worker_processes_equal_one_process(tmp_path):
    folder = write_study(tmp_path / "mini", SUBJECT_STUDY, raw=RAW)
    study = load_study(folder)
    serial = build_sdtm_chunked(study, None, chunk_records=1, workers=1)
    forked = build_sdtm_chunked(study, None, chunk_records=1, workers=2)
    assert (serial[2].processes, forked[2].processes) == (1, 2)
    assert forked[1].defects == serial[1].defects
    for name, result in serial[0].items():
        pd.testing.assert_frame_equal(forked[0][name].data, result.data)
        pd.testing.assert_frame_equal(forked[0][name].lineage, result.lineage)


def test_an_error_in_a_worker_chunk_is_raised_as_itself(tmp_path):
    # EX's EXSTDTC becomes several records per subject for DM: a spec error in every chunk
    domains = dict(MINI_DOMAINS)
    domains["lb.yaml"] = domains["lb.yaml"].replace("ref: DM.RFSTDTC}", "ref: EX.EXSTDTC}")
    folder = write_study(tmp_path / "mini", SUBJECT_STUDY, domains=domains, raw=RAW)
    with pytest.raises(SpecError, match="EX.EXSTDTC has several records per subject"):
        build_sdtm_chunked(load_study(folder), None, chunk_records=1, workers=2)
