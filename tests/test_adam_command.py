"""`cdiscflow adam SDTM_DIR`: ADaM from an SDTM folder by the ADaM spec files alone, the same
stage as `cdiscflow run`; SDTM split into parts gives the same ADaM as the whole."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cdiscflow.adam.spec import AdamSpecError
from cdiscflow.cli import main
from cdiscflow.datasets_folder import read_folder
from cdiscflow.package.check import check_package
from cdiscflow.pipeline import run_study
from cdiscflow.validators import validate_folder
from cdiscflow.xpt import read_xpt, write_xpt_parts, xpt_file_size

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "mappings" / "nct04014166"
ADAM_FILES = ("adae.xpt", "adrs.xpt", "adsl.xpt", "define.xml")


@pytest.fixture(scope="module")
def run_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example study run whole (SDTM, ADaM) as `cdiscflow run --layout flat` writes it,
    with Dataset-JSON beside each XPT."""
    out = tmp_path_factory.mktemp("run") / "out"
    run_study(STUDY, None, out, layout="flat", formats=("xpt", "json"))
    return out


def _spec(tmp_path: Path, **study: object) -> Path:
    """The example's ADaM spec folder, with a `study:` section in adam.yaml."""
    spec = tmp_path / "spec"
    shutil.copytree(STUDY / "adam", spec)
    if study:
        index = yaml.safe_load((spec / "adam.yaml").read_text(encoding="utf-8"))
        index["study"] = study
        (spec / "adam.yaml").write_text(yaml.safe_dump(index, sort_keys=False),
                                        encoding="utf-8")
    return spec


def _as_run(tmp_path: Path) -> Path:
    # the study file's title and date, so the files can equal those `run` wrote
    study = yaml.safe_load((STUDY / "study.yaml").read_text(encoding="utf-8"))["study"]
    return _spec(tmp_path, title=study["title"], created=str(study["created"]))


def _adam(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["adam", *args])
    return result.exit_code, result.output


def test_adam_from_sdtm_folder_equals_run(run_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "adam-out"
    code, output = _adam(str(run_out / "sdtm"), "--spec", str(_as_run(tmp_path)), "--out",
                         str(out), "--layout", "flat")
    assert code == 0, output
    assert "ADRS: 859 records" in output
    for name in ADAM_FILES:
        assert (out / "adam" / name).read_bytes() == (run_out / "adam" / name).read_bytes()
    for name in ("adam-report.html", "response.csv", "demographics.csv"):
        assert (out / "report" / name).read_bytes() == (run_out / "report" / name).read_bytes()
    report = json.loads((out / "report" / "run.json").read_text(encoding="utf-8"))
    assert report["adam"]["datasets"]["ADSL"] == {"file": "adsl.xpt", "records": 18}
    assert report["define"] == "adam/define.xml"
    assert report["validation"] == {"errors": 0, "warnings": 0}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "lb.xpt" in manifest["inputs"]["sdtm"] and "adsl.yaml" in manifest["inputs"]["spec"]
    assert sorted(manifest["outputs"]) == sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*")
        if p.is_file() and p.name != "manifest.json")


def _split(sdtm: Path, into: Path) -> list[str]:
    """Every dataset of ``sdtm`` with 3 records or more rewritten as three XPT parts; returns
    the file names written."""
    for d in read_folder(sdtm, formats=("xpt",)):
        n = len(d.frame)
        limit = xpt_file_size(-(-n // 3), d.variables) if n >= 3 else 10**9
        write_xpt_parts(d.frame, into, dataset=d.name, label=d.label, variables=d.variables,
                        created=dt.datetime(2024, 3, 2), max_bytes=limit)
    return sorted(p.name for p in into.glob("*.xpt"))


def test_split_sdtm_gives_the_same_adam(run_out: Path, tmp_path: Path) -> None:
    parts = tmp_path / "split"
    names = _split(run_out / "sdtm", parts)
    assert {"lb1.xpt", "lb2.xpt", "lb3.xpt", "suppdm1.xpt", "ae3.xpt"} <= set(names)
    assert "lb.xpt" not in names
    spec = _as_run(tmp_path)
    outs = {}
    for kind, folder in (("whole", run_out / "sdtm"), ("split", parts)):
        outs[kind] = tmp_path / f"out-{kind}"
        code, output = _adam(str(folder), "--spec", str(spec), "--out", str(outs[kind]),
                             "--layout", "flat")
        assert code == 0, output
    for name in ("adae.xpt", "adrs.xpt", "adsl.xpt"):
        assert (outs["split"] / "adam" / name).read_bytes() == (
            outs["whole"] / "adam" / name).read_bytes()
    # validation of the split SDTM sees one LB and finds what it finds in the whole
    results = {kind: validate_folder(folder) for kind, folder in
               (("whole", run_out / "sdtm"), ("split", parts))}
    assert results["split"].datasets == results["whole"].datasets
    assert results["split"].datasets["LB"] == 2958
    assert results["split"].findings[["rule", "dataset", "row"]].equals(
        results["whole"].findings[["rule", "dataset", "row"]])


def test_dataset_json_sdtm_gives_the_same_adam(run_out: Path, tmp_path: Path) -> None:
    only_json = tmp_path / "json"
    only_json.mkdir()
    for p in (run_out / "sdtm").glob("*.json"):
        shutil.copy(p, only_json / p.name)
    out = tmp_path / "o"
    code, output = _adam(str(only_json), "--spec", str(_as_run(tmp_path)), "--out", str(out),
                         "--layout", "flat")
    assert code == 0, output
    for name in ("adae.xpt", "adrs.xpt", "adsl.xpt"):
        assert (out / "adam" / name).read_bytes() == (run_out / "adam" / name).read_bytes()


def test_adam_split_past_max_xpt_bytes(run_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    spec = _spec(tmp_path, max_xpt_bytes=120_000)
    code, output = _adam(str(run_out / "sdtm"), "--spec", str(spec), "--out", str(out))
    assert code == 0, output
    adam_dir = out / "m5" / "datasets" / "nct04014166" / "analysis" / "adam" / "datasets"
    assert sorted(p.name for p in adam_dir.glob("*.xpt")) == [
        "adae.xpt", "adrs1.xpt", "adrs2.xpt", "adrs3.xpt", "adsl.xpt"]
    assert all(p.stat().st_size <= 120_000 for p in adam_dir.glob("*.xpt"))
    report = json.loads((out / "report" / "run.json").read_text(encoding="utf-8"))
    assert report["adam"]["datasets"]["ADRS"] == {
        "files": ["adrs1.xpt", "adrs2.xpt", "adrs3.xpt"], "records": 859}
    whole = read_xpt(run_out / "adam" / "adrs.xpt")[0]
    (adrs,) = [d for d in read_folder(adam_dir) if d.name == "ADRS"]
    assert adrs.frame.equals(whole)
    # the parts are in define.xml and pass the gateway checks
    assert [f for f in check_package(out) if not f.ok] == []
    # defaults from the SDTM: STUDYID, TS TITLE, the 2000-01-01 header date
    define = (adam_dir / "define.xml").read_text(encoding="utf-8")
    assert "<StudyDescription>Study of Human Umbilical Cord-derived Mesenchymal Stem Cells " \
           "for Treatment of Refractory Immune Thrombocytopenia</StudyDescription>" in define
    assert (adam_dir / "adsl.xpt").read_bytes()[144:160] == b"01JAN00:00:00:00"


def test_an_output_over_an_input_is_refused(run_out: Path, tmp_path: Path) -> None:
    # the package replaces OUT whole: OUT may not hold the SDTM or the spec, nor lie in the SDTM
    out = tmp_path / "o"
    shutil.copytree(run_out / "sdtm", out / "sdtm", ignore=shutil.ignore_patterns("*.json"))
    spec = _spec(tmp_path)
    for sdtm, target, what in ((out / "sdtm", out, "is or holds the SDTM folder"),
                               (run_out / "sdtm", tmp_path, "is or holds the ADaM spec folder"),
                               (out / "sdtm", out / "sdtm" / "adam",
                                "lies inside the SDTM folder")):
        code, output = _adam(str(sdtm), "--spec", str(spec), "--out", str(target), "--layout",
                             "flat")
        assert code == 2 and what in " ".join(output.split())
    assert sorted(p.name for p in out.iterdir()) == ["sdtm"]
    assert (out / "sdtm" / "dm.xpt").is_file()
    # a file no run wrote in OUT is never replaced (as by `cdiscflow run`)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine", encoding="utf-8")
    code, output = _adam(str(run_out / "sdtm"), "--spec", str(spec), "--out", str(mine))
    assert code == 2 and "notes.txt was not written by a cdiscflow run" in " ".join(
        output.split())
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_no_index_and_ambiguous_study(run_out: Path, tmp_path: Path) -> None:
    code, output = _adam(str(run_out / "sdtm"), "--spec", str(tmp_path), "--out",
                         str(tmp_path / "o"))
    assert code == 2 and "no adam.yaml" in output
    mixed = tmp_path / "mixed"
    shutil.copytree(run_out / "sdtm", mixed, ignore=shutil.ignore_patterns("*.json"))
    frame, meta = read_xpt(mixed / "ae.xpt")
    frame.loc[0, "STUDYID"] = "OTHER"
    write_xpt_parts(frame, mixed, dataset="AE", label=meta["label"],
                    variables=meta["variables"], created=dt.datetime(2000, 1, 1), max_bytes=10**9)
    code, output = _adam(str(mixed), "--spec", str(_spec(tmp_path)), "--out",
                         str(tmp_path / "o"))
    assert code == 2
    assert ("study.studyid: the SDTM holds 2 study identifiers (NCT04014166, OTHER); name the "
            "study in adam.yaml") in " ".join(output.split())  # (the console wraps lines)


def test_a_misspelled_variable_fails_on_load_before_sdtm(tmp_path: Path) -> None:
    study = tmp_path / "study"
    shutil.copytree(STUDY, study)
    adsl = study / "adam" / "adsl.yaml"
    text = adsl.read_text(encoding="utf-8")
    assert "\n  TRTSDT:\n" in text and "\n  AGEGR1:\n" in text
    adsl.write_text(text.replace("\n  TRTSDT:\n", "\n  TRTSTDT:\n").replace(
        "\n  AGEGR1:\n", "\n  AGEGRP1:\n"), encoding="utf-8")
    line = adsl.read_text(encoding="utf-8").splitlines().index("  AGEGRP1:") + 1
    out = tmp_path / "out"
    progress: list[tuple[str, str]] = []
    with pytest.raises(AdamSpecError) as err:
        run_study(study, ROOT / "examples" / "nct04014166" / "raw", out,
                  lambda d, s: progress.append((d, s)), layout="flat")
    assert str(err.value) == (
        f"{adsl}:{line}, dataset ADSL, variable AGEGRP1: not defined by ADaMIG 1.3 or SDTMIG: "
        f"give it a label, or correct its name (and TRTSTDT)")
    # refused with the spec: no raw record read, nothing written
    assert progress == [] and not out.exists()
    # `cdiscflow adam` refuses it the same way, before reading the SDTM
    code, output = _adam(str(tmp_path), "--spec", str(study / "adam"), "--out",
                         str(tmp_path / "o"))
    assert code == 2 and "variable AGEGRP1" in output
