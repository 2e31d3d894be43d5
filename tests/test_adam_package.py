"""ADaM in the package, generically: small ADaM-like datasets (ADSL, a BDS and an OCCDS) with
DATE9./DATETIME20. numbers, written with their define.xml and Dataset-JSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from cdiscflow.datasetjson import check_dataset_json
from cdiscflow.define.xml import DEF_NS, ODM_NS, check_define
from cdiscflow.output import DatasetToWrite, Layout, read_datasets, write_adam_package
from cdiscflow.package.check import check_package
from cdiscflow.spec import LoadedStudy, StudySpec
from cdiscflow.xpt import SpecialMissing, XptVariable, read_special_missing, read_xpt

NS = {"odm": ODM_NS, "def": DEF_NS}
CREATED = dt.datetime(2024, 3, 2)


def _study(max_bytes: int = 5_000_000_000) -> LoadedStudy:
    spec = StudySpec.model_validate({
        "study": {"studyid": "XYZ-1", "title": "A small study", "created": CREATED},
        "raw": {"dir": "raw", "forms": {}},
        "domains": ["dm"],
        "submission": {"max_xpt_bytes": max_bytes},
    })
    return LoadedStudy(spec=spec, dir=Path("."), file=Path("study.yaml"), domains=[])


def _datasets() -> list[DatasetToWrite]:
    adsl = pd.DataFrame({"STUDYID": ["XYZ-1"] * 3, "USUBJID": ["XYZ-1-001", "XYZ-1-002",
                                                                "XYZ-1-003"],
                         "AGE": [34.0, 51.0, 47.0], "TRTSDT": [21900.0, 21905.0, None],
                         "TRTSDTM": [21900 * 86400.0 + 36000, 21905 * 86400.0 + 37800, None]})
    adsl_vars = [XptVariable("STUDYID", "Study Identifier", "Char"),
                 XptVariable("USUBJID", "Unique Subject Identifier", "Char"),
                 XptVariable("AGE", "Age", "Num"),
                 XptVariable("TRTSDT", "Date of First Exposure to Treatment", "Num",
                             format="DATE9."),
                 XptVariable("TRTSDTM", "Datetime of First Exposure to Treatment", "Num",
                             format="DATETIME20.")]
    adlb = pd.DataFrame({"STUDYID": ["XYZ-1"] * 4,
                         "USUBJID": ["XYZ-1-001", "XYZ-1-001", "XYZ-1-002", "XYZ-1-002"],
                         "PARAMCD": ["PLAT", "PLAT", "PLAT", "HGB"],
                         "AVAL": pd.Series([25.5, SpecialMissing("N"), 31.0, 120.0],
                                           dtype=object),
                         "ADT": [21901.0, 21908.0, 21906.0, 21906.0]})
    adlb_vars = [XptVariable("STUDYID", "Study Identifier", "Char"),
                 XptVariable("USUBJID", "Unique Subject Identifier", "Char"),
                 XptVariable("PARAMCD", "Parameter Code", "Char"),
                 XptVariable("AVAL", "Analysis Value", "Num"),
                 XptVariable("ADT", "Analysis Date", "Num", format="DATE9.")]
    adae = pd.DataFrame({"STUDYID": ["XYZ-1"], "USUBJID": ["XYZ-1-002"],
                         "AEDECOD": ["Headache"], "ASTDT": [21910.0]})
    adae_vars = [XptVariable("STUDYID", "Study Identifier", "Char"),
                 XptVariable("USUBJID", "Unique Subject Identifier", "Char"),
                 XptVariable("AEDECOD", "Dictionary-Derived Term", "Char"),
                 XptVariable("ASTDT", "Analysis Start Date", "Num", format="DATE9.")]
    return [DatasetToWrite("ADSL", "Subject-Level Analysis Dataset", adsl, adsl_vars),
            DatasetToWrite("ADLB", "Laboratory Analysis Dataset", adlb, adlb_vars),
            DatasetToWrite("ADAE", "Adverse Events Analysis Dataset", adae, adae_vars)]


SDTM_DM = pd.DataFrame({"STUDYID": ["XYZ-1"], "USUBJID": ["XYZ-1-001"], "AGE": [34.0]})


@pytest.fixture
def adam(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path / "out", "XYZ-1")
    write_adam_package(_study(), layout, _datasets(), {"DM": SDTM_DM}, ("xpt", "json"))
    return layout


def test_adam_files_in_the_analysis_folder(adam: Layout) -> None:
    assert adam.adam_dir == adam.root / "m5" / "datasets" / "xyz-1" / "analysis" / "adam" / \
        "datasets"
    assert sorted(p.name for p in adam.adam_dir.iterdir()) == [
        "adae.json", "adae.xpt", "adlb.json", "adlb.xpt", "adsl.json", "adsl.xpt",
        "define.html", "define.xml", "define2-1.xsl"]
    _, meta = read_xpt(adam.adam_dir / "adsl.xpt")
    assert meta["formats"] == {"STUDYID": None, "USUBJID": None, "AGE": None,
                               "TRTSDT": "DATE9.", "TRTSDTM": "DATETIME20."}
    assert read_special_missing(adam.adam_dir / "adlb.xpt") == {"AVAL": {1: "N"}}


def test_adam_define(adam: Layout) -> None:
    path = adam.adam_dir / "define.xml"
    assert check_define(path) == []
    tree = etree.parse(str(path))
    std = [(s.get("Name"), s.get("Version"), s.get("PublishingSet"))
           for s in tree.xpath("//def:Standard", namespaces=NS)]
    assert std == [("ADaMIG", "1.3", None), ("CDISC/NCI", "2025-03-28", "ADaM"),
                   ("CDISC/NCI", "2025-03-28", "SDTM")]
    classes = {g.get("Name"): (g.xpath("string(def:Class/@Name)", namespaces=NS),
                               g.get(f"{{{DEF_NS}}}Structure"), g.get("Purpose"))
               for g in tree.xpath("//odm:ItemGroupDef", namespaces=NS)}
    assert classes == {
        "ADSL": ("SUBJECT LEVEL ANALYSIS DATASET", "One record per subject", "Analysis"),
        "ADLB": ("BASIC DATA STRUCTURE", "One record per subject per parameter", "Analysis"),
        "ADAE": ("OCCURRENCE DATA STRUCTURE", "One record per subject per occurrence",
                 "Analysis"),
    }

    def item(oid: str) -> etree._Element:
        return tree.xpath(f"//odm:ItemDef[@OID='{oid}']", namespaces=NS)[0]

    age = item("IT.ADSL.AGE")
    assert age.xpath("string(def:Origin/@Type)", namespaces=NS) == "Predecessor"
    assert age.xpath("string(def:Origin/odm:Description/odm:TranslatedText)",
                     namespaces=NS) == "DM.AGE"
    trtsdt = item("IT.ADSL.TRTSDT")
    assert (trtsdt.get("DataType"), trtsdt.get("Length"),
            trtsdt.get(f"{{{DEF_NS}}}DisplayFormat")) == ("integer", "5", "DATE9.")
    assert trtsdt.xpath("string(def:Origin/@Type)", namespaces=NS) == "Derived"
    trtsdtm = item("IT.ADSL.TRTSDTM")
    assert (trtsdtm.get("DataType"), trtsdtm.get("Length"),
            trtsdtm.get(f"{{{DEF_NS}}}DisplayFormat")) == ("integer", "10", "DATETIME20.")
    aval = item("IT.ADLB.AVAL")
    assert (aval.get("DataType"), aval.get("Length"), aval.get("SignificantDigits")) == (
        "float", "4", "1")
    assert item("IT.ADLB.PARAMCD").get("Length") == "4"
    keys = [r.get("ItemOID") for r in tree.xpath(
        "//odm:ItemGroupDef[@Name='ADLB']/odm:ItemRef[@KeySequence]", namespaces=NS)]
    assert keys == ["IT.ADLB.STUDYID", "IT.ADLB.USUBJID", "IT.ADLB.PARAMCD"]


def test_adam_dataset_json_dates_and_missing(adam: Layout) -> None:
    adsl = json.loads((adam.adam_dir / "adsl.json").read_text())
    assert check_dataset_json(adsl) == []
    cols = {c["name"]: c for c in adsl["columns"]}
    assert cols["TRTSDT"] == {"itemOID": "IT.ADSL.TRTSDT", "name": "TRTSDT",
                              "label": "Date of First Exposure to Treatment",
                              "dataType": "date", "targetDataType": "integer",
                              "displayFormat": "DATE9."}
    assert cols["AGE"]["dataType"] == "integer"
    assert adsl["rows"] == [
        ["XYZ-1", "XYZ-1-001", 34, "2019-12-17", "2019-12-17T10:00:00"],
        ["XYZ-1", "XYZ-1-002", 51, "2019-12-22", "2019-12-22T10:30:00"],
        ["XYZ-1", "XYZ-1-003", 47, None, None],
    ]
    adlb = json.loads((adam.adam_dir / "adlb.json").read_text())
    assert [r[3] for r in adlb["rows"]] == [25.5, None, 31.0, 120.0]  # .N is null
    assert adlb["metaDataVersionOID"] == "MDV.XYZ-1.ADaMIG.1.3"


def test_adam_check_package_needs_adsl(adam: Layout, tmp_path: Path) -> None:
    findings = [f for f in check_package(adam.root) if not f.ok]
    # no SDTM folder was written: only the ADaM folder is checked, and it passes
    assert findings == []
    (adam.adam_dir / "adsl.xpt").unlink()
    failed = {(f.check, f.detail) for f in check_package(adam.root) if not f.ok}
    assert ("ADSL present", "no adsl.xpt") in failed
    assert any(c == "define.xml sound" and "'adsl.xpt' is not a file" in d for c, d in failed)


def test_adam_split_dataset(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "out", "XYZ-1", "flat")
    # ADSL and ADLB: 1440 header bytes (5 variables) + one 80-byte block = 2 records per file
    write_adam_package(_study(max_bytes=1520), layout, _datasets(), {}, ("xpt",))
    assert layout.adam_dir == tmp_path / "out" / "adam"
    files = sorted(p.name for p in layout.adam_dir.glob("*.xpt"))
    assert files == ["adae.xpt", "adlb1.xpt", "adlb2.xpt", "adsl1.xpt", "adsl2.xpt"]
    parts = [read_xpt(layout.adam_dir / f"adsl{i}.xpt")[0] for i in (1, 2)]
    assert [p["USUBJID"].tolist() for p in parts] == [["XYZ-1-001", "XYZ-1-002"], ["XYZ-1-003"]]
    # read back as whole datasets, parts in order
    back = {w.name: w for w in read_datasets(layout.adam_dir)}
    assert sorted(back) == ["ADAE", "ADLB", "ADSL"]
    assert back["ADSL"].files == [("adsl1.xpt", 0, 2), ("adsl2.xpt", 2, 3)]
    assert back["ADSL"].frame["USUBJID"].tolist() == ["XYZ-1-001", "XYZ-1-002", "XYZ-1-003"]
    assert back["ADLB"].frame["PARAMCD"].tolist() == ["PLAT", "PLAT", "PLAT", "HGB"]
    assert check_define(layout.adam_dir / "define.xml") == []
    assert [f for f in check_package(tmp_path / "out") if not f.ok] == []
