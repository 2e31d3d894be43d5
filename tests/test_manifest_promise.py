"""The manifest is a promise (reliability issue, section 5): check-package verifies every file
of OUT against manifest.json (SHA-256, none missing, none extra) and names each mismatch;
validate warns when a manifest above the datasets does not match them; a run by relative path,
absolute path or symbolic link writes byte-identical files."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner
from conftest import write_study

from cdiscflow.cli import main
from cdiscflow.publish import sha256

SDTM = Path("m5/datasets/mini1/tabulations/sdtm")


def _run(study: str | Path, out: str | Path) -> None:
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(out), "--no-adam"])
    assert result.exit_code == 3, result.output  # the small study's deliberate defects


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _check(out: Path) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["check-package", str(out)])
    return result.exit_code, [line for line in result.output.splitlines()
                              if "manifest.json" in line]


def test_an_untouched_package_matches_its_manifest(tmp_path):
    _run(write_study(tmp_path / "s"), tmp_path / "o")
    _, lines = _check(tmp_path / "o")
    files = len(_files(tmp_path / "o")) - 1  # all but the manifest itself
    assert lines == [f"ok   files match manifest.json: {tmp_path / 'o'} ({files} files, "
                     f"SHA-256 each)"]


def test_each_changed_missing_and_extra_file_is_named(tmp_path):
    out = tmp_path / "o"
    _run(write_study(tmp_path / "s"), out)
    ae = out / SDTM / "ae.xpt"
    listed_ae = sha256(ae)
    # a change that keeps the file a readable AE (its label), so only the manifest tells
    ae.write_bytes(ae.read_bytes().replace(b"Adverse Events", b"Adverse Eventz", 1))
    (out / "report" / "lineage" / "lb.csv").unlink()
    (out / "m5" / "notes.txt").write_text("mine")
    os.mkfifo(out / "report" / "pipe")  # never opened: it would wait for a writer
    code, lines = _check(out)
    assert code == 1
    assert lines == [
        f"FAIL file matches manifest.json: {ae} (SHA-256 {sha256(ae)[:16]}... differs from "
        f"manifest.json's {listed_ae[:16]}...)",
        f"FAIL file matches manifest.json: {out / 'm5' / 'notes.txt'} (not listed in "
        f"manifest.json: not written by the run)",
        f"FAIL file matches manifest.json: {out / 'report' / 'lineage' / 'lb.csv'} (listed in "
        f"manifest.json but missing)",
        f"FAIL file matches manifest.json: {out / 'report' / 'pipe'} (not listed in "
        f"manifest.json: not written by the run)",
    ]


def test_a_cdiscflow_package_without_its_manifest_fails(tmp_path):
    out = tmp_path / "o"
    _run(write_study(tmp_path / "s"), out)
    (out / "manifest.json").unlink()
    code, lines = _check(out)
    assert code == 1
    assert lines == [f"FAIL manifest.json present: {out} (missing, though report/run.json "
                     f"says cdiscflow wrote this folder)"]


def _reports(tmp_path):
    # the reports in the test's folder, not validate's default ./validation-report
    return ["--report-dir", str(tmp_path / "reports")]


def test_validate_warns_when_the_manifest_above_does_not_match(tmp_path):
    out = tmp_path / "o"
    _run(write_study(tmp_path / "s"), out)
    folder = out / SDTM
    clean = CliRunner().invoke(main, ["validate", str(folder), *_reports(tmp_path)])
    assert "warning:" not in clean.stderr
    listed = sha256(folder / "ex.xpt")
    (folder / "ex.xpt").write_bytes((folder / "ex.xpt").read_bytes()[:-80])
    (folder / "xx.xpt").write_bytes((folder / "ae.xpt").read_bytes())
    (folder / "ae.xpt").unlink()  # two files holding one dataset would be an error of its own
    result = CliRunner().invoke(main, ["validate", str(folder), *_reports(tmp_path)])
    said = " ".join(result.stderr.split())
    root = out.resolve()
    assert (f"warning: {root / SDTM / 'ex.xpt'}: SHA-256 {sha256(folder / 'ex.xpt')[:16]}... "
            f"differs from manifest.json's {listed[:16]}... ({root / 'manifest.json'})") in said
    assert (f"warning: {root / SDTM / 'xx.xpt'}: not listed in manifest.json: not written by "
            f"the run ({root / 'manifest.json'})") in said


def test_relative_absolute_and_linked_paths_give_the_same_bytes(tmp_path, monkeypatch):
    write_study(tmp_path / "s")
    (tmp_path / "link").symlink_to(tmp_path / "s")
    monkeypatch.chdir(tmp_path)
    _run("s", "a")
    _run(tmp_path / "s", tmp_path / "b")
    _run("link", "c")
    a = _files(tmp_path / "a")
    assert _files(tmp_path / "b") == a
    assert _files(tmp_path / "c") == a
    assert b'"study_dir": "../s"' in a["report/run.json"]
