"""Each spec mistake found while documenting the language is an error with a message, caught
before any data is read; each data problem it hid is now a defect."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from cdiscflow.errors import SpecError
from cdiscflow.sdtm.derivations.findings import derive_standard_numeric_result, format_number
from cdiscflow.sdtm.derivations.identifiers import derive_seq
from cdiscflow.sdtm.engine import Engine
from cdiscflow.specload import load_study
from tests.conftest import MINI_DOMAINS, MINI_RAW, MINI_STUDY, write_study


def folder_with(tmp_path, domains=None, raw=None, study=MINI_STUDY):
    merged = {k: textwrap.dedent(v) for k, v in MINI_DOMAINS.items()}
    merged.update({k: textwrap.dedent(v) for k, v in (domains or {}).items()})
    return write_study(tmp_path / "s", study=study, domains=merged, raw={**MINI_RAW,
                                                                        **(raw or {})})


def edit(name: str, old: str, new: str) -> dict[str, str]:
    text = textwrap.dedent(MINI_DOMAINS[name])
    assert old in text, old
    return {name: text.replace(old, new)}


def spec_error(tmp_path, domains=None, study=MINI_STUDY) -> SpecError:
    with pytest.raises(SpecError) as exc:
        Engine(load_study(folder_with(tmp_path, domains, study=study))).check()
    return exc.value


def test_lookup_value_column_must_exist(tmp_path):
    e = spec_error(tmp_path, edit("lb.yaml", "value: STRESU}", "value: STDUNIT}"))
    assert (e.variable, e.message) == ("LBSTRESU", "table tests has no column 'STDUNIT'")


def test_join_column_clash(tmp_path):
    domains = edit("ae.yaml", "columns: [USUBJID]", "columns: [USUBJID, SUBJID]")
    domains = {"ae.yaml": domains["ae.yaml"].replace("on: [SUBJID]", "on: {AESPID: SUBJID}")}
    e = spec_error(tmp_path, domains)
    assert e.message == "join column 'SUBJID' is already a column here; a join adds new " \
                        "columns only"


def test_unknown_domain_without_a_class_is_a_spec_error(tmp_path):
    # not an IG domain and no class: declared, so not a sponsor-defined domain either
    zz = "domain: ZZ\nsource: labs\nvariables:\n  STUDYID: {constant: MINI1}\n"
    study = textwrap.dedent(MINI_STUDY).replace("domains: [dm, ex, lb, ae]",
                                                "domains: [dm, ex, lb, ae, zz]")
    e = spec_error(tmp_path, {"zz.yaml": zz}, study=study)
    assert e.domain == "ZZ" and e.line == 1
    assert e.message == ("ZZ is not an SDTMIG 3.4 domain: a sponsor-defined domain declares "
                         "class: (one of Interventions, Events, Findings, Findings About) and "
                         "label:")


def test_reference_to_a_domain_not_in_the_study(tmp_path):
    e = spec_error(tmp_path, edit("ae.yaml", "ref: DM.RFSTDTC", "ref: XX.RFSTDTC"))
    assert (e.variable, e.message) == ("AESTDY", "XX.RFSTDTC: domain XX is not in this study")
    assert e.file.endswith("ae.yaml")


def test_cross_domain_reference_needs_usubjid_above(tmp_path):
    text = textwrap.dedent(MINI_DOMAINS["ae.yaml"])
    join = "  - join: {domain: DM, on: [SUBJID], columns: [USUBJID], required: true}\n"
    text = text.replace(join, "").replace("  USUBJID: {field: USUBJID}\n", "")
    text += "  USUBJID: {derive: {function: usubjid, parts: [STUDYID, SUBJID]}}\n"
    e = spec_error(tmp_path, {"ae.yaml": text})
    assert e.variable == "AESTDY"
    assert "DM.RFSTDTC is matched by USUBJID; define USUBJID above AESTDY" in e.message


def test_own_domain_reference_is_refused(tmp_path):
    e = spec_error(tmp_path, edit("ae.yaml", "ref: DM.RFSTDTC", "ref: AE.AESTDTC"))
    assert "write AESTDTC for a variable of this domain, not AE.AESTDTC" in e.message


def test_required_variable_marked_temp_is_not_written(tmp_path):
    e = spec_error(tmp_path, edit("ae.yaml", "AEDECOD: {field: AETERM}",
                                  "AEDECOD: {field: AETERM, temp: true}"))
    assert "not mapped: AEDECOD" in e.message


def test_type_contradicting_the_ig(tmp_path):
    e = spec_error(tmp_path, edit("ex.yaml", "EXDOSE: {field: EXDOSE}",
                                  "EXDOSE: {field: EXDOSE, type: Char}"))
    assert (e.variable, e.message) == ("EXDOSE", "type Char contradicts SDTMIG, where EXDOSE "
                                                 "is Num")


@pytest.mark.parametrize("old,new,message", [
    ("mode: first}", "mode: earliest}", "extreme_date.mode is one of first, last, not "
                                        "'earliest'"),
])
def test_value_parameters_checked_before_reading(tmp_path, old, new, message):
    domains = {"dm.yaml": textwrap.dedent(MINI_DOMAINS["dm.yaml"]).replace(old, new, 1)}
    e = spec_error(tmp_path, domains)
    assert e.message == message


def test_epoch_lists_must_agree(tmp_path):
    domains = edit("ae.yaml", "  AESTDY:", "  EPOCH: {derive: {function: epoch, dtc: AESTDTC, "
                   "epochs: [A, B], ends: [DM.RFSTDTC, DM.RFXSTDTC], ends_inclusive: [true]}}\n"
                   "  AESTDY:")
    e = spec_error(tmp_path, domains)
    assert e.message.startswith("epoch: epochs needs one more entry than ends (2 epochs, 2 ends)")


def test_supp_needs_idvar_and_a_short_label(tmp_path):
    domains = edit("ae.yaml", "  AESTDY:", "  AEKEEP: {field: KEEP, supp: {qlabel: Keep}}\n"
                   "  AESTDY:")
    assert "need supp_idvar" in spec_error(tmp_path, domains).message
    domains = {"ae.yaml": domains["ae.yaml"].replace("qlabel: Keep", "qlabel: " + "K" * 41)
               + "supp_idvar: AESEQ\n"}
    assert spec_error(tmp_path, domains).message == "a SUPP-- QLABEL has at most 40 characters"


def test_studyid_and_domain_constants_must_match_the_study(tmp_path):
    e = spec_error(tmp_path, edit("ae.yaml", "STUDYID: {constant: MINI1}",
                                  "STUDYID: {constant: MINI2}"))
    assert e.message == "STUDYID is 'MINI2' here but 'MINI1' in the study"
    e = spec_error(tmp_path, edit("ae.yaml", "DOMAIN: {constant: AE}", "DOMAIN: {constant: CM}"))
    assert e.message == "DOMAIN is 'CM' here but 'AE' in the study"


@pytest.mark.parametrize("value,why", [("no", "as False"), ("Yes", "as True"),
                                       ("010", "another base")])
def test_yaml_values_that_change_meaning_must_be_quoted(tmp_path, value, why):
    e = spec_error(tmp_path, edit("ae.yaml", "AETERM: {field: AETERM}",
                                  f"AETERM: {{field: AETERM}}\n  AESPID: {{constant: {value}}}"))
    assert why in e.message and e.line == 11  # the AESPID line


# ---- data problems that used to pass silently --------------------------------------------------

def test_numbers_keep_ten_significant_digits():
    assert [format_number(v) for v in (231.37720000000002, 123.4567, 1234567.25, 0.1 + 0.2,
                                       100.0)] == ["231.3772", "123.4567", "1234567.25",
                                                   "0.3", "100"]


def test_missing_conversion_is_reported():
    df = pd.DataFrame({"R": ["12", "5"], "U": ["mmol/L", "g/L"], "T": ["X", "X"],
                       "S": ["g/L", "g/L"]})
    reported = []
    out = derive_standard_numeric_result(
        df, new_var="N", result="R", unit="U", test="T", standard_unit="S", conversions=[],
        report=lambda rows, msg, col: reported.append((list(rows), msg, col)))
    assert [None if pd.isna(v) else v for v in out["N"]] == [None, 5.0]
    assert reported == [([0], "no conversion declared for X from mmol/L to g/L", "U")]


def test_seq_orders_numeric_text_as_numbers():
    df = pd.DataFrame({"USUBJID": ["A"] * 3, "D": ["2021-01-01"] * 3, "SPID": ["10", "2", "1"]})
    out = derive_seq(df, new_var="SEQ", order=["D", "SPID"])
    assert list(out["SEQ"]) == [3, 2, 1]


def test_unknown_visit_name_is_a_defect(tmp_path):
    raw = {"labs.csv": MINI_RAW["labs.csv"].replace("Week 1,2021-03-17", "Wk 1,2021-03-17")}
    folder = folder_with(tmp_path, raw=raw)
    engine = Engine(load_study(folder))
    engine.run()
    hits = [(d.row, d.column, d.value) for d in engine.defects.defects
            if "visit name not in the schedule" in d.message]
    assert hits == [(3, "VISIT", "Wk 1")]


def test_filter_after_stack_keeps_the_reconciliation_balanced(tmp_path):
    domains = edit("lb.yaml", "      drop_empty: ORRES\n",
                   "      drop_empty: ORRES\n  - filter: {column: TEST, equals: PLT}\n")
    engine = Engine(load_study(folder_with(tmp_path, domains)))
    recon = engine.run()["LB"].recon
    # every raw record still has its PLT row: nothing is lost to the filter
    assert recon.filtered == {} and recon.balanced
    assert (recon.raw_records, recon.raw_records_landed, recon.empty) == (5, 3, 1)
