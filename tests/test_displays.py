"""Declared displays (cdiscflow.report.displays) on a tiny ADaM: the numbers of every kind,
the exact confidence limits, the files and page written, the spec checks on load and the
analysis results metadata in define.xml."""

from __future__ import annotations

import math
import shutil
import statistics
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from cdiscflow.adam.spec import AdamSpecError, load_adam_folder
from cdiscflow.define.html import define_html
from cdiscflow.define.model import Dataset, Define, Item, Origin, Standard
from cdiscflow.define.xml import check_define, define_bytes
from cdiscflow.errors import CdiscflowError
from cdiscflow.report.displays import KINDS, load_displays, result_displays
from cdiscflow.report.displays.base import Data, n_pct
from cdiscflow.report.displays.page import write_page
from cdiscflow.report.displays.stats import clopper_pearson, km_curve, km_median

ROOT = Path(__file__).resolve().parents[1]
ADSL = pd.DataFrame({
    "USUBJID": ["S1", "S2", "S3", "S4", "S5", "S6"], "SUBJID": ["1", "2", "3", "4", "5", "6"],
    "TRT01P": ["A", "A", "A", "B", "B", "B"], "TRT01PN": [1.0, 1.0, 1.0, 2.0, 2.0, 2.0],
    "SAFFL": ["Y", "Y", "Y", "Y", "Y", "N"], "AGE": [30.0, 40.0, 50.0, 60.0, 70.0, 80.0],
    "SEX": ["F", "M", "F", "M", "M", "F"],
    "EOSSTT": ["COMPLETED", "DISCONTINUED", "COMPLETED", "COMPLETED", "", "COMPLETED"],
})
ADAE = pd.DataFrame({
    "USUBJID": ["S1", "S1", "S2", "S4", "S3", "S6"],
    "AEBODSYS": ["Gastro", "Gastro", "Gastro", "Nervous", "Nervous", "Nervous"],
    "AEDECOD": ["Nausea", "Nausea", "Diarrhoea", "Headache", "Headache", "Headache"],
    "ATOXGRN": [1.0, 3.0, 2.0, 1.0, 4.0, 4.0],
    "TRTEMFL": ["Y", "Y", "Y", "Y", "N", "Y"],
})
ADRS = pd.DataFrame({
    "USUBJID": ["S1", "S2", "S3", "S4", "S6", "S1", "S2", "S4", "S1"],
    "PARAMCD": ["ORR"] * 5 + ["PLAT"] * 4, "PARAM": ["Responder"] * 5 + ["Platelets"] * 4,
    "AVALC": ["Y", "N", "Y", "Y", "Y", "", "", "", ""],
    "AVAL": [None] * 5 + [10.0, 20.0, 30.0, 40.0], "AVALU": [""] * 5 + ["10^9/L"] * 4,
    "AVISIT": [""] * 5 + ["DAY 1", "DAY 1", "DAY 1", "WEEK 1"],
    "AVISITN": [None] * 5 + [1.0, 1.0, 1.0, 2.0],
    "ADY": [30.0, 40.0, 50.0, 60.0, 70.0, 1.0, 1.0, 1.0, 8.0],
})
ADTTE = pd.DataFrame({
    "USUBJID": ["S1", "S2", "S3", "S4", "S5"], "PARAMCD": ["OS"] * 5,
    "PARAM": ["Overall survival (days)"] * 5, "AVAL": [2.0, 4.0, 6.0, 3.0, 5.0],
    "CNSR": [0.0, 1.0, 0.0, 0.0, 1.0], "AVALU": ["DAYS"] * 5,
})
DATA = Data(datasets={"ADSL": ADSL, "ADAE": ADAE, "ADRS": ADRS, "ADTTE": ADTTE},
            labels={"ADSL": {"AGE": "Age", "SEX": "Sex", "EOSSTT": "End of Study Status"},
                    "ADAE": {"AEBODSYS": "SOC", "AEDECOD": "PT"}})
COMMON = {"group": "TRT01P", "group_order": "TRT01PN", "totals": {"Total": None}}
HEAD = ["A (N=3)", "B (N=2)", "Total (N=5)"]


def _display(**keys):
    return KINDS[keys["kind"]].model.model_validate({**COMMON, "title": "T", **keys})


def _table(display, number: int = 0) -> pd.DataFrame:
    return KINDS[display.kind].render(display, DATA).tables[number].frame


def test_clopper_pearson_exact_limits() -> None:
    lo, hi = clopper_pearson(5, 10)
    assert (round(lo, 6), round(hi, 6)) == (0.187086, 0.812914)  # the textbook 5/10
    # at the ends the limits have a closed form: (alpha/2)^(1/n)
    assert clopper_pearson(0, 10) == (0.0, pytest.approx(1 - 0.025 ** 0.1, abs=1e-12))
    assert clopper_pearson(10, 10) == (pytest.approx(0.025 ** 0.1, abs=1e-12), 1.0)
    with pytest.raises(ValueError, match="no proportion 3/2"):
        clopper_pearson(3, 2)


def test_percentages_round_half_away_from_zero() -> None:
    # 1/16 is 6.25% exactly: printed 6.3 (as SAS), where Python's format gives 6.2
    assert (n_pct(1, 16), n_pct(2, 3), n_pct(0, 0)) == ("1 (6.3%)", "2 (66.7%)", "0")


def test_km_band_and_median_by_hand() -> None:
    # events at 2 and 6, a censoring at 4: S = 2/3 from 2, 0 from 6
    table = km_curve([2, 4, 6], [True, False, True])
    assert table["survival"].round(6).tolist() == [0.666667, 0.666667, 0.0]
    z = statistics.NormalDist().inv_cdf(0.975)
    se = math.sqrt(1 / (3 * 2)) / abs(math.log(2 / 3))  # Greenwood, on the log(-log) scale
    assert table["lower"].iloc[0] == pytest.approx((2 / 3) ** math.exp(z * se), abs=1e-12)
    assert table["upper"].iloc[0] == pytest.approx((2 / 3) ** math.exp(-z * se), abs=1e-12)
    assert km_median(table) == (6.0, 2.0, 6.0)
    # S never reaches 0.5 when the upper limit stays above it: "not reached"
    median, lower, upper = km_median(km_curve([3, 5], [True, False]))
    assert (median, lower, math.isnan(upper)) == (3.0, 3.0, True)


def test_demographics_numbers_and_decodes() -> None:
    table = _table(_display(kind="demographics", id="D", variables=["AGE", "SEX"]))
    assert table.columns.tolist() == ["", *HEAD]
    assert table.values.tolist() == [
        ["Age", "", "", ""],
        ["  n", "3", "2", "5"],
        ["  Mean (SD)", "40.0 (10.00)", "65.0 (7.07)", "50.0 (15.81)"],
        ["  Median", "40.0", "65.0", "50.0"],
        ["  Min - Max", "30 - 50", "60 - 70", "30 - 70"],
        ["Sex", "", "", ""],
        ["  Female", "2 (66.7%)", "0 (0.0%)", "2 (40.0%)"],  # CT decode of SEX
        ["  Male", "1 (33.3%)", "2 (100.0%)", "3 (60.0%)"],
    ]


def test_disposition_flags_and_status() -> None:
    table = _table(_display(kind="disposition", id="P", flags={"Safety": "SAFFL"},
                            variables=["EOSSTT"]))
    assert table.values.tolist() == [
        ["Safety", "3 (100.0%)", "2 (100.0%)", "5 (100.0%)"],
        ["End of Study Status", "", "", ""],
        ["  COMPLETED", "2 (66.7%)", "1 (50.0%)", "3 (60.0%)"],
        ["  DISCONTINUED", "1 (33.3%)", "0 (0.0%)", "1 (20.0%)"],
        ["  Missing", "0 (0.0%)", "1 (50.0%)", "1 (20.0%)"],
    ]


def test_adverse_events_by_soc_pt_and_worst_grade() -> None:
    display = _display(kind="adverse_events", id="AE", grade="ATOXGRN")
    counts = _table(display)
    assert counts.columns.tolist() == ["SOC / PT", *HEAD]
    # S3's event is not emergent, S6 is outside the population; S1 counted once for Nausea
    assert counts.values.tolist() == [
        ["Subjects with at least one event", "2 (66.7%)", "1 (50.0%)", "3 (60.0%)"],
        ["Gastro", "2 (66.7%)", "0 (0.0%)", "2 (40.0%)"],
        ["  Diarrhoea", "1 (33.3%)", "0 (0.0%)", "1 (20.0%)"],
        ["  Nausea", "1 (33.3%)", "0 (0.0%)", "1 (20.0%)"],
        ["Nervous", "0 (0.0%)", "1 (50.0%)", "1 (20.0%)"],
        ["  Headache", "0 (0.0%)", "1 (50.0%)", "1 (20.0%)"],
    ]
    grades = _table(display, 1)
    assert grades.columns.tolist() == ["SOC / PT", "Grade 1", "Grade 2", "Grade 3",
                                       "Any grade"]
    assert grades.values.tolist() == [
        ["Subjects with at least one event", "1 (20.0%)", "1 (20.0%)", "1 (20.0%)",
         "3 (60.0%)"],
        ["Gastro", "0 (0.0%)", "1 (20.0%)", "1 (20.0%)", "2 (40.0%)"],
        ["  Diarrhoea", "0 (0.0%)", "1 (20.0%)", "0 (0.0%)", "1 (20.0%)"],
        ["  Nausea", "0 (0.0%)", "0 (0.0%)", "1 (20.0%)", "1 (20.0%)"],  # worst of 1 and 3
        ["Nervous", "1 (20.0%)", "0 (0.0%)", "0 (0.0%)", "1 (20.0%)"],
        ["  Headache", "1 (20.0%)", "0 (0.0%)", "0 (0.0%)", "1 (20.0%)"],
    ]


def test_response_with_clopper_pearson_interval() -> None:
    table = _table(_display(kind="response", id="R", params=["ORR"]))
    # S5 has no record: a non-responder of B's 2; S6 (not in the population) is not counted
    assert table.values.tolist() == [["Responder", "2/3 (66.7%) [9.4, 99.2]",
                                      "1/2 (50.0%) [1.3, 98.7]", "3/5 (60.0%) [14.7, 94.7]"]]


def test_kaplan_meier_table_and_figure() -> None:
    out = KINDS["kaplan_meier"].render(_display(kind="kaplan_meier", id="KM", param="OS",
                                                totals={}, risk_times=[0, 2, 4, 6]), DATA)
    assert out.tables[0].frame.values.tolist() == [
        ["A", "3", "2", "1", "6.0", "2.0, 6.0"],
        ["B", "2", "1", "1", "3.0", "3.0, NE"],
    ]
    assert out.tables[0].frame.columns.tolist()[4] == "Median (days)"
    texts = [t.get_text() for ax in out.figure.axes for t in ax.texts]
    # at risk (time >= t) at 0, 2, 4, 6: A's times 2, 4, 6; B's 3, 5
    assert texts == ["3", "3", "2", "1", "2", "2", "1", "0"]
    assert out.figure.axes[1].get_title(loc="left") == "Number at risk"


def test_mean_over_time_table() -> None:
    table = _table(_display(kind="mean_over_time", id="M", dataset="ADRS", param="PLAT"))
    assert table.values.tolist() == [["DAY 1", "2; 15.0 (5.00)", "1; 30.0 (-)",
                                      "3; 20.0 (5.77)"],
                                     ["WEEK 1", "1; 40.0 (-)", "0", "1; 40.0 (-)"]]


def test_swimmer_left_out_above_max_subjects() -> None:
    display = _display(kind="swimmer", id="S", param="ORR", codes=["Y"], max_subjects=4)
    out = KINDS["swimmer"].render(display, DATA)
    assert (out.figure, out.notes) == (None, [
        "Not drawn: 5 subjects, more than the 4 lanes allowed (max_subjects)."])
    drawn = KINDS["swimmer"].render(display.model_copy(update={"max_subjects": 5}), DATA)
    ax = drawn.figure.axes[0]
    # one lane per subject of the population, top down by group then SUBJID (S6 is out)
    assert dict(zip([t.get_text() for t in ax.get_yticklabels()], ax.get_yticks(),
                    strict=True)) == {"1": 4, "2": 3, "3": 2, "4": 1, "5": 0}


def test_files_and_page_are_written_and_byte_identical(tmp_path: Path) -> None:
    displays = [_display(kind="response", id="T_RESP", params=["ORR"],
                         footnotes=["CI: exact (Clopper-Pearson)."]),
                _display(kind="kaplan_meier", id="F_KM", param="OS")]
    written = write_page(displays, DATA.datasets, DATA.labels, {}, tmp_path / "a", "x.yaml")
    assert written == {"T_RESP": "displays/T_RESP.csv", "F_KM": "displays/F_KM.csv",
                       "F_KM.png": "displays/F_KM.png", "F_KM.svg": "displays/F_KM.svg",
                       "html": "displays.html"}
    assert (tmp_path / "a/displays/T_RESP.csv").read_text() == (
        'Responders n/N (%) [95% CI],A (N=3),B (N=2),Total (N=5)\n'
        'Responder,"2/3 (66.7%) [9.4, 99.2]","1/2 (50.0%) [1.3, 98.7]",'
        '"3/5 (60.0%) [14.7, 94.7]"\n')
    page = (tmp_path / "a/displays.html").read_text()
    assert "<li>CI: exact (Clopper-Pearson).</li>" in page
    assert "Population: subjects with ADSL.SAFFL = Y" in page
    assert "max-width:1300px" in page
    write_page(displays, DATA.datasets, DATA.labels, {}, tmp_path / "b", "x.yaml")
    for name in ("displays.html", "displays/F_KM.png", "displays/F_KM.svg"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def _spec(tmp_path: Path, displays: str) -> Path:
    folder = tmp_path / "adam"
    shutil.copytree(ROOT / "mappings/nct02218437/adam", folder)
    (folder / "adam.yaml").write_text("datasets: [adsl, adae, adrs, adtte]\ndisplays:\n"
                                      + displays)
    return folder


@pytest.mark.parametrize(("entry", "message", "line"), [
    ("  - {kind: demographic, id: T1, title: x, group: TRT01P, variables: [AGE]}\n",
     "displays.0 (T1): kind: unknown display kind 'demographic' (did you mean "
     "'demographics'?)", 3),
    ("  - kind: demographics\n    id: T1\n    title: x\n    group: TRT01P\n"
     "    variabels: [AGE]\n", "displays.0 (T1): variabels: unknown key", 7),
    ("  - {kind: demographics, id: T1, title: x, group: TRT01P, variables: [AGEE]}\n",
     "displays.0 (T1): variables.0: no variable AGEE in ADSL (did you mean AGE?)", 3),
    ("  - kind: response\n    id: R\n    title: x\n    group: TRT01P\n    params: [ORR90]\n"
     "    where: \"ANL01FL = 'Y' and AVISTN = 1\"\n",
     "displays.0 (R): where: no variable AVISTN in ADRS (did you mean AVISITN?)", 8),
    ("  - {kind: mean_over_time, id: M, title: x, group: TRT01P, dataset: ADVS, param: P}\n",
     "displays.0 (M): dataset ADVS is not built", 3),
    ("  - {kind: disposition, id: P, title: x, group: TRT01P}\n",
     "displays.0 (P): Value error, give flags, variables or both", 3),
    ("  - {kind: response, id: R, title: x, group: TRT01P, params: [ORR90], reason: SAP}\n",
     "displays.0 (R): reason: Value error, 'SAP' is no ANLREAS term", 3),
])
def test_spec_mistakes_fail_on_load(tmp_path: Path, entry: str, message: str,
                                    line: int) -> None:
    adam = load_adam_folder(_spec(tmp_path, entry))
    with pytest.raises(AdamSpecError) as caught:
        load_displays(adam)
    assert message in str(caught.value)
    assert (caught.value.file, caught.value.line) == (str(tmp_path / "adam/adam.yaml"), line)


def _item(name: str) -> Item:
    return Item(name=name, label=name, type="Char", length=8, data_type="text",
                display_length=8, significant_digits=None, origin=Origin("Derived"))


def test_analysis_results_metadata_in_define(tmp_path: Path) -> None:
    adam = load_adam_folder(_spec(tmp_path, (
        "  - {kind: kaplan_meier, id: F_KM_OS, title: Overall survival, population: ITTFL,\n"
        "     group: TRT01P, param: OS, purpose: SECONDARY OUTCOME MEASURE}\n")))
    displays = result_displays(adam)
    shapes = {"ADSL": ["USUBJID", "ITTFL", "TRT01P"],
              "ADTTE": ["USUBJID", "PARAMCD", "AVAL", "CNSR"]}
    define = Define(
        study_oid="S", study_name="S", description="S", protocol="S", mdv_oid="MDV.S",
        mdv_name="S", created=pd.Timestamp("2024-01-01").to_pydatetime(),
        standards=[Standard("STD", "ADaMIG", "IG", "1.3")],
        datasets=[Dataset(name=n, label=n, purpose="Analysis", class_name="BASIC DATA "
                          "STRUCTURE", structure="x", standard="STD", keys=["USUBJID"],
                          items=[_item(v) for v in vs], files=[f"{n.lower()}.xpt"])
                  for n, vs in shapes.items()],
        result_displays=displays)
    path = tmp_path / "define.xml"
    path.write_bytes(define_bytes(define))
    for n in shapes:
        (tmp_path / f"{n.lower()}.xpt").write_bytes(b"")
    ns = {"arm": "http://www.cdisc.org/ns/arm/v1.0", "def": "http://www.cdisc.org/ns/def/v2.1",
          "odm": "http://www.cdisc.org/ns/odm/v1.3"}
    root = etree.parse(str(path)).getroot()
    rd = root.find(".//arm:AnalysisResultDisplays/arm:ResultDisplay", ns)
    assert (rd.get("OID"), rd.get("Name")) == ("RD.F_KM_OS", "F_KM_OS")
    ar = rd.find("arm:AnalysisResult", ns)
    assert dict(ar.attrib) == {"OID": "AR.F_KM_OS.1", "ParameterOID": "IT.ADTTE.PARAMCD",
                               "AnalysisReason": "SPECIFIED IN SAP",
                               "AnalysisPurpose": "SECONDARY OUTCOME MEASURE"}
    ads = ar.find("arm:AnalysisDatasets/arm:AnalysisDataset", ns)
    assert ads.get("ItemGroupOID") == "IG.ADTTE"
    assert [v.get("ItemOID") for v in ads.findall("arm:AnalysisVariable", ns)] == [
        "IT.ADTTE.AVAL", "IT.ADTTE.CNSR"]
    wc_oid = ads.find("def:WhereClauseRef", ns).get("WhereClauseOID")
    wc = root.find(f".//def:WhereClauseDef[@OID='{wc_oid}']", ns)
    checks = [(rc.get(f"{{{ns['def']}}}ItemOID"), rc.findtext("odm:CheckValue", None, ns))
              for rc in wc.findall("odm:RangeCheck", ns)]
    # the population flag is ADSL's (ADTTE does not carry ITTFL), the parameter ADTTE's
    assert checks == [("IT.ADSL.ITTFL", "Y"), ("IT.ADTTE.PARAMCD", "OS")]
    doc = ar.findtext("arm:Documentation/odm:Description/odm:TranslatedText", None, ns)
    assert doc.startswith("ADTTE records with PARAMCD = OS, of subjects with ADSL.ITTFL = Y")
    code = ar.find("arm:ProgrammingCode", ns)
    assert code.get("Context") == "cdiscflow displays spec (docs/adam-spec.md), YAML"
    assert code.findtext("arm:Code", None, ns).splitlines()[:3] == [
        "kind: kaplan_meier", "id: F_KM_OS", "title: Overall survival"]
    assert check_define(path) == []


def test_swimmer_interval_bars_in_study_days() -> None:
    adsl = ADSL.assign(TRTSDT=[0.0] * 6)  # SAS date 0: 1960-01-01 is day 1
    cm = pd.DataFrame({"USUBJID": ["S1", "S2"], "DOMAIN": ["CM", "CM"],
                       "CMCAT": ["RESCUE", "OTHER"], "CMSTDTC": ["1960-01-05", "1960-01-02"],
                       "CMENDTC": ["1960-01-10", ""]})
    data = Data(datasets={**DATA.datasets, "ADSL": adsl}, labels=DATA.labels, sdtm={"CM": cm})
    display = _display(kind="swimmer", id="S", param="PLAT", codes=["Y"],
                       intervals={"Rescue": {"dataset": "CM", "where": "CMCAT = 'RESCUE'"}})
    ax = KINDS["swimmer"].render(display, data).figure.axes[0]
    bars = [(line.get_label(), line.get_xdata().tolist()) for line in ax.get_lines()
            if line.get_label() == "Rescue"]
    assert bars == [("Rescue", [5.0, 10.0])]  # study days 5 to 10 on S1's lane
    assert "TRTSDT" in display.reads()["ADSL"]


def test_a_display_that_cannot_use_the_data_names_itself(tmp_path: Path) -> None:
    tte = ADTTE.assign(AVAL=[2.0, None, 6.0, 3.0, 5.0])
    display = _display(kind="kaplan_meier", id="F_KM", param="OS")
    with pytest.raises(CdiscflowError) as caught:
        write_page([display], {**DATA.datasets, "ADTTE": tte}, DATA.labels, {}, tmp_path,
                   "adam.yaml")
    assert str(caught.value) == ("adam.yaml: displays.0 (F_KM): ADTTE PARAMCD OS: AVAL is "
                                 "missing for USUBJID S2")
    with pytest.raises(AdamSpecError, match=r"displays.0 \(R\): no PARAMCD XYZ"):
        write_page([_display(kind="response", id="R", params=["XYZ"])], DATA.datasets,
                   DATA.labels, {}, tmp_path, "adam.yaml")


def test_define_html_lists_the_analysis_results(tmp_path: Path) -> None:
    adam = load_adam_folder(_spec(tmp_path, (
        "  - {kind: response, id: T_RESP, title: Response, population: ITTFL,\n"
        "     group: TRT01P, params: [ORR90]}\n")))
    define = Define(study_oid="S", study_name="S", description="S", protocol="S",
                    mdv_oid="MDV.S", mdv_name="S", created=pd.Timestamp("2024-01-01"),
                    standards=[], datasets=[], result_displays=result_displays(adam))
    page = define_html(define)
    assert ('<td><span id="RD.T_RESP">T_RESP</span></td><td>Response</td>'
            "<td>SPECIFIED IN SAP; PRIMARY OUTCOME MEASURE</td>"
            "<td>ADRS: AVALC where ITTFL = Y and PARAMCD = ORR90</td>") in page
    assert "Analysis results" not in define_html(Define(
        study_oid="S", study_name="S", description="S", protocol="S", mdv_oid="MDV.S",
        mdv_name="S", created=pd.Timestamp("2024-01-01"), standards=[], datasets=[]))
