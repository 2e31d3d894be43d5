"""SDTM model variables an IG domain's table omits (AEDTC in AE) and sponsor-defined domains
(a Findings class XB), from the allowed-variable lists through a whole run."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from cdiscflow.cli import main
from cdiscflow.errors import SpecError
from cdiscflow.package.check import check_package
from cdiscflow.sdtm.engine import Engine
from cdiscflow.specload import load_study
from cdiscflow.standards import SponsorDomain, sdtm_variables
from cdiscflow.validators import validate_folder
from cdiscflow.validators.data import load_folder
from cdiscflow.validators.define_doc import read_sponsor_domains
from cdiscflow.xpt import read_xpt
from tests.conftest import MINI_DOMAINS, MINI_RAW, MINI_STUDY, write_study


def names(domain: str) -> list[str]:
    return [v.name for v in sdtm_variables(domain)]


# ---- allowed variables ---------------------------------------------------------------------

def test_ae_carries_aedtc_after_epoch_before_aestdtc():
    ae = {v.name: v for v in sdtm_variables("AE")}
    dtc = ae["AEDTC"]
    assert (dtc.label, dtc.type, dtc.core, dtc.role, dtc.codelists) == (
        "Date/Time of Collection", "Char", "Perm", "Timing", ())
    at = names("AE").index("AEDTC")
    assert names("AE")[at - 2:at + 2] == ["TAETORD", "EPOCH", "AEDTC", "AESTDTC"]


def test_ig_variables_keep_their_metadata_and_order():
    # AESER is in the IG table: the IG's label and core win over the model's
    aeser = next(v for v in sdtm_variables("AE") if v.name == "AESER")
    assert (aeser.label, aeser.core) == ("Serious Event", "Exp")
    ig_order = ["STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AEGRPID", "AEREFID", "AESPID",
                "AETERM", "AEMODIFY", "AELLT"]
    assert [n for n in names("AE") if n in ig_order] == ig_order
    assert [v.order for v in sdtm_variables("AE")] == list(range(1, len(names("AE")) + 1))


def test_visit_variables_come_from_the_model_where_the_ig_omits_them():
    # EX's IG table has no VISITNUM; the model puts the visit variables before TAETORD/EPOCH
    ex = names("EX")
    at = ex.index("VISITNUM")
    assert ex[at:at + 5] == ["VISITNUM", "VISIT", "VISITDY", "TAETORD", "EPOCH"]


def test_usage_restrictions_are_honoured():
    assert "AEOCCUR" not in names("AE")  # Events --OCCUR: "Not in AE domain"
    assert "CEOCCUR" in names("CE")
    assert "LBSTDTC" not in names("LB")  # --STDTC: "Not in Findings class domains"
    assert "AENOMDY" not in names("AE")  # "Not in human clinical trials"
    assert "AEBEATNO" not in names("AE")  # "EG Domain only"
    assert "EGBEATNO" in names("EG")


def test_special_purpose_and_relationship_domains_are_their_ig_tables():
    assert "VISITNUM" not in names("TA") and "VISITNUM" not in names("SE")
    assert names("SUPPAE")[:3] == ["STUDYID", "RDOMAIN", "USUBJID"]


def test_a_sponsor_findings_domain_is_the_model_in_model_order():
    xb = sdtm_variables("XB", [SponsorDomain("XB", "Findings", "Bleeding Assessments", "x")])
    assert [v.name for v in xb[:16]] == [
        "STUDYID", "DOMAIN", "USUBJID", "POOLID", "SPDEVID", "NHOID", "FOCID", "XBSEQ",
        "XBGRPID", "XBREFID", "XBRECID", "XBSPID", "XBLNKID", "XBLNKGRP", "XBTESTCD", "XBTEST"]
    assert [v.name for v in xb if v.core == "Req"] == [
        "STUDYID", "DOMAIN", "USUBJID", "XBSEQ", "XBTESTCD", "XBTEST"]
    by_name = {v.name: v for v in xb}
    assert (by_name["XBORRES"].label, by_name["XBORRES"].type, by_name["XBORRES"].core) == (
        "Result or Finding in Original Units", "Char", "Exp")
    assert (by_name["XBSTRESN"].type, by_name["XBSTRESN"].role) == ("Num", "Result Qualifier")
    assert "XBSTDTC" not in by_name and "XBCELSTA" not in by_name  # Findings / CP only
    timing = [v.name for v in xb if v.role == "Timing"]
    assert timing[:8] == ["VISITNUM", "VISIT", "VISITDY", "TAETORD", "EPOCH", "XBDTC",
                          "XBENDTC", "XBDY"]


def test_a_sponsor_domain_is_known_only_where_the_study_is_given():
    # no process-wide registry: asking without the study's domains finds none, even after a
    # lookup that passed them
    sdtm_variables("XE", [SponsorDomain("XE", "Events", "Sponsor Events", "x")])
    with pytest.raises(KeyError, match="defines no domain 'XE'"):
        sdtm_variables("XE")


def test_a_sponsor_events_domain_has_occur_and_start_dates():
    sponsor = [SponsorDomain("XE", "Events", "Sponsor Events", "x")]
    xe = [v.name for v in sdtm_variables("XE", sponsor)]
    assert xe[7:9] == ["XESEQ", "XEGRPID"] and "XETERM" in xe
    assert {"XEOCCUR", "XESTDTC", "XESTDY"} <= set(xe)
    assert [v.name for v in sdtm_variables("XE", sponsor) if v.core == "Req"] == [
        "STUDYID", "DOMAIN", "USUBJID", "XESEQ", "XETERM"]


# ---- a whole run ---------------------------------------------------------------------------

XB_YAML = """\
    domain: XB
    class: Findings
    label: Bleeding Assessments
    source: bleeding
    steps:
      - join: {domain: DM, on: [SUBJID], columns: [USUBJID], required: true}
    supp_idvar: XBSEQ
    variables:
      STUDYID: {constant: MINI1}
      DOMAIN: {constant: XB}
      USUBJID: {field: USUBJID}
      XBTESTCD: {constant: BLEED}
      XBTEST: {constant: Bleeding}
      XBORRES: {field: SEVERITY}
      XBSTRESC: {field: SEVERITY}
      XBLOC: {field: SITE}
      XBDTC: {date: {date: BLDAT}}
      VISITNUM: {derive: {function: visit, visit: VISIT, dtc: XBDTC, schedule: visits,
                          target: VISITNUM}}
      XBSEQ: {derive: {function: seq, order: [XBDTC]}}
      XBDY: {derive: {function: study_day, dtc: XBDTC, ref: DM.RFSTDTC}}
      XBASSR: {field: ASSESSOR, supp: {qlabel: Assessor}}
    """

BLEEDING_CSV = """\
    SUBJID,VISIT,BLDAT,SITE,SEVERITY,ASSESSOR
    001,Day 1,2021-03-10,GUM,MILD,NURSE
    002,Day 1,2021-03-12,NOSE,NONE,
    """


def model_study(folder: Path) -> Path:
    """The mini study, clean, with AEDTC mapped in AE and a sponsor-defined XB domain."""
    study = textwrap.dedent(MINI_STUDY).replace(
        "domains: [dm, ex, lb, ae]", "domains: [dm, ex, lb, ae, xb]").replace(
        "    adverse_events:", "    bleeding: {file: bleeding.csv, keys: [SUBJID]}\n"
        "    adverse_events:")
    domains = dict(MINI_DOMAINS)
    domains["ae.yaml"] = MINI_DOMAINS["ae.yaml"].rstrip(" ") + (
        "          AEDTC: {date: {date: COLDAT, format: DD-MON-YYYY}}\n")
    domains["xb.yaml"] = XB_YAML
    raw = dict(MINI_RAW)
    raw["adverse_events.csv"] = ("SUBJID,AESPID,AETERM,AESTDAT,AESER,KEEP,COLDAT\n"
                                 "001,1,headache,12-MAR-2021,N,Y,14-MAR-2021\n")
    raw["labs.csv"] = "\n".join(MINI_RAW["labs.csv"].splitlines()[:4] + [""])
    raw["bleeding.csv"] = BLEEDING_CSV
    return write_study(folder, study=study, domains=domains, raw=raw)


@pytest.fixture(scope="module")
def model_run(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("model")
    folder = model_study(base / "s")
    out = base / "o"
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "m5" / "datasets" / "mini1" / "tabulations" / "sdtm"


def test_the_sponsor_domain_is_written_with_model_metadata(model_run):
    frame, meta = read_xpt(model_run / "xb.xpt")
    assert meta["label"] == "Bleeding Assessments"
    assert list(frame.columns) == ["STUDYID", "DOMAIN", "USUBJID", "XBSEQ", "XBTESTCD",
                                   "XBTEST", "XBORRES", "XBSTRESC", "XBLOC", "VISITNUM",
                                   "XBDTC", "XBDY"]
    assert meta["variable_labels"]["XBTESTCD"] == "Short Name of Measurement, Test, or Exam"
    assert meta["variable_labels"]["XBLOC"] == "Location Used for the Measurement"
    assert meta["variable_labels"]["XBDY"] == "Study Day of Visit/Collection/Exam"
    assert meta["types"] == {"STUDYID": "Char", "DOMAIN": "Char", "USUBJID": "Char",
                             "XBSEQ": "Num", "XBTESTCD": "Char", "XBTEST": "Char",
                             "XBORRES": "Char", "XBSTRESC": "Char", "XBLOC": "Char",
                             "VISITNUM": "Num", "XBDTC": "Char", "XBDY": "Num"}
    assert frame["USUBJID"].tolist() == ["MINI1-01-001", "MINI1-01-002"]
    assert frame["XBORRES"].tolist() == ["MILD", "NONE"]
    assert frame["XBLOC"].tolist() == ["GUM", "NOSE"]
    assert frame["XBDTC"].tolist() == ["2021-03-10", "2021-03-12"]
    assert frame["XBSEQ"].tolist() == [1.0, 1.0]
    assert frame["VISITNUM"].tolist() == [1.0, 1.0]
    assert frame["XBDY"].tolist() == [1.0, 1.0]


def test_supp_of_the_sponsor_domain(model_run):
    frame, meta = read_xpt(model_run / "suppxb.xpt")
    assert meta["label"] == "Supplemental Qualifiers for XB"
    assert frame[["RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM", "QLABEL", "QVAL"]
                 ].values.tolist() == [["XB", "MINI1-01-001", "XBSEQ", "1", "XBASSR",
                                        "Assessor", "NURSE"]]


def test_ae_carries_the_mapped_aedtc(model_run):
    frame, meta = read_xpt(model_run / "ae.xpt")
    cols = list(frame.columns)
    assert cols.index("AEDTC") == cols.index("AESTDTC") - 1
    assert meta["variable_labels"]["AEDTC"] == "Date/Time of Collection"
    assert frame["AEDTC"].tolist() == ["2021-03-14"]


def test_define_describes_the_sponsor_domain(model_run):
    tree = etree.parse(str(model_run / "define.xml"))
    ns = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}
    group = tree.find(".//odm:ItemGroupDef[@Name='XB']", ns)
    assert group is not None
    assert group.find("def:Class", ns).get("Name") == "FINDINGS"
    assert group.find("odm:Description/odm:TranslatedText", ns).text == "Bleeding Assessments"
    item = tree.find(".//odm:ItemDef[@Name='XBDTC']", ns)
    assert item.find("odm:Description/odm:TranslatedText", ns).text == "Date/Time of Collection"
    assert item.get("DataType") == "date"
    aedtc = tree.find(".//odm:ItemDef[@Name='AEDTC']", ns)
    assert aedtc.find("def:Origin", ns).get("Type") == "Collected"


# ---- spec errors ---------------------------------------------------------------------------

def spec_error(tmp_path: Path, xb: str) -> SpecError:
    folder = model_study(tmp_path / "s")
    (folder / "xb.yaml").write_text(textwrap.dedent(xb))
    with pytest.raises(SpecError) as exc:
        Engine(load_study(folder)).check()
    return exc.value


def test_class_on_an_ig_domain_is_a_spec_error(tmp_path):
    folder = model_study(tmp_path / "s")
    ae = (folder / "ae.yaml").read_text().replace("domain: AE\n", "domain: AE\nclass: Events\n")
    (folder / "ae.yaml").write_text(ae)
    with pytest.raises(SpecError) as exc:
        Engine(load_study(folder)).check()
    e = exc.value
    assert (Path(e.file).name, e.line, e.domain) == ("ae.yaml", 2, "AE")
    assert e.message == ("class: 'Events' is only for sponsor-defined domains; AE is an SDTMIG "
                         "3.4 domain (class Events)")


def test_unknown_class_is_a_spec_error(tmp_path):
    e = spec_error(tmp_path, XB_YAML.replace("class: Findings", "class: Observations"))
    assert (Path(e.file).name, e.line, e.domain) == ("xb.yaml", 2, "XB")
    assert e.message == ("class: 'Observations' is not an SDTM v2.0 observation class (one of "
                         "Interventions, Events, Findings, Findings About)")


def test_missing_class_is_a_spec_error(tmp_path):
    e = spec_error(tmp_path, XB_YAML.replace("    class: Findings\n", ""))
    assert (Path(e.file).name, e.line, e.domain) == ("xb.yaml", 1, "XB")
    assert e.message.startswith("XB is not an SDTMIG 3.4 domain: a sponsor-defined domain "
                                "declares class:")


def test_missing_label_is_a_spec_error(tmp_path):
    e = spec_error(tmp_path, XB_YAML.replace("    label: Bleeding Assessments\n", ""))
    assert (e.line, e.message) == (1, "sponsor-defined domain XB needs label: (its dataset "
                                      "label)")


def test_a_sponsor_code_outside_x_y_z_is_refused(tmp_path):
    folder = model_study(tmp_path / "s")
    (folder / "xb.yaml").unlink()
    (folder / "qb.yaml").write_text(textwrap.dedent(XB_YAML).replace("XB", "QB"))
    study = (folder / "study.yaml").read_text().replace("ae, xb]", "ae, qb]")
    (folder / "study.yaml").write_text(study)
    with pytest.raises(SpecError) as exc:
        Engine(load_study(folder)).check()
    e = exc.value
    assert (Path(e.file).name, e.line, e.domain) == ("qb.yaml", 1, "QB")
    assert e.message == ("QB is not an SDTMIG 3.4 domain, and a sponsor-defined domain code "
                         "starts with X, Y, Z (SDTMIG 2.6)")


def test_a_variable_outside_the_model_is_a_spec_error(tmp_path):
    e = spec_error(tmp_path, XB_YAML.replace("XBLOC: {field: SITE}", "XBSITE: {field: SITE}"))
    assert (Path(e.file).name, e.domain, e.variable, e.line) == ("xb.yaml", "XB", "XBSITE", 16)
    assert e.message == ("XBSITE is not an SDTM v2.0 model variable of XB; mark it supp: "
                         "(SUPPXB) or temp:")


def test_a_findings_domain_may_not_carry_a_start_date(tmp_path):
    e = spec_error(tmp_path, XB_YAML.replace("XBDTC: {date: {date: BLDAT}}",
                                             "XBSTDTC: {date: {date: BLDAT}}"))
    assert (e.variable, e.line) == ("XBSTDTC", 17)


def test_the_sponsor_domain_is_validated_against_the_model(model_run):
    out = model_run.parents[4]
    report = json.loads((out / "report" / "validation.json").read_text())
    assert {"dataset": "XB", "records": 2, "errors": 0, "warnings": 2} in report["datasets"]
    xb = {(f["rule"], f["variable"]) for f in report["findings"] if f["dataset"] == "XB"}
    assert xb == {("CF.EXP_VAR", "XBLOBXFL"), ("CF.EPOCH_VAR", "EPOCH")}
    assert (out / "report" / "lineage" / "xb.csv").is_file()


def test_the_package_alone_names_its_sponsor_domain_in_define_xml(model_run):
    # `cdiscflow validate` on a package (no mapping files) learns XB's class from define.xml
    sponsor = read_sponsor_domains(model_run / "define.xml")
    assert sponsor == (SponsorDomain("XB", "Findings", "Bleeding Assessments",
                                     "One record per findings record per subject"),)
    xb = next(d for d in load_folder(model_run) if d.name == "XB")
    assert (xb.domain, xb.standard_variables()[7].name) == ("XB", "XBSEQ")
    found = validate_folder(model_run).findings
    xb_found = found[found["dataset"] == "XB"]
    assert set(zip(xb_found["rule"], xb_found["variable"], strict=True)) == {
        ("CF.EXP_VAR", "XBLOBXFL"), ("CF.EPOCH_VAR", "EPOCH")}


def test_check_package_finds_the_sponsor_domain_described(model_run):
    findings = {(f.check, Path(f.where).name): f.ok for f in check_package(model_run.parents[4])}
    assert findings[("define.xml sound", "define.xml")]
    assert findings[("described in define.xml", "xb.xpt")]
    assert findings[("described in define.xml", "suppxb.xpt")]


def test_the_python_api_validates_the_sponsor_domain_of_its_study(tmp_path):
    from cdiscflow import api

    sdtm = api.build_sdtm(model_study(tmp_path / "s"))
    found = api.validate(sdtm).findings
    xb_found = found[found["dataset"] == "XB"]
    assert set(zip(xb_found["rule"], xb_found["variable"], strict=True)) == {
        ("CF.EXP_VAR", "XBLOBXFL"), ("CF.EPOCH_VAR", "EPOCH")}
