"""Bad raw input, faults and untrusted specs: named errors, nothing lost, nothing half-written."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cdiscflow import pipeline
from cdiscflow.cli import main
from cdiscflow.errors import RawDataError, SpecError
from cdiscflow.publish import sha256
from cdiscflow.raw import read_form, read_header
from cdiscflow.sdtm.engine import Engine
from cdiscflow.specload import load_study
from cdiscflow.xpt import read_xpt
from tests.conftest import MINI_DOMAINS, MINI_RAW, write_study


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ---- encodings, shape, emptiness --------------------------------------------------------------

def test_undeclared_latin1_is_reported_with_its_line(tmp_path):
    f = write(tmp_path / "f.csv", "A,B\n1,x\n2,caf\xe9\n".encode("latin-1"))
    with pytest.raises(RawDataError, match=r"f.csv:3: byte\(s\) e9 are not valid utf-8"):
        read_form(f)
    frame = read_form(f, "latin-1")
    assert list(frame["B"]) == ["x", "café"]


def test_bom_must_be_declared(tmp_path):
    f = write(tmp_path / "f.csv", b"\xef\xbb\xbfA,B\n1,2\n")
    with pytest.raises(RawDataError, match="byte-order mark .* declare encoding: utf-8-sig"):
        read_form(f)
    frame = read_form(f, "utf-8-sig")
    assert list(frame.columns[:2]) == ["A", "B"] and list(frame["A"]) == ["1"]


def test_gb18030_read_when_declared(tmp_path):
    f = write(tmp_path / "f.csv", "SUBJID,AETERM\n001,头痛发热\n".encode("gb18030"))
    with pytest.raises(RawDataError, match="not valid utf-8"):
        read_form(f)
    assert list(read_form(f, "gb18030")["AETERM"]) == ["头痛发热"]


def test_unknown_encoding_is_named(tmp_path):
    f = write(tmp_path / "f.csv", b"A\n1\n")
    with pytest.raises(RawDataError, match="unknown encoding 'klingon'"):
        read_form(f, "klingon")


def test_ragged_rows_are_listed_by_line(tmp_path):
    f = write(tmp_path / "f.csv", b"A,B\n1,2\n3\n4,5\n6,7,8\n")
    with pytest.raises(RawDataError) as exc:
        read_form(f)
    assert str(exc.value).endswith("expected 2 fields per row (the header's): line 3 has 1 "
                                   "fields; line 5 has 3 fields")


@pytest.mark.parametrize("data", [b"", b"\n\n  \n"])
def test_empty_file(tmp_path, data):
    f = write(tmp_path / "f.csv", data)
    with pytest.raises(RawDataError, match="the file is empty"):
        read_form(f)


def test_header_only_file_has_no_records(tmp_path):
    frame = read_form(write(tmp_path / "f.csv", b"A,B\n"))
    assert len(frame) == 0 and list(frame.columns[:2]) == ["A", "B"]


def test_duplicate_and_blank_column_names(tmp_path):
    with pytest.raises(RawDataError, match="column name\\(s\\) A appear more than once"):
        read_header(write(tmp_path / "f.csv", b"A,B,A\n1,2,3\n"))
    with pytest.raises(RawDataError, match="column 2 has no name"):
        read_header(write(tmp_path / "g.csv", b"A,,C\n1,2,3\n"))


def test_values_are_never_converted(tmp_path):
    frame = read_form(write(tmp_path / "f.csv", b"ID,V\n007,<5\n010, 1e3 \n"))
    assert list(frame["ID"]) == ["007", "010"]
    assert list(frame["V"]) == ["<5", "1e3"]


# ---- defects in values ------------------------------------------------------------------------

def run_engine(folder: Path):
    engine = Engine(load_study(folder))
    return engine, engine.run()


def test_missing_column_needed_by_the_mapping_is_named_before_reading(tmp_path):
    raw = dict(MINI_RAW)
    raw["exposure.csv"] = raw["exposure.csv"].replace("EXDOSE", "EXDOSX")
    folder = write_study(tmp_path / "s", raw=raw)
    with pytest.raises(SpecError) as exc:
        Engine(load_study(folder)).check()
    assert (exc.value.domain, exc.value.variable) == ("EX", "EXDOSE")
    assert "'EXDOSE' is neither a raw column" in exc.value.message


def test_numbers_read_per_distinct_value_name_each_bad_record(tmp_path):
    # 1,200 exposure records (the per-distinct path): "one" and "Infinity" are each reported
    # on every record holding them, with the line of that record, and blank in EXDOSE
    doses = ["0.5", "1.0", "one", "2.5", "Infinity", "0.5"]
    lines = ["SUBJID,INFNUM,EXSTDAT,EXSTTIM,EXDOSE"]
    for i in range(1200):
        lines.append(f"00{1 + i % 2},{i + 1},2021-03-10,09:00,{doses[i % 6]}")
    raw = dict(MINI_RAW)
    raw["exposure.csv"] = "\n".join(lines) + "\n"
    engine, results = run_engine(write_study(tmp_path / "s", raw=raw))
    bad = sorted((d.row, d.value, d.message) for d in engine.defects.defects
                 if d.file == "exposure.csv" and d.column == "EXDOSE")
    # record i sits on line i + 2; "one" on records 2, 8, ... and "Infinity" on 4, 10, ...
    assert len(bad) == 400
    assert bad[:2] == [(4, "one", "EXDOSE: expected a number"),
                       (6, "Infinity", "EXDOSE: expected a finite number (no dataset holds "
                                       "infinity or NaN)")]
    ex = results["EX"].data
    assert ex["EXDOSE"].dtype == "Float64"
    assert int(ex["EXDOSE"].isna().sum()) == 400
    assert ex["EXDOSE"].sum() == 200 * (0.5 + 1.0 + 2.5 + 0.5)


def test_text_in_numeric_field_duplicate_keys_and_partial_required_date(tmp_path):
    raw = dict(MINI_RAW)
    raw["exposure.csv"] = textwrap.dedent(MINI_RAW["exposure.csv"]).replace(
        "002,1,2021-03-12,10:00,1.0", "002,1,2021-03-12,10:00,one\n002,1,2021-03-13,10:00,1.0")
    domains = dict(MINI_DOMAINS)
    domains["dm.yaml"] = MINI_DOMAINS["dm.yaml"].replace(
        "format: DD/MM/YYYY}}\n          SEX",
        "format: DD/MM/YYYY, complete: true}}\n          SEX")
    raw["demographics.csv"] = MINI_RAW["demographics.csv"].replace("20/01/1990", "UNK/01/1990")
    engine, results = run_engine(write_study(tmp_path / "s", raw=raw, domains=domains))
    found = {(d.file, d.row, d.column, d.value, d.message) for d in engine.defects.defects}
    assert ("exposure.csv", 4, "EXDOSE", "one", "EXDOSE: expected a number") in found
    dup = [d for d in engine.defects.defects if "duplicate key" in d.message]
    assert [(d.row, d.value) for d in dup] == [(4, "002/1"), (5, "002/1")]
    partial = [d for d in engine.defects.defects if d.column == "BRTHDAT"]
    assert [(d.row, d.value, d.message) for d in partial] == [
        (3, "UNK/01/1990", "BRTHDTC: a complete date is required, got the partial date 1990-01")]
    assert results["DM"].data["BRTHDTC"].isna().tolist() == [False, True]


# ---- atomic output, manifest, paths -----------------------------------------------------------

def clean_study(tmp_path: Path) -> Path:
    raw = dict(MINI_RAW)
    raw["adverse_events.csv"] = ("SUBJID,AESPID,AETERM,AESTDAT,AESER,KEEP\n"
                                 "001,1,headache,12-MAR-2021,N,Y\n")
    raw["labs.csv"] = "\n".join(MINI_RAW["labs.csv"].splitlines()[:4] + [""])
    # a dose with its unit: validation (CG0114) finds an EXDOSE without EXDOSU
    domains = dict(MINI_DOMAINS)
    domains["ex.yaml"] = domains["ex.yaml"].replace(
        "EXDOSE: {field: EXDOSE}\n",
        "EXDOSE: {field: EXDOSE}\n          EXDOSU: {constant: mg}\n")
    return write_study(tmp_path / "s", raw=raw, domains=domains)


def test_interrupted_run_leaves_previous_output_intact(tmp_path, monkeypatch):
    study = clean_study(tmp_path)
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["run", str(study), "--out", str(out)]).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "write_manifest", boom)
    (study / "raw" / "exposure.csv").write_text("SUBJID,INFNUM,EXSTDAT,EXSTTIM,EXDOSE\n"
                                                "001,1,2021-03-11,09:00,0.5\n")
    with pytest.raises(KeyboardInterrupt):
        pipeline.run_study(study, None, out)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []


def test_manifest_hashes_every_output_and_input(tmp_path):
    study = clean_study(tmp_path)
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["run", str(study), "--out", str(out)]).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    outputs = {p.relative_to(out).as_posix() for p in out.rglob("*")
               if p.is_file() and p.name != "manifest.json"}
    assert set(manifest["outputs"]) == outputs
    for name, digest in manifest["outputs"].items():
        assert sha256(out / name) == digest
    assert set(manifest["inputs"]["raw"]) == {"demographics.csv", "exposure.csv", "labs.csv",
                                              "adverse_events.csv"}
    assert manifest["inputs"]["spec"]["study.yaml"] == sha256(study / "study.yaml")


def test_output_through_a_symlink_is_refused(tmp_path):
    study = clean_study(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(elsewhere, out / "m5")  # the top folder of the default (eCTD m5) layout
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(out)])
    assert result.exit_code == 2
    assert "is a symbolic link; refusing to replace it" in result.output
    assert list(elsewhere.iterdir()) == []


def test_non_ascii_values_are_one_defect_each_and_the_run_goes_on(tmp_path):
    raw = dict(MINI_RAW)
    raw["adverse_events.csv"] = ("SUBJID,AESPID,AETERM,AESTDAT,AESER,KEEP\n"
                                 "001,1,headache,12-MAR-2021,N,Y\n"
                                 "002,1,céphalée,13-MAR-2021,N,Y\n"
                                 "002,2,naus\u00e9e \u2013 mild,14-MAR-2021,N,Y\n")
    raw["labs.csv"] = "\n".join(MINI_RAW["labs.csv"].splitlines()[:4] + [""])
    study = write_study(tmp_path / "s", raw=raw)
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(out)])
    assert result.exit_code == 3  # data defects: everything written, the defects listed
    lines = [line for line in result.output.splitlines() if "not ASCII" in line]
    # AETERM and AEDECOD both read the raw AETERM: each value of each is one defect
    expected = [(line, variable, record, value, spelled)
                for variable in ("AETERM", "AEDECOD")
                for line, record, value, spelled in ((3, 2, "céphalée", "cephalee"),
                                                     (4, 3, "nausée – mild", "nausee - mild"))]
    assert lines == [
        f"ERROR [AE] adverse_events.csv:{line} AETERM value {value!r}: not ASCII, which SAS "
        f"XPORT v5 cannot hold (AE.{variable} record {record}); written as {spelled!r}, a "
        f"suggested ASCII spelling: correct the raw value or map it"
        for line, variable, record, value, spelled in expected]
    defects = pd.read_csv(out / "report" / "defects.csv", dtype=str, keep_default_na=False)
    ascii_rows = defects[defects["message"].str.startswith("not ASCII")]
    assert ascii_rows[["file", "row", "column", "value"]].values.tolist() == [
        ["adverse_events.csv", str(line), "AETERM", value] for line, _, _, value, _ in expected]
    ae, _ = read_xpt(next(out.rglob("ae.xpt")))
    assert ae["AETERM"].tolist() == ["headache", "cephalee", "nausee - mild"]


def test_strict_fails_on_warnings(tmp_path):
    study = clean_study(tmp_path)
    # a sample time without its date: kept out of LBDTC and reported as a warning
    labs = "SUBJID,VISIT,LBDAT,LBTIM,PLT,PLT_U,HGB,HGB_U\n001,Day 1,,08:00,20,10^9/L,,\n"
    (study / "raw" / "labs.csv").write_text(labs)
    ok = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "o")])
    assert ok.exit_code == 0, ok.output
    assert ("WARNING [LB] labs.csv:2 LBTIM value '08:00': LBDTC: a time was collected without "
            "a date") in ok.output
    strict = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "o"),
                                       "--strict"])
    assert strict.exit_code == 3
    assert "1 error(s) and warning(s) in the raw data" in strict.output
    fail_on = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "o"),
                                        "--fail-on", "warning"])
    assert fail_on.exit_code == 3
    assert "1 error(s) and warning(s) in the raw data" in fail_on.output
    lb_out = pd.read_csv(tmp_path / "o" / "report" / "lineage" / "lb.csv")
    assert len(lb_out) == 1


def test_lone_carriage_return_in_the_header_is_a_named_error(tmp_path: Path) -> None:
    # found by the raw-file fuzzing: csv refuses a bare CR inside the first (LF-ended) line
    from cdiscflow.errors import RawDataError
    from cdiscflow.raw import read_form

    path = tmp_path / "cr.csv"
    path.write_bytes(b"\r\xc2\x80")
    with pytest.raises(RawDataError, match=r"cr\.csv:1: the header row"):
        read_form(path)
