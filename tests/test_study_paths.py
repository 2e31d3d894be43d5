"""A study may only touch its own folders (reliability issue, section 1): the study id is a
plain folder name, raw files are read only inside the raw folder (after symbolic links), and the
output folder never overlaps an input folder nor loses a file a run did not write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MINI_STUDY, write_study

from cdiscflow.cli import main
from cdiscflow.errors import SpecError
from cdiscflow.output import Layout
from cdiscflow.pipeline import run_study
from cdiscflow.specload import load_study


def _run(*args: str):
    return CliRunner().invoke(main, ["run", *args, "--no-adam"])


def _said(result) -> str:
    # rich wraps long messages at the console width: compare words, not line breaks
    return " ".join(result.output.split())


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("studyid", ["../../../../elsewhere", "/tmp/abs", "a/b", "..", ".",
                                     "x\\y", " MINI1", "C:evil", "a\x00b"])
def test_a_study_id_that_is_not_a_plain_name_is_a_spec_error(tmp_path, studyid):
    quoted = studyid.replace("\\", "\\\\").replace("\x00", "\\0")
    study = write_study(tmp_path / "s", study=MINI_STUDY.replace(
        "studyid: MINI1", f'studyid: "{quoted}"'))
    with pytest.raises(SpecError) as err:
        load_study(study)
    assert err.value.file == str(study / "study.yaml")
    assert err.value.line == 1
    assert "must be a plain name" in err.value.message


def test_a_traversing_study_id_writes_nothing_anywhere(tmp_path):
    study = write_study(tmp_path / "deep" / "a" / "s", study=MINI_STUDY.replace(
        "studyid: MINI1", 'studyid: "../../../../elsewhere"'))
    before = _files(tmp_path)
    result = _run(str(study), "--out", str(tmp_path / "deep" / "a" / "o"))
    assert result.exit_code == 2
    assert "must be a plain name" in _said(result)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert _files(tmp_path) == before  # nothing written inside or outside --out


def test_layout_refuses_a_study_id_that_is_a_path(tmp_path):
    with pytest.raises(ValueError, match="not a plain folder name"):
        Layout(tmp_path, "../x")


def test_an_absolute_raw_dir_is_a_spec_error(tmp_path):
    study = write_study(tmp_path / "s", study=MINI_STUDY.replace("dir: raw", "dir: /"))
    result = _run(str(study), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "study.yaml:3: raw.dir '/' must be a path relative to the study folder" \
        in _said(result)
    assert not (tmp_path / "o").exists()


def test_a_raw_dir_climbing_out_of_the_study_and_working_folder_is_a_spec_error(
        tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    study = write_study(tmp_path / "s", study=MINI_STUDY.replace(
        "dir: raw", "dir: " + "../" * 30 + "etc"))
    with pytest.raises(SpecError) as err:
        run_study(study, None, tmp_path / "o")
    assert err.value.line == 3
    assert "outside the study folder and the working folder" in err.value.message
    assert not (tmp_path / "o").exists()


def test_a_raw_dir_inside_the_working_folder_is_allowed(tmp_path, monkeypatch):
    # the example studies read ../../examples/<study>/raw from the repository root
    monkeypatch.chdir(tmp_path)
    study = write_study(tmp_path / "mappings" / "s")
    (study / "raw").rename(tmp_path / "shared-raw")
    text = (study / "study.yaml").read_text().replace("dir: raw", "dir: ../../shared-raw")
    (study / "study.yaml").write_text(text)
    result = _run(str(study), "--out", str(tmp_path / "o"))
    assert result.exit_code == 3  # the mini study's deliberate raw-data errors: it ran
    assert (tmp_path / "o" / "manifest.json").is_file()


def test_a_raw_file_linked_to_outside_the_raw_folder_is_a_spec_error(tmp_path):
    study = write_study(tmp_path / "s")
    secret = tmp_path / "secret.csv"
    secret.write_text((study / "raw" / "labs.csv").read_text())
    (study / "raw" / "labs.csv").unlink()
    os.symlink(secret, study / "raw" / "labs.csv")
    result = _run(str(study), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "raw form 'labs': file 'labs.csv' resolves to" in _said(result)
    assert "outside the raw folder" in _said(result)
    assert not (tmp_path / "o").exists()


def test_a_link_inside_the_raw_folder_is_followed(tmp_path):
    study = write_study(tmp_path / "s")
    raw = study / "raw"
    (raw / "labs.csv").rename(raw / "labs-v2.csv")
    os.symlink("labs-v2.csv", raw / "labs.csv")
    result = _run(str(study), "--out", str(tmp_path / "o"))
    assert result.exit_code == 3  # deliberate raw-data errors only
    assert "outside the raw folder" not in _said(result)
    assert (tmp_path / "o" / "manifest.json").is_file()


@pytest.mark.parametrize("out", [".", "raw", "raw/out", ".."])
def test_an_output_folder_overlapping_an_input_folder_is_refused(tmp_path, out):
    study = write_study(tmp_path / "s")
    (study / "adam").mkdir()
    before = _files(tmp_path)
    result = _run(str(study), "--out", str(study / out), "--layout", "flat")
    assert result.exit_code == 2
    assert "the output folder" in _said(result)
    assert "write the output elsewhere" in _said(result)
    assert _files(tmp_path) == before


def test_an_output_folder_holding_spec_files_is_refused(tmp_path):
    study = write_study(tmp_path / "s")
    (study / "adam").mkdir()
    (study / "adam" / "adsl.yaml").write_text("dataset: ADSL\n")
    result = _run(str(study), "--out", str(study / "adam"), "--layout", "flat")
    assert result.exit_code == 2
    assert f"holds the input file {study / 'adam' / 'adsl.yaml'}" in _said(result)
    assert (study / "adam" / "adsl.yaml").read_text() == "dataset: ADSL\n"


def test_an_output_folder_of_its_own_inside_the_study_folder_is_fine(tmp_path):
    study = write_study(tmp_path / "s")
    result = _run(str(study), "--out", str(study / "out"))
    assert result.exit_code == 3  # deliberate raw-data errors only
    assert (study / "out" / "manifest.json").is_file()


def test_a_file_no_run_wrote_is_never_removed_from_the_output_folder(tmp_path):
    study = write_study(tmp_path / "s")
    out = tmp_path / "o"
    (out / "report").mkdir(parents=True)
    (out / "report" / "my-notes.txt").write_text("mine")
    result = _run(str(study), "--out", str(out))
    assert result.exit_code == 2
    assert "report/my-notes.txt was not written by a cdiscflow run" in _said(result)
    assert (out / "report" / "my-notes.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["report"]


def test_a_run_replaces_its_own_earlier_output(tmp_path):
    study = write_study(tmp_path / "s")
    out = tmp_path / "o"
    assert _run(str(study), "--out", str(out)).exit_code == 3  # deliberate raw-data errors
    first = _files(out)
    assert _run(str(study), "--out", str(out)).exit_code == 3
    assert _files(out) == first
