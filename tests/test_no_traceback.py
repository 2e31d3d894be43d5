"""No traceback, ever (reliability issue, section 4): each case is one clear message on stderr,
exit 2, and nothing half-written."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MINI_DOMAINS, MINI_RAW, write_study

from cdiscflow import pipeline
from cdiscflow.cli import main
from cdiscflow.xptv5 import header_bytes

REPO = str(Path(__file__).resolve().parent.parent)


def _cli(*args: str) -> subprocess.CompletedProcess:
    """The real command in a real process: what a user sees, traceback or not."""
    return subprocess.run([sys.executable, "-m", "cdiscflow", *args], capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": REPO, "COLUMNS": "400"})


def _said(text: str) -> str:
    return " ".join(text.split())


def _one_message(result: subprocess.CompletedProcess, expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert _said(result.stderr) == _said(expected)


def _sdtm(tmp_path: Path) -> Path:
    """A folder of SDTM XPT files written by a run of the small study."""
    study = write_study(tmp_path / "s")
    out = tmp_path / "o"
    assert CliRunner().invoke(main, ["run", str(study), "--out", str(out),
                                     "--no-adam"]).exit_code == 3  # its deliberate defects
    return out


def test_no_subjects_in_dm_names_the_rejections_and_writes_nothing(tmp_path):
    domains = dict(MINI_DOMAINS)
    domains["dm.yaml"] = textwrap.dedent(domains["dm.yaml"]).replace(
        "source: demographics\n", "source: demographics\nsteps:\n  - join: {form: exposure, on: "
        "[SUBJID], columns: [INFNUM], required: true}\n")
    raw = dict(MINI_RAW)
    raw["exposure.csv"] = "SUBJID,INFNUM,EXSTDAT,EXSTTIM,EXDOSE\n1,1,2021-03-10,09:00,0.5\n"
    study = write_study(tmp_path / "s", domains=domains, raw=raw)
    result = _cli("run", str(study), "--out", str(tmp_path / "o"), "--no-adam")
    rejected = ("record rejected: no match in exposure.csv on SUBJID (a subject or record "
                "missing from exposure.csv)")
    _one_message(result, "error: no subjects in DM: demographics.csv gave no DM record (2 raw "
                 "record(s): 2 no match in exposure on SUBJID); nothing was written "
                 f"ERROR [DM] demographics.csv:2 SUBJID value '001': {rejected} "
                 f"ERROR [DM] demographics.csv:3 SUBJID value '002': {rejected}")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".o.lock", "s"]


def test_a_header_only_demographics_form(tmp_path):
    raw = dict(MINI_RAW)
    raw["demographics.csv"] = "SITEID,SUBJID,ICDAT,BRTHDAT,SEX\n"
    study = write_study(tmp_path / "s", raw=raw)
    result = _cli("run", str(study), "--out", str(tmp_path / "o"), "--no-adam")
    _one_message(result, "error: no subjects in DM: demographics.csv gave no DM record (0 raw "
                 "record(s)); nothing was written")
    assert not (tmp_path / "o").exists()


def test_an_encoding_that_is_not_a_text_encoding(tmp_path):
    study = write_study(tmp_path / "s")
    text = (study / "study.yaml").read_text().replace("  dir: raw\n",
                                                      "  dir: raw\n  encoding: rot13\n")
    (study / "study.yaml").write_text(text)
    result = _cli("run", str(study), "--out", str(tmp_path / "o"), "--no-adam")
    raw = study / "raw" / "demographics.csv"
    _one_message(result, f"error: {raw}: unknown encoding 'rot13' declared in the study file "
                 f"(a text encoding such as utf-8, latin-1 or gb18030)")
    assert not (tmp_path / "o").exists()


def test_validate_a_dm_with_zero_variables(tmp_path):
    folder = _sdtm(tmp_path) / "m5/datasets/mini1/tabulations/sdtm"
    (folder / "dm.xpt").write_bytes(header_bytes("DM", "Demographics", [],
                                                 b"01JAN24:00:00:00"))
    result = _cli("validate", str(folder), "--limit", "500", "--report-dir", str(tmp_path / "r"))
    assert result.returncode == 1  # findings, not a crash
    assert "Traceback" not in result.stderr
    assert "│ DM      │       0 │" in result.stdout
    # the table's cells, whatever the column widths (other rules' names set them)
    rows = [[cell.strip() for cell in line.split("│")[1:-1]]
            for line in result.stdout.splitlines() if line.startswith("│")]
    for variable in ("USUBJID", "STUDYID", "SUBJID", "DOMAIN"):
        assert ["DM", "", "", variable, "", "CF.REQ_VAR", "error"] in [r[:7] for r in rows]


def test_validate_a_truncated_xpt_is_unreadable(tmp_path):
    folder = _sdtm(tmp_path) / "m5/datasets/mini1/tabulations/sdtm"
    data = (folder / "ae.xpt").read_bytes()
    (folder / "ae.xpt").write_bytes(data[:-7])
    result = _cli("validate", str(folder), "--report-dir", str(tmp_path / "r"))
    _one_message(result, f"error: {folder / 'ae.xpt'}: cannot be read as SAS XPORT: "
                 f"{len(data) - 7} bytes, not a whole number of 80-byte records (the file is "
                 f"truncated or has bytes added)")


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_check_package_opens_regular_files_only(tmp_path, kind):
    out = _sdtm(tmp_path)
    ae = out / "m5/datasets/mini1/tabulations/sdtm/ae.xpt"
    ae.unlink()
    if kind == "folder":
        ae.mkdir()
    else:
        os.mkfifo(ae)
    result = _cli("check-package", str(out))  # a FIFO opened would wait here forever
    what = "a folder" if kind == "folder" else "a FIFO (named pipe)"
    _one_message(result, f"error: {ae}: is {what}, not a file; a package holds regular files "
                 f"only")


def test_a_read_only_output_folder(tmp_path):
    if shutil.which("chattr") is None:
        pytest.skip("no chattr")
    study = write_study(tmp_path / "s")
    parent = tmp_path / "ro"
    parent.mkdir()
    # immutable: no file may be made in it even by root (file mode bits do not stop root)
    if subprocess.run(["chattr", "+i", str(parent)], capture_output=True).returncode:
        pytest.skip("this file system has no immutable attribute")
    try:
        result = _cli("run", str(study), "--out", str(parent / "out"), "--no-adam")
    finally:
        subprocess.run(["chattr", "-i", str(parent)], check=True)
    _one_message(result, f"error: {parent / 'out'}: cannot create the lock file "
                 f"{parent / '.out.lock'} beside the output folder (Operation not permitted)")
    assert list(parent.iterdir()) == []


def test_a_full_disk_while_writing(tmp_path, monkeypatch):
    # a small file system where the platform lets a test mount one, else a simulated ENOSPC
    study = write_study(tmp_path / "s")
    out = tmp_path / "o"

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device", str(out / "manifest.json"))
    monkeypatch.setattr(pipeline, "write_manifest", full)
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(out), "--no-adam"])
    assert result.exit_code == 2
    assert _said(result.stderr) == _said(
        f"error: {out / 'manifest.json'}: No space left on device (the disk is full: free "
        f"space and run again); nothing was published")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".o.lock", "s"]


def test_a_full_small_file_system(tmp_path):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small file system needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=60k", "tmpfs", str(disk)],
                      capture_output=True).returncode:
        pytest.skip("no tmpfs mount here")
    try:
        study = write_study(tmp_path / "s")
        result = _cli("run", str(study), "--out", str(disk / "out"), "--no-adam")
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        said = _said(result.stderr)
        assert said.startswith(f"error: {disk}/.out.staging-")  # the file it could not write
        assert said.endswith("No space left on device (the disk is full: free space and run "
                             "again); nothing was published")
        assert sorted(p.name for p in disk.iterdir()) == [".out.lock"]
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_ctrl_c_while_starting(tmp_path):
    # SIGINT while the libraries load (pandas, pyarrow: a second or more on this machine)
    proc = subprocess.Popen([sys.executable, "-m", "cdiscflow", "run", str(tmp_path / "none")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": REPO})
    # interrupt once a compiled library is being loaded (its shared object is mapped), not
    # after a fixed time: on a loaded machine the interpreter may not have got that far
    maps = Path(f"/proc/{proc.pid}/maps")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            loaded = maps.read_text(errors="replace")
        except OSError:
            loaded = ""
        if any(lib in loaded for lib in ("numpy", "pyarrow", "pandas", "pydantic_core")):
            break
        time.sleep(0.005)
    assert proc.poll() is None, "cdiscflow ended before its libraries loaded"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert "Traceback" not in stderr
    assert proc.returncode == 2
    assert stderr.strip() in ("error: interrupted while starting; nothing was written",
                              "error: interrupted; the output folder holds the last package a "
                              "run completed, whole, and the unfinished one was removed")


def test_an_unforeseen_error_is_one_line(tmp_path, monkeypatch):
    study = write_study(tmp_path / "s")

    def bug(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr(pipeline, "write_manifest", bug)
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "o"),
                                       "--no-adam"])
    assert result.exit_code == 2
    assert _said(result.stderr) == ("error: internal error (ZeroDivisionError: division by "
                                    "zero); nothing was published")


def test_ctrl_c_inside_a_lazy_import_is_an_interruption(tmp_path, monkeypatch):
    # Python wraps a KeyboardInterrupt raised in a class body in RuntimeError (__set_name__)
    study = write_study(tmp_path / "s")

    def lazy_import(*args: object, **kwargs: object) -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__ on '_Field' instance") from exc
    monkeypatch.setattr(pipeline, "write_manifest", lazy_import)
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "o"),
                                       "--no-adam"])
    assert result.exit_code == 2
    assert _said(result.stderr) == ("error: interrupted; the output folder holds the last "
                                    "package a run completed, whole, and the unfinished one "
                                    "was removed")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".o.lock", "s"]
