"""TS from the study file's ts: section, and character lengths from the spec
(submission.length_source: spec), both checked before any data is read."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cdiscflow.cli import main
from cdiscflow.errors import SpecError
from cdiscflow.sdtm.ts import build_ts
from cdiscflow.specload import load_study
from cdiscflow.standards import sdtm_variables
from cdiscflow.xpt import read_xpt
from tests.conftest import MINI_DOMAINS, MINI_RAW, MINI_STUDY, write_study

CLEAN_RAW = {**MINI_RAW,
             "adverse_events.csv": "SUBJID,AESPID,AETERM,AESTDAT,AESER,KEEP\n"
                                   "001,1,headache,12-MAR-2021,N,Y\n",
             "labs.csv": "\n".join(MINI_RAW["labs.csv"].splitlines()[:4] + [""])}
SDTM = Path("m5") / "datasets" / "mini1" / "tabulations" / "sdtm"


def _flat(text: str) -> str:
    """Console output with its line wrapping undone."""
    return " ".join(text.split())


def _study(tmp_path: Path, extra: str, domains: dict[str, str] | None = None,
           study: str = MINI_STUDY) -> Path:
    text = textwrap.dedent(study) + textwrap.dedent(extra)
    return write_study(tmp_path / "s", study=text, domains=domains, raw=CLEAN_RAW)


# --------------------------------------------------------------------------- TS

TS_OK = """\
    ts:
      SSTDTC: 2021-03-01
      TPHASE: PHASE II TRIAL
      TTYPE: [EFFICACY, SAFETY]
      PLANSUB: 40
      AGEMIN: P18Y
      REGID: NCT00000001
      TITLE: A mini trial
    """


def test_ts_rows_from_the_study_file(tmp_path: Path) -> None:
    ts = build_ts(load_study(_study(tmp_path, TS_OK)))
    assert list(ts.columns) == ["STUDYID", "DOMAIN", "TSSEQ", "TSPARMCD", "TSPARM", "TSVAL",
                                "TSVALNF", "TSVALCD", "TSVCDREF", "TSVCDVER"]
    ig = [v.name for v in sdtm_variables("TS")]
    assert [c for c in ig if c in ts.columns] == list(ts.columns)  # IG order
    rows = [tuple(None if pd.isna(v) else v for v in r)
            for r in ts.iloc[:10][["TSPARMCD", "TSSEQ", "TSVAL", "TSVALCD", "TSVCDREF"]]
            .astype(object).itertuples(index=False)]
    assert rows == [
        ("SSTDTC", 1.0, "2021-03-01", None, "ISO 8601"),
        ("TPHASE", 1.0, "PHASE II TRIAL", "C15601", "CDISC CT"),
        ("TTYPE", 1.0, "EFFICACY", "C49666", "CDISC CT"),
        ("TTYPE", 2.0, "SAFETY", "C49667", "CDISC CT"),
        ("PLANSUB", 1.0, "40", None, None),
        ("AGEMIN", 1.0, "P18Y", None, "ISO 8601"),
        ("REGID", 1.0, "NCT00000001", "NCT00000001", "ClinicalTrials.gov"),
        ("TITLE", 1.0, "A mini trial", None, None),
        ("SDTMVER", 1.0, "2.0", None, None),
        ("SDTIGVER", 1.0, "3.4", None, None),
    ]
    assert ts["TSPARM"].tolist()[:2] == ["Study Start Date", "Trial Phase Classification"]
    assert ts["TSVALNF"].iloc[:10].isna().all()
    # the parameters the conformance rules always require that this file leaves out, in the
    # order of standards/data/ts-required, with null flavor NI (no information); INTTYPE and
    # the other parameters required of an interventional study are not, as STYPE is not given
    assert [tuple(r) for r in ts[["TSPARMCD", "TSVALNF"]].iloc[10:].itertuples(index=False)] \
        == [(p, "NI") for p in ["ADDON", "AGEMAX", "LENGTH", "RANDOM", "SEXPOP", "STOPRULE",
                                "TBLIND", "TCNTRL", "OBJPRIM", "SPONSOR", "OUTMSPRI", "FCNTRY",
                                "ADAPT", "DCUTDTC", "DCUTDESC", "NARMS", "STYPE", "SENDTC",
                                "ACTSUB", "HLTSUBJI", "INDIC"]]
    assert ts.iloc[10:]["TSVAL"].isna().all()


def test_ts_interventional_parameters_and_null_flavors(tmp_path: Path) -> None:
    ts = build_ts(load_study(_study(tmp_path, TS_OK.replace(
        "TITLE: A mini trial", "TITLE: A mini trial\n      STYPE: INTERVENTIONAL\n"
        "      HLTSUBJI: \"N\"\n      PCLAS: {TSVALNF: NA}"))))
    given = ts.set_index("TSPARMCD")
    assert given.loc["PCLAS", "TSVALNF"] == "NA" and pd.isna(given.loc["PCLAS", "TSVAL"])
    # an interventional study must also say INTMODEL, INTTYPE, TRT; with HLTSUBJI N, TDIGRP
    for code in ("INTMODEL", "INTTYPE", "TRT", "TDIGRP"):
        assert given.loc[code, "TSVALNF"] == "NI", code
    assert "CURTRT" not in given.index  # only when ADDON is Y


def test_ts_null_flavor_must_be_iso_21090(tmp_path: Path) -> None:
    folder = _study(tmp_path, TS_OK.replace("TITLE: A mini trial",
                                            "TITLE: A mini trial\n      PCLAS: {TSVALNF: NOPE}"))
    with pytest.raises(SpecError, match=r"ts: PCLAS value \{'TSVALNF': 'NOPE'\}: give a value, "
                       r"or \{TSVALNF: CODE\} with an ISO 21090 null flavor \(NI, INV"):
        build_ts(load_study(folder))


@pytest.mark.parametrize("regid, registry", [
    ("NCT00000001", "ClinicalTrials.gov"),
    ("CTR20221330", "chinadrugtrials.org.cn"),
    ("2015-001234-56", "EudraCT"),
    ("ChiCTR2000012345", "ChiCTR"),
])
def test_ts_regid_names_its_registry(tmp_path: Path, regid: str, registry: str) -> None:
    # a trial registered outside ClinicalTrials.gov cites the registry it is registered in
    ts = build_ts(load_study(_study(tmp_path, f'ts: {{SSTDTC: 2021-03-01, REGID: "{regid}"}}\n')))
    row = ts[ts["TSPARMCD"] == "REGID"].iloc[0]
    assert (row["TSVAL"], row["TSVALCD"], row["TSVCDREF"]) == (regid, regid, registry)


@pytest.mark.parametrize("ts, message", [
    ("ts: {SSTDTC: 2021-03-01, NOPE: x}", "ts: NOPE is not a TSPARMCD term of CDISC CT"),
    ("ts: {SSTDTC: 2021-03-01, SEXPOP: ALL}",
     "ts: SEXPOP value 'ALL' is not in CT codelist SEXPOP (C66732)"),
    ("ts: {TITLE: x}", "ts: SSTDTC is required (FDA technical rejection criteria)"),
    ("ts: {SSTDTC: 21-03-2021}", "ts: SSTDTC value '21-03-2021' is not an ISO 8601 date"),
    ("ts: {SSTDTC: 2021-03-01, AGEMAX: 60 years}",
     "ts: AGEMAX value '60 years' is not an ISO 8601 duration (e.g. P18Y)"),
    ("ts: {SSTDTC: 2021-03-01, REGID: 12345}",
     "ts: REGID value '12345' is not a ClinicalTrials.gov number"),
    ("ts: {SSTDTC: 2021-03-01, RANDOM: true}", "ts: RANDOM value True is a YAML boolean"),
    ("ts: {SSTDTC: 2021-03-01, TRT: []}", "ts: TRT has no value"),
])
def test_ts_errors_name_the_study_file_and_parameter(tmp_path: Path, ts: str,
                                                     message: str) -> None:
    folder = _study(tmp_path, ts + "\n")
    with pytest.raises(SpecError) as err:
        build_ts(load_study(folder))
    assert message in str(err.value)
    assert str(folder / "study.yaml") in str(err.value)
    # the command line refuses it before reading any data, and writes nothing
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and message in _flat(result.output)
    assert not (tmp_path / "o").exists()


def test_a_study_without_ts_writes_no_ts(tmp_path: Path) -> None:
    folder = _study(tmp_path, "")
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "o" / SDTM / "ts.xpt").exists()
    # ... which the package check reports
    check = CliRunner().invoke(main, ["check-package", str(tmp_path / "o"), "--quiet"])
    assert check.exit_code == 1
    assert f"FAIL TS present: {tmp_path / 'o' / SDTM} (no ts.xpt)" in check.output


# --------------------------------------------------------------------------- spec lengths

SPEC_LENGTHS = "submission: {length_source: spec}\n"
DM_EX_ONLY = MINI_STUDY.replace("domains: [dm, ex, lb, ae]", "domains: [dm, ex]")


def _with_lengths(text: str, domain: str, lengths: dict[str, int], default: int) -> str:
    """Add `length:` to every one-line character variable of a mapping file."""
    chars = {v.name for v in sdtm_variables(domain) if v.type == "Char"}

    def add(m: re.Match[str]) -> str:
        name = m["name"]
        if name not in chars:
            return m[0]
        return f"{m['indent']}{name}: {{{m['body']}, length: {lengths.get(name, default)}}}"

    return re.sub(r"(?m)^(?P<indent> +)(?P<name>[A-Z][A-Z0-9]*): \{(?P<body>.*)\}$", add, text)


def _domains(lengths: dict[str, int], default: int = 20) -> dict[str, str]:
    return {"dm.yaml": _with_lengths(MINI_DOMAINS["dm.yaml"], "DM", lengths, default),
            "ex.yaml": _with_lengths(MINI_DOMAINS["ex.yaml"], "EX", lengths, default)}


def test_spec_lengths_are_written(tmp_path: Path) -> None:
    folder = _study(tmp_path, SPEC_LENGTHS, _domains({"SEX": 1, "USUBJID": 12}),
                    study=DM_EX_ONLY)
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    _, meta = read_xpt(tmp_path / "o" / SDTM / "dm.xpt")
    chars = {n: w for n, w in meta["lengths"].items() if meta["types"][n] == "Char"}
    # the SDTMIG Expected variables this mapping leaves out are written empty, 1 byte long
    unmapped = ["RFENDTC", "RFXENDTC", "RFPENDTC", "DTHDTC", "DTHFL", "AGEU", "RACE",
                "ACTARMCD", "ACTARM", "ARMNRS", "ACTARMUD"]
    assert chars == {"STUDYID": 20, "DOMAIN": 20, "USUBJID": 12, "SUBJID": 20, "RFSTDTC": 20,
                     "RFXSTDTC": 20, "RFICDTC": 20, "SITEID": 20, "BRTHDTC": 20, "SEX": 1,
                     "ARMCD": 20, "ARM": 20, "COUNTRY": 20, **dict.fromkeys(unmapped, 1)}
    define = (tmp_path / "o" / SDTM / "define.xml").read_text()
    assert ('<ItemDef OID="IT.DM.SEX" Name="SEX" DataType="text" Length="1" '
            'SASFieldName="SEX">') in define


def test_data_lengths_by_default(tmp_path: Path) -> None:
    folder = _study(tmp_path, "", _domains({}), study=DM_EX_ONLY)  # lengths declared, unused
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    _, meta = read_xpt(tmp_path / "o" / SDTM / "dm.xpt")
    assert meta["lengths"]["USUBJID"] == len("MINI1-01-001") and meta["lengths"]["SEX"] == 1


def test_spec_length_missing_is_a_spec_error(tmp_path: Path) -> None:
    domains = _domains({})
    domains["dm.yaml"] = domains["dm.yaml"].replace("codelist: SEX}, length: 20}",
                                                    "codelist: SEX}}")
    folder = _study(tmp_path, SPEC_LENGTHS, domains, study=DM_EX_ONLY)
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert ("dm.yaml:11, domain DM, variable SEX: submission.length_source is spec, but SEX "
            "declare(s) no length:") in _flat(result.output)
    assert "dm.yaml" in result.output
    assert not (tmp_path / "o").exists()


def test_value_longer_than_spec_length_names_dataset_variable_row_value(tmp_path: Path) -> None:
    folder = _study(tmp_path, SPEC_LENGTHS, _domains({"USUBJID": 8}), study=DM_EX_ONLY)
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert ("DM.USUBJID row 0: value is longer than length 8 (value 'MINI1-01-001'); it comes "
            "from demographics.csv line 2") in _flat(result.output)
    assert not (tmp_path / "o").exists()  # nothing is published


def test_length_out_of_range_is_refused(tmp_path: Path) -> None:
    domains = _domains({"SEX": 201})
    folder = _study(tmp_path, SPEC_LENGTHS, domains, study=DM_EX_ONLY)
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert ("variables.SEX.length: Input should be less than or equal to 200"
            in _flat(result.output))


def test_max_xpt_bytes_splits_the_example_like_datasets(tmp_path: Path) -> None:
    # DM, with every SDTMIG Expected variable, has headers of 4240 bytes and files of 4400
    # bytes with one record and 4480 with two, so 4400 bytes hold one DM record per file; TS
    # (31 records with the required parameters, 5840 bytes) 18 per file; AE (4160), EX and LB
    # (4320) fit whole
    folder = _study(tmp_path, "submission: {max_xpt_bytes: 4400}\n" + textwrap.dedent(TS_OK))
    result = CliRunner().invoke(main, ["run", str(folder), "--out", str(tmp_path / "o"),
                                       "--format", "xpt,json"])
    assert result.exit_code == 0, result.output
    sdtm = tmp_path / "o" / SDTM
    files = sorted(p.name for p in sdtm.glob("*.xpt"))
    assert files == ["ae.xpt", "dm1.xpt", "dm2.xpt", "ex.xpt", "lb.xpt", "ts1.xpt", "ts2.xpt"]
    assert sorted(p.name for p in sdtm.glob("*.json")) == [f.replace(".xpt", ".json")
                                                            for f in files]
    for path in sdtm.glob("*.xpt"):
        assert path.stat().st_size <= 4400
        _, meta = read_xpt(path)
        assert meta["dataset"].lower() == path.stem
    define = (sdtm / "define.xml").read_text()
    assert '<ItemGroupDef OID="IG.DM1" Domain="DM" Name="DM1"' in define
    assert "Demographics (part 1 of 2)" in define
    assert "dm1.xpt (records 1-1), dm2.xpt (records 2-2)" in define
    assert define.count('<ItemDef OID="IT.DM.USUBJID"') == 1  # the parts share the ItemDefs
    assert [len(read_xpt(sdtm / f"dm{i}.xpt")[0]) for i in (1, 2)] == [1, 1]
    ts = [read_xpt(sdtm / f"ts{i}.xpt")[0] for i in (1, 2)]
    assert [len(t) for t in ts] == [18, 13]
    assert "SSTDTC" in ts[0]["TSPARMCD"].tolist()
    check = CliRunner().invoke(main, ["check-package", str(tmp_path / "o"), "--quiet"])
    assert check.exit_code == 0, check.output
