"""The ADaM define.xml read off the ADaM spec (issue 17): a method for every Derived variable,
Predecessors with their source, codelists with decodes, value-level metadata per PARAMCD,
the TIME-TO-EVENT subclass and keys that identify records."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from cdiscflow.adam.conditions import WhereKeys
from cdiscflow.cli import main
from cdiscflow.define.adam_steps import where_words
from cdiscflow.define.conformance import conformance_problems
from cdiscflow.define.xml import DEF_NS, ODM_NS, XLINK_NS, check_define
from cdiscflow.xpt import read_xpt

ROOT = Path(__file__).resolve().parent.parent
NS = {"odm": ODM_NS, "def": DEF_NS, "xlink": XLINK_NS}
STUDIES = {"nct04014166": "nct04014166", "ctr20221330": "ctr20221330"}


def _adam_dir(out: Path) -> Path:
    return next((out / "m5" / "datasets").glob("*/analysis/adam/datasets"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    done = {}
    for name in STUDIES:
        out = tmp_path_factory.mktemp(name) / "out"
        result = CliRunner().invoke(main, ["run", str(ROOT / "mappings" / name), "--out",
                                           str(out)])
        assert result.exit_code == 0, result.output
        done[name] = _adam_dir(out)
    return done


def _tree(folder: Path) -> etree._ElementTree:
    return etree.parse(str(folder / "define.xml"))


def _origin(tree: etree._ElementTree, oid: str) -> tuple[str, str]:
    o = tree.xpath(f"//odm:ItemDef[@OID='{oid}']/def:Origin", namespaces=NS)[0]
    return o.get("Type"), o.xpath("string(odm:Description/odm:TranslatedText)", namespaces=NS)


def _method(tree: etree._ElementTree, oid: str) -> tuple[str, str, str]:
    m = tree.xpath(f"//odm:MethodDef[@OID='{oid}']", namespaces=NS)[0]
    fe = m.xpath("odm:FormalExpression", namespaces=NS)[0]
    return (m.xpath("string(odm:Description/odm:TranslatedText)", namespaces=NS),
            fe.get("Context"), fe.text)


@pytest.mark.parametrize("study", sorted(STUDIES))
def test_adam_define_is_sound(runs: dict[str, Path], study: str) -> None:
    assert check_define(runs[study] / "define.xml") == []
    assert conformance_problems(runs[study] / "define.xml") == []


@pytest.mark.parametrize("study", sorted(STUDIES))
def test_every_derived_variable_has_a_method_with_an_expression(runs: dict[str, Path],
                                                                study: str) -> None:
    tree = _tree(runs[study])
    methods = {m.get("OID"): m for m in tree.xpath("//odm:MethodDef", namespaces=NS)}
    refs = {r.get("ItemOID"): r for r in tree.xpath("//odm:ItemRef", namespaces=NS)}
    derived = tree.xpath("//odm:ItemDef[def:Origin/@Type='Derived']", namespaces=NS)
    assert len(derived) > 40
    for item in derived:
        method = methods[refs[item.get("OID")].get("MethodOID")]
        text = method.xpath("string(odm:Description/odm:TranslatedText)", namespaces=NS)
        assert len(text) > 10, item.get("OID")
        assert method.xpath("string(odm:FormalExpression)", namespaces=NS).startswith("{"), \
            item.get("OID")
    # nothing is left without an origin a reviewer can follow
    assert tree.xpath("//def:Origin[@Type='Not Available']", namespaces=NS) == []


def test_copied_variables_are_predecessors_with_their_source(runs: dict[str, Path]) -> None:
    tree = _tree(runs["nct04014166"])
    assert _origin(tree, "IT.ADAE.AGE") == ("Predecessor", "ADSL.AGE")
    assert _origin(tree, "IT.ADSL.AGE") == ("Predecessor", "DM.AGE")
    assert _origin(tree, "IT.ADAE.AETERM") == ("Predecessor", "AE.AETERM")
    assert _origin(tree, "IT.ADAE.AEDLT") == ("Predecessor", "SUPPAE.QVAL where QNAM = AEDLT")
    assert _origin(tree, "IT.ADSL.PRSPLNFL") == ("Predecessor",
                                                 "SUPPDM.QVAL where QNAM = PRSPLN")
    assert _origin(tree, "IT.ADRS.TRTP") == ("Predecessor", "ADSL.TRT01P")
    assert _origin(tree, "IT.ADRS.AVISIT") == ("Predecessor", "LB.VISIT")
    assert _origin(tree, "IT.ADSL.SAFFL") == ("Derived", "")


def test_method_text_and_expression_come_from_the_step(runs: dict[str, Path]) -> None:
    tree = _tree(runs["nct04014166"])
    assert _method(tree, "MT.ADSL.SAFFL") == (
        "'Y' when the same USUBJID has a record in EX with EXDOSE > 0, else 'N'.",
        "cdiscflow ADaM spec step (docs/adam-spec.md)",
        "{derive_var_merged_exist_flag: {dataset_add: EX, new_var: SAFFL, condition: "
        "{var: EXDOSE, gt: 0}}}")
    assert _method(tree, "MT.ADAE.TRTEMFL")[0] == (
        "'Y' when ASTDT is on or after TRTSDT and on or before FUPEDT; an event without ASTDT "
        "counts when AENDT is blank or not before TRTSDT.")
    assert _method(tree, "MT.ADSL.AGEGR1N")[0] == "1 when AGE < 45; 2 when AGE >= 45; blank " \
        "otherwise."
    # a parameter added by a step, described on its own records
    assert _method(tree, "MT.ADRS.AVAL.TT50")[0] == (
        "On the records of PARAMCD TT50: one record for each subject of ADSL: AVAL is the time "
        "in days from TRTSDT to the first record with PARAMCD = PLAT and ANL01FL = Y and "
        "AVAL >= 50 (CNSR = 0); otherwise censored (CNSR = 1) at the last record with "
        "PARAMCD = PLAT and ANL01FL = Y.")


def test_where_words() -> None:
    where = WhereKeys.model_validate({"all": [{"var": "AVAL", "ge": 30},
                                          {"any": [{"var": "X", "in": ["A", "B"]},
                                                   {"var": "ADT", "le": {"var": "TRTSDT",
                                                                         "plus": 30}}]},
                                          {"not": {"var": "Y", "is_null": True}}]})
    assert where_words(where) == ("AVAL >= 30 and (X is one of A, B or ADT <= TRTSDT + 30) and "
                                  "not (Y is blank)")


def _codelist(tree: etree._ElementTree, oid: str) -> list[tuple[str, str]]:
    cl = tree.xpath(f"//odm:CodeList[@OID='{oid}']", namespaces=NS)[0]
    return [(i.get("CodedValue"), i.xpath("string(odm:Decode/odm:TranslatedText)",
                                          namespaces=NS))
            for i in cl.xpath("odm:CodeListItem|odm:EnumeratedItem", namespaces=NS)]


def test_codelists_with_decodes(runs: dict[str, Path]) -> None:
    tree = _tree(runs["nct04014166"])
    assert _codelist(tree, "CL.ADRS.PARAMCD") == [
        ("BOR", "Best overall platelet response"), ("CR", "Complete response (confirmed)"),
        ("CUMRSPD", "Cumulative response duration (weeks)"), ("PLAT", "Platelet count (10^9/L)"),
        ("PLT100", "Ever platelets >=100 x10^9/L"),
        ("PLT30D", "Ever platelets >=30 and >=2x baseline"),
        ("PLT50", "Ever platelets >=50 x10^9/L"), ("RELAPSE", "Loss of response after a response"),
        ("RSP", "Responder (any R or CR)"), ("RSPPLT", "Platelet response at assessment"),
        ("TT50", "Time to first platelets >=50 x10^9/L (days)")]
    assert _codelist(tree, "CL.ADSL.AGEGR1N") == [("1", "<45"), ("2", ">=45")]
    assert _codelist(tree, "CL.ADAE.ARELN") == [("0", "NOT RELATED"), ("1", "RELATED")]
    assert tree.xpath("string(//odm:CodeList[@OID='CL.ADAE.ARELN']/@DataType)",
                      namespaces=NS) == "integer"
    ref = tree.xpath("//odm:ItemDef[@OID='IT.ADRS.PARAMCD']/odm:CodeListRef", namespaces=NS)[0]
    assert ref.get("CodeListOID") == "CL.ADRS.PARAMCD"
    # SDTM-named variables keep their CT codelist, flags the NY list
    assert _codelist(tree, "CL.SEX") == [("F", ""), ("M", "")]
    assert tree.xpath("string(//odm:ItemDef[@OID='IT.ADSL.SAFFL']/odm:CodeListRef/"
                      "@CodeListOID)", namespaces=NS) == "CL.NY"


def test_value_level_metadata_per_paramcd(runs: dict[str, Path]) -> None:
    tree = _tree(runs["nct04014166"])
    vl = tree.xpath("//def:ValueListDef[@OID='VL.ADRS.AVALC']", namespaces=NS)[0]
    wheres = [r.xpath("string(def:WhereClauseRef/@WhereClauseOID)", namespaces=NS)
              for r in vl.xpath("odm:ItemRef", namespaces=NS)]
    assert wheres == [f"WC.ADRS.PARAMCD.{c}" for c in
                      ["BOR", "CR", "PLT100", "PLT30D", "PLT50", "RELAPSE", "RSP", "RSPPLT"]]
    ref = vl.xpath("odm:ItemRef[@ItemOID='IT.ADRS.AVALC.BOR']", namespaces=NS)[0]
    assert ref.get("MethodOID") == "MT.ADRS.AVALC.BOR"
    assert _method(tree, "MT.ADRS.AVALC.BOR")[0] == (
        "On the records of PARAMCD BOR: one record for each subject of ADSL: the first of CR, "
        "R, NR and NE found among its records with PARAMCD = RSPPLT; NE when there is none.")
    item = tree.xpath("//odm:ItemDef[@OID='IT.ADRS.AVAL.PLAT']", namespaces=NS)[0]
    assert item.get("DataType") in ("integer", "float")
    # the platelet counts themselves are LB's standard results
    assert _origin(tree, "IT.ADRS.AVAL.PLAT") == ("Predecessor", "LB.LBSTRESN")
    assert _origin(tree, "IT.ADRS.AVAL") == ("Derived", "")
    # a where clause tests PARAMCD of the dataset
    rc = tree.xpath("//def:WhereClauseDef[@OID='WC.ADRS.PARAMCD.BOR']/odm:RangeCheck",
                    namespaces=NS)[0]
    assert rc.get(f"{{{DEF_NS}}}ItemOID") == "IT.ADRS.PARAMCD"


def test_time_to_event_subclass(runs: dict[str, Path]) -> None:
    classes = {}
    for study in STUDIES:
        tree = _tree(runs[study])
        for g in tree.xpath("//odm:ItemGroupDef", namespaces=NS):
            sub = g.xpath("def:Class/def:SubClass/@Name", namespaces=NS)
            classes[study, g.get("Name")] = (g.xpath("string(def:Class/@Name)", namespaces=NS),
                                             sub)
    assert classes["ctr20221330", "ADTTE"] == ("BASIC DATA STRUCTURE", ["TIME-TO-EVENT"])
    assert classes["nct04014166", "ADRS"] == ("BASIC DATA STRUCTURE", [])
    assert classes["ctr20221330", "ADAE"] == ("OCCURRENCE DATA STRUCTURE", [])


@pytest.mark.parametrize("study", sorted(STUDIES))
def test_keys_identify_records(runs: dict[str, Path], study: str) -> None:
    tree = _tree(runs[study])
    keys = {}
    for g in tree.xpath("//odm:ItemGroupDef", namespaces=NS):
        refs = sorted(g.xpath("odm:ItemRef[@KeySequence]", namespaces=NS),
                      key=lambda r: int(r.get("KeySequence")))
        names = [r.get("ItemOID").split(".")[-1] for r in refs]
        frame, _ = read_xpt(runs[study] / g.xpath("string(def:leaf/@xlink:href)",
                                                  namespaces=NS))
        assert not frame.duplicated(names).any(), (g.get("Name"), names)
        keys[g.get("Name")] = names
    assert keys["ADSL"] == ["STUDYID", "USUBJID"]
    assert keys["ADAE"][:2] == ["STUDYID", "USUBJID"] and len(keys["ADAE"]) > 2
    if study == "nct04014166":
        assert keys["ADAE"] == ["STUDYID", "USUBJID", "AESEQ"]
        assert keys["ADRS"] == ["STUDYID", "USUBJID", "PARAMN", "ADT", "AVISITN"]


def test_where_words_of_an_expression() -> None:
    # a condition written as an expression is said in the expression language's words
    assert where_words("AVAL >= 30 and ANL01FL = 'Y'") == \
        "(AVAL is at least 30) and (ANL01FL is 'Y')"
