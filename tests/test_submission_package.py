"""The submission package of the example study: layout, round trips through three XPT readers,
byte identity, define.xml, TS, Dataset-JSON and the technical rejection checks."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner
from lxml import etree

from cdiscflow.cli import main
from cdiscflow.datasetjson import check_dataset_json
from cdiscflow.define.xml import DEF_NS, ODM_NS, XLINK_NS, check_define
from cdiscflow.package.check import check_package
from cdiscflow.xpt import read_xpt

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "mappings" / "nct04014166"
STUDY_DIR = Path("m5") / "datasets" / "nct04014166"
SDTM = STUDY_DIR / "tabulations" / "sdtm"
ADAM = STUDY_DIR / "analysis" / "adam" / "datasets"
NS = {"odm": ODM_NS, "def": DEF_NS, "xlink": XLINK_NS}
SDTM_FILES = ["ae", "cm", "dm", "ex", "lb", "rs", "se", "suppae", "suppdm", "suppex", "supprs",
              "sv", "ta", "te", "ti", "ts", "tv"]


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pkg") / "out"
    result = CliRunner().invoke(main, ["run", str(STUDY), "--out", str(out),
                                       "--format", "xpt,json"])
    assert result.exit_code == 0, result.output
    return out


def _xpts(out: Path) -> list[Path]:
    return sorted((out / "m5").rglob("*.xpt"))


def test_layout_is_the_ectd_module_5_tree(out: Path) -> None:
    names = sorted(p.name for p in (out / SDTM).iterdir())
    assert names == sorted([f"{n}.{ext}" for n in SDTM_FILES for ext in ("xpt", "json")]
                           + ["acrf.pdf", "define.html", "define.xml", "define2-1.xsl"])
    assert sorted(p.name for p in out.iterdir()) == ["m5", "manifest.json", "report"]
    assert (out / "report" / "run.json").is_file()
    assert sorted(p.name for p in (out / "report" / "lineage").iterdir()) == [
        "ae.csv", "cm.csv", "dm.csv", "ex.csv", "lb.csv", "rs.csv"]
    report = json.loads((out / "report" / "run.json").read_text())
    assert report["layout"] == "m5"
    assert report["datasets"]["LB"] == [str(SDTM / "lb.xpt")]
    assert report["define"] == str(SDTM / "define.xml")


def test_flat_layout_keeps_local_folders(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(STUDY), "--out", str(tmp_path / "o"),
                                       "--layout", "flat"])
    assert result.exit_code == 0, result.output
    top = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert {"sdtm", "lineage", "report", "manifest.json"} <= set(top) and "m5" not in top
    assert sorted(p.name for p in (tmp_path / "o" / "sdtm").iterdir()) == sorted(
        [f"{n}.xpt" for n in SDTM_FILES]
        + ["acrf.pdf", "define.html", "define.xml", "define2-1.xsl"])
    assert check_define(tmp_path / "o" / "sdtm" / "define.xml") == []


def test_format_option_refuses_unknown_formats(tmp_path: Path) -> None:
    for bad in ("csv", "xpt,csv", ","):
        result = CliRunner().invoke(main, ["run", str(STUDY), "--out", str(tmp_path / "o"),
                                           "--format", bad])
        assert result.exit_code == 2 and "--format" in result.output
        assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- XPT readers


def test_every_file_reads_back_identically_with_pyreadstat_and_read_sas(out: Path) -> None:
    files = _xpts(out)
    assert len(files) >= len(SDTM_FILES)
    for path in files:
        ours, meta = read_xpt(path)
        plain, _ = pyreadstat.read_xport(str(path))
        assert path.read_bytes()[:80] == (b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"
                                          + b"0" * 30 + b"  "), path  # v5, not LIBV8
        assert list(plain.columns) == [v.name for v in meta["variables"]]
        # pandas.read_sas is a third, independent reader. It misreads some IBM floats by a few
        # units in the last place and reads 0.0 as 5.4e-79 (pandas issue 50670: its IBM->IEEE
        # conversion keeps the exponent of a zero mantissa), so numbers are compared with a
        # tolerance there; pyreadstat (readstat) and the xport package in CI are exact.
        sas = pd.read_sas(path, format="xport", encoding="ascii")
        assert list(sas.columns) == list(ours.columns), path
        assert len(sas) == len(ours) == meta["rows"], path
        for var in meta["variables"]:
            mine = ours[var.name]
            theirs = sas[var.name]
            if var.type == "Char":
                assert mine.fillna("").tolist() == theirs.fillna("").str.rstrip(" ").tolist()
                continue
            a = mine.to_numpy(dtype=float)
            b = theirs.to_numpy(dtype=float)
            assert np.array_equal(np.isnan(a), np.isnan(b)), (path, var.name)
            assert np.allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=1e-12, atol=1e-70), \
                (path, var.name)


def test_rerun_gives_identical_bytes(out: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    result = CliRunner().invoke(main, ["run", str(STUDY), "--out", str(again),
                                       "--format", "xpt,json"])
    assert result.exit_code == 0, result.output

    def digest(root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted((root / "m5").rglob("*")) if p.is_file()}

    first = digest(out)
    assert len(first) >= 2 * len(SDTM_FILES) + 2
    assert digest(again) == first


# --------------------------------------------------------------------------- define.xml


def _define(out: Path) -> etree._ElementTree:
    return etree.parse(str(out / SDTM / "define.xml"))


def test_define_is_sound(out: Path) -> None:
    assert check_define(out / SDTM / "define.xml") == []


def test_define_every_oid_reference_resolves_and_every_leaf_exists(out: Path) -> None:
    tree = _define(out)
    oids = set(tree.xpath("//@OID"))
    for attr in ("ItemOID", "MethodOID", "CodeListOID", "ValueListOID", "WhereClauseOID",
                 "def:CommentOID", "def:StandardOID"):
        refs = set(tree.xpath(f"//@{attr}", namespaces=NS))
        assert refs and refs <= oids, attr
    leaves = tree.xpath("//odm:ItemGroupDef/def:leaf", namespaces=NS)
    assert sorted(leaf.get(f"{{{XLINK_NS}}}href") for leaf in leaves) == [
        f"{n}.xpt" for n in SDTM_FILES]
    # the one document leaf: the annotated CRF
    docs = tree.xpath("//odm:MetaDataVersion/def:leaf", namespaces=NS)
    assert [d.get(f"{{{XLINK_NS}}}href") for d in docs] == ["acrf.pdf"]
    assert (out / SDTM / "acrf.pdf").is_file()
    for leaf in leaves:
        assert (out / SDTM / leaf.get(f"{{{XLINK_NS}}}href")).is_file()
    groups = tree.xpath("//odm:ItemGroupDef", namespaces=NS)
    assert {g.get("def:ArchiveLocationID".replace("def:", f"{{{DEF_NS}}}")) for g in groups} \
        == {leaf.get("ID") for leaf in leaves}


def test_define_study_and_standards(out: Path) -> None:
    tree = _define(out)
    assert tree.xpath("string(//odm:StudyName)", namespaces=NS) == "NCT04014166"
    std = [(s.get("Name"), s.get("Type"), s.get("Version"))
           for s in tree.xpath("//def:Standard", namespaces=NS)]
    assert std == [("SDTMIG", "IG", "3.4"), ("CDISC/NCI", "CT", "2025-03-28")]
    mdv = tree.xpath("//odm:MetaDataVersion", namespaces=NS)[0]
    assert mdv.get(f"{{{DEF_NS}}}DefineVersion") == "2.1.0"
    assert tree.getroot().get("CreationDateTime") == "2024-03-02T00:00:00"


def test_define_datasets_class_structure_keys(out: Path) -> None:
    tree = _define(out)
    dm = tree.xpath("//odm:ItemGroupDef[@Name='DM']", namespaces=NS)[0]
    assert dm.xpath("string(def:Class/@Name)", namespaces=NS) == "SPECIAL PURPOSE"
    assert dm.get(f"{{{DEF_NS}}}Structure") == "One record per subject"
    assert dm.get("Repeating") == "No" and dm.get("Purpose") == "Tabulation"
    keys = {r.get("ItemOID"): r.get("KeySequence") for r in dm.xpath("odm:ItemRef", namespaces=NS)
            if r.get("KeySequence")}
    assert keys == {"IT.DM.STUDYID": "1", "IT.DM.USUBJID": "2"}
    lb = tree.xpath("//odm:ItemGroupDef[@Name='LB']", namespaces=NS)[0]
    assert lb.xpath("string(def:Class/@Name)", namespaces=NS) == "FINDINGS"
    ts = tree.xpath("//odm:ItemGroupDef[@Name='TS']", namespaces=NS)[0]
    assert ts.xpath("string(def:Class/@Name)", namespaces=NS) == "TRIAL DESIGN"
    assert ts.get("IsReferenceData") == "Yes"
    supp = tree.xpath("//odm:ItemGroupDef[@Name='SUPPDM']", namespaces=NS)[0]
    assert supp.get("Domain") == "DM"
    assert supp.xpath("string(def:Class/@Name)", namespaces=NS) == "RELATIONSHIP"


def test_define_item_lengths_equal_the_xpt(out: Path) -> None:
    tree = _define(out)
    for name in SDTM_FILES:
        _, meta = read_xpt(out / SDTM / f"{name}.xpt")
        ds = name.upper()
        for var in meta["variables"]:
            item = tree.xpath(f"//odm:ItemDef[@OID='IT.{ds}.{var.name}']", namespaces=NS)[0]
            assert item.xpath("string(odm:Description/odm:TranslatedText)",
                              namespaces=NS) == var.label
            if item.get("DataType") == "text":
                assert int(item.get("Length")) == var.length, (ds, var.name)
            if var.type == "Num":
                assert item.get("DataType") in ("integer", "float"), (ds, var.name)


def test_define_origins_follow_the_mapping(out: Path) -> None:
    tree = _define(out)

    def origin(oid: str) -> tuple[str, str, str]:
        item = tree.xpath(f"//odm:ItemDef[@OID='{oid}']", namespaces=NS)[0]
        o = item.xpath("def:Origin", namespaces=NS)[0]
        return (o.get("Type"), o.get("Source") or "",
                o.xpath("string(odm:Description/odm:TranslatedText)", namespaces=NS))

    assert origin("IT.DM.SEX") == ("Collected", "Investigator",
                                   "raw form demographics (demographics.csv), field SEX, coded "
                                   "to CT codelist SEX (C66731).")
    assert origin("IT.DM.STUDYID") == ("Assigned", "", "Assigned the value NCT04014166.")
    assert origin("IT.DM.DTHDTC") == ("Assigned", "",
                                      "Expected variable left empty: not collected.")
    assert origin("IT.DM.ARMCD") == ("Assigned", "", "Looked up in the study's table arms "
                                     "(ARMCD where PHASE = PHASE, COHORT = COHORT).")
    assert origin("IT.DM.AGE") == ("Derived", "", "")
    assert origin("IT.LB.LBORRES")[:2] == ("Collected", "Investigator")
    assert "one record per test from fields PLT, WBC, HGB" in origin("IT.LB.LBORRES")[2]
    method = tree.xpath("//odm:MethodDef[@OID='MT.DM.AGE']", namespaces=NS)[0]
    assert method.xpath("string(odm:Description/odm:TranslatedText)", namespaces=NS) == (
        "Age in completed years from BRTHDTC to RFICDTC; blank when either date is partial.")
    ref = tree.xpath("//odm:ItemGroupDef[@Name='DM']/odm:ItemRef[@ItemOID='IT.DM.AGE']",
                     namespaces=NS)[0]
    assert ref.get("MethodOID") == "MT.DM.AGE"


def test_define_codelists_with_nci_codes(out: Path) -> None:
    tree = _define(out)
    sex = tree.xpath("//odm:CodeList[@OID='CL.SEX']", namespaces=NS)[0]
    terms = [(e.get("CodedValue"), e.xpath("string(odm:Alias/@Name)", namespaces=NS))
             for e in sex.xpath("odm:EnumeratedItem", namespaces=NS)]
    assert terms == [("F", "C16576"), ("M", "C20197")]
    assert sex.xpath("string(odm:Alias/@Name)", namespaces=NS) == "C66731"
    # NY is used by several variables with different terms (LBLOBXFL only Y): listed once,
    # with every term used
    ny = tree.xpath("//odm:CodeList[@OID='CL.NY']/odm:EnumeratedItem/@CodedValue",
                    namespaces=NS)
    assert ny == ["N", "Y"]
    assert tree.xpath("//odm:ItemDef[@OID='IT.LB.LBLOBXFL']/odm:CodeListRef/@CodeListOID",
                      namespaces=NS) == ["CL.NY"]
    ref = tree.xpath("//odm:ItemDef[@OID='IT.LB.LBTESTCD']/odm:CodeListRef/@CodeListOID",
                     namespaces=NS)
    assert ref == ["CL.LBTESTCD"]


def test_define_value_level_metadata_for_lb_by_lbtestcd(out: Path) -> None:
    tree = _define(out)
    lb, _ = read_xpt(out / SDTM / "lb.xpt")
    codes = sorted(lb["LBTESTCD"].unique())
    vl = tree.xpath("//def:ValueListDef[@OID='VL.LB.LBORRES']", namespaces=NS)[0]
    wheres = vl.xpath("odm:ItemRef/def:WhereClauseRef/@WhereClauseOID", namespaces=NS)
    assert wheres == [f"WC.LB.LBTESTCD.{c}" for c in codes]
    for code in codes:
        wc = tree.xpath(f"//def:WhereClauseDef[@OID='WC.LB.LBTESTCD.{code}']", namespaces=NS)[0]
        check = wc.xpath("odm:RangeCheck", namespaces=NS)[0]
        assert check.get("Comparator") == "EQ"
        assert check.get(f"{{{DEF_NS}}}ItemOID") == "IT.LB.LBTESTCD"
        assert check.xpath("string(odm:CheckValue)", namespaces=NS) == code
        item = tree.xpath(f"//odm:ItemDef[@OID='IT.LB.LBORRES.{code}']", namespaces=NS)[0]
        values = lb.loc[lb["LBTESTCD"] == code, "LBORRES"]
        assert int(item.get("Length")) == int(values.str.len().max())
    hgb = tree.xpath("//odm:ItemDef[@OID='IT.LB.LBSTRESN.HGB']", namespaces=NS)[0]
    assert hgb.get("DataType") in ("integer", "float")
    assert tree.xpath("//odm:ItemDef[@OID='IT.LB.LBORRES']/def:ValueListRef/@ValueListOID",
                      namespaces=NS) == ["VL.LB.LBORRES"]


def _break(src: Path, dst: Path, edit) -> Path:
    shutil.copytree(src, dst)
    path = dst / "define.xml"
    tree = etree.parse(str(path))
    edit(tree)
    tree.write(str(path))
    return path


def test_define_check_finds_dangling_oids_and_missing_leaves(out: Path, tmp_path: Path) -> None:
    def drop_age_and_a_file(tree: etree._ElementTree) -> None:
        item = tree.xpath("//odm:ItemDef[@OID='IT.DM.AGE']", namespaces=NS)[0]
        item.getparent().remove(item)

    path = _break(out / SDTM, tmp_path / "broken", drop_age_and_a_file)
    (tmp_path / "broken" / "cm.xpt").unlink()
    problems = [str(p) for p in check_define(path)]
    assert problems == ["IG.DM: ItemOID IT.DM.AGE refers to no ItemDef",
                        "IG.CM: leaf 'cm.xpt' is not a file beside define.xml"]
    (tmp_path / "bad.xml").write_text("<ODM><unclosed></ODM>")
    assert "not well-formed XML" in str(check_define(tmp_path / "bad.xml")[0])


def test_define_html_is_self_contained(out: Path) -> None:
    html = (out / SDTM / "define.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "http://" not in html and "https://" not in html and "<script" not in html
    for name in SDTM_FILES:
        assert f'<a href="{name}.xpt">{name}.xpt</a>' in html
    assert '<h2 id="LB">LB: Laboratory Test Results</h2>' in html
    assert "LBTESTCD = PLAT" in html
    assert "Age in completed years from BRTHDTC to RFICDTC" in html


# --------------------------------------------------------------------------- TS


def test_ts_holds_the_registry_facts(out: Path) -> None:
    ts, meta = read_xpt(out / SDTM / "ts.xpt")
    assert meta["dataset"] == "TS" and meta["label"] == "Trial Summary"
    rows = [tuple(r) for r in ts[["TSPARMCD", "TSSEQ", "TSVAL", "TSVALCD", "TSVCDREF",
                                  "TSVCDVER"]].itertuples(index=False)]
    assert rows == [
        ("TITLE", 1.0, "Study of Human Umbilical Cord-derived Mesenchymal Stem Cells for "
         "Treatment of Refractory Immune Thrombocytopenia", "", "", ""),
        ("REGID", 1.0, "NCT04014166", "NCT04014166", "ClinicalTrials.gov", ""),
        ("SPONSOR", 1.0, "Institute of Hematology and Blood Diseases Hospital", "", "", ""),
        ("SSTDTC", 1.0, "2019-11-21", "", "ISO 8601", ""),
        ("STYPE", 1.0, "INTERVENTIONAL", "C98388", "CDISC CT", "2025-03-28"),
        ("TPHASE", 1.0, "PHASE I TRIAL", "C15600", "CDISC CT", "2025-03-28"),
        ("TTYPE", 1.0, "SAFETY", "C49667", "CDISC CT", "2025-03-28"),
        ("TTYPE", 2.0, "EFFICACY", "C49666", "CDISC CT", "2025-03-28"),
        ("INDIC", 1.0, "Immune Thrombocytopenia", "", "", ""),
        ("TRT", 1.0, "Human umbilical cord-derived mesenchymal stem cells", "", "", ""),
        ("INTMODEL", 1.0, "SINGLE GROUP", "C82640", "CDISC CT", "2025-03-28"),
        ("TBLIND", 1.0, "OPEN LABEL", "C49659", "CDISC CT", "2025-03-28"),
        ("RANDOM", 1.0, "N", "C49487", "CDISC CT", "2025-03-28"),
        ("PLANSUB", 1.0, "15", "", "", ""),
        ("AGEMIN", 1.0, "P18Y", "", "ISO 8601", ""),
        ("AGEMAX", 1.0, "P60Y", "", "ISO 8601", ""),
        ("SEXPOP", 1.0, "BOTH", "C49636", "CDISC CT", "2025-03-28"),
        ("HLTSUBJI", 1.0, "N", "C49487", "CDISC CT", "2025-03-28"),
        ("INTTYPE", 1.0, "BIOLOGIC", "C307", "CDISC CT", "2025-03-28"),
        ("TCNTRL", 1.0, "NONE", "C41132", "CDISC CT", "2025-03-28"),
        ("TINDTP", 1.0, "TREATMENT", "C49656", "CDISC CT", "2025-03-28"),
        ("FCNTRY", 1.0, "CHN", "", "", ""),
        ("TDIGRP", 1.0, "Immune Thrombocytopenia", "", "", ""),
        ("PCLAS", 1.0, "", "", "", ""),
        ("NARMS", 1.0, "4", "", "", ""),
        ("SDTMVER", 1.0, "2.0", "", "", ""),
        ("SDTIGVER", 1.0, "3.4", "", "", ""),
        # required parameters the registry record does not state: no information
        *[(p, 1.0, "", "", "", "") for p in ["ADDON", "LENGTH", "STOPRULE", "OBJPRIM",
                                              "OUTMSPRI", "ADAPT", "DCUTDTC", "DCUTDESC",
                                              "SENDTC", "ACTSUB"]],
    ]
    nf = dict(zip(ts["TSPARMCD"], ts["TSVALNF"], strict=True))
    assert nf["PCLAS"] == "NA" and nf["ADDON"] == "NI" and nf["TITLE"] == ""
    assert ts.loc[ts["TSPARMCD"] == "SSTDTC", "TSPARM"].tolist() == ["Study Start Date"]
    assert set(ts["STUDYID"]) == {"NCT04014166"} and set(ts["DOMAIN"]) == {"TS"}


# --------------------------------------------------------------------------- Dataset-JSON


def test_dataset_json_structure_and_values_agree_with_the_xpt(out: Path) -> None:
    for path in _xpts(out):
        doc = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        assert check_dataset_json(doc) == [], path
        data, meta = read_xpt(path)
        assert doc["datasetJSONVersion"] == "1.1.0"
        assert doc["name"] == meta["dataset"] and doc["label"] == meta["label"]
        assert doc["itemGroupOID"] == f"IG.{meta['dataset']}"
        assert doc["metaDataRef"] == "define.xml"
        assert doc["records"] == meta["rows"]
        cols = doc["columns"]
        assert [c["name"] for c in cols] == [v.name for v in meta["variables"]]
        assert [c["label"] for c in cols] == [v.label for v in meta["variables"]]
        for i, var in enumerate(meta["variables"]):
            col = cols[i]
            assert col["itemOID"] == f"IT.{meta['dataset']}.{var.name}"
            values = [row[i] for row in doc["rows"]]
            xpt = data[var.name].tolist()
            if var.type == "Char":
                assert col["dataType"] == "string" and col["length"] == var.length
                assert values == [v if isinstance(v, str) else "" for v in xpt], (path, var)
            elif col["dataType"] == "date":
                assert col["targetDataType"] == "integer" and var.format == "DATE9."
                days = [None if v is None else
                        (pd.Timestamp(v) - pd.Timestamp("1960-01-01")).days for v in values]
                assert days == [None if math.isnan(v) else int(v) for v in xpt], (path, var)
            elif col["dataType"] == "datetime":
                assert col["targetDataType"] == "integer" and var.format == "DATETIME20."
                secs = [None if v is None else
                        (pd.Timestamp(v) - pd.Timestamp("1960-01-01")).total_seconds()
                        for v in values]
                assert secs == [None if math.isnan(v) else v for v in xpt], (path, var)
            else:
                assert col["dataType"] in ("integer", "double")
                assert values == [None if math.isnan(v) else v for v in xpt], (path, var)


def test_dataset_json_keys_follow_define(out: Path) -> None:
    doc = json.loads((out / SDTM / "dm.json").read_text())
    keys = {c["name"]: c["keySequence"] for c in doc["columns"] if "keySequence" in c}
    assert keys == {"STUDYID": 1, "USUBJID": 2}
    assert doc["studyOID"] == "STUDY.NCT04014166"
    assert doc["metaDataVersionOID"] == "MDV.NCT04014166.SDTMIG.3.4"


# --------------------------------------------------------------------------- check-package


def test_check_package_passes_the_example(out: Path) -> None:
    result = CliRunner().invoke(main, ["check-package", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    findings = check_package(out)
    assert all(f.ok for f in findings)
    checks = {f.check for f in findings}
    assert {"DM present", "TS present", "TS has SSTDTC", "define.xml present",
            "define.xml sound", "XPT version 5", "file name lower case = dataset name",
            "described in define.xml"} <= checks


def test_check_package_fails_a_broken_package(out: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    sdtm = broken / SDTM
    (sdtm / "ts.xpt").unlink()
    (sdtm / "cm.xpt").rename(sdtm / "CM.xpt")  # upper-case file name
    (sdtm / "ae.xpt").rename(sdtm / "adverse.xpt")  # name no longer the dataset's
    v8 = pd.DataFrame({"X": [1.0]})
    pyreadstat.write_xport(v8, str(sdtm / "xx.xpt"), table_name="XX", file_format_version=8)
    result = CliRunner().invoke(main, ["check-package", str(broken), "--quiet"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"FAIL TS present: {sdtm} (no ts.xpt)" in lines
    assert f"FAIL file name lower case = dataset name: {sdtm / 'CM.xpt'} (dataset inside is CM)" \
        in lines
    assert (f"FAIL file name lower case = dataset name: {sdtm / 'adverse.xpt'} (dataset inside "
            f"is AE)") in lines
    assert f"FAIL XPT version 5: {sdtm / 'xx.xpt'} (SAS transport version 8)" in lines
    assert f"FAIL described in define.xml: {sdtm / 'xx.xpt'}" in lines
    assert any(line.startswith("FAIL define.xml sound") and "'ts.xpt' is not a file" in line
               for line in lines)


def test_check_package_needs_define_dm_and_adsl(tmp_path: Path) -> None:
    sdtm = tmp_path / "p" / "sdtm"
    adam = tmp_path / "p" / "adam"
    sdtm.mkdir(parents=True)
    adam.mkdir()
    result = CliRunner().invoke(main, ["check-package", str(tmp_path / "p"), "--quiet"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"FAIL DM present: {sdtm} (no dm.xpt)",
        f"FAIL TS present: {sdtm} (no ts.xpt)",
        f"FAIL define.xml present: {sdtm}",
        f"FAIL ADSL present: {adam} (no adsl.xpt)",
        f"FAIL define.xml present: {adam}",
        "0 checks passed, 5 failed",
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["check-package", str(empty)])
    assert result.exit_code == 1 and "FAIL datasets present" in result.output
