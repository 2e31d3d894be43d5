"""The Define-XML 2.1 Schematron's points named by issue 17, checked by our own code on the four
studies' define.xml files: the CDISC rule set is not published as a package (PyPI's
defineutils ships the Define-XML 2.1 XSD, not the Schematron), so these structural checks
stand in for it (docs/submission-package.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from cdiscflow.cli import main
from cdiscflow.define.conformance import conformance_problems
from cdiscflow.define.xml import DEF_NS, ODM_NS, check_define
from cdiscflow.xpt import read_xpt

ROOT = Path(__file__).resolve().parent.parent
NS = {"odm": ODM_NS, "def": DEF_NS, "xlink": "http://www.w3.org/1999/xlink"}
# the study, and whether its ADaM define.xml is checked here (the pilot: its SDTM only, the
# examples' ADaM carry the Derived variables with methods)
STUDIES = {"nct04014166": True, "ctr20221330": True, "nct02218437": True,
           "cdiscpilot01": False}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("four")
    outs = {}
    for study, adam in STUDIES.items():
        out = base / study
        args = ["run", str(ROOT / "mappings" / study), "--out", str(out)]
        result = CliRunner().invoke(main, args + ([] if adam else ["--no-adam"]))
        assert result.exit_code in (0, 1), result.output  # 1: validation findings
        outs[study] = out / "m5" / "datasets" / study
    return outs


def _defines(runs: dict[str, Path], study: str) -> list[Path]:
    found = [runs[study] / "tabulations" / "sdtm" / "define.xml"]
    if STUDIES[study]:
        found.append(runs[study] / "analysis" / "adam" / "datasets" / "define.xml")
    return found


def _tree(path: Path) -> etree._ElementTree:
    return etree.parse(str(path))


@pytest.mark.parametrize("study", STUDIES)
def test_no_structural_or_conformance_problem(runs: dict[str, Path], study: str) -> None:
    for define in _defines(runs, study):
        assert check_define(define) == [], define
        assert conformance_problems(define) == [], define


@pytest.mark.parametrize("study, collected", [
    ("nct04014166", 94), ("ctr20221330", 43), ("nct02218437", 58), ("cdiscpilot01", 77)])
def test_collected_origins_have_annotated_crf_pages(runs: dict[str, Path], study: str,
                                                    collected: int) -> None:
    """ItemDef_Origin_Collected: a Collected origin names its annotated CRF pages."""
    tree = _tree(_defines(runs, study)[0])
    items = tree.xpath("//odm:ItemDef[def:Origin/@Type='Collected' and "
                       "not(substring(@OID, string-length(@OID) - 4) = '.QVAL')]",
                       namespaces=NS)
    assert len(items) == collected
    pages = [i.xpath("def:Origin/def:DocumentRef/def:PDFPageRef/@PageRefs", namespaces=NS)
             for i in items]
    assert all(len(p) == 1 and p[0].split() for p in pages)
    # the annotated CRF: def:AnnotatedCRF's leaf is acrf.pdf, beside define.xml
    leaf = tree.xpath("//def:AnnotatedCRF/def:DocumentRef/@leafID", namespaces=NS)
    assert leaf == ["LF.ACRF"]
    assert tree.xpath("//def:leaf[@ID='LF.ACRF']/@xlink:href", namespaces=NS) == ["acrf.pdf"]
    assert (_defines(runs, study)[0].parent / "acrf.pdf").is_file()


@pytest.mark.parametrize("study", STUDIES)
def test_every_sdtm_itemref_has_its_role(runs: dict[str, Path], study: str) -> None:
    tree = _tree(_defines(runs, study)[0])
    refs = tree.xpath("//odm:ItemGroupDef/odm:ItemRef", namespaces=NS)
    assert refs and all(r.get("Role") for r in refs)
    roles = {r.get("Role") for r in refs}
    assert {"Identifier", "Topic", "Timing"} <= roles


@pytest.mark.parametrize("study", [s for s, adam in STUDIES.items() if adam])
def test_every_derived_adam_variable_has_a_method(runs: dict[str, Path], study: str) -> None:
    tree = _tree(_defines(runs, study)[1])
    derived = {i.get("OID") for i in tree.xpath("//odm:ItemDef[def:Origin/@Type='Derived']",
                                                namespaces=NS)}
    methods = {m.get("OID") for m in tree.xpath("//odm:MethodDef[odm:Description]",
                                                namespaces=NS)}
    refs = tree.xpath("//odm:ItemRef", namespaces=NS)
    derived_refs = [r for r in refs if r.get("ItemOID") in derived]
    assert len(derived_refs) > 50
    assert all(r.get("MethodOID") in methods for r in derived_refs)


@pytest.mark.parametrize("study", STUDIES)
def test_keys_identify_records(runs: dict[str, Path], study: str) -> None:
    """Each dataset's KeySequence variables identify its records in the data written."""
    for define in _defines(runs, study):
        tree = _tree(define)
        names = {i.get("OID"): i.get("Name") for i in tree.xpath("//odm:ItemDef",
                                                                 namespaces=NS)}
        checked = 0
        for group in tree.xpath("//odm:ItemGroupDef", namespaces=NS):
            refs = sorted(group.xpath("odm:ItemRef[@KeySequence]", namespaces=NS),
                          key=lambda r: int(r.get("KeySequence")))
            keys = [names[r.get("ItemOID")] for r in refs]
            href = group.xpath("def:leaf/@xlink:href", namespaces=NS)[0]
            frame, _ = read_xpt(define.parent / href)
            assert keys and not frame.duplicated(keys).any(), (define, href, keys)
            checked += 1
        assert checked >= 3
