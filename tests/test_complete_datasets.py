"""Complete datasets (issue 17): every SDTMIG Expected variable written, empty where the study
does not collect it (CDISC CORE CG0016)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from lxml import etree

from cdiscflow.cli import main
from cdiscflow.define.conformance import conformance_problems
from cdiscflow.define.xml import DEF_NS, ODM_NS, check_define
from cdiscflow.sdtm.derivations.timing import derive_epoch
from cdiscflow.sdtm.expected import missing_expected, with_expected
from cdiscflow.standards import is_ig_domain, sdtm_variables
from cdiscflow.xpt import read_xpt

ROOT = Path(__file__).resolve().parent.parent
NS = {"odm": ODM_NS, "def": DEF_NS}
EXAMPLES = ["nct04014166", "ctr20221330", "nct02218437"]


def test_missing_expected_reads_the_ig_table() -> None:
    assert missing_expected("DM", ["STUDYID", "DOMAIN", "USUBJID", "RFSTDTC", "AGE"]) == [
        "RFENDTC", "RFXSTDTC", "RFXENDTC", "RFICDTC", "RFPENDTC", "DTHDTC", "DTHFL", "AGEU",
        "RACE", "ARMCD", "ARM", "ACTARMCD", "ACTARM", "ARMNRS", "ACTARMUD"]
    assert missing_expected("SUPPAE", ["STUDYID", "QNAM"]) == ["IDVAR", "IDVARVAL", "QEVAL"]
    assert missing_expected("XB", []) == []  # a sponsor domain: its cores are not SDTMIG's


def test_with_expected_inserts_in_ig_order_and_keeps_dtypes() -> None:
    frame = pd.DataFrame({
        "STUDYID": pd.array(["S", "S"], dtype="string"),
        "DOMAIN": pd.array(["LB", "LB"], dtype="string"),
        "USUBJID": pd.array(["S-1", "S-2"], dtype="string"),
        "LBSEQ": pd.array([1, 2], dtype="Int64"),
        "LBTESTCD": pd.array(["HGB", "HGB"], dtype="string"),
        "LBTEST": pd.array(["Hemoglobin", "Hemoglobin"], dtype="string"),
        "LBORRES": pd.array(["12", "13"], dtype="string"),
        "LBSTRESN": [120.0, 130.0],
        "LBDTC": pd.array(["2024-01-01", "2024-01-02"], dtype="string"),
    })
    out = with_expected("LB", frame)
    expected = [v.name for v in sdtm_variables("LB") if v.core == "Exp"]
    assert set(expected) <= set(out.columns)
    assert out.columns.tolist()[:12] == [
        "STUDYID", "DOMAIN", "USUBJID", "LBSEQ", "LBTESTCD", "LBTEST", "LBCAT", "LBORRES",
        "LBORRESU", "LBORNRLO", "LBORNRHI", "LBSTRESC"]
    assert out["LBSEQ"].dtype == "Int64" and out["LBSTRESN"].tolist() == [120.0, 130.0]
    assert out["LBORNRLO"].isna().all() and out["LBORNRLO"].dtype == "string"
    assert out["VISITNUM"].dtype == "float64" and out["VISITNUM"].isna().all()
    assert with_expected("LB", out) is out  # nothing left to add


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    done = {}
    for name in EXAMPLES:
        out = tmp_path_factory.mktemp(name) / "out"
        result = CliRunner().invoke(main, ["run", str(ROOT / "mappings" / name), "--out",
                                           str(out), "--no-adam"])
        assert result.exit_code == 0, result.output
        done[name] = next((out / "m5" / "datasets").glob("*/tabulations/sdtm"))
    return done


@pytest.mark.parametrize("study", EXAMPLES)
def test_every_expected_variable_is_written(runs: dict[str, Path], study: str) -> None:
    checked = 0
    for path in sorted(runs[study].glob("*.xpt")):
        frame, meta = read_xpt(path)
        name = str(meta["dataset"]).upper()
        if not is_ig_domain(name):
            continue
        expected = [v.name for v in sdtm_variables(name) if v.core == "Exp"]
        assert [v for v in expected if v not in frame.columns] == [], name
        checked += 1
    assert checked >= 5


def test_unmapped_expected_variables_are_empty_and_documented(runs: dict[str, Path]) -> None:
    # the aplastic anaemia extract carries no MedDRA hierarchy but the PT and SOC
    ae, _ = read_xpt(runs["nct02218437"] / "ae.xpt")
    assert ae.columns.tolist()[5:9] == ["AETERM", "AELLT", "AELLTCD", "AEDECOD"]
    assert (ae["AELLT"] == "").all() and ae["AELLTCD"].isna().all()
    sdtm = runs["nct04014166"]
    dm, _ = read_xpt(sdtm / "dm.xpt")
    assert (dm["ARMNRS"] == "").all() and (dm["ACTARMUD"] == "").all()
    tree = etree.parse(str(sdtm / "define.xml"))
    origin = tree.xpath("//odm:ItemDef[@OID='IT.DM.ARMNRS']/def:Origin", namespaces=NS)[0]
    assert origin.get("Type") == "Not Available"
    assert origin.xpath("string(odm:Description/odm:TranslatedText)", namespaces=NS) == \
        "Expected variable, not collected in this study: left empty."


def test_epoch_places_a_partial_date_wholly_inside_one_epoch() -> None:
    dtc = pd.Series(["2020-03", "2020-04", "2020-06", "2020", "2020-04-15", "2019-12",
                     "2020-05", "", "2020-05-10"], dtype="string")
    first = pd.Series(["2020-04-10T10:00"] * len(dtc), dtype="string")
    last = pd.Series(["2020-05-10"] * len(dtc), dtype="string")
    out = derive_epoch(pd.DataFrame({"D": dtc, "S": first, "E": last}), new_var="EPOCH",
                       dtc="D", epochs=["SCREENING", "TREATMENT", "FOLLOW-UP"],
                       ends=["S", "E"], ends_inclusive=[False, True])
    # a month before the first dose is SCREENING, a month wholly after the last FOLLOW-UP; a
    # month or year holding a dose date cannot be placed; full dates as before
    assert out["EPOCH"].tolist() == ["SCREENING", pd.NA, "FOLLOW-UP", pd.NA, "TREATMENT",
                                     "SCREENING", pd.NA, pd.NA, "TREATMENT"]


@pytest.mark.parametrize("study, counts", [
    ("nct04014166", {"te": 5, "ta": 12, "tv": 21, "ti": 19, "sv": 371, "se": 54}),
    ("ctr20221330", {"te": 5, "ta": 12, "tv": 8, "ti": 3, "sv": 200, "se": 75}),
    ("nct02218437", {"te": 3, "ta": 4, "tv": 9, "ti": 3, "sv": 130, "se": 36}),
])
def test_every_example_ships_its_trial_design(runs: dict[str, Path], study: str,
                                              counts: dict[str, int]) -> None:
    found = {n: len(read_xpt(runs[study] / f"{n}.xpt")[0]) for n in counts}
    assert found == counts
    # every subject with a planned arm of TA has its elements, starting with screening
    se, _ = read_xpt(runs[study] / "se.xpt")
    dm, _ = read_xpt(runs[study] / "dm.xpt")
    ta, _ = read_xpt(runs[study] / "ta.xpt")
    planned = set(dm.loc[dm["ARMCD"].isin(set(ta["ARMCD"])), "USUBJID"])
    assert set(se["USUBJID"]) == planned
    assert set(se.loc[se["SESEQ"] == 1, "ETCD"]) == {"SCRN"}


@pytest.mark.parametrize("study", EXAMPLES)
def test_every_example_define_passes_the_structural_checks(runs: dict[str, Path],
                                                           study: str) -> None:
    assert check_define(runs[study] / "define.xml") == []
    assert conformance_problems(runs[study] / "define.xml") == []


@pytest.mark.parametrize("study", ["ctr20221330", "nct02218437"])
def test_a_fatal_event_has_its_seriousness_criterion(runs: dict[str, Path], study: str) -> None:
    ae, _ = read_xpt(runs[study] / "ae.xpt")
    fatal = ae["AEOUT"] == "FATAL"
    assert fatal.sum() >= 2
    assert (ae.loc[fatal, "AESDTH"] == "Y").all() and (ae.loc[fatal, "AESER"] == "Y").all()
    assert (ae.loc[~fatal, "AESDTH"] == "").all()
