"""The displays the studies declare, end to end: the CDISC pilot's demographics from its
ADSL (`cdiscflow adam` on the published pilot SDTM) agree with the pilot's published Table
14-2.01, and the two-arm SAA study gets its Kaplan-Meier displays, page and define.xml ARM."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from lxml import etree

from cdiscflow.adam.spec import AdamSpecError
from cdiscflow.cli import main
from cdiscflow.define.xml import check_define
from cdiscflow.pipeline import run_study

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples" / "cdiscpilot01"))
import published_sdtm  # noqa: E402

ARM = "{http://www.cdisc.org/ns/arm/v1.0}"


def test_pilot_demographics_agree_with_the_published_table(tmp_path: Path) -> None:
    sdtm = tmp_path / "sdtm"
    published_sdtm.write_folder(sdtm, "cdiscpilotsdtm")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["adam", str(sdtm), "--spec",
                                       str(ROOT / "mappings/cdiscpilot01/adam"), "--out",
                                       str(out), "--layout", "flat"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "report/displays/T14_2_01.csv", dtype=str, keep_default_na=False)
    assert table.columns.tolist()[1:] == ["Placebo (N=86)", "Xanomeline Low Dose (N=84)",
                                      "Xanomeline High Dose (N=84)", "Total (N=254)"]
    rows = {r[0].strip(): r[1:] for r in table.values.tolist()[:12]}
    # the pilot's Table 14-2.01 (intent-to-treat population): age and sex
    assert rows["Mean (SD)"] == ["75.2 (8.59)", "75.7 (8.29)", "74.4 (7.89)", "75.1 (8.25)"]
    assert rows["Median"] == ["76.0", "77.5", "76.0", "77.0"]
    assert rows["Min - Max"] == ["52 - 89", "51 - 88", "56 - 88", "51 - 89"]
    assert rows["<65"] == ["14 (16.3%)", "8 (9.5%)", "11 (13.1%)", "33 (13.0%)"]
    assert rows["Female"] == ["53 (61.6%)", "50 (59.5%)", "40 (47.6%)", "143 (56.3%)"]
    define = out / "adam/define.xml"
    names = [rd.get("Name") for rd in etree.parse(str(define)).iter(f"{ARM}ResultDisplay")]
    assert names == ["T14_2_01", "T14_1_01"]
    assert check_define(define) == []


@pytest.fixture(scope="module")
def saa(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("saa") / "out"
    result = CliRunner().invoke(main, ["run", str(ROOT / "mappings/nct02218437"), "--out",
                                       str(out), "--layout", "flat"])
    assert result.exit_code == 0, result.output
    return out


def test_two_arm_study_gets_kaplan_meier_and_its_page(saa: Path) -> None:
    km = (saa / "report/displays/F_KM_FFS.csv").read_text()
    assert km == (",N,Events,Censored,Median (years),95% CI\n"
                  'UC-MSC + IST,9,5,4,2.5,"0.2, NE"\n'
                  'IST alone,9,3,6,NE,"0.5, NE"\n')
    files = sorted(p.name for p in (saa / "report/displays").iterdir())
    assert files == sorted(
        [f"{d}.csv" for d in ("T_DEMOG", "T_DISP", "T_AE_SOC_PT", "T_AE_SOC_PT_grade",
                              "T_RESP", "F_KM_OS", "F_KM_FFS", "F_ANC_MEAN")]
        + [f"{d}.{x}" for d in ("F_KM_OS", "F_KM_FFS", "F_ANC_MEAN", "F_SWIMMER")
           for x in ("png", "svg")])
    page = (saa / "report/displays.html").read_text()
    assert page.count("<h2 id=") == 8
    assert "Time from the first IST day; censored at the last contact." in page


def test_two_arm_study_define_lists_every_display(saa: Path) -> None:
    define = saa / "adam/define.xml"
    root = etree.parse(str(define)).getroot()
    results = {rd.get("Name"): rd.find(f"{ARM}AnalysisResult")
               for rd in root.iter(f"{ARM}ResultDisplay")}
    assert list(results) == ["T_DEMOG", "T_DISP", "T_AE_SOC_PT", "T_RESP", "F_KM_OS",
                             "F_KM_FFS", "F_ANC_MEAN", "F_SWIMMER"]
    assert results["F_KM_FFS"].get("AnalysisPurpose") == "SECONDARY OUTCOME MEASURE"
    assert results["F_KM_FFS"].get("ParameterOID") == "IT.ADTTE.PARAMCD"
    assert check_define(define) == []


def test_a_display_mistake_fails_before_any_sdtm_is_built(tmp_path: Path) -> None:
    study = tmp_path / "study"
    shutil.copytree(ROOT / "mappings/nct04014166", study)
    index = study / "adam/adam.yaml"
    text = index.read_text(encoding="utf-8")
    assert "    grade: ATOXGRN\n" in text
    index.write_text(text.replace("    grade: ATOXGRN\n", "    grade: ATOXGRNN\n"),
                     encoding="utf-8")
    line = index.read_text(encoding="utf-8").splitlines().index("    grade: ATOXGRNN") + 1
    out = tmp_path / "out"
    progress: list[tuple[str, str]] = []
    with pytest.raises(AdamSpecError) as err:
        run_study(study, ROOT / "examples/nct04014166/raw", out,
                  lambda d, s: progress.append((d, s)), layout="flat")
    assert str(err.value) == (f"{index}:{line}: displays.2 (T_AE_SOC_PT): grade: no variable "
                              "ATOXGRNN in ADAE (did you mean ATOXGRN?)")
    assert progress == [] and not out.exists()
