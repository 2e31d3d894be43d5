"""TA, TE, TV, TI from the study file's trial_design: section (checked on load, written with
define.xml, validated, in the manifest), and SV / SE in a run."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from cdiscflow.errors import SpecError
from cdiscflow.package.check import check_package
from cdiscflow.pipeline import run_study
from cdiscflow.sdtm.checked import check_study_spec
from cdiscflow.sdtm.trial_design import build_trial_design
from cdiscflow.specload import load_study
from cdiscflow.standards import sdtm_variables
from cdiscflow.xpt import read_xpt
from tests.conftest import MINI_DOMAINS, MINI_STUDY, write_study

TE = """\
  TE:
    - {ETCD: SCRN, ELEMENT: Screening, TESTRL: Informed consent, TEENRL: First dose, TEDUR: P14D}
    - {ETCD: TRT, ELEMENT: Drug, TESTRL: First dose, TEENRL: Last visit}
"""
TA = """\
  TA:
    - {ARMCD: A, ARM: Arm A, TAETORD: 1, ETCD: SCRN, EPOCH: SCREENING}
    - {ARMCD: A, ARM: Arm A, TAETORD: 2, ETCD: TRT, EPOCH: TREATMENT}
"""
TV = """\
  TV:
    - {VISITNUM: 1, VISIT: DAY 1, VISITDY: 1, TVSTRL: First dose}
    - {VISITNUM: 2, VISIT: WEEK 1, VISITDY: 8, TVSTRL: One week after first dose}
"""
TI = """\
  TI:
    - {IETESTCD: INCL01, IETEST: Age 18 to 60 years, IECAT: INCLUSION}
    - {IETESTCD: EXCL01, IETEST: Pregnant, IECAT: EXCLUSION, TIVERS: "2"}
"""
DERIVED = """\
  SV: {from: [LB]}
  SE: {starts: {SCRN: DM.RFICDTC, TRT: DM.RFXSTDTC}, end: DM.RFPENDTC}
"""
# the last lab sample ends a subject's participation
DM = MINI_DOMAINS["dm.yaml"].rstrip() + (
    "\n          RFPENDTC: {derive: {function: extreme_date, sources: [LB.LBDTC], "
    "mode: last}}\n")


def _study(tmp_path: Path, design: str, dm: str = DM) -> Path:
    text = textwrap.dedent(MINI_STUDY) + "trial_design:\n" + design
    return write_study(tmp_path / "s", study=text, domains={**MINI_DOMAINS, "dm.yaml": dm})


def _line(folder: Path, marker: str) -> int:
    """The line of the study file holding ``marker`` (once)."""
    lines = (folder / "study.yaml").read_text().splitlines()
    found = [i + 1 for i, text in enumerate(lines) if marker in text]
    assert len(found) == 1, marker
    return found[0]


# --------------------------------------------------------------------------- load errors

ERRORS = [
    # (name, design, marker on the line named, dataset, variable, message)
    ("unknown variable",
     TE + "    - {ETCD: FU, ELEMENT: Follow-up, TESTRL: Last dose, TEFOO: x}\n",
     "TEFOO", "TE", "TEFOO", "trial_design.TE row 3: TEFOO (value 'x') is not a variable of TE "
     "in SDTMIG 3.4"),
    ("filled variable",
     "  TI:\n    - {STUDYID: X, IETESTCD: I1, IETEST: Adult, IECAT: INCLUSION}\n",
     "STUDYID: X", "TI", "STUDYID", "trial_design.TI row 1: STUDYID is filled by cdiscflow"),
    ("Req variable missing",
     TE + "    - {ETCD: FU, ELEMENT: Follow-up}\n",
     "ETCD: FU", "TE", "TESTRL", "trial_design.TE row 3: Req variable TESTRL is missing"),
    ("non-extensible codelist",
     "  TI:\n    - {IETESTCD: I1, IETEST: Adult, IECAT: INCLUDE}\n",
     "IECAT: INCLUDE", "TI", "IECAT", "trial_design.TI row 1: IECAT value 'INCLUDE' is not in "
     "the non-extensible CT codelist IECAT (C66797)"),
    ("Num not a number",
     TE + "  TV:\n    - {VISITNUM: one, VISIT: DAY 1, TVSTRL: First dose}\n",
     "VISITNUM: one", "TV", "VISITNUM", "trial_design.TV row 1: VISITNUM value 'one' is not a "
     "number"),
    ("TA element not in TE",
     TE + TA + "    - {ARMCD: A, ARM: Arm A, TAETORD: 3, ETCD: FU, EPOCH: FOLLOW-UP}\n",
     "ETCD: FU", "TA", "ETCD", "trial_design.TA row 3: ETCD value 'FU' is not an element of TE"),
    ("ARMCD with two ARMs",
     TE + TA + "    - {ARMCD: A, ARM: Arm B, TAETORD: 3, ETCD: TRT, EPOCH: TREATMENT}\n",
     "ARM: Arm B", "TA", "ARM", "trial_design.TA row 3: ARM value 'Arm B' differs from 'Arm A' "
     "of ARMCD 'A' in row 1"),
    ("ARM with two ARMCDs",
     TE + TA + "    - {ARMCD: B, ARM: Arm A, TAETORD: 1, ETCD: SCRN, EPOCH: SCREENING}\n",
     "ARMCD: B", "TA", "ARMCD", "trial_design.TA row 3: ARMCD value 'B' differs from 'A' of "
     "ARM 'Arm A' in row 1"),
    ("ELEMENT differs from TE",
     TE + "  TA:\n    - {ARMCD: A, ARM: Arm A, TAETORD: 1, ETCD: SCRN, ELEMENT: Screen, "
          "EPOCH: SCREENING}\n",
     "ELEMENT: Screen,", "TA", "ELEMENT", "trial_design.TA row 1: ELEMENT value 'Screen' "
     "differs from 'Screening', the ELEMENT of ETCD 'SCRN' in TE"),
    ("duplicate key",
     TE + TA + "    - {ARMCD: A, ARM: Arm A, TAETORD: 2, ETCD: SCRN, EPOCH: FOLLOW-UP}\n",
     "EPOCH: FOLLOW-UP", "TA", "ARMCD", "trial_design.TA row 3: duplicate key ARMCD 'A', "
     "TAETORD 2: row 2 has it too"),
    ("TV arm not in TA",
     TE + TA + "  TV:\n    - {VISITNUM: 1, VISIT: DAY 1, ARMCD: Z, TVSTRL: First dose}\n",
     "ARMCD: Z", "TV", "ARMCD", "trial_design.TV row 1: ARMCD value 'Z' is not an arm of TA"),
    ("SV from an unknown domain",
     "  SV: {from: [LB, VS]}\n",
     "SV: {from", "SV", None, "SV from: 'VS' is not a domain of the study"),
    ("SE without a start",
     TE + TA + "  SE: {starts: {SCRN: DM.RFICDTC}}\n",
     "SE: {starts", "SE", "ETCD", "SE starts: no start date for element(s) TRT of TA"),
    ("SE start not a mapped variable",
     TE + TA + "  SE: {starts: {SCRN: DM.RFICDTC, TRT: EX.EXENDTC}}\n",
     "SE: {starts", "SE", "EXENDTC", "'EX.EXENDTC' is not DOMAIN.VARIABLE of a mapped variable"),
]


@pytest.mark.parametrize(("design", "marker", "dataset", "variable", "message"),
                         [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_load_errors_name_file_line_dataset_variable(
        tmp_path: Path, design: str, marker: str, dataset: str, variable: str | None,
        message: str) -> None:
    folder = _study(tmp_path, design)
    with pytest.raises(SpecError) as info:
        check_study_spec(load_study(folder))
    err = info.value
    assert err.file == str(folder / "study.yaml")
    assert err.line == _line(folder, marker)
    assert (err.domain, err.variable) == (dataset, variable)
    assert message in err.message
    assert str(err).startswith(f"{folder / 'study.yaml'}:{err.line}, domain {dataset}")


def test_unknown_trial_design_key(tmp_path: Path) -> None:
    folder = _study(tmp_path, "  TX: []\n")
    with pytest.raises(SpecError, match="trial_design.TX: unknown key") as info:
        load_study(folder)
    assert info.value.line == _line(folder, "TX: []")


def test_extensible_epoch_and_arms_in_a_run_pass(tmp_path: Path) -> None:
    # EPOCH is extensible: a sponsor's own epoch is kept
    design = TE + TA.replace("EPOCH: TREATMENT", "EPOCH: DOUBLE-BLIND TREATMENT")
    study = load_study(_study(tmp_path, design))
    assert build_trial_design(study)["TA"]["EPOCH"].tolist() == [
        "SCREENING", "DOUBLE-BLIND TREATMENT"]


# --------------------------------------------------------------------------- records


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()}
            for r in frame.astype(object).to_dict("records")]


def test_declared_records(tmp_path: Path) -> None:
    built = build_trial_design(load_study(_study(tmp_path, TA + TE + TV + TI)))
    assert list(built) == ["TE", "TA", "TV", "TI"]
    common = {"STUDYID": "MINI1"}
    assert _records(built["TE"]) == [
        {**common, "DOMAIN": "TE", "ETCD": "SCRN", "ELEMENT": "Screening",
         "TESTRL": "Informed consent", "TEENRL": "First dose", "TEDUR": "P14D"},
        {**common, "DOMAIN": "TE", "ETCD": "TRT", "ELEMENT": "Drug", "TESTRL": "First dose",
         "TEENRL": "Last visit", "TEDUR": None},
    ]
    # ELEMENT from TE by ETCD; TABRANCH and TATRANS (Exp) are there, empty
    assert _records(built["TA"]) == [
        {**common, "DOMAIN": "TA", "ARMCD": "A", "ARM": "Arm A", "TAETORD": 1.0,
         "ETCD": "SCRN", "ELEMENT": "Screening", "TABRANCH": None, "TATRANS": None,
         "EPOCH": "SCREENING"},
        {**common, "DOMAIN": "TA", "ARMCD": "A", "ARM": "Arm A", "TAETORD": 2.0,
         "ETCD": "TRT", "ELEMENT": "Drug", "TABRANCH": None, "TATRANS": None,
         "EPOCH": "TREATMENT"},
    ]
    assert _records(built["TV"]) == [
        {**common, "DOMAIN": "TV", "VISITNUM": 1.0, "VISIT": "DAY 1", "VISITDY": 1.0,
         "ARMCD": None, "TVSTRL": "First dose"},
        {**common, "DOMAIN": "TV", "VISITNUM": 2.0, "VISIT": "WEEK 1", "VISITDY": 8.0,
         "ARMCD": None, "TVSTRL": "One week after first dose"},
    ]
    assert _records(built["TI"]) == [
        {**common, "DOMAIN": "TI", "IETESTCD": "INCL01", "IETEST": "Age 18 to 60 years",
         "IECAT": "INCLUSION", "TIVERS": None},
        {**common, "DOMAIN": "TI", "IETESTCD": "EXCL01", "IETEST": "Pregnant",
         "IECAT": "EXCLUSION", "TIVERS": "2"},
    ]


def test_tv_arm_from_ta(tmp_path: Path) -> None:
    tv = "  TV:\n    - {VISITNUM: 1, VISIT: DAY 1, ARMCD: A, TVSTRL: First dose}\n"
    built = build_trial_design(load_study(_study(tmp_path, TE + TA + tv)))
    assert list(built["TV"].columns) == ["STUDYID", "DOMAIN", "VISITNUM", "VISIT", "ARMCD",
                                         "ARM", "TVSTRL"]
    assert built["TV"]["ARM"].tolist() == ["Arm A"]


# --------------------------------------------------------------------------- in a run


SDTM = Path("m5") / "datasets" / "mini1" / "tabulations" / "sdtm"


@pytest.fixture(scope="module")
def run_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("td")
    out = tmp / "out"
    run_study(_study(tmp, TE + TA + TV + TI + DERIVED), None, out, with_adam=False,
              workers=1)
    return out


@pytest.mark.parametrize("name", ["TA", "TE", "TV", "TI", "SE", "SV"])
def test_xpt_in_ig_order_with_ig_labels(run_out: Path, name: str) -> None:
    frame, meta = read_xpt(run_out / SDTM / f"{name.lower()}.xpt")
    ig = {v.name: v for v in sdtm_variables(name)}
    names = [v.name for v in meta["variables"]]
    assert names == [n for n in ig if n in names]
    assert [v.label for v in meta["variables"]] == [ig[n].label for n in names]
    assert [v.type for v in meta["variables"]] == [ig[n].type for n in names]


def test_run_writes_sv_and_se(run_out: Path) -> None:
    sv, _ = read_xpt(run_out / SDTM / "sv.xpt")
    assert sv[["USUBJID", "VISITNUM", "VISITDY", "SVSTDTC", "SVENDTC", "SVSTDY",
               "SVENDY"]].to_dict("records") == [
        {"USUBJID": "MINI1-01-001", "VISITNUM": 1.0, "VISITDY": 1.0,
         "SVSTDTC": "2021-03-10T08:00", "SVENDTC": "2021-03-10T08:00", "SVSTDY": 1.0,
         "SVENDY": 1.0},
        {"USUBJID": "MINI1-01-001", "VISITNUM": 2.0, "VISITDY": 8.0,
         "SVSTDTC": "2021-03-17T08:00", "SVENDTC": "2021-03-17T08:00", "SVSTDY": 8.0,
         "SVENDY": 8.0},
        {"USUBJID": "MINI1-01-002", "VISITNUM": 1.0, "VISITDY": 1.0,
         "SVSTDTC": "2021-03-12T09:00", "SVENDTC": "2021-03-12T09:00", "SVSTDY": 1.0,
         "SVENDY": 1.0},
    ]
    se, _ = read_xpt(run_out / SDTM / "se.xpt")
    assert se[["USUBJID", "SESEQ", "ETCD", "ELEMENT", "EPOCH", "SESTDTC", "SEENDTC",
               "SESTDY", "SEENDY"]].to_dict("records") == [
        {"USUBJID": "MINI1-01-001", "SESEQ": 1.0, "ETCD": "SCRN", "ELEMENT": "Screening",
         "EPOCH": "SCREENING", "SESTDTC": "2021-03-01", "SEENDTC": "2021-03-10T09:00",
         "SESTDY": -9.0, "SEENDY": 1.0},
        {"USUBJID": "MINI1-01-001", "SESEQ": 2.0, "ETCD": "TRT", "ELEMENT": "Drug",
         "EPOCH": "TREATMENT", "SESTDTC": "2021-03-10T09:00", "SEENDTC": "2021-03-17T08:00",
         "SESTDY": 1.0, "SEENDY": 8.0},
        {"USUBJID": "MINI1-01-002", "SESEQ": 1.0, "ETCD": "SCRN", "ELEMENT": "Screening",
         "EPOCH": "SCREENING", "SESTDTC": "2021-03-02", "SEENDTC": "2021-03-12T10:00",
         "SESTDY": -10.0, "SEENDY": 1.0},
        # the last lab sample was taken before the first dose: validation reports it
        {"USUBJID": "MINI1-01-002", "SESEQ": 2.0, "ETCD": "TRT", "ELEMENT": "Drug",
         "EPOCH": "TREATMENT", "SESTDTC": "2021-03-12T10:00", "SEENDTC": "2021-03-12T09:00",
         "SESTDY": 1.0, "SEENDY": 1.0},
    ]


def test_define_manifest_validation_package(run_out: Path) -> None:
    define = etree.parse(str(run_out / SDTM / "define.xml"))
    odm = "{http://www.cdisc.org/ns/odm/v1.3}"
    defns = "{http://www.cdisc.org/ns/def/v2.1}"
    groups = {g.get("Name"): g for g in define.iter(f"{odm}ItemGroupDef")}
    assert {"TA", "TE", "TV", "TI", "SE", "SV"} <= set(groups)
    assert groups["TA"].get("IsReferenceData") == "Yes"
    assert groups["SV"].get("IsReferenceData") == "No"
    comments = {c.get("OID"): " ".join(c.itertext()).strip()
                for c in define.iter(f"{defns}CommentDef")}
    assert comments[groups["TA"].get(f"{defns}CommentOID")] == (
        "Trial design from the trial_design.TA section of the study file.")
    assert comments[groups["SE"].get(f"{defns}CommentOID")] == (
        "Derived from the arms of TA: elements start SCRN at DM.RFICDTC, TRT at "
        "DM.RFXSTDTC; the last ends at DM.RFPENDTC.")
    methods = [" ".join(m.itertext()).split() for m in define.iter(f"{odm}MethodDef")
               if m.get("OID", "").startswith("MT.SV.")]
    assert methods and all("derive_subject_visits)" in m[-1] for m in methods)
    manifest = json.loads((run_out / "manifest.json").read_text())
    text = json.dumps(manifest)
    for name in ("ta", "te", "tv", "ti", "se", "sv"):
        assert f"{name}.xpt" in text
    validation = json.loads((run_out / "report" / "validation.json").read_text())
    assert {"TA", "TE", "TV", "TI", "SE", "SV"} <= {d["dataset"] for d in validation["datasets"]}
    se = [f for f in validation["findings"] if f["dataset"] == "SE"]
    # MINI1-01-002's participation ends (RFPENDTC 2021-03-12T09:00) before its treatment
    # element starts (10:00): the element starts after it ends, and both its screening end
    # and its treatment start are after the end of participation
    assert [(f["rule"], f["row"], f["variable"]) for f in se] == [
        ("CF.AFTER_RFPENDTC", 3, "SEENDTC"), ("CF.AFTER_RFPENDTC", 4, "SESTDTC"),
        ("CF.START_END", 4, "SESTDTC")]
    failed = [f for f in check_package(run_out) if not f.ok]
    assert [f.check for f in failed] == ["TS present"]  # the mini study declares no ts:


def test_dm_arm_not_in_ta_is_a_warning(tmp_path: Path) -> None:
    ta = TA.replace("ARMCD: A,", "ARMCD: B,")
    out = tmp_path / "out"
    outcome = run_study(_study(tmp_path, TE + ta), None, out, with_adam=False, workers=1)
    warnings = [d for d in outcome.defects.warnings if d.column == "ARMCD"]
    assert [str(d) for d in warnings] == [
        "WARNING [DM] demographics.csv:2 ARMCD value 'A': ARMCD: not an arm of TA "
        "(trial_design.TA) in 2 subject(s)"]


def test_se_needs_dm_armcd(tmp_path: Path) -> None:
    dm = "\n".join(line for line in DM.splitlines() if "ARMCD:" not in line) + "\n"
    folder = _study(tmp_path, TE + TA + DERIVED, dm=dm)
    with pytest.raises(SpecError, match=r"SE needs DM.ARMCD") as info:
        check_study_spec(load_study(folder))
    assert (info.value.domain, info.value.variable) == ("SE", "ARMCD")
    assert info.value.line == _line(folder, "SE: {starts")
