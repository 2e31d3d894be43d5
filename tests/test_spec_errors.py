"""A mistake in a mapping file is an error naming file, line, domain and variable, raised
before any raw data is read."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cdiscflow.errors import SpecError, SpecErrors
from cdiscflow.sdtm.derivations import REGISTRY
from cdiscflow.sdtm.engine import Engine
from cdiscflow.specload import load_study
from tests.conftest import MINI_DOMAINS, MINI_STUDY, write_study

KNOWN = ", ".join(sorted(REGISTRY))


def check(tmp_path, domains=None, study=MINI_STUDY):
    folder = write_study(tmp_path / "s", study=study, domains={**MINI_DOMAINS, **(domains or {})})
    Engine(load_study(folder)).check()


def with_lines(text: str, old: str, new: str) -> str:
    text = textwrap.dedent(text)
    assert old in text
    return text.replace(old, new)


def test_unknown_variable_names_file_domain_variable_and_line(tmp_path):
    ae = with_lines(MINI_DOMAINS["ae.yaml"], "  AETERM: {field: AETERM}",
                    "  AETERM: {field: AETERM}\n  AEFOO: {field: AETERM}")
    with pytest.raises(SpecError) as exc:
        check(tmp_path, {"ae.yaml": ae})
    e = exc.value
    assert (e.domain, e.variable, e.line) == ("AE", "AEFOO", 11)
    assert e.file.endswith("ae.yaml")
    assert "not an SDTMIG variable of AE" in e.message


def test_unknown_source_field(tmp_path):
    ae = with_lines(MINI_DOMAINS["ae.yaml"], "{field: AETERM}", "{field: AETERMX}")
    with pytest.raises(SpecError, match="source field 'AETERMX' is neither a raw column") as exc:
        check(tmp_path, {"ae.yaml": ae})
    assert exc.value.variable == "AETERM"


def test_unknown_derivation_and_parameter(tmp_path):
    ae = with_lines(MINI_DOMAINS["ae.yaml"], "function: seq,", "function: sequence,")
    with pytest.raises(SpecError, match="unknown derivation 'sequence'") as exc:
        check(tmp_path, {"ae.yaml": ae})
    assert exc.value.variable == "AESEQ"
    ae = with_lines(MINI_DOMAINS["ae.yaml"], "order: [AESTDTC]", "order: [AESTDTC], bogus: 1")
    with pytest.raises(SpecError, match="seq has no parameter 'bogus'"):
        check(tmp_path, {"ae.yaml": ae})
    ae = with_lines(MINI_DOMAINS["ae.yaml"], "{function: seq, order: [AESTDTC]}",
                    "{function: seq}")
    with pytest.raises(SpecError, match="needs parameter 'order'"):
        check(tmp_path, {"ae.yaml": ae})


def test_unknown_key_is_rejected_with_its_line(tmp_path):
    ae = with_lines(MINI_DOMAINS["ae.yaml"], "  AETERM: {field: AETERM}",
                    "  AETERM: {field: AETERM, lenght: 20}")
    with pytest.raises(SpecError, match="variables.AETERM.lenght: unknown key") as exc:
        check(tmp_path, {"ae.yaml": ae})
    assert exc.value.line == 10
    assert exc.value.variable == "AETERM"
    assert exc.value.message == "variables.AETERM.lenght: unknown key (did you mean length?)"


def test_a_misspelt_source_key_gets_a_suggestion(tmp_path):
    ae = with_lines(MINI_DOMAINS["ae.yaml"], "  AETERM: {field: AETERM}",
                    "  AETERM: {feild: AETERM}")
    with pytest.raises(SpecError) as exc:
        check(tmp_path, {"ae.yaml": ae})
    assert "unknown key (did you mean field?)" in exc.value.message


def test_required_variables_must_be_mapped(tmp_path):
    ae = with_lines(MINI_DOMAINS["ae.yaml"], "  AEDECOD: {field: AETERM}\n", "")
    with pytest.raises(SpecError, match=r"required \(Req\) SDTMIG variables not mapped: AEDECOD"):
        check(tmp_path, {"ae.yaml": ae})


def test_two_sources_for_one_variable(tmp_path):
    ae = with_lines(MINI_DOMAINS["ae.yaml"], "{field: AETERM}", "{field: AETERM, constant: X}")
    with pytest.raises(SpecError, match="exactly one source"):
        check(tmp_path, {"ae.yaml": ae})


def test_cycle_between_domains_is_rejected(tmp_path):
    # DM's reference date from EX, and EX's USUBJID from a DM variable defined after it
    dm = with_lines(MINI_DOMAINS["dm.yaml"], "  USUBJID: {derive: {function: usubjid, "
                    "parts: [STUDYID, SITEID, SUBJID]}}\n", "")
    dm = dm + "  USUBJID: {derive: {function: usubjid, parts: [STUDYID, SITEID, SUBJID]}}\n"
    with pytest.raises(SpecError, match="cycle"):
        check(tmp_path, {"dm.yaml": dm})


def test_unknown_codelist_and_bad_ct_value(tmp_path):
    dm = with_lines(MINI_DOMAINS["dm.yaml"], "codelist: SEX}", "codelist: SEXX}")
    with pytest.raises(SpecError, match="unknown codelist 'SEXX'"):
        check(tmp_path, {"dm.yaml": dm})
    dm = with_lines(MINI_DOMAINS["dm.yaml"], "codelist: SEX}", "codelist: SEX, values: {W: W}}")
    with pytest.raises(SpecError, match="'W' .* is not a term of the non-extensible codelist SEX"):
        check(tmp_path, {"dm.yaml": dm})


def test_missing_raw_file_is_named(tmp_path):
    study = textwrap.dedent(MINI_STUDY).replace("labs.csv", "labz.csv")
    with pytest.raises(Exception, match="labz.csv: raw file not found"):
        check(tmp_path, study=study)


def test_yaml_is_loaded_safely(tmp_path):
    ae = "domain: !!python/object/apply:os.system ['echo pwned']\n"
    with pytest.raises(SpecError, match="not valid YAML"):
        check(tmp_path, {"ae.yaml": ae})


def test_domain_file_must_match_its_domain(tmp_path):
    ae = with_lines(MINI_DOMAINS["ae.yaml"], "domain: AE", "domain: CM")
    with pytest.raises(SpecError, match="declares domain CM"):
        check(tmp_path, {"ae.yaml": ae})


def test_raw_files_must_stay_inside_the_raw_folder(tmp_path):
    for bad in ("../outside.csv", "/etc/passwd", "~/x.csv"):
        study = textwrap.dedent(MINI_STUDY).replace("{file: labs.csv}", f"{{file: '{bad}'}}")
        with pytest.raises(SpecError, match="must be a path inside the raw folder") as exc:
            check(tmp_path, study=study)
        assert exc.value.line == 7  # the labs form's line


def test_domain_files_must_stay_inside_the_study_folder(tmp_path):
    study = textwrap.dedent(MINI_STUDY).replace("domains: [dm, ex, lb, ae]",
                                                "domains: [dm, ex, lb, ae, ../evil]")
    with pytest.raises(SpecError, match="outside the study folder"):
        check(tmp_path, study=study)


def test_every_mistake_of_every_mapping_file_is_reported_at_once(tmp_path):
    ae = with_lines(MINI_DOMAINS["ae.yaml"], "  AETERM: {field: AETERM}",
                    "  AETERM: {feild: AETERM}")
    ae = with_lines(ae, "  AESER: {ct: {field: AESER, codelist: NY}}",
                    "  AESER: {ct: {field: AESER, codlist: NY}}")
    ex = with_lines(MINI_DOMAINS["ex.yaml"], "  EXTRT: {constant: DRUG}",
                    "  EXTRT: {constant: DRUG, lenght: 9}")
    folder = write_study(tmp_path / "s", domains={**MINI_DOMAINS, "ae.yaml": ae,
                                                   "ex.yaml": ex})
    with pytest.raises(SpecErrors) as exc:
        load_study(folder)
    said = [(Path(e.file).name, e.line, e.variable, e.message) for e in exc.value.errors]
    assert said == [
        ("ex.yaml", 9, "EXTRT", "variables.EXTRT.lenght: unknown key (did you mean length?)"),
        ("ae.yaml", 10, "AETERM", "variables.AETERM.feild: unknown key (did you mean field?)"),
        ("ae.yaml", 12, "AESER",
         "variables.AESER.ct.codlist: unknown key (did you mean codelist?)")]
    assert str(exc.value).splitlines()[0] == "3 mistakes in the mapping files:"


def test_every_mistake_the_engine_finds_is_reported_at_once(tmp_path):
    ae = with_lines(MINI_DOMAINS["ae.yaml"], "  AETERM: {field: AETERM}",
                    "  AETERM: {field: AETERMX}")
    ae = with_lines(ae, "  AESER: {ct: {field: AESER, codelist: NY}}",
                    "  AESER: {ct: {field: AESER, codelist: NYY}}")
    ae = with_lines(ae, "function: seq", "function: sqe")
    with pytest.raises(SpecErrors) as exc:
        check(tmp_path, {"ae.yaml": ae})
    assert [(e.variable, e.message) for e in exc.value.errors] == [
        ("AETERM", "source field 'AETERMX' is neither a raw column nor a variable defined "
                   "above (did you mean AETERM?)"),
        ("AESER", "unknown codelist 'NYY' (did you mean NY?)"),
        ("AESEQ", "unknown derivation 'sqe' (did you mean seq?) (known: " + KNOWN + ")")]
