"""The example study NCT04014166's trial_design: section: TA/TE/TV from its protocol, SV from
LB, EX and RS, SE from DM's reference dates, the same bytes whether built whole or in subject
chunks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cdiscflow import pipeline
from cdiscflow.xpt import read_xpt
from tests.test_chunked import _assert_same_output

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "examples" / "nct04014166" / "raw"
SDTM = Path("m5") / "datasets" / "nct04014166" / "tabulations" / "sdtm"
@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pipeline.RunOutcome]:
    tmp = tmp_path_factory.mktemp("tdx")
    study = tmp / "study"
    shutil.copytree(ROOT / "mappings" / "nct04014166", study)
    whole = pipeline.run_study(study, RAW, tmp / "whole", chunk_records=0, with_adam=False)
    chunked = pipeline.run_study(study, RAW, tmp / "chunked", chunk_records=350,
                                 with_adam=False)
    assert chunked.chunks.chunks == 3
    _assert_same_output(tmp / "whole", tmp / "chunked")
    return tmp / "whole", whole


def test_example_trial_design_datasets(runs: tuple[Path, pipeline.RunOutcome]) -> None:
    out, outcome = runs
    counts = {n: len(read_xpt(out / SDTM / f"{n}.xpt")[0]) for n in ("te", "ta", "tv", "sv",
                                                                      "se")}
    # five elements: screening, one treatment element per dose level, follow-up
    assert counts == {"te": 5, "ta": 12, "tv": 21, "sv": 371, "se": 54}
    # every DM ARMCD is an arm of TA: no warning
    assert [d for d in outcome.defects.warnings if d.column == "ARMCD"] == []
    assert not [f for f in outcome.validation.findings.to_dict("records")
                if f["dataset"] in ("TE", "TA", "TV", "SV", "SE")]


def test_example_sv_is_the_visits_of_lb_ex_rs(runs: tuple[Path, pipeline.RunOutcome]) -> None:
    out, _ = runs
    sv, _ = read_xpt(out / SDTM / "sv.xpt")
    visits = set()
    for name in ("lb", "ex", "rs"):
        frame, _ = read_xpt(out / SDTM / f"{name}.xpt")
        visits |= set(zip(frame["USUBJID"], frame["VISITNUM"], strict=True))
    assert set(zip(sv["USUBJID"], sv["VISITNUM"], strict=True)) == visits
    assert len(visits) == len(sv)
    # the screening visit has no planned day in TV (read back from XPT as NaN)
    assert sv["VISITDY"].iloc[:2].isna().tolist() == [True, False]
    assert sv.iloc[:2].drop(columns="VISITDY").to_dict("records") == [
        {"STUDYID": "NCT04014166", "DOMAIN": "SV", "USUBJID": "NCT04014166-01-001",
         "VISITNUM": 1.0, "VISIT": "SCREENING", "SVPRESP": "Y", "SVOCCUR": "Y",
         "SVSTDTC": "2019-11-10", "SVENDTC": "2019-11-10T08:25",
         "SVSTDY": -11.0, "SVENDY": -11.0},
        {"STUDYID": "NCT04014166", "DOMAIN": "SV", "USUBJID": "NCT04014166-01-001",
         "VISITNUM": 2.0, "VISIT": "DAY 1", "SVPRESP": "Y", "SVOCCUR": "Y",
         "SVSTDTC": "2019-11-21", "SVENDTC": "2019-11-21T10:50",
         "SVSTDY": 1.0, "SVENDY": 1.0},
    ]


def test_example_se_first_subject(runs: tuple[Path, pipeline.RunOutcome]) -> None:
    out, _ = runs
    se, _ = read_xpt(out / SDTM / "se.xpt")
    first = se[se["USUBJID"] == "NCT04014166-01-001"]
    assert first[["SESEQ", "ETCD", "EPOCH", "SESTDTC", "SEENDTC", "SESTDY",
                  "SEENDY"]].to_dict("records") == [
        {"SESEQ": 1.0, "ETCD": "SCRN", "EPOCH": "SCREENING", "SESTDTC": "2019-11-08",
         "SEENDTC": "2019-11-21T10:50", "SESTDY": -13.0, "SEENDY": 1.0},
        {"SESEQ": 2.0, "ETCD": "T05", "EPOCH": "TREATMENT", "SESTDTC": "2019-11-21T10:50",
         "SEENDTC": "2019-12-12T10:00", "SESTDY": 1.0, "SEENDY": 22.0},
        {"SESEQ": 3.0, "ETCD": "FU", "EPOCH": "FOLLOW-UP", "SESTDTC": "2019-12-12T10:00",
         "SEENDTC": "2020-06-04T09:40", "SESTDY": 22.0, "SEENDY": 197.0},
    ]
