"""The Python API (docs/python-api.md) gives what `cdiscflow run` writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdiscflow import api
from cdiscflow.cli import main
from cdiscflow.diff import text_frame
from cdiscflow.xpt import read_xpt

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "mappings" / "nct04014166"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "out"
    result = CliRunner().invoke(main, ["run", str(STUDY), "--out", str(out), "--layout", "flat"])
    assert result.exit_code == 0, result.output
    study = api.load_study(STUDY)
    sdtm = api.build_sdtm(study)
    return out, study, sdtm


def _same(frame, path: Path) -> None:
    written, _ = read_xpt(path)
    assert list(frame.columns) == list(written.columns)
    assert text_frame(frame).values.tolist() == text_frame(written).values.tolist()


def test_build_sdtm_gives_the_datasets_the_run_writes(built):
    out, _, sdtm = built
    assert sorted(sdtm.datasets) == sorted(p.stem.upper() for p in (out / "sdtm").glob("*.xpt"))
    for name, frame in sdtm.datasets.items():
        _same(frame, out / "sdtm" / f"{name.lower()}.xpt")
    assert sdtm.defects == []
    assert sdtm.lineage["AE"].iloc[0].to_dict() == {
        "DOMAIN": "AE", "USUBJID": "NCT04014166-01-002", "AESEQ": 1,
        "SOURCE_FILE": "adverse_events.csv", "SOURCE_ROW": 2}


def test_build_adam_from_memory_and_from_a_folder(built):
    out, study, sdtm = built
    from_memory = api.build_adam(study, sdtm)
    from_folder = api.build_adam(study, out / "sdtm")
    assert sorted(from_memory) == ["ADAE", "ADRS", "ADSL"]
    for name, frame in from_memory.items():
        _same(frame, out / "adam" / f"{name.lower()}.xpt")
        assert text_frame(frame).values.tolist() == text_frame(from_folder[name]).values.tolist()


def test_validate_frames_and_folders(built):
    out, study, sdtm = built
    # the run's own validation of everything it wrote: the frames give the same findings
    report = json.loads((out / "report" / "validation.json").read_text())
    in_memory = api.validate({**sdtm.datasets, **api.build_adam(study, sdtm)})
    assert (in_memory.errors, in_memory.warnings) == (report["errors"], report["warnings"])
    assert in_memory.errors == 0 and in_memory.warnings > 0
    on_disk = api.validate(out / "sdtm")
    assert on_disk.errors == 0 and on_disk.warnings > 0
    broken = dict(sdtm.datasets)
    dm = broken["DM"].copy()
    dm.loc[0, "SEX"] = "female"
    broken["DM"] = dm
    result = api.validate(broken)
    assert result.errors == 1
    errors = result.findings[result.findings["severity"] == "error"]
    assert errors[["dataset", "rule", "variable", "value"]].values.tolist() == [
        ["DM", "CF.CT_NONEXT", "SEX", "female"]]


def test_the_documented_example_runs(monkeypatch):
    text = (ROOT / "docs" / "python-api.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(ROOT)
    scope: dict = {}
    exec(compile(code, "docs/python-api.md", "exec"), scope)  # noqa: S102 - our own docs
    assert scope["result"].errors == 0
    assert "ARM" in scope["adam"]["ADSL"].columns and "AGE" in scope["adam"]["ADSL"].columns
