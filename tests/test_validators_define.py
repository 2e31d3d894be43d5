"""define.xml against the data: a folder of XPT files (written with cdiscflow's writer) and a
small hand-written define.xml that describes them exactly, then one with defects planted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from cdiscflow.standards import sdtm_variables
from cdiscflow.validators import validate_folder
from cdiscflow.validators.rules_define import shipped_ct
from cdiscflow.xpt import XptVariable, write_xpt
from tests.validation_study import found

DM = pd.DataFrame({"STUDYID": ["S1", "S1"], "DOMAIN": ["DM", "DM"],
                   "USUBJID": ["S1-001", "S1-002"], "AGE": [40.0, 31.0], "SEX": ["F", "M"]})
LB = pd.DataFrame({"STUDYID": ["S1"] * 3, "DOMAIN": ["LB"] * 3,
                   "USUBJID": ["S1-001", "S1-001", "S1-002"], "LBSEQ": [1.0, 2.0, 1.0],
                   "LBTESTCD": ["PLAT", "HGB", "PLAT"], "LBORRES": ["20", "12.5", "45"],
                   "LBORRESU": ["10^9/L", "g/dL", "10^9/L"]})


def _write(folder: Path, name: str, frame: pd.DataFrame) -> None:
    labels = {v.name: v.label for v in sdtm_variables(name)}
    variables = [XptVariable(c, labels[c], "Num" if frame[c].dtype.kind == "f" else "Char",
                             None, None) for c in frame.columns]
    write_xpt(frame, folder / f"{name.lower()}.xpt", dataset=name,
              label={"DM": "Demographics", "LB": "Laboratory Test Results",
                     "AE": "Adverse Events"}[name],
              variables=variables, created=dt.datetime(2024, 1, 1))


def _item(oid: str, name: str, dtype: str, length: int | None, label: str,
          codelist: str = "", vlist: str = "") -> str:
    ln = f' Length="{length}"' if length else ""
    cl = f'<CodeListRef CodeListOID="{codelist}"/>' if codelist else ""
    vl = f'<def:ValueListRef ValueListOID="{vlist}"/>' if vlist else ""
    return (f'<ItemDef OID="{oid}" Name="{name}" DataType="{dtype}"{ln}><Description>'
            f'<TranslatedText xml:lang="en">{label}</TranslatedText></Description>{cl}{vl}'
            f'</ItemDef>')


def _define(ct: str = "2025-03-25", sex_terms: tuple[str, ...] = ("F", "M"),
            age_type: str = "integer", sex_label: str = "Sex", usubjid_length: int = 6,
            dm_refs: tuple[str, ...] = ("STUDYID", "DOMAIN", "USUBJID", "AGE", "SEX"),
            sex_role: str = "Record Qualifier", hgb_units: tuple[str, ...] = ("g/dL",),
            where_test: str = "HGB", extra_group: str = "") -> str:
    refs = "".join(f'<ItemRef ItemOID="IT.DM.{n}" OrderNumber="{i}" Mandatory="No"'
                   + (f' Role="{sex_role}"' if n == "SEX" else "") + "/>"
                   for i, n in enumerate(dm_refs, 1))
    lb_refs = "".join(f'<ItemRef ItemOID="IT.LB.{n}" OrderNumber="{i}" Mandatory="No"/>'
                      for i, n in enumerate(LB.columns, 1))
    items = "".join([
        _item("IT.DM.STUDYID", "STUDYID", "text", 2, "Study Identifier"),
        _item("IT.DM.DOMAIN", "DOMAIN", "text", 2, "Domain Abbreviation"),
        _item("IT.DM.USUBJID", "USUBJID", "text", usubjid_length, "Unique Subject Identifier"),
        _item("IT.DM.AGE", "AGE", age_type, 8, "Age"),
        _item("IT.DM.SEX", "SEX", "text", 1, sex_label, "CL.SEX"),
        _item("IT.DM.RACE", "RACE", "text", 5, "Race"),
        _item("IT.LB.STUDYID", "STUDYID", "text", 2, "Study Identifier"),
        _item("IT.LB.DOMAIN", "DOMAIN", "text", 2, "Domain Abbreviation"),
        _item("IT.LB.USUBJID", "USUBJID", "text", 6, "Unique Subject Identifier"),
        _item("IT.LB.LBSEQ", "LBSEQ", "integer", 8, "Sequence Number"),
        _item("IT.LB.LBTESTCD", "LBTESTCD", "text", 4, "Lab Test or Examination Short Name"),
        _item("IT.LB.LBORRES", "LBORRES", "text", 4, "Result or Finding in Original Units"),
        _item("IT.LB.LBORRESU", "LBORRESU", "text", 6, "Original Units",
              vlist="VL.LB.LBORRESU"),
        _item("IT.LB.LBORRESU.HGB", "LBORRESU", "text", 6, "Original Units", "CL.HGBU"),
    ])
    terms = "".join(f'<EnumeratedItem CodedValue="{t}" OrderNumber="{i}"/>'
                    for i, t in enumerate(sex_terms, 1))
    units = "".join(f'<EnumeratedItem CodedValue="{t}" OrderNumber="{i}"/>'
                    for i, t in enumerate(hgb_units, 1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1"
     ODMVersion="1.3.2" FileType="Snapshot" FileOID="D"><Study OID="S">
<MetaDataVersion OID="MDV" Name="x" def:DefineVersion="2.1.0">
<def:Standards>
 <def:Standard OID="STD.IG" Name="SDTMIG" Type="IG" Version="3.4" Status="Final"/>
 <def:Standard OID="STD.CT" Name="CDISC/NCI" Type="CT" PublishingSet="SDTM" Version="{ct}"
   Status="Final"/>
</def:Standards>
<def:ValueListDef OID="VL.LB.LBORRESU">
 <ItemRef ItemOID="IT.LB.LBORRESU.HGB" OrderNumber="1" Mandatory="No">
  <def:WhereClauseRef WhereClauseOID="WC.LB.LBTESTCD.HGB"/></ItemRef>
</def:ValueListDef>
<def:WhereClauseDef OID="WC.LB.LBTESTCD.HGB">
 <RangeCheck Comparator="EQ" SoftHard="Soft" def:ItemOID="IT.LB.LBTESTCD">
  <CheckValue>{where_test}</CheckValue></RangeCheck>
</def:WhereClauseDef>
<ItemGroupDef OID="IG.DM" Name="DM" Domain="DM" Repeating="No"><Description>
 <TranslatedText xml:lang="en">Demographics</TranslatedText></Description>{refs}</ItemGroupDef>
<ItemGroupDef OID="IG.LB" Name="LB" Domain="LB" Repeating="Yes"><Description>
 <TranslatedText xml:lang="en">Laboratory Test Results</TranslatedText></Description>{lb_refs}
</ItemGroupDef>{extra_group}
{items}
<CodeList OID="CL.SEX" Name="Sex" DataType="text">{terms}</CodeList>
<CodeList OID="CL.HGBU" Name="Hemoglobin units" DataType="text">{units}</CodeList>
</MetaDataVersion></Study></ODM>
"""


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    _write(tmp_path, "DM", DM)
    _write(tmp_path, "LB", LB)
    return tmp_path


def _define_findings(folder: Path, **planted: object) -> dict[str, list[tuple]]:
    (folder / "define.xml").write_text(_define(**planted), encoding="utf-8")
    result = validate_folder(folder)
    rules = sorted({r for r in result.findings["rule"] if r.startswith("CF.DEFINE")})
    return {r: found(result, r) for r in rules}


def test_define_that_describes_the_data_has_no_finding(folder: Path) -> None:
    assert _define_findings(folder) == {}


def test_no_define_no_define_checks(folder: Path) -> None:
    result = validate_folder(folder)
    assert not result.findings["rule"].str.startswith("CF.DEFINE").any()


def test_define_defects_planted(folder: Path) -> None:
    vs = ('<ItemGroupDef OID="IG.VS" Name="VS" Domain="VS" Repeating="Yes"><Description>'
          '<TranslatedText xml:lang="en">Vital Signs</TranslatedText></Description>'
          '</ItemGroupDef>')
    got = _define_findings(
        folder, ct="2019-12-20", sex_terms=("F",), age_type="text", sex_label="Gender",
        usubjid_length=20, dm_refs=("STUDYID", "DOMAIN", "USUBJID", "SEX", "AGE", "RACE"),
        sex_role="Identifier", hgb_units=("g/L",), extra_group=vs)
    assert got == {
        "CF.DEFINE_CT": [("DM", 2, "S1-002", "SEX", "M"), ("LB", 2, "S1-001", "LBORRESU",
                                                             "g/dL")],
        "CF.DEFINE_CT_VERSION": [("define.xml", None, "", "", "SDTM 2019-12-20")],
        "CF.DEFINE_DATASET": [("VS", None, "", "", "VS")],
        "CF.DEFINE_LABEL": [("DM", None, "", "SEX", "Sex")],
        "CF.DEFINE_LENGTH": [("DM", None, "", "USUBJID", "6")],
        "CF.DEFINE_ORDER": [("DM", None, "", "AGE", "")],
        "CF.DEFINE_ROLE": [("DM", None, "", "SEX", "Identifier")],
        "CF.DEFINE_TYPE": [("DM", None, "", "AGE", "text")],
        "CF.DEFINE_VARIABLE": [("DM", None, "", "RACE", "")],
    }


def test_define_findings_reach_junit(folder: Path) -> None:
    from lxml import etree

    from cdiscflow.validators.report import to_junit

    (folder / "define.xml").write_text(_define(ct="2019-12-20"), encoding="utf-8")
    root = etree.fromstring(to_junit(validate_folder(folder)).encode("utf-8"))
    suite = root.find("testsuite[@name='define.xml']")
    assert [(c.get("name"), c.find("failure").get("type")) for c in suite] == [
        ("CF.DEFINE_CT_VERSION", "error")]


def test_where_clause_selecting_nothing(folder: Path) -> None:
    assert _define_findings(folder, where_test="ALB") == {
        "CF.DEFINE_WHERE": [("LB", None, "", "LBORRESU", "WC.LB.LBTESTCD.HGB")]}


def test_dataset_not_in_define(folder: Path) -> None:
    ae = pd.DataFrame({"STUDYID": ["S1"], "DOMAIN": ["AE"], "USUBJID": ["S1-001"],
                       "AESEQ": [1.0], "AETERM": ["headache"]})
    _write(folder, "AE", ae)  # a dataset the define does not know
    assert _define_findings(folder) == {"CF.DEFINE_DATASET": [("AE", None, "", "", "AE")]}


def test_one_file_of_a_folder_against_its_define(folder: Path) -> None:
    (folder / "define.xml").write_text(_define(), encoding="utf-8")
    result = validate_folder(folder / "dm.xpt")  # LB is in the folder, not validated
    assert not result.findings["rule"].str.startswith("CF.DEFINE").any()


def test_unreadable_define(folder: Path) -> None:
    (folder / "define.xml").write_text("<ODM", encoding="utf-8")
    result = validate_folder(folder)
    assert found(result, "CF.DEFINE_XML")[0][:2] == ("define.xml", None)


def test_shipped_ct_comes_from_the_standards_files() -> None:
    assert ("SDTM", "2025-03-25") in shipped_ct() and ("ADAM", "2025-03-28") in shipped_ct()
