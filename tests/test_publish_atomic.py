"""Publishing is all-or-nothing (reliability issue, section 3): a real `cdiscflow run` child
process is stopped by a real signal at the instant before and after the one-step swap; two runs
into one OUT; a folder that refuses the swap; what dead runs left is cleared by the next run."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MINI_RAW, write_study

from cdiscflow import outswap
from cdiscflow.cli import main
from cdiscflow.errors import CdiscflowError
from cdiscflow.outswap import PAUSE_ENV, clear_debris, clear_fork_folders, swap_in

ENV_REPO = str(Path(__file__).resolve().parent.parent)


def _study(tmp_path: Path) -> Path:
    raw = dict(MINI_RAW)
    raw["adverse_events.csv"] = ("SUBJID,AESPID,AETERM,AESTDAT,AESER,KEEP\n"
                                 "001,1,headache,12-MAR-2021,N,Y\n")
    raw["labs.csv"] = "\n".join(MINI_RAW["labs.csv"].splitlines()[:4] + [""])
    return write_study(tmp_path / "s", raw=raw)


def _change_raw(study: Path) -> None:
    # a second run whose package differs from the first in data, report and manifest
    (study / "raw" / "exposure.csv").write_text("SUBJID,INFNUM,EXSTDAT,EXSTTIM,EXDOSE\n"
                                                "001,1,2021-03-11,09:00,0.5\n"
                                                "002,1,2021-03-12,10:00,1.0\n")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _consistent(out: Path) -> bool:
    """Every file of OUT is in its manifest with its hash, and nothing else is there."""
    manifest = json.loads((out / "manifest.json").read_text())["outputs"]
    files = {k: hashlib.sha256(v).hexdigest() for k, v in _files(out).items()
             if k != "manifest.json"}
    return files == manifest


def _start(study: Path, out: Path, pause: str | None = None,
           marker: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": ENV_REPO}
    env.pop(PAUSE_ENV, None)
    if pause:
        env[PAUSE_ENV] = f"{pause}={marker}"
    return subprocess.Popen([sys.executable, "-m", "cdiscflow", "run", str(study), "--out",
                             str(out), "--no-adam"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(marker: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 240
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"the run ended before {marker.name}: {proc.communicate()}")
        assert time.monotonic() < deadline, "the run never reached the pause"
        time.sleep(0.05)


def _debris(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if ".out." in p.name and
                  not p.name.endswith(".lock"))


def _first_package(tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    study, out = _study(tmp_path), tmp_path / "out"
    assert CliRunner().invoke(main, ["run", str(study), "--out", str(out),
                                     "--no-adam"]).exit_code == 0
    _change_raw(study)
    return study, out, _files(out)


def test_kill_9_before_the_swap_leaves_the_previous_package_whole(tmp_path):
    study, out, first = _first_package(tmp_path)
    marker = tmp_path / "staged"
    proc = _start(study, out, "staged", marker)
    _wait_for(marker, proc)
    staging = tmp_path / f".out.staging-{proc.pid}"
    assert (staging / "manifest.json").is_file()  # the new package is complete, unpublished
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _files(out) == first
    assert _consistent(out)
    assert _debris(tmp_path) == [f".out.staging-{proc.pid}"]
    # the next run clears it and publishes
    assert CliRunner().invoke(main, ["run", str(study), "--out", str(out),
                                     "--no-adam"]).exit_code == 0
    assert _debris(tmp_path) == []
    assert _files(out) != first and _consistent(out)


def test_kill_9_after_the_swap_leaves_the_new_package_whole(tmp_path):
    study, out, first = _first_package(tmp_path)
    marker = tmp_path / "swapped"
    proc = _start(study, out, "swapped", marker)
    _wait_for(marker, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _files(out) != first and _consistent(out)
    # the previous package is where the staging folder was, whole, until the next run
    assert _files(tmp_path / f".out.staging-{proc.pid}") == first
    published = _files(out)
    assert CliRunner().invoke(main, ["run", str(study), "--out", str(out),
                                     "--no-adam"]).exit_code == 0
    assert _debris(tmp_path) == []
    assert _files(out) == published


def test_sigterm_before_the_swap_cleans_up_and_says_so(tmp_path):
    study, out, first = _first_package(tmp_path)
    marker = tmp_path / "staged"
    proc = _start(study, out, "staged", marker)
    _wait_for(marker, proc)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in stderr
    assert ("error: terminated (SIGTERM); the output folder holds the last package a run "
            "completed, whole, and the unfinished one was removed") in " ".join(stderr.split())
    assert _files(out) == first
    assert _debris(tmp_path) == []


def test_a_second_run_into_the_same_output_folder_is_refused(tmp_path):
    study, out, first = _first_package(tmp_path)
    marker = tmp_path / "staged"
    first_run = _start(study, out, "staged", marker)
    _wait_for(marker, first_run)
    second = CliRunner().invoke(main, ["run", str(study), "--out", str(out), "--no-adam"])
    assert second.exit_code == 2
    assert (f"error: {out}: another cdiscflow run (process {first_run.pid}) is writing this "
            f"output folder; wait for it to finish or choose another --out"
            ) in " ".join(second.output.split())
    assert _files(out) == first
    marker.unlink()  # the first run goes on and publishes
    assert first_run.wait(timeout=120) == 0
    assert _files(out) != first and _consistent(out)
    # and once it is done, the next run may write
    assert CliRunner().invoke(main, ["run", str(study), "--out", str(out),
                                     "--no-adam"]).exit_code == 0


def test_a_folder_refusing_the_swap_leaves_the_previous_package(tmp_path):
    if shutil.which("chattr") is None:
        pytest.skip("no chattr to make the folder immutable")
    study, out, first = _first_package(tmp_path)
    parent = tmp_path / "p"
    parent.mkdir()
    out = parent / "out"
    assert CliRunner().invoke(main, ["run", str(study), "--out", str(out),
                                     "--no-adam"]).exit_code == 0
    first = _files(out)
    (study / "raw" / "exposure.csv").write_text("SUBJID,INFNUM,EXSTDAT,EXSTTIM,EXDOSE\n"
                                                "001,1,2021-03-13,09:00,0.5\n")
    marker = tmp_path / "staged"
    proc = _start(study, out, "staged", marker)
    _wait_for(marker, proc)
    # immutable: no rename in the folder, even for root (a read-only folder does not stop root)
    if subprocess.run(["chattr", "+i", str(parent)], capture_output=True).returncode:
        proc.kill()
        pytest.skip("this file system has no immutable attribute")
    try:
        marker.unlink()
        _, stderr = proc.communicate(timeout=120)
    finally:
        subprocess.run(["chattr", "-i", str(parent)], check=True)
    assert proc.returncode == 2
    assert "Traceback" not in stderr
    assert (f"error: {out}: cannot replace the output folder with the new package (Operation "
            f"not permitted); the previous output is unchanged") in " ".join(stderr.split())
    assert _files(out) == first
    # the staging folder could not be removed in the immutable folder: the next run does it
    assert CliRunner().invoke(main, ["run", str(study), "--out", str(out),
                                     "--no-adam"]).exit_code == 0
    assert sorted(p.name for p in parent.iterdir()) == [".out.lock", "out"]


def test_a_file_no_run_wrote_anywhere_in_out_is_refused_before_any_work(tmp_path):
    study, out, first = _first_package(tmp_path)
    (out / "notes.txt").write_text("mine")
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(out), "--no-adam"])
    assert result.exit_code == 2
    assert (f"{out}: notes.txt was not written by a cdiscflow run (not in manifest.json); a "
            f"run replaces the output folder whole, so it refuses to") in " ".join(
                result.output.split())
    assert _files(out) == {**first, "notes.txt": b"mine"}
    assert _debris(tmp_path) == []


def test_without_an_exchange_the_old_folder_is_put_back_after_a_crash(tmp_path, monkeypatch):
    out, staging = tmp_path / "out", tmp_path / ".out.staging-1"
    out.mkdir()
    (out / "a.txt").write_text("old")
    staging.mkdir()
    (staging / "a.txt").write_text("new")
    monkeypatch.setattr(outswap, "_exchange", lambda a, b: False)
    swap_in(staging, out)
    assert _files(out) == {"a.txt": b"new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    # a crash between the two renames of that fallback: no OUT, the previous one aside
    os.rename(out, tmp_path / ".out.old-4242")
    (tmp_path / ".out.staging-4242").mkdir()
    removed = clear_debris(out)
    assert _files(out) == {"a.txt": b"new"}
    assert tmp_path / ".out.staging-4242" in removed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failing_swap_is_one_message(tmp_path, monkeypatch):
    out, staging = tmp_path / "out", tmp_path / ".out.staging-1"
    out.mkdir()
    staging.mkdir()

    def refuse(a: Path, b: Path) -> bool:
        raise PermissionError(13, "Permission denied", str(b))
    monkeypatch.setattr(outswap, "_exchange", refuse)
    with pytest.raises(CdiscflowError) as caught:
        swap_in(staging, out)
    assert str(caught.value) == (f"{out}: cannot replace the output folder with the new "
                                 f"package (Permission denied); the previous output is "
                                 f"unchanged")


def test_fork_folders_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = tmp_path / f"cdiscflow-fork-{dead.pid}-abc"
    alive = tmp_path / f"cdiscflow-fork-{os.getpid()}-def"
    other = tmp_path / "cdiscflow-other-1-x"
    for folder in (gone, alive, other):
        folder.mkdir()
        (folder / "result.pickle").write_bytes(b"x")
    assert clear_fork_folders(tmp_path) == [gone]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, other.name])


def test_a_forked_child_dies_with_its_killed_parent(tmp_path):
    # the parent forks validation (outswap.FORK_PREFIX folder) then is killed: the child
    # must not live on holding the output lock
    script = ("import os, sys, time\n"
              "from cdiscflow.forked import Forked\n"
              "job = Forked(lambda: time.sleep(120))\n"
              "print(job.pid, flush=True)\n"
              "time.sleep(120)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": ENV_REPO})
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 20
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        try:  # reap nothing: the child is the parent's; wait for init to reap it
            if Path(f"/proc/{child}/stat").read_text().split()[2] == "Z":
                break
        except OSError:
            break
        time.sleep(0.05)
    assert not Path(f"/proc/{child}").exists() or \
        Path(f"/proc/{child}/stat").read_text().split()[2] == "Z"
    folders = [p for p in Path(tempfile.gettempdir()).iterdir()
               if p.name.startswith(f"cdiscflow-fork-{parent.pid}-")]
    assert len(folders) == 1  # left by the kill; the next run's clear_debris removes it
    assert folders[0] in clear_fork_folders()
