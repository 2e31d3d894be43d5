"""The command line: ``cdiscflow run`` converts a study's raw CRF extracts to SDTM and ADaM.

Exit codes of ``run``: 0 clean (warnings may be listed); 1 validation findings at the
``--fail-on`` level (reports in OUT/report/validation.*); 2 bad spec or unreadable input
(nothing written); 3 data defects at the ``--fail-on`` level (everything written, the defects
listed and in OUT/report/defects.csv). Commands other than ``run`` live in their own modules and
are imported only when used (LAZY_COMMANDS), so ``--help`` answers at once.
"""

from __future__ import annotations

import sys
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cdiscflow import __version__
from cdiscflow.guard import GuardedGroup
from cdiscflow.options import DEFAULT_CHUNK_RECORDS, FORMATS, LAYOUTS

if TYPE_CHECKING:  # the heavy modules are imported by the command that needs them
    from rich.console import Console

    from cdiscflow.adam_pipeline import AdamOutcome
    from cdiscflow.pipeline import RunOutcome

# the bundled example study is the folder named in mappings/EXAMPLE (one line), so that no
# engine file names a study
EXAMPLE_MARKER = Path("mappings") / "EXAMPLE"
STUDY_FILE = "study.yaml"
EXIT_OK, EXIT_VALIDATION, EXIT_BAD_INPUT, EXIT_DATA_DEFECTS = 0, 1, 2, 3
MAX_LISTED = 20

# commands defined in other modules: (module, attribute, one-line help). They are imported only
# when run, so `cdiscflow --help` and shell completion do not load pandas and the standards
# (tests/test_cli_lazy.py checks the help line against the command's own).
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "check-package": ("cdiscflow.package.check", "check_package_command",
                      "Run the regulator's technical rejection checks on a package (exit 1 on "
                      "any failure)."),
    "diff": ("cdiscflow.diff", "diff_command",
             "Compare two runs' datasets, record by record and variable by variable."),
    "init": ("cdiscflow.studyinit.cli", "init_command",
             "Guess a study file and mapping files from the raw forms of RAW_DIR."),
    "spec": ("cdiscflow.specxlsx.cli", "spec_group",
             "The study's spec as an Excel workbook, and back to mapping files."),
    "trace": ("cdiscflow.trace", "trace_command",
              "Where each value of a subject's SDTM records came from."),
    "validate": ("cdiscflow.validators.cli", "validate",
                 "Validate every .xpt in PATH (SDTM and/or ADaM, told apart by dataset name)."),
}


class LazyGroup(GuardedGroup):
    """A command group whose commands in LAZY_COMMANDS are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            module, attr, _ = LAZY_COMMANDS[cmd_name]
            command = getattr(import_module(module), attr)
            command.name = cmd_name
            self.add_command(command)
        return super().get_command(ctx, cmd_name)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[Any]:
        # click's own completion asks every command for its help line, importing them all
        from click.shell_completion import CompletionItem

        items = [CompletionItem(name, help=self._summary(name))
                 for name in self.list_commands(ctx) if name.startswith(incomplete)]
        return items + click.Command.shell_complete(self, ctx, incomplete)

    def _summary(self, name: str) -> str:
        if name in LAZY_COMMANDS and name not in self.commands:
            return LAZY_COMMANDS[name][2]
        return self.commands[name].get_short_help_str(limit=200)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self._summary(name)) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _example_raw(study_dir: Path) -> Path:
    from cdiscflow.specload import load_study

    return (study_dir / load_study(study_dir).spec.raw.dir).resolve()


def _default_study(say: Any = None) -> Path:
    """./study.yaml when the working folder holds one, else the bundled example (and say so)."""
    if Path(STUDY_FILE).is_file():
        return Path(".")
    # the working directory first; an editable install run from elsewhere still finds the
    # bundled example next to the package
    for root in (Path("."), Path(__file__).resolve().parent.parent):
        marker = root / EXAMPLE_MARKER
        if marker.is_file():
            folder = marker.parent / marker.read_text(encoding="utf-8").strip()
            folder = folder if root == Path(".") else folder.resolve()
            if say is not None:
                say(f"no {STUDY_FILE} in this folder: running the bundled example study "
                    f"{folder}")
            return folder
    raise click.UsageError(f"no STUDY_DIR given, no {STUDY_FILE} in this folder and no "
                           f"{EXAMPLE_MARKER} naming the example")


def _formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [v for v in chosen if v not in FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"choose from {', '.join(FORMATS)} (got {value!r})")
    return chosen


def _consoles() -> tuple[Console, Console]:
    from rich.console import Console

    # a log or CI page is not 80 columns: keep the summary table readable there
    console = Console() if Console().is_terminal else Console(width=140)
    err = (Console(stderr=True) if Console(stderr=True).is_terminal
           else Console(stderr=True, width=140))
    return console, err


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="cdiscflow")
def main() -> None:
    """Raw clinical-trial CRF extracts to CDISC SDTM and ADaM, as SAS XPORT v5 with
    Define-XML 2.1."""


@main.command(epilog="Exit codes: 0 clean (warnings are listed); 1 validation findings at the "
              "--fail-on level; 2 bad spec or unreadable input (nothing written); 3 data "
              "defects at the --fail-on level (everything written, defects listed in "
              "OUT/report/defects.csv).")
@click.argument("study_dir", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--raw", "raw_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of the raw extracts (default: the study file's raw.dir).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("out"), show_default=True, help="Output folder.")
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default="error",
              show_default=True,
              help="Lowest severity of a data defect (exit 3) or validation finding (exit 1) "
                   "that fails the run.")
@click.option("--strict", is_flag=True, hidden=True, help="The same as --fail-on warning.")
@click.option("--layout", type=click.Choice(LAYOUTS), default="m5", show_default=True,
              help="m5: eCTD module 5 folders (m5/datasets/<study>/tabulations/sdtm); "
                   "flat: OUT/sdtm, OUT/adam for local work.")
@click.option("--format", "formats", default="xpt", show_default=True, callback=_formats,
              help="Comma-separated dataset formats: xpt, json (CDISC Dataset-JSON v1.1).")
@click.option("--chunk-records", type=click.IntRange(min=0), default=DEFAULT_CHUNK_RECORDS,
              show_default=True,
              help="Build SDTM in chunks of whole subjects holding about this many raw records "
                   "(needs raw.subject in the study file; 0: all subjects at once). The output "
                   "is the same; memory is bounded by the chunk.")
@click.option("--no-adam", "no_adam", is_flag=True,
              help="SDTM, define.xml and validation only: leave the study's ADaM datasets and "
                   "report out (a quicker check of the tabulation data).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes building SDTM chunks at once (default: the CPUs available, at "
                   "most 4; 1: this process only). The output is the same.")
def run(study_dir: Path | None, raw_dir: Path | None, out_dir: Path, fail_on: str,
        strict: bool, layout: str, formats: tuple[str, ...], chunk_records: int,
        no_adam: bool, workers: int | None) -> None:
    """Convert a study's raw extracts to SDTM and ADaM.

    STUDY_DIR holds study.yaml and the mapping files; without it, the current folder when it
    holds study.yaml, else the bundled example study (mappings/EXAMPLE), which it says."""
    console, err = _consoles()
    from cdiscflow.errors import CdiscflowError

    if strict:
        fail_on = "warning"
    if study_dir is None:
        study_dir = _default_study(
            lambda text: console.print(text, highlight=False, style="yellow"))
        if raw_dir is None and study_dir != Path("."):
            # the bundled example reads the raw extracts shipped beside it: a folder this
            # command chose, so it is named as --raw would name it (a study file on its own
            # may only read inside its folder or the working folder)
            raw_dir = _example_raw(study_dir)
    try:
        outcome = _run_with_progress(study_dir, raw_dir, out_dir, console, layout, formats,
                                     chunk_records, not no_adam, workers)
    except CdiscflowError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(EXIT_BAD_INPUT)
    defects = outcome.defects
    _summary(console, outcome.report)
    _chunks(console, outcome)
    _list_defects(err if defects.errors else console, defects)
    validation_failed = _validation(console, err, outcome, out_dir, fail_on)
    _outputs(console, outcome, out_dir, layout)
    failing = defects.errors + (defects.warnings if fail_on == "warning" else [])
    if failing:
        kind = ("error(s) and warning(s)" if fail_on == "warning" and defects.warnings
                else "error(s)")
        err.print(f"[bold red]{len(failing)} {kind} in the raw data[/]: see "
                  f"{out_dir / 'report' / 'defects.csv'}", highlight=False)
        sys.exit(EXIT_DATA_DEFECTS)
    if validation_failed:
        sys.exit(EXIT_VALIDATION)


@main.command("adam")
@click.argument("sdtm_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--spec", "spec_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("adam"), show_default=True,
              help="Folder of the ADaM spec: adam.yaml and one file per dataset.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("out"), show_default=True, help="Output folder.")
@click.option("--layout", type=click.Choice(LAYOUTS), default="m5", show_default=True,
              help="m5: eCTD module 5 folders (m5/datasets/<study>/analysis/adam/datasets); "
                   "flat: OUT/adam for local work.")
@click.option("--format", "formats", default="xpt", show_default=True, callback=_formats,
              help="Comma-separated dataset formats: xpt, json (CDISC Dataset-JSON v1.1).")
@click.option("--fail-on", "fail_on", type=click.Choice(["error", "warning"]), default="error",
              show_default=True, help="Exit 1 on validation findings of this severity or worse.")
def adam(sdtm_dir: Path, spec_dir: Path, out_dir: Path, layout: str,
         formats: tuple[str, ...], fail_on: str) -> None:
    """Build ADaM from a folder of SDTM datasets (XPT, Dataset-JSON or SAS7BDAT)."""
    from rich.markup import escape

    from cdiscflow.adam_pipeline import run_adam_folder
    from cdiscflow.errors import CdiscflowError

    console, err = _consoles()
    try:
        outcome = run_adam_folder(sdtm_dir, spec_dir, out_dir, layout=layout, formats=formats)
    except CdiscflowError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(EXIT_BAD_INPUT)
    for name, d in outcome.report["adam"]["datasets"].items():
        console.print(f"{name}: {d['records']} records", highlight=False)
    if missing := outcome.report["adam"].get("optional_inputs_missing"):
        console.print(f"read as empty, not in the SDTM (adam.yaml optional:): "
                      f"{', '.join(missing)}", highlight=False)
    console.print(f"ADaM written to {outcome.adam_dir}; run report "
                  f"{out_dir / 'report' / 'run.json'}", highlight=False)
    if _validation(console, err, outcome, out_dir, fail_on):
        sys.exit(EXIT_VALIDATION)


def _outputs(console: Console, outcome: RunOutcome, out_dir: Path, layout: str) -> None:
    """The closing summary: every output a reader looks for, by its path."""
    from cdiscflow.output import Layout

    written = Layout(out_dir, outcome.study.spec.study.studyid, layout)
    report = written.report_dir
    lines = [("SDTM", written.sdtm_dir), ("SDTM define.xml", written.sdtm_dir / "define.xml")]
    if "adam" in outcome.report:
        lines += [("ADaM", written.adam_dir),
                  ("ADaM define.xml", written.adam_dir / "define.xml")]
        page = report / "adam-report.html"
        if page.is_file():
            lines.append(("report page", page))
    if outcome.validation is not None:
        lines.append(("validation report", report / "validation.html"))
    lines += [("run report", report / "run.json"), ("defects", report / "defects.csv"),
              ("lineage", written.lineage_dir), ("manifest", out_dir / "manifest.json")]
    width = max(len(k) for k, _ in lines)
    console.print("written:", highlight=False)
    for what, where in lines:
        console.print(f"  {what.ljust(width)}  {where}", highlight=False)


def _validation(console: Console, err: Console, outcome: RunOutcome | AdamOutcome,
                out_dir: Path, fail_on: str = "error") -> bool:
    """Report the validation of what the run wrote; whether it fails at ``fail_on``."""
    result = outcome.validation
    if result is None:
        return False
    where = out_dir / "report" / "validation.html"
    console.print(f"validation: {result.errors} error(s), {result.warnings} warning(s); "
                  f"see {where}", highlight=False)
    if result.errors:
        errors = result.findings[result.findings["severity"] == "error"]
        for f in errors.head(MAX_LISTED).itertuples():
            err.print(f"{f.dataset} row {f.row} {f.usubjid} {f.variable}={f.value!r}: "
                      f"{f.rule} {f.message}", highlight=False, markup=False, soft_wrap=True)
    return result.failed(fail_on)


def _chunks(console: Console, outcome: RunOutcome) -> None:
    chunks = outcome.chunks
    if chunks is None:
        return
    if chunks.chunks > 1:
        console.print(f"SDTM built in {chunks.chunks} chunks of whole subjects "
                      f"({chunks.subjects} subjects, up to {max(chunks.records_per_chunk)} raw "
                      f"records per chunk, {chunks.processes} process(es))", highlight=False)
    elif chunks.whole_because:
        console.print(f"SDTM built in one piece: {chunks.whole_because}", highlight=False)


def _run_with_progress(study_dir: Path, raw_dir: Path | None, out_dir: Path,
                       console: Console, layout: str = "m5",
                       formats: tuple[str, ...] = ("xpt",),
                       chunk_records: int = DEFAULT_CHUNK_RECORDS,
                       with_adam: bool = True, workers: int | None = None) -> RunOutcome:
    from cdiscflow.pipeline import run_study

    options = {"layout": layout, "formats": formats, "chunk_records": chunk_records,
               "with_adam": with_adam, "workers": workers}
    if not console.is_terminal:
        def plain(domain: str, stage: str) -> None:
            console.print(f"{domain}: {stage}", highlight=False)
        return run_study(study_dir, raw_dir, out_dir, plain, **options)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    # a bar, a rate and an estimate where the stage says how far it is (the variables of an
    # SDTM domain being mapped); a spinner and the stage's words elsewhere
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                  TimeRemainingColumn(), console=console, transient=True) as progress:
        return run_study(study_dir, raw_dir, out_dir, LiveProgress(progress), **options)


class LiveProgress:
    """The run's stages as rich progress tasks, one per domain or stage name."""

    def __init__(self, progress: Any) -> None:
        self.progress = progress
        self.tasks: dict[str, int] = {}
        self.started: dict[str, float] = {}

    def _task(self, name: str, stage: str) -> int:
        if name not in self.tasks:
            self.tasks[name] = self.progress.add_task(f"{name}: {stage}", total=None, rate="")
        return self.tasks[name]

    def __call__(self, name: str, stage: str) -> None:
        self.progress.update(self._task(name, stage), description=f"{name}: {stage}")

    def count(self, name: str, done: int, total: int, records: int) -> None:
        import time

        now = time.monotonic()
        start = self.started.setdefault(name, now)
        self.progress.update(self._task(name, "mapping"), completed=done, total=total,
                             rate=rate_text(records * done, now - start))


def rate_text(values: int, seconds: float) -> str:
    """Values mapped per second, for the progress line ('' until a rate can be told)."""
    if seconds <= 0 or values <= 0:
        return ""
    return f"{values / seconds:,.0f} values/s"


def _summary(console: Console, report: dict) -> None:
    from rich.table import Table

    table = Table(title=f"{report['study']['studyid']}: raw records to SDTM")
    for col in ("domain", "raw file", "raw in", "records out", "landed", "filtered",
                "rejected", "empty", "values not done", "SUPP"):
        table.add_column(col, justify="left" if col in ("domain", "raw file") else "right")
    for name, d in report["domains"].items():
        table.add_row(name, d["source_file"], str(d["raw_records"]), str(d["records_out"]),
                      str(d["raw_records_landed"]), str(sum(d["filtered"].values())),
                      str(sum(d["rejected"].values())), str(d["empty_raw_records"]),
                      str(d["values_not_done"]), str(d["supp_records"]))
    console.print(table)
    for name, d in report["domains"].items():
        for reason, n in {**d["filtered"], **d["rejected"]}.items():
            console.print(f"  {name}: {n} raw record(s) not mapped: {reason}", highlight=False)


def _list_defects(console: Console, defects) -> None:
    items = defects.errors + defects.warnings
    for d in items[:MAX_LISTED]:
        console.print(str(d), highlight=False, markup=False, soft_wrap=True)
    if len(items) > MAX_LISTED:
        console.print(f"... and {len(items) - MAX_LISTED} more in the run report", highlight=False)


