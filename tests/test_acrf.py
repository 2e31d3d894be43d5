"""The annotated CRF (issue 17): generated from the raw forms and the mapping files, bookmarked
by form and domain, in the package, and referenced page by page from define.xml."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from pypdf import PdfReader

from cdiscflow.cli import main
from cdiscflow.define.xml import DEF_NS, ODM_NS, XLINK_NS
from cdiscflow.package.acrf import acrf_bytes, annotations, raw_headers
from cdiscflow.specload import load_study

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "mappings" / "nct04014166"
SDTM = Path("m5") / "datasets" / "nct04014166" / "tabulations" / "sdtm"
NS = {"odm": ODM_NS, "def": DEF_NS, "xlink": XLINK_NS}
FORMS = ["demographics", "baseline", "enrolment", "exposure", "adverse_events", "labs",
         "lab_ranges", "bleeding", "conmeds"]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("acrf") / "out"
    result = CliRunner().invoke(main, ["run", str(STUDY), "--out", str(out), "--no-adam"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def pdf(out: Path) -> PdfReader:
    return PdfReader(str(out / SDTM / "acrf.pdf"))


def _text(pdf: PdfReader, page: int) -> str:
    return pdf.pages[page - 1].extract_text()


def test_annotations_follow_the_mappings() -> None:
    study = load_study(STUDY)
    found = annotations(study, raw_headers(study, study.dir / study.spec.raw.dir))
    assert list(found) == FORMS
    ae = {f: [a.text for a in notes] for f, notes in found["adverse_events"]}
    assert ae["AETERM"] == ["AETERM"]
    assert ae["AEBODSYS"] == ["AEBODSYS", "AESOC"]
    assert ae["AEDLT"] == ["AEDLT in SUPPAE"]
    assert ae["AESTDAT"] == ["AESTDTC"] and ae["AESTTIM"] == ["AESTDTC"]
    assert ae["SUBJID"] == ["USUBJID (matched on DM.SUBJID)"]
    labs = {f: [a.text for a in notes] for f, notes in found["labs"]}
    # the result field stands for its test: the test code, name, category and standard unit
    # (looked up by the test) are annotated on it
    assert labs["PLT"] == ["LBTESTCD (by the lab_tests table) when TEST = PLT",
                           "LBTEST when TEST = PLT",
                           "LBCAT (by the lab_tests table) when TEST = PLT",
                           "LBORRES when TEST = PLT",
                           "LBSTRESU (by the lab_tests table) when TEST = PLT"]
    assert labs["PLT_U"] == ["LBORRESU when TEST = PLT"]
    demo = {f: notes for f, notes in found["demographics"]}
    assert demo["HEIGHT"] == [] and demo["WEIGHT"] == []  # collected, not submitted
    enrol = {f: [a.text for a in notes] for f, notes in found["enrolment"]}
    assert enrol["COHORT"] == ["ARMCD (by the arms table)", "ARM (by the arms table)"]


def test_pdf_pages_and_bookmarks(pdf: PdfReader) -> None:
    assert len(pdf.pages) == 10  # one page per form; labs, with its 16 fields, two
    outline = pdf.outline
    assert [o.title for o in outline if not isinstance(o, list)] == ["Forms", "Domains"]
    forms, domains = [o for o in outline if isinstance(o, list)]
    assert [o.title for o in forms] == FORMS
    assert [o.title for o in domains] == [
        "AE (Adverse Events)", "CM (Concomitant/Prior Medications)", "DM (Demographics)",
        "EX (Exposure)", "LB (Laboratory Test Results)",
        "RS (Disease Response and Clin Classification)"]
    assert [pdf.get_destination_page_number(o) + 1 for o in forms] == [1, 2, 3, 4, 5, 6, 8,
                                                                        9, 10]
    assert "Form labs (continued)" in _text(pdf, 7)
    # each domain's bookmark opens the first page annotating it
    assert [pdf.get_destination_page_number(o) + 1 for o in domains] == [5, 10, 1, 4, 6, 9]
    page = _text(pdf, 6)
    assert "Form labs" in page and "LB = Laboratory Test Results" in page
    assert "LBORRES when TEST = PLT" in page
    assert "NOT SUBMITTED" in _text(pdf, 1)  # HEIGHT


def test_pdf_is_deterministic() -> None:
    study = load_study(STUDY)
    headers = raw_headers(study, study.dir / study.spec.raw.dir)
    assert acrf_bytes(study, headers)[0] == acrf_bytes(study, headers)[0]


def test_define_points_collected_values_to_their_pages(out: Path, pdf: PdfReader) -> None:
    tree = etree.parse(str(out / SDTM / "define.xml"))
    ref = tree.xpath("//def:AnnotatedCRF/def:DocumentRef/@leafID", namespaces=NS)
    assert ref == ["LF.ACRF"]
    leaf = tree.xpath("//odm:MetaDataVersion/def:leaf[@ID='LF.ACRF']", namespaces=NS)[0]
    assert leaf.get(f"{{{XLINK_NS}}}href") == "acrf.pdf"
    collected = tree.xpath("//odm:ItemDef[def:Origin/@Type='Collected']", namespaces=NS)
    assert len(collected) > 40
    for item in collected:
        pages = item.xpath("def:Origin/def:DocumentRef/def:PDFPageRef", namespaces=NS)
        if item.get("OID").endswith(".QVAL"):
            # SUPP-- QVAL as a whole: its value-level items (one per QNAM) carry the pages
            assert pages == [], item.get("OID")
            continue
        assert len(pages) == 1, item.get("OID")
        assert pages[0].get("Type") == "PhysicalRef"
        name = item.get("Name")
        if name == "QVAL":  # a SUPP-- qualifier's page carries its QNAM
            name = item.get("OID").split(".")[-1]
        for page in pages[0].get("PageRefs").split():
            assert name in _text(pdf, int(page)), (item.get("OID"), page)
    aeterm = tree.xpath("//odm:ItemDef[@OID='IT.AE.AETERM']//def:PDFPageRef/@PageRefs",
                        namespaces=NS)
    assert aeterm == ["5"]
