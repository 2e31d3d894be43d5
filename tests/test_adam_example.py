"""End to end: `cdiscflow run` on the example study, then every published figure of the paper
(issue 5's list) recomputed from the ADaM XPT files it wrote, read back with read_xpt.

Only the ADaM datasets are read here: the figures must come out of ADSL, ADAE and ADRS.
"""

from __future__ import annotations

import base64
import re
import statistics
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cdiscflow.cli import main
from cdiscflow.xpt import read_xpt

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "mappings" / "nct04014166"
GROUPS = ["0.5 (escalation)", "1.0 (escalation)", "2.0 (escalation)", "2.0 (expansion)"]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("adam") / "out"
    result = CliRunner().invoke(main, ["run", str(STUDY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _read(out: Path, name: str) -> tuple[pd.DataFrame, dict]:
    # wherever the layout puts the ADaM folder, there is exactly one of each dataset
    paths = [p for p in out.rglob(f"{name}.xpt") if "adam" in p.parts]
    assert len(paths) == 1, paths
    return read_xpt(paths[0])


@pytest.fixture(scope="module")
def adsl(out: Path) -> pd.DataFrame:
    return _read(out, "adsl")[0]


@pytest.fixture(scope="module")
def adae(out: Path) -> pd.DataFrame:
    return _read(out, "adae")[0]


@pytest.fixture(scope="module")
def adrs(out: Path) -> pd.DataFrame:
    return _read(out, "adrs")[0]


def by_group(adsl: pd.DataFrame, subjects: set[str]) -> dict[str, tuple[int, int]]:
    out = {}
    for g in GROUPS:
        members = set(adsl.loc[adsl["COHORT"] == g, "USUBJID"])
        out[g] = (len(members & subjects), len(members))
    return out


def yes(adrs: pd.DataFrame, paramcd: str) -> set[str]:
    rows = adrs[(adrs["PARAMCD"] == paramcd) & (adrs["AVALC"] == "Y")]
    return set(rows["USUBJID"])


def aval(adrs: pd.DataFrame, paramcd: str, among: set[str]) -> dict[str, float]:
    rows = adrs[(adrs["PARAMCD"] == paramcd) & adrs["USUBJID"].isin(among)]
    return dict(zip(rows["USUBJID"], rows["AVAL"], strict=True))


def med_range(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


# --- the published figures ---------------------------------------------------------------------

def test_response_by_cohort(adsl: pd.DataFrame, adrs: pd.DataFrame) -> None:
    responders = yes(adrs, "RSP")
    assert by_group(adsl, responders) == {
        "0.5 (escalation)": (0, 3), "1.0 (escalation)": (2, 3), "2.0 (escalation)": (3, 6),
        "2.0 (expansion)": (3, 6)}
    escalation = set(adsl.loc[adsl["PHASE"] == "DOSE ESCALATION", "USUBJID"])
    assert (len(responders & escalation), len(escalation)) == (5, 12)
    assert (len(responders), len(adsl)) == (8, 18)
    assert f"{100 * len(responders) / len(adsl):.1f}" == "44.4"
    # best overall response agrees: responders are exactly the subjects with BOR CR or R
    bor = adrs[adrs["PARAMCD"] == "BOR"]
    assert set(bor.loc[bor["AVALC"].isin(["CR", "R"]), "USUBJID"]) == responders
    # "ever >= 30 with doubling" is the response criterion without the bleeding condition
    assert yes(adrs, "PLT30D") == responders


def test_complete_response(adrs: pd.DataFrame) -> None:
    assert len(yes(adrs, "CR")) == 4
    assert len(adrs[adrs["PARAMCD"] == "CR"]) == 18


def test_ever_50_and_100(adsl: pd.DataFrame, adrs: pd.DataFrame) -> None:
    assert by_group(adsl, yes(adrs, "PLT50")) == {
        "0.5 (escalation)": (0, 3), "1.0 (escalation)": (2, 3), "2.0 (escalation)": (3, 6),
        "2.0 (expansion)": (3, 6)}
    assert by_group(adsl, yes(adrs, "PLT100")) == {
        "0.5 (escalation)": (0, 3), "1.0 (escalation)": (2, 3), "2.0 (escalation)": (2, 6),
        "2.0 (expansion)": (3, 6)}


def test_time_to_first_50(adrs: pd.DataFrame) -> None:
    responders = yes(adrs, "RSP")
    times = aval(adrs, "TT50", responders)
    assert len(times) == 8
    assert med_range(list(times.values())) == (21, 7, 42)
    tte = adrs[adrs["PARAMCD"] == "TT50"]
    assert set(tte.loc[tte["CNSR"] == 0, "USUBJID"]) == responders


def test_cumulative_response_duration(adsl: pd.DataFrame, adrs: pd.DataFrame) -> None:
    responders = yes(adrs, "RSP")
    weeks = aval(adrs, "CUMRSPD", responders)
    assert med_range(list(weeks.values())) == (6.5, 3, 27)
    cohort = dict(zip(adsl["USUBJID"], adsl["COHORT"], strict=True))

    def of(group: str) -> list[float]:
        return sorted(v for s, v in weeks.items() if cohort[s] == group)

    assert of("1.0 (escalation)") == [3, 6] and statistics.median(of("1.0 (escalation)")) == 4.5
    assert of("2.0 (escalation)") == [7, 27, 27] and med_range(of("2.0 (escalation)")) == \
        (27, 7, 27)
    assert of("2.0 (expansion)") == [3, 6, 8] and med_range(of("2.0 (expansion)")) == (6, 3, 8)
    non = set(adsl["USUBJID"]) - responders
    assert set(aval(adrs, "CUMRSPD", non).values()) == {0.0}


def test_adverse_events(adsl: pd.DataFrame, adae: pd.DataFrame) -> None:
    n = len(adsl[adsl["SAFFL"] == "Y"])
    assert n == 18
    te = adae[adae["TRTEMFL"] == "Y"]
    assert te["USUBJID"].nunique() == 13 and f"{100 * 13 / n:.1f}" == "72.2"
    sae = adae[adae["SERTEMFL"] == "Y"]
    assert sae["USUBJID"].nunique() == 4 and f"{100 * 4 / n:.1f}" == "22.2"
    per_term = te.groupby("AEDECOD")["USUBJID"].nunique()
    assert per_term["Fatigue"] == 5
    assert per_term["Blood bilirubin increased"] == 4
    assert per_term["Blood uric acid increased"] == 3
    assert adae.loc[adae["RELTEMFL"] == "Y", "USUBJID"].nunique() == 3
    assert adae.loc[adae["DLTFL"] == "Y", "SUBJID"].tolist() == ["007"]
    # the derived DLT flag agrees with the investigator's DLT box on the CRF (SUPPAE)
    assert adae.loc[adae["AEDLT"] == "Y", "SUBJID"].tolist() == ["007"]
    # first-occurrence flags count each subject once
    assert (adae["AOCCFL"] == "Y").sum() == 13
    assert adae.loc[adae["AOCCPFL"] == "Y"].groupby("AEDECOD").size()["Fatigue"] == 5


def test_rescue_and_concomitant_medication(adsl: pd.DataFrame) -> None:
    rescue = adsl[adsl["RESCUEFL"] == "Y"]
    assert (rescue["PHASE"] == "DOSE ESCALATION").sum() == 6
    assert (adsl["PHASE"] == "DOSE ESCALATION").sum() == 12
    assert (rescue["PHASE"] == "DOSE EXPANSION").sum() == 5
    assert (adsl["PHASE"] == "DOSE EXPANSION").sum() == 6
    assert (adsl["CONMEDFL"] == "Y").sum() == 9


def test_demographics(adsl: pd.DataFrame) -> None:
    assert med_range(adsl["AGE"].tolist()) == (44, 30, 50)
    assert (adsl["SEX"] == "F").sum() == 15


# --- the edge cases in the example data ----------------------------------------------------------

def test_partial_ae_date_in_first_infusion_month(adae: pd.DataFrame) -> None:
    """013's URTI (UNK-SEP-2021, the month of its first infusion) is imputed to the first
    infusion date, not to 1 September, so it is treatment-emergent; 008's and 010's partial
    dates in later months take the first of the month."""
    partial = adae[adae["ASTDTF"] == "D"].set_index("SUBJID")
    assert sorted(partial.index) == ["008", "010", "013"]
    assert partial.loc["013", "ASTDT"] == partial.loc["013", "TRTSDT"]
    assert partial.loc["013", "ASTDY"] == 1 and partial.loc["013", "TRTEMFL"] == "Y"
    assert partial.loc["008", "AESTDTC"] == "2020-12"
    assert read_date(partial.loc["008", "ASTDT"]) == "2020-12-01"


def read_date(sas_day: float) -> str:
    return (pd.Timestamp("1960-01-01") + pd.Timedelta(days=sas_day)).date().isoformat()


def test_rescue_window_counts_are_not_evaluable(adrs: pd.DataFrame) -> None:
    # 014 reaches 68 only under rescue: not evaluable, never >= 50, not a responder
    plat = adrs[(adrs["PARAMCD"] == "PLAT") & (adrs["SUBJID"] == "014")]
    assert plat.loc[plat["AVAL"] == 68, "RESCFL"].tolist() == ["Y"]
    assert plat.loc[plat["AVAL"] == 68, "ANL01FL"].tolist() == [""]
    assert "NCT04014166-01-014" not in yes(adrs, "PLT50") | yes(adrs, "RSP")
    # 016's first count >= 50 (day 15) is under rescue: time to >= 50 is day 35's count
    tt = adrs[(adrs["PARAMCD"] == "TT50") & (adrs["SUBJID"] == "016")]
    assert tt["AVAL"].tolist() == [35.0]


def test_bleeding_splits_a_response(adrs: pd.DataFrame) -> None:
    """005 bleeds at Week 6 with a count >= 30 and doubled: NR that visit, relapse flagged,
    and two 3-week episodes."""
    rsp = adrs[(adrs["PARAMCD"] == "RSPPLT") & (adrs["SUBJID"] == "005")]
    week6 = rsp[rsp["AVISIT"] == "WEEK 6"].iloc[0]
    assert (week6["AVALC"], week6["BLEEDFL"], week6["RELAPSFL"]) == ("NR", "Y", "Y")
    dur = adrs[(adrs["PARAMCD"] == "CUMRSPD") & (adrs["SUBJID"] == "005")]
    assert dur["AVAL"].tolist() == [6.0]


# --- dataset conventions ---------------------------------------------------------------------

def test_labels_types_formats_and_order(out: Path) -> None:
    adsl, meta = _read(out, "adsl")
    assert meta["label"] == "Subject-Level Analysis Dataset"
    labels, formats = meta["variable_labels"], meta["formats"]
    assert labels["TRT01P"] == "Planned Treatment for Period 01"
    assert labels["AGEGR1"] == "Pooled Age Group 1"
    assert labels["TRTSDT"] == "Date of First Exposure to Treatment"
    assert labels["COHORT"] == "Dose Cohort (Reporting Group)"  # sponsor: from the spec
    assert formats["TRTSDT"] == "DATE9." and formats["TRTSDTM"] == "DATETIME20."
    names = list(adsl.columns)
    assert names[:4] == ["STUDYID", "USUBJID", "SUBJID", "SITEID"]
    # ADaMIG order: AGE before SEX, population flags before the arm, TRTSDT before TRTEDT
    assert names.index("AGE") < names.index("SEX") < names.index("SAFFL") < names.index("ARM")
    assert names.index("TRT01P") < names.index("TRTSDT") < names.index("TRTEDT")
    adrs, rmeta = _read(out, "adrs")
    assert list(adrs.columns)[:5] == ["STUDYID", "USUBJID", "SUBJID", "SITEID", "ASEQ"]
    assert rmeta["variable_labels"]["R2BASE"] == "Ratio to Baseline"
    assert rmeta["formats"]["ADT"] == "DATE9." and rmeta["formats"]["ADTM"] == "DATETIME20."
    adae, ameta = _read(out, "adae")
    assert ameta["variable_labels"]["AEDECOD"] == "Dictionary-Derived Term"  # SDTMIG AE
    assert ameta["variable_labels"]["ASTDT"] == "Analysis Start Date"  # ADaMIG
    assert ameta["formats"]["ASTDT"] == "DATE9."


def test_one_record_per_subject_and_parameter(adrs: pd.DataFrame) -> None:
    subject_level = adrs[~adrs["PARAMCD"].isin(["PLAT", "RSPPLT"])]
    counts = subject_level.groupby("PARAMCD")["USUBJID"].nunique().to_dict()
    # TT50: responders have an event; the others are censored at their last evaluable count
    assert counts == {"BOR": 18, "RSP": 18, "PLT30D": 18, "PLT50": 18, "PLT100": 18, "CR": 18,
                      "RELAPSE": 18, "TT50": 18, "CUMRSPD": 18}
    assert not subject_level.duplicated(["USUBJID", "PARAMCD"]).any()
    assert adrs.groupby("USUBJID")["ASEQ"].apply(lambda s: list(s) == list(range(1, len(s) + 1))
                                                  ).all()


# --- the report ---------------------------------------------------------------------------------

def test_report_tables_and_page(out: Path) -> None:
    report = out / "report"
    response = pd.read_csv(report / "response.csv", dtype=str, keep_default_na=False)
    row = response.set_index(response.columns[0]).loc["Responder (any R or CR)"]
    assert row.tolist() == ["0/3 (0.0%)", "2/3 (66.7%)", "3/6 (50.0%)", "3/6 (50.0%)",
                            "5/12 (41.7%)", "8/18 (44.4%)"]
    ae = pd.read_csv(report / "ae_summary.csv", dtype=str, keep_default_na=False)
    assert ae.set_index(ae.columns[0]).loc["Any TEAE", "Overall"] == "13/18 (72.2%)"
    page = (report / "adam-report.html").read_text(encoding="utf-8")
    # self-contained: no script, stylesheet link or remote resource; figures inline as SVG
    # data URIs, byte for byte the SVG files beside the page
    assert "<script" not in page and "<link" not in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    uris = re.findall(r"src='data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)'", page)
    assert [base64.b64decode(u) for u in uris] == [
        (report / f"{name}.svg").read_bytes() for name in ("mean_over_time", "swimmer")]
    assert "8/18 (44.4%)" in page
    for name in ("mean_over_time", "swimmer"):
        assert (report / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"<svg" in (report / f"{name}.svg").read_bytes()


def test_no_missing_value_is_written_as_text(out: Path):
    # a missing value in an Arrow text column once reached the XPT as the text "<NA>" (ADRS
    # AVISIT and SRCDOM of the subject-level parameters): missing text is blank in XPT
    for path in sorted(out.rglob("*.xpt")):
        frame, _ = read_xpt(path)
        text = [c for c in frame.columns if frame[c].dtype != "float64"]
        written = {c: int(frame[c].isin(["<NA>", "nan", "None", "NaN"]).sum()) for c in text}
        assert {c: n for c, n in written.items() if n} == {}, path.name


def test_subject_level_parameters_have_blank_visit(adrs: pd.DataFrame):
    subject_level = adrs[~adrs["PARAMCD"].isin(["PLAT", "RSPPLT"])]
    assert len(subject_level) == 9 * 18  # nine parameters, one record per subject each
    assert set(subject_level["AVISIT"]) == {""} and set(subject_level["SRCDOM"]) == {""}
