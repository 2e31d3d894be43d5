"""Issue 17's remaining parts: MedDRA coding from the AE extract, TI from the registries, SV from
every domain with visits, RFPENDTC over all domains (``ALL.DTC``), and a study's own blank CRF
in acrf.pdf with the annotation pages after it."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from cdiscflow.cli import main
from cdiscflow.define.xml import DEF_NS, ODM_NS
from cdiscflow.errors import SpecError
from cdiscflow.sdtm.trial_design import sv_domains
from cdiscflow.specload import load_study
from cdiscflow.xpt import read_xpt

ROOT = Path(__file__).resolve().parent.parent
ITP = ROOT / "mappings" / "nct04014166"
ITP_RAW = ROOT / "examples" / "nct04014166" / "raw"
SDTM = Path("m5") / "datasets" / "nct04014166" / "tabulations" / "sdtm"
NS = {"odm": ODM_NS, "def": DEF_NS}


@pytest.fixture(scope="module")
def itp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("itp") / "out"
    result = CliRunner().invoke(main, ["run", str(ITP), "--out", str(out), "--no-adam"])
    assert result.exit_code == 0, result.output
    return out / SDTM


def test_meddra_hierarchy_from_the_extract(itp: Path) -> None:
    ae, _ = read_xpt(itp / "ae.xpt")
    first = ae.iloc[0]
    assert {v: first[v] for v in ["AETERM", "AELLT", "AELLTCD", "AEDECOD", "AEPTCD", "AEHLT",
                                  "AEHLGT", "AEBODSYS", "AEBDSYCD", "AESOC", "AESOCCD"]} == {
        "AETERM": "Fatigue", "AELLT": "Fatigue", "AELLTCD": 10016256.0, "AEDECOD": "Fatigue",
        "AEPTCD": 10016256.0, "AEHLT": "Asthenic conditions",
        "AEHLGT": "General system disorders NEC",
        "AEBODSYS": "General disorders and administration site conditions",
        "AEBDSYCD": 10018065.0,
        "AESOC": "General disorders and administration site conditions",
        "AESOCCD": 10018065.0}
    # every event has its SOC code (CG0082); 12 of the 14 PTs a verified code; no HLT or
    # HLGT code could be verified (examples/nct04014166/raw/README.md)
    assert ae["AEBDSYCD"].notna().all() and (ae["AESOCCD"] == ae["AEBDSYCD"]).all()
    coded = ae.loc[ae["AEPTCD"].notna(), "AEDECOD"]
    assert ae["AEDECOD"].nunique() == 14 and coded.nunique() == 12
    assert sorted(set(ae.loc[ae["AEPTCD"].isna(), "AEDECOD"])) == [
        "Blood uric acid increased", "Heavy menstrual bleeding"]
    assert (ae["AELLTCD"].isna() == ae["AEPTCD"].isna()).all()
    assert ae["AEHLTCD"].isna().all() and ae["AEHLGTCD"].isna().all()
    assert ae["AEHLT"].ne("").all() and ae["AEHLGT"].ne("").all()
    assert sorted(set(ae["AEHLGT"]))[:3] == [
        "Coronary artery disorders", "Gastrointestinal haemorrhages NEC",
        "Gastrointestinal motility and defaecation conditions"]


def test_trial_inclusion_exclusion_criteria(itp: Path) -> None:
    ti, _ = read_xpt(itp / "ti.xpt")
    assert ti.columns.tolist() == ["STUDYID", "DOMAIN", "IETESTCD", "IETEST", "IECAT"]
    assert len(ti) == 19
    assert ti["IECAT"].value_counts().to_dict() == {"EXCLUSION": 10, "INCLUSION": 9}
    assert ti.iloc[0][["IETESTCD", "IETEST"]].tolist() == [
        "INCL01", "Aged 18 to 60 years; either sex"]
    assert ti["IETESTCD"].str.len().max() <= 8 and ti["IETEST"].str.len().max() <= 200
    define = etree.parse(str(itp / "define.xml"))
    group = define.xpath("//odm:ItemGroupDef[@OID='IG.TI']", namespaces=NS)[0]
    assert group.get("Purpose") == "Tabulation"
    assert group.xpath("def:leaf/@xlink:href", namespaces={
        **NS, "xlink": "http://www.w3.org/1999/xlink"}) == ["ti.xpt"]


def test_every_date_of_the_other_domains() -> None:
    study = load_study(ITP)
    rfpendtc = study.domain("DM").spec.variables["RFPENDTC"].derive
    assert rfpendtc.model_extra["sources"] == [
        "EX.EXSTDTC", "EX.EXENDTC", "AE.AESTDTC", "AE.AEENDTC", "LB.LBDTC", "CM.CMSTDTC",
        "CM.CMENDTC", "RS.RSDTC"]


def test_rfpendtc_is_the_latest_date_of_all_records(itp: Path) -> None:
    dm, _ = read_xpt(itp / "dm.xpt")
    latest: dict[str, str] = {}
    for name, dates in {"ex": ["EXSTDTC", "EXENDTC"], "ae": ["AESTDTC", "AEENDTC"],
                        "lb": ["LBDTC"], "cm": ["CMSTDTC", "CMENDTC"], "rs": ["RSDTC"]}.items():
        frame, _ = read_xpt(itp / f"{name}.xpt")
        for var in dates:
            for subject, value in zip(frame["USUBJID"], frame[var], strict=True):
                if len(value) >= 10 and value > latest.get(subject, ""):
                    latest[subject] = value
    assert dict(zip(dm["USUBJID"], dm["RFPENDTC"], strict=True)) == latest
    assert dm.loc[dm["USUBJID"] == "NCT04014166-01-001", "RFPENDTC"].item() == "2020-06-04T09:40"


def test_sv_from_every_domain_with_visits() -> None:
    assert sv_domains(load_study(ITP)) == ["EX", "LB", "RS"]
    # the pilot names its own: EX's records add no visit and are dosing periods
    assert sv_domains(load_study(ROOT / "mappings" / "cdiscpilot01")) == ["DS", "VS"]


# --------------------------------------------------------------------------- blank CRF


def _blank_crf(pages: int) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    for n in range(1, pages + 1):
        pdf.drawString(72, 750, f"Sponsor blank CRF page {n}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _study_with_blank_crf(tmp_path: Path, blank: str) -> Path:
    study = tmp_path / "study"
    shutil.copytree(ITP, study, ignore=shutil.ignore_patterns("adam"))
    (study / "blank.pdf").write_bytes(_blank_crf(3))
    text = (study / "study.yaml").read_text(encoding="utf-8")
    (study / "study.yaml").write_text(text + blank, encoding="utf-8")
    return study


def _run(study: Path, out: Path) -> Path:
    result = CliRunner().invoke(main, ["run", str(study), "--raw", str(ITP_RAW), "--out",
                                       str(out), "--no-adam"])
    assert result.exit_code == 0, result.output
    return out / SDTM


def test_blank_crf_pages_come_first(tmp_path: Path) -> None:
    study = _study_with_blank_crf(tmp_path, (
        "submission:\n  blank_crf:\n    file: blank.pdf\n"
        "    forms: {demographics: [1], adverse_events: [2, 3]}\n"))
    sdtm = _run(study, tmp_path / "out")
    pdf = PdfReader(str(sdtm / "acrf.pdf"))
    # the 3 blank CRF pages, then the generated ones (12 without the blank CRF)
    generated = len(PdfReader(str(_run(ITP, tmp_path / "plain") / "acrf.pdf")).pages)
    assert len(pdf.pages) == 3 + generated
    assert "Sponsor blank CRF page 2" in pdf.pages[1].extract_text()
    assert "Form demographics" in pdf.pages[3].extract_text()
    assert "raw file demographics.csv, blank CRF page 1" in pdf.pages[3].extract_text()
    outline = [o for o in pdf.outline if not isinstance(o, list)]
    assert [o.title for o in outline] == ["Blank CRF", "Forms", "Domains"]
    blank, forms, domains = [o for o in pdf.outline if isinstance(o, list)]
    assert [(o.title, pdf.get_destination_page_number(o) + 1) for o in blank] == [
        ("demographics", 1), ("adverse_events", 2)]
    assert pdf.get_destination_page_number(forms[0]) + 1 == 4
    assert [o.title for o in domains][0] == "AE (Adverse Events)"
    # define.xml: a variable of adverse_events points at its blank CRF pages and its
    # annotation page; one of another form at its annotation page only
    define = etree.parse(str(sdtm / "define.xml"))

    def refs(oid: str) -> str:
        return define.xpath(f"//odm:ItemDef[@OID='{oid}']//def:PDFPageRef/@PageRefs",
                            namespaces=NS)[0]

    aeterm = refs("IT.AE.AETERM")
    assert aeterm.split()[:2] == ["2", "3"]
    assert "AETERM" in pdf.pages[int(aeterm.split()[2]) - 1].extract_text()
    assert refs("IT.EX.EXLOT").split()[0] not in ("1", "2", "3")
    # the same inputs give the same bytes
    again = _run(study, tmp_path / "again")
    assert (again / "acrf.pdf").read_bytes() == (sdtm / "acrf.pdf").read_bytes()


@pytest.mark.parametrize("blank, message", [
    ("submission: {blank_crf: {file: missing.pdf}}\n", "cannot read"),
    ("submission: {blank_crf: {file: ../outside.pdf}}\n", "must be inside the study folder"),
    ("submission: {blank_crf: {file: blank.pdf, forms: {vitals: [1]}}}\n",
     "'vitals' is not a raw form of the study"),
    ("submission: {blank_crf: {file: blank.pdf, forms: {labs: [4]}}}\n",
     "page 4 is beyond the last page of blank.pdf (3 pages)"),
])
def test_blank_crf_mistakes_are_spec_errors(tmp_path: Path, blank: str, message: str) -> None:
    study = _study_with_blank_crf(tmp_path, blank)
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        load_study(study)
    assert err.value.file == str(study / "study.yaml")
