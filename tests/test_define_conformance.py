"""define.xml points a reviewer's tools check (issue 17): roles from SDTMIG, the CT package as
published, method text in words, predecessor origins, SUPP-- domain descriptions and the
stylesheet a browser uses."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from cdiscflow.cli import main
from cdiscflow.define.conformance import conformance_problems
from cdiscflow.define.xml import DEF_NS, ODM_NS, XLINK_NS
from cdiscflow.sdtm.derivations.registry import Derivation
from cdiscflow.standards import CT_VERSION, sdtm_variables
from cdiscflow.wording import words

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "mappings" / "nct04014166"
SDTM = Path("m5") / "datasets" / "nct04014166" / "tabulations" / "sdtm"
NS = {"odm": ODM_NS, "def": DEF_NS, "xlink": XLINK_NS}


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("conf") / "out"
    result = CliRunner().invoke(main, ["run", str(STUDY), "--out", str(out), "--no-adam"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def tree(out: Path) -> etree._ElementTree:
    return etree.parse(str(out / SDTM / "define.xml"))


def _ref(tree: etree._ElementTree, dataset: str, variable: str) -> etree._Element:
    return tree.xpath(f"//odm:ItemGroupDef[@Name='{dataset}']/odm:ItemRef"
                      f"[@ItemOID='IT.{dataset}.{variable}']", namespaces=NS)[0]


def test_ct_version_is_the_published_package() -> None:
    assert CT_VERSION == "2025-03-28"


def test_sdtm_standards_name_the_published_ct(tree: etree._ElementTree) -> None:
    ct = tree.xpath("//def:Standard[@Type='CT']", namespaces=NS)
    assert [(s.get("OID"), s.get("Version"), s.get("PublishingSet")) for s in ct] == [
        ("STD.CT.SDTM.2025-03-28", "2025-03-28", "SDTM")]


def test_roles_come_from_sdtmig(tree: etree._ElementTree) -> None:
    assert _ref(tree, "AE", "AETERM").get("Role") == "Topic"
    assert _ref(tree, "AE", "AESTDTC").get("Role") == "Timing"
    assert _ref(tree, "DM", "AGE").get("Role") == "Record Qualifier"
    assert _ref(tree, "LB", "LBORRESU").get("Role") == "Variable Qualifier"
    assert _ref(tree, "SUPPAE", "QNAM").get("Role") == "Topic"
    assert _ref(tree, "TS", "TSPARMCD").get("Role") == "Topic"
    # every ItemRef of every dataset carries the role the IG (or the SDTM model) gives it
    checked = 0
    for group in tree.xpath("//odm:ItemGroupDef", namespaces=NS):
        name = group.get("Name")
        roles = {v.name: v.role for v in sdtm_variables(name)}
        for ref in group.xpath("odm:ItemRef", namespaces=NS):
            variable = ref.get("ItemOID").split(".")[-1]
            assert ref.get("Role") == roles[variable], (name, variable)
            checked += 1
    assert checked > 150


def test_method_text_is_words_not_code(tree: etree._ElementTree) -> None:
    texts = {m.get("OID"): m.xpath("string(odm:Description/odm:TranslatedText)", namespaces=NS)
             for m in tree.xpath("//odm:MethodDef", namespaces=NS)}
    assert texts["MT.AE.EPOCH"] == (
        "Epoch of the record from its date: SCREENING when AESTDTC is before DM.RFXSTDTC; "
        "TREATMENT when AESTDTC is on or before DM.RFXENDTC; FOLLOW-UP after that. A date "
        "known only to the month or year is placed when its whole period falls in one epoch; "
        "blank when it straddles an end or is missing.")
    assert texts["MT.EX.EXSEQ"] == ("Sequence number 1, 2, ... within each USUBJID, records "
                                    "ordered by EXSTDTC.")
    assert texts["MT.DM.RFENDTC"] == ("The latest complete date of the subject's EX.EXENDTC, "
                                      "LB.LBDTC or RS.RSDTC.")
    for oid, text in texts.items():
        assert not re.search(r"\[|\]|\bTrue\b|\bFalse\b|\bNone\b| = |``|derivation \w+:",
                             text), (oid, text)


def test_words_and_fallback() -> None:
    assert words([False, True]) == "no and yes"
    assert words(["A", "B", "C"]) == "A, B and C"
    def derive_thing(df: object) -> object:
        """Doc.

        Second paragraph, not in the method."""

    unworded = Derivation("thing", derive_thing, {}, "Doc.")
    assert unworded.method_text({"ends_inclusive": [False, True]}) == \
        "Doc. (ends inclusive: no and yes)."
    assert unworded.method_text({}) == "Doc."


def test_usubjid_outside_dm_is_a_predecessor(tree: etree._ElementTree) -> None:
    for ds in ("EX", "LB", "AE", "CM", "RS"):
        origin = tree.xpath(f"//odm:ItemDef[@OID='IT.{ds}.USUBJID']/def:Origin",
                            namespaces=NS)[0]
        assert origin.get("Type") == "Predecessor", ds
        assert origin.get("Source") is None
        assert origin.xpath("string(odm:Description/odm:TranslatedText)",
                            namespaces=NS) == "DM.USUBJID"


def test_supp_datasets_name_their_domain(tree: etree._ElementTree) -> None:
    aliases = {g.get("Name"): [(a.get("Context"), a.get("Name"))
                               for a in g.xpath("odm:Alias", namespaces=NS)]
               for g in tree.xpath("//odm:ItemGroupDef", namespaces=NS)}
    assert aliases["SUPPAE"] == [("DomainDescription", "Adverse Events")]
    assert aliases["SUPPDM"] == [("DomainDescription", "Demographics")]
    assert aliases["AE"] == [] and aliases["DM"] == []
    # the Alias sits between the ItemRefs and def:Class, as the schema orders them
    group = tree.xpath("//odm:ItemGroupDef[@Name='SUPPAE']", namespaces=NS)[0]
    tags = [etree.QName(c).localname for c in group]
    assert tags[-3:] == ["Alias", "Class", "leaf"]


def test_define_names_its_stylesheet_and_the_stylesheet_renders_it(
        out: Path, tree: etree._ElementTree) -> None:
    pi = tree.getroot().getprevious()
    assert isinstance(pi, etree._ProcessingInstruction)
    assert (pi.target, pi.text) == ("xml-stylesheet", 'type="text/xsl" href="define2-1.xsl"')
    xsl = etree.XSLT(etree.parse(str(out / SDTM / "define2-1.xsl")))
    html = xsl(tree)
    rows = html.xpath("//h2[@id='IG.AE']/following-sibling::table[1]/tr")
    cells = {r.xpath("string(td[1])"): [c.xpath("string()").strip() for c in r.xpath("td")]
             for r in rows[1:]}
    assert cells["AETERM"][:7] == ["AETERM", "Reported Term for the Adverse Event", "", "text",
                                   cells["AETERM"][4], "Topic", ""]
    assert cells["AESEQ"][2] == "3"  # key sequence: STUDYID, USUBJID, AESEQ
    assert cells["AESEQ"][8] == "Algorithm to derive AE.AESEQ"
    assert html.xpath("string(//tr[@id='MT.AE.EPOCH']/td[3])").startswith(
        "Epoch of the record from its date")


def test_value_level_origin_names_the_one_raw_field_of_its_test(tree: etree._ElementTree
                                                                ) -> None:
    def text(oid: str) -> str:
        return tree.xpath(f"string(//odm:ItemDef[@OID='{oid}']/def:Origin/odm:Description/"
                          f"odm:TranslatedText)", namespaces=NS)

    # LBTESTCD PLAT is looked up from the stack group PLT: its results are field PLT
    assert text("IT.LB.LBORRES.PLAT") == "raw form labs (labs.csv), field PLT (the PLT record)."
    assert text("IT.LB.LBORRESU.BILI") == ("raw form labs (labs.csv), field TBIL_U (the TBIL "
                                           "record), coded to CT codelist UNIT (C71620).")
    # the variable as a whole still names every field
    assert "one record per test from fields PLT, WBC, HGB" in text("IT.LB.LBORRES")


def test_structural_checks_pass_on_the_example(out: Path) -> None:
    assert conformance_problems(out / SDTM / "define.xml") == []


def test_structural_checks_find_each_defect(out: Path, tmp_path: Path) -> None:
    src = out / SDTM
    for name in ("define.xml", "acrf.pdf"):
        shutil.copy(src / name, tmp_path / name)
    tree = etree.parse(str(tmp_path / "define.xml"))
    _ref(tree, "AE", "AETERM").attrib.pop("Role")
    _ref(tree, "DM", "AGE").attrib.pop("MethodOID")
    origin = tree.xpath("//odm:ItemDef[@OID='IT.AE.AESER']/def:Origin", namespaces=NS)[0]
    origin.remove(origin.find(f"{{{DEF_NS}}}DocumentRef"))
    alias = tree.xpath("//odm:ItemGroupDef[@Name='SUPPAE']/odm:Alias", namespaces=NS)[0]
    alias.getparent().remove(alias)
    tree.xpath("//def:Standard[@Type='CT']", namespaces=NS)[0].set("Version", "2025 Q1")
    tree.write(str(tmp_path / "define.xml"), xml_declaration=True, encoding="UTF-8")
    # the stylesheet the instruction names is not beside this copy
    assert [str(p) for p in conformance_problems(tmp_path / "define.xml")] == [
        f"{tmp_path / 'define.xml'}: no xml-stylesheet naming a stylesheet beside define.xml",
        "STD.CT.SDTM.2025-03-28: CT version is not a package date",
        "IT.DM.AGE: Derived but no MethodDef describes it",
        "IT.AE.AETERM: ItemRef has no Role",
        "IT.AE.AESER: Collected but no annotated CRF page",
        "IG.SUPPAE: SUPP-- dataset without an Alias DomainDescription",
    ]
