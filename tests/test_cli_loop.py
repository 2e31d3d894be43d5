"""The command line's conveniences: lazy commands, the default study, --fail-on and exit codes,
--format json alone, validate's default report folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from cdiscflow.cli import LAZY_COMMANDS, main
from tests.conftest import MINI_RAW, write_study

ROOT = Path(__file__).resolve().parent.parent


def test_help_imports_no_heavy_module():
    # the 0.5 s answer is measured in benchmarks (python -m benchmarks.cli_help); here: why
    code = ("import sys; from click.testing import CliRunner; from cdiscflow.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0, r.output; "
            "print(sorted(m for m in ('pandas', 'pyarrow', 'numpy', 'lxml', 'rich', "
            "'cdiscflow.pipeline', 'cdiscflow.trace') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_lazy_commands_listed_with_their_own_help():
    ctx = click.Context(main)
    help_text = main.get_help(ctx)
    for name, (_, _, summary) in LAZY_COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is not None and command.name == name
        assert " ".join((command.help or "").split()).startswith(summary), name
        assert name in help_text
    assert main.list_commands(ctx) == ["adam", "check-package", "diff", "init", "run", "spec",
                                       "trace",
                                       "validate"]


def _clean_raw() -> dict[str, str]:
    raw = dict(MINI_RAW)
    raw["adverse_events.csv"] = ("SUBJID,AESPID,AETERM,AESTDAT,AESER,KEEP\n"
                                 "001,1,headache,12-MAR-2021,N,Y\n")
    raw["labs.csv"] = "\n".join(MINI_RAW["labs.csv"].splitlines()[:4] + [""])
    return raw


def test_run_without_study_dir_uses_study_yaml_in_the_current_folder(tmp_path):
    folder = write_study(tmp_path / "s", raw=_clean_raw())
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(main, ["run", "--out", "o", "--no-adam"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    assert "bundled example" not in result.output
    assert (folder / "o" / "m5" / "datasets" / "mini1" / "tabulations" / "sdtm" / "dm.xpt"
            ).is_file()


def test_run_without_study_dir_elsewhere_says_it_runs_the_example(tmp_path):
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(main, ["run", "--out", "o", "--no-adam"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert ("no study.yaml in this folder: running the bundled example study "
            f"{ROOT / 'mappings' / 'nct04014166'}") in said


def test_exit_codes_and_fail_on(tmp_path):
    runner = CliRunner()
    clean = write_study(tmp_path / "clean", raw=_clean_raw())
    ok = runner.invoke(main, ["run", str(clean), "--out", str(tmp_path / "o1"), "--no-adam"])
    assert ok.exit_code == 0, ok.output
    report = json.loads((tmp_path / "o1" / "report" / "validation.json").read_text())
    assert report["errors"] == 0 and report["warnings"] > 0  # the mini study's CT warnings
    strict = runner.invoke(main, ["run", str(clean), "--out", str(tmp_path / "o2"),
                                  "--no-adam", "--fail-on", "warning"])
    assert strict.exit_code == 1, strict.output  # validation warnings at the fail level
    defects = write_study(tmp_path / "defects")  # the mini study's deliberate raw errors
    bad_data = runner.invoke(main, ["run", str(defects), "--out", str(tmp_path / "o3")])
    assert bad_data.exit_code == 3
    assert (tmp_path / "o3" / "report" / "defects.csv").is_file()  # everything written
    (clean / "ae.yaml").write_text("domain: AE\nsource: [unclosed\n")
    bad_spec = runner.invoke(main, ["run", str(clean), "--out", str(tmp_path / "o4")])
    assert bad_spec.exit_code == 2
    assert not (tmp_path / "o4").exists()  # nothing written


def test_closing_summary_names_every_output(tmp_path):
    clean = write_study(tmp_path / "clean", raw=_clean_raw())
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["run", str(clean), "--out", str(out), "--no-adam",
                                       "--layout", "flat"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    listed = lines[lines.index("written:") + 1:]
    assert [" ".join(line.split()) for line in listed] == [
        f"SDTM {out / 'sdtm'}", f"SDTM define.xml {out / 'sdtm' / 'define.xml'}",
        f"validation report {out / 'report' / 'validation.html'}",
        f"run report {out / 'report' / 'run.json'}",
        f"defects {out / 'report' / 'defects.csv'}", f"lineage {out / 'lineage'}",
        f"manifest {out / 'manifest.json'}"]
    assert all(Path(line.split()[-1]).exists() for line in listed)


def test_format_json_alone_writes_dataset_json_and_no_xpt(tmp_path):
    clean = write_study(tmp_path / "clean", raw=_clean_raw())
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["run", str(clean), "--out", str(out), "--no-adam",
                                       "--layout", "flat", "--format", "json"])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (out / "sdtm").iterdir())
    # with the annotated CRF and define.xml's stylesheet (the package issue)
    assert files == ["acrf.pdf", "ae.json", "define.html", "define.xml", "define2-1.xsl",
                     "dm.json", "ex.json", "lb.json"]
    assert not list(out.rglob("*.xpt"))
    define = (out / "sdtm" / "define.xml").read_text()
    assert 'xlink:href="dm.json"' in define and ".xpt" not in define
    manifest = json.loads((out / "manifest.json").read_text())
    assert "sdtm/dm.json" in manifest["outputs"] and "sdtm/dm.xpt" not in manifest["outputs"]


def test_validate_writes_reports_to_the_default_folder(tmp_path):
    clean = write_study(tmp_path / "clean", raw=_clean_raw())
    out = tmp_path / "o"
    assert CliRunner().invoke(main, ["run", str(clean), "--out", str(out), "--no-adam",
                                     "--layout", "flat"]).exit_code == 0
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(main, ["validate", str(out / "sdtm")])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    folder = tmp_path / "validation-report"
    assert sorted(p.name for p in folder.iterdir()) == ["validation.html", "validation.json",
                                                       "validation.xml"]
    ours = json.loads((folder / "validation.json").read_text())
    theirs = json.loads((out / "report" / "validation.json").read_text())
    assert ours["source"] == str(out / "sdtm") and theirs["source"] == "sdtm"
    assert {**ours, "source": ""} == {**theirs, "source": ""}


def test_every_stage_reports_progress(tmp_path):
    clean = write_study(tmp_path / "clean", raw=_clean_raw())
    result = CliRunner().invoke(main, ["run", str(clean), "--out", str(tmp_path / "o"),
                                       "--no-adam"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "o" / "report" / "validation.json").read_text())
    counts = f"{report['errors']} error(s), {report['warnings']} warning(s)"
    stages = [line for line in result.output.splitlines()
              if line.split(":")[0] in ("SDTM", "ADaM", "validation", "package")]
    assert stages == ["SDTM: writing 4 domain(s), define.xml and lineage",
                      "validation: running beside the rest of the run",
                      "SDTM: written",
                      f"validation: {counts}",
                      "package: manifest, then publishing",
                      f"validation: {counts}; see "
                      f"{tmp_path / 'o' / 'report' / 'validation.html'}"]


class _Counted:
    """A progress object with a count method, as the terminal's progress bar is."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, str]] = []
        self.counts: list[tuple[str, int, int, int]] = []

    def __call__(self, name: str, stage: str) -> None:
        self.stages.append((name, stage))

    def count(self, name: str, done: int, total: int, records: int) -> None:
        self.counts.append((name, done, total, records))


def test_the_long_stage_counts_its_variables_for_a_rate_and_an_estimate(tmp_path):
    from cdiscflow.cli import rate_text
    from cdiscflow.sdtm.engine import Engine
    from cdiscflow.specload import load_study

    counted = _Counted()
    Engine(load_study(write_study(tmp_path / "s", raw=_clean_raw()))).run(counted)
    lb = [c for c in counted.counts if c[0] == "LB"]
    # every LB variable of the mini study, in order, on its 5 stacked records
    assert lb == [("LB", k, 15, 5) for k in range(1, 16)]
    assert ("LB", "mapping 5 records") in counted.stages
    assert rate_text(30_000, 2.0) == "15,000 values/s"
    assert rate_text(0, 0.0) == ""


def test_subject_chunks_pass_the_count_on(tmp_path):
    from cdiscflow.sdtm.chunked import _chunk_progress

    counted = _Counted()
    chunk = _chunk_progress(counted, 1, 3)
    chunk("LB", "mapping 5 records")
    chunk.count("LB", 2, 15, 5)
    assert counted.stages == [("LB", "mapping 5 records (subject chunk 2/3)")]
    assert counted.counts == [("LB", 2, 15, 5)]


def test_a_terminal_shows_the_count_rate_and_estimate():
    import io

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from cdiscflow.cli import LiveProgress

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
                  console=console, auto_refresh=False) as progress:
        live = LiveProgress(progress)
        live("LB", "mapping 2958 records")
        live.started["LB"] = 0.0  # as if mapping began at the clock's start
        live.count("LB", 6, 15, 2958)
        progress.refresh()
    shown = screen.getvalue()
    assert "LB: mapping 2958 records" in shown
    assert " 6/15 " in shown and "values/s" in shown
