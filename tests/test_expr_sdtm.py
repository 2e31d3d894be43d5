"""The expression language in SDTM mapping files: `expr:` values, text `where:` and `filter:`,
errors on load with file, line, variable and position, defects naming the raw row, and
define.xml methods with the expression as FormalExpression."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from cdiscflow.errors import SpecError
from cdiscflow.pipeline import run_study
from cdiscflow.sdtm.engine import Engine
from cdiscflow.specload import load_study
from tests.conftest import write_study

STUDY = """\
    study: {studyid: EXP1, created: 2024-01-01T00:00:00}
    raw:
      dir: raw
      forms:
        demog: {file: demog.csv, keys: [PATNUM]}
        meds: {file: meds.csv}
    domains: [dm, cm]
    """

RAW = {
    "demog.csv": """\
        PATNUM,SEX,WT_LB,HT_CM,ICDAT
        1,F,154,165,2023-01-10
        2,M,,180,2023-02-01
        3,M,200.5,175,2023-03-05
        """,
    "meds.csv": """\
        PATNUM,CMTRT,DOS,MODIFY,MDRAW,KEEP
        1,aspirin,100,ASPIRIN,aspirin,Y
        1,paracetamol,see notes,PARACETAMOL,PARACETAMOL,Y
        2,ibuprofen,abc,,ibuprofen,Y
        3,vitamin c,250,,vitamin c,N
        """,
}

DM = """\
    domain: DM
    source: demog
    variables:
      STUDYID: {constant: EXP1}
      DOMAIN: {constant: DM}
      SUBJID: {field: PATNUM}
      SITEID: {constant: "01"}
      USUBJID: {expr: "concat('EXP1-', PATNUM)"}
      SEX: {ct: {field: SEX, codelist: SEX}}
      ARMCD: {constant: A}
      ARM: {constant: Arm A}
      COUNTRY: {constant: CHN}
      RFICDTC: {date: {date: ICDAT}}
      WEIGHT: {expr: "round(to_number(WT_LB) * 0.45359237, 1)", type: Num,
               supp: {qlabel: Weight (kg)}}
      BMI: {expr: "round(WEIGHT / (to_number(HT_CM) / 100) ** 2, 1)", type: Num,
            supp: {qlabel: Body mass index}}
    """

CM = """\
    domain: CM
    source: meds
    steps:
      - filter: "KEEP = 'Y'"
      - join: {domain: DM, on: {PATNUM: SUBJID}, columns: [USUBJID], required: true}
    variables:
      STUDYID: {constant: EXP1}
      DOMAIN: {constant: CM}
      USUBJID: {field: USUBJID}
      CMTRT: {expr: "upper(CMTRT)"}
      CMDOSE: {expr: "to_number(DOS)", where: "is_numeric(DOS)"}
      CMDOSTXT: {field: DOS, where: "not is_numeric(DOS)"}
      CMMODIFY: {field: MODIFY, where: "MODIFY != MDRAW"}
      CMSEQ: {derive: {function: seq, order: [CMTRT]}}
    """


def _study(tmp_path: Path, dm: str = DM, cm: str = CM) -> Path:
    return write_study(tmp_path / "s", STUDY, {"dm.yaml": dm, "cm.yaml": cm}, RAW)


def _col(frame: pd.DataFrame, name: str) -> list:
    return [None if pd.isna(v) else v for v in frame[name]]


def test_expr_values_where_and_filter(tmp_path):
    engine = Engine(load_study(_study(tmp_path)))
    results = engine.run()
    cm = results["CM"].data
    assert _col(cm, "USUBJID") == ["EXP1-1", "EXP1-1", "EXP1-2"]
    assert _col(cm, "CMTRT") == ["ASPIRIN", "PARACETAMOL", "IBUPROFEN"]
    assert _col(cm, "CMDOSE") == [100.0, None, None]
    assert _col(cm, "CMDOSTXT") == [None, "see notes", "abc"]
    # MODIFY differs from the collected text only for aspirin; a blank MODIFY is "different"
    # by the blank rule but its value is blank anyway
    assert _col(cm, "CMMODIFY") == ["ASPIRIN", None, None]
    assert results["CM"].recon.filtered == {"KEEP = 'Y'": 1}
    supp = results["DM"].supp
    assert supp[["USUBJID", "QNAM", "QVAL"]].values.tolist() == [
        ["EXP1-1", "WEIGHT", "69.9"], ["EXP1-1", "BMI", "25.7"],
        ["EXP1-3", "WEIGHT", "90.9"], ["EXP1-3", "BMI", "29.7"]]
    # to_number outside `where: is_numeric(DOS)` is no defect
    assert [str(d) for d in engine.defects.defects] == []


def test_to_number_of_text_is_a_defect_naming_the_raw_row(tmp_path):
    cm = CM.replace('CMDOSE: {expr: "to_number(DOS)", where: "is_numeric(DOS)"}',
                    'CMDOSE: {expr: "to_number(DOS)"}')
    engine = Engine(load_study(_study(tmp_path, cm=cm)))
    engine.run()
    assert [(d.severity, d.file, d.row, d.column, d.value, d.message)
            for d in engine.defects.defects] == [
        ("error", "meds.csv", 3, "DOS", "see notes", "CMDOSE: expected a number"),
        ("error", "meds.csv", 4, "DOS", "abc", "CMDOSE: expected a number")]


@pytest.mark.parametrize("line, message", [
    ('CMTRT: {expr: "upper(CMTRTT)"}',
     "variable CMTRT: expr: 'CMTRTT' is not a column here (did you mean CMTRT?) at position 7"),
    ('CMTRT: {expr: "uppr(CMTRT)"}',
     "variable CMTRT: expr: unknown function 'uppr' (did you mean upper?) at position 1"),
    ('CMTRT: {expr: "upper(CMTRT"}', "expected ',' or ')' in the call of upper"),
    ('CMDOSE: {expr: "DOS"}', "variable CMDOSE: expr gives text, but CMDOSE is Num; convert it "
                              "with to_number(...)"),
    ('CMDOSE: {expr: "to_number(DOS)", where: "DOS"}',
     "variable CMDOSE: where: 'DOS' gives text, not a condition"),
    ('CMDOSE: {expr: "to_number(DOS) + CMTRT"}', "'+' takes number, got text"),
])
def test_expression_mistakes_name_file_line_variable_and_position(tmp_path, line, message):
    key = line.split(":")[0]
    cm = "\n".join(("      " + line) if raw.strip().startswith(key + ":") else raw
                   for raw in CM.splitlines())
    study = _study(tmp_path, cm=cm)
    with pytest.raises(SpecError) as err:
        Engine(load_study(study)).check()
    text = str(err.value)
    assert text.startswith(f"{study / 'cm.yaml'}:")
    assert message in text


def test_a_filter_mistake_is_caught_on_load(tmp_path):
    study = _study(tmp_path, cm=CM.replace("""- filter: "KEEP = 'Y'\"""",
                                           """- filter: "KEEP = 'Y' and\""""))
    with pytest.raises(SpecError) as err:
        load_study(study)
    assert err.value.line == 4
    assert "expected a value, name or '(', found 'the end of the expression' at position 15" \
        in str(err.value)


def test_define_xml_has_the_expression_in_words_and_as_formal_expression(tmp_path):
    out = tmp_path / "out"
    run_study(_study(tmp_path), None, out, layout="flat", with_adam=False)
    tree = etree.parse(str(out / "sdtm" / "define.xml"))
    ns = {"o": "http://www.cdisc.org/ns/odm/v1.3"}
    method = tree.find(".//o:MethodDef[@OID='MT.CM.CMTRT']", ns)
    assert method.findtext("o:Description/o:TranslatedText", namespaces=ns) == \
        "CMTRT in upper case."
    formal = method.find("o:FormalExpression", ns)
    assert (formal.get("Context"), formal.text) == (
        "cdiscflow expression language (docs/mapping-language.md)", "upper(CMTRT)")
    dose = tree.find(".//o:MethodDef[@OID='MT.CM.CMDOSE']", ns)
    assert dose.findtext("o:Description/o:TranslatedText", namespaces=ns) == \
        "DOS as a number. Kept only where DOS is a number; blank elsewhere."


def test_a_forms_missing_tokens_are_blanks(tmp_path):
    study = _study(tmp_path)
    raw = study / "raw" / "meds.csv"
    raw.write_text(raw.read_text().replace("2,ibuprofen,abc,", "2,ibuprofen,ND,")
                   .replace("1,aspirin,100,ASPIRIN", "1,aspirin,NA,ASPIRIN"))
    text = (study / "study.yaml").read_text().replace(
        "meds: {file: meds.csv}", "meds: {file: meds.csv, missing: [NA, ND]}")
    (study / "study.yaml").write_text(text)
    engine = Engine(load_study(study))
    cm = engine.run()["CM"].data
    assert _col(cm, "CMDOSTXT") == [None, "see notes", None]
    assert _col(cm, "CMDOSE") == [None, None, None]
    assert engine.defects.defects == []


def test_race_multiple_is_accepted_as_sdtmig_prescribes(tmp_path):
    study = _study(tmp_path)
    raw = study / "raw" / "demog.csv"
    raw.write_text(raw.read_text().replace("PATNUM,SEX,", "PATNUM,RACE,SEX,")
                   .replace("1,F,", "1,Multiple,F,").replace("2,M,", "2,Asian,M,")
                   .replace("3,M,", "3,Martian,M,"))
    dm = DM.replace("      SEX: {ct: {field: SEX, codelist: SEX}}",
                    "      SEX: {ct: {field: SEX, codelist: SEX}}\n"
                    "      RACE: {ct: {field: RACE, codelist: RACE}, where: \"RACE != 'Martian'\"}")
    (study / "dm.yaml").write_text(textwrap.dedent(dm))
    engine = Engine(load_study(study))
    data = engine.run()["DM"].data
    assert _col(data, "RACE") == ["MULTIPLE", "ASIAN", None]
    # the record the where: condition excludes is neither mapped nor checked against CT
    assert engine.defects.defects == []


@pytest.mark.parametrize("line, message", [
    ("      SEX: {constant: FEMALE}",
     "constant 'FEMALE' is not a term of the non-extensible codelist SEX (C66731)"),
    ("      SEX: {map: {field: SEX, values: {F: F, M: MM}}}",
     "map value 'MM' is not a term of the non-extensible codelist SEX (C66731) "
     "(did you mean M?)"),
])
def test_an_assigned_term_outside_a_non_extensible_codelist_is_a_spec_error(
        tmp_path, line, message):
    dm = DM.replace("      SEX: {ct: {field: SEX, codelist: SEX}}", line)
    study = write_study(tmp_path / "s", STUDY, {"dm.yaml": dm, "cm.yaml": CM}, RAW)
    with pytest.raises(SpecError) as err:
        Engine(load_study(study)).check()
    assert err.value.variable == "SEX"
    assert message in err.value.message


def test_a_study_day_not_from_dm_rfstdtc_is_a_spec_warning(tmp_path):
    cm = CM.rstrip(" ") + ("      CMSTDY: {derive: {function: study_day, dtc: CMSTDTC, "
                           "ref: DM.RFICDTC}}\n")
    cm = cm.replace("      CMSEQ:", "      CMSTDTC: {constant: null}\n      CMSEQ:")
    study = write_study(tmp_path / "s", STUDY, {"dm.yaml": DM, "cm.yaml": cm}, RAW)
    engine = Engine(load_study(study))
    engine.run()
    assert [str(d) for d in engine.defects.warnings] == [
        "WARNING [CM] cm.yaml:16 CMSTDY: CMSTDY: study_day: the study day counts from "
        "DM.RFICDTC, not DM.RFSTDTC, the reference SDTMIG defines --DY against"]
