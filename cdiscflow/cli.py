"""The command line: ``cdiscflow run`` converts a study's raw CRF extracts to SDTM.

Exit codes: 0 clean (warnings may be listed), 1 the datasets written have validation errors
(``cdiscflow validate``'s rules, reports in out/report/validation.*), 2 bad input or spec (errors
in the raw data are listed and written to the run report; the datasets are still written so
they can be inspected).
"""

from __future__ import annotations

import errno
import signal
import sys
import threading
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cdiscflow import __version__
from cdiscflow.adam_pipeline import AdamOutcome, run_adam_folder
from cdiscflow.errors import CdiscflowError
from cdiscflow.output import FORMATS, LAYOUTS
from cdiscflow.package.check import check_package_command
from cdiscflow.pipeline import RunOutcome, run_study
from cdiscflow.sdtm.chunked import DEFAULT_CHUNK_RECORDS
from cdiscflow.validators.cli import validate as validate_command

# the bundled example study is the folder named in mappings/EXAMPLE (one line), so that no
# engine file names a study
EXAMPLE_MARKER = Path("mappings") / "EXAMPLE"
EXIT_OK, EXIT_VALIDATION, EXIT_BAD_INPUT = 0, 1, 2
MAX_LISTED = 20


def _default_study() -> Path:
    # the working directory first; an editable install run from elsewhere still finds the
    # bundled example next to the package
    for root in (Path("."), Path(__file__).resolve().parent.parent):
        marker = root / EXAMPLE_MARKER
        if marker.is_file():
            folder = marker.parent / marker.read_text(encoding="utf-8").strip()
            return folder if root == Path(".") else folder.resolve()
    raise click.UsageError(f"no STUDY_DIR given and no {EXAMPLE_MARKER} naming the example")


def _formats(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [v for v in chosen if v not in FORMATS]
    if unknown or "xpt" not in chosen:
        # XPT is what the regulator requires; JSON is written beside it, never instead
        raise click.BadParameter(f"choose from {', '.join(FORMATS)}, including xpt "
                                 f"(got {value!r})")
    return chosen


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is so that staging folders and forked children are
    cleaned up on the way out, as for Ctrl-C."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated()


def _failure_message(exc: BaseException) -> str:
    """One line for any failure a command did not word itself (never a traceback)."""
    if isinstance(exc, KeyboardInterrupt):
        what = "terminated (SIGTERM)" if isinstance(exc, _Terminated) else "interrupted"
        return (f"{what}; the output folder holds the last package a run completed, whole, "
                f"and the unfinished one was removed")
    if isinstance(exc, CdiscflowError):
        return str(exc)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        reason = exc.strerror or str(exc)
        if exc.errno == errno.ENOSPC:
            reason += " (the disk is full: free space and run again)"
        return f"{where}{reason}; nothing was published"
    if isinstance(exc, RecursionError):
        return "an input is nested too deeply to read (recursion limit reached)"
    if isinstance(exc, MemoryError):
        return "out of memory; nothing was published"
    return f"internal error ({type(exc).__name__}: {exc}); nothing was published"


class _Guarded(click.Group):
    """Every command's failures end as one message on stderr and exit code 2."""

    def invoke(self, ctx: click.Context) -> object:
        previous = signal.getsignal(signal.SIGTERM)
        in_main = threading.current_thread() is threading.main_thread()
        if in_main:
            signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BaseException as exc:
            if isinstance(exc, SystemExit):
                raise
            Console(stderr=True, width=140).print(
                f"[bold red]error:[/] {escape(_failure_message(exc))}", highlight=False)
            sys.exit(EXIT_BAD_INPUT)
        finally:
            if in_main:
                signal.signal(signal.SIGTERM, previous)


@click.group(cls=_Guarded)
@click.version_option(__version__, prog_name="cdiscflow")
def main() -> None:
    """Raw clinical-trial CRF extracts to CDISC SDTM, as SAS XPORT v5."""


@main.command()
@click.argument("study_dir", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--raw", "raw_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of the raw extracts (default: the study file's raw.dir).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path("out"), show_default=True, help="Output folder.")
@click.option("--strict", is_flag=True,
              help="Fail (exit 2) on warnings in the raw data too, not only on errors.")
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
def run(study_dir: Path | None, raw_dir: Path | None, out_dir: Path, strict: bool,
        layout: str, formats: tuple[str, ...], chunk_records: int, no_adam: bool,
        workers: int | None) -> None:
    """Convert a study (default: the bundled example, see mappings/EXAMPLE) into SDTM datasets."""
    # a log or CI page is not 80 columns: keep the summary table readable there
    console = Console() if Console().is_terminal else Console(width=140)
    err = Console(stderr=True) if Console(stderr=True).is_terminal else Console(stderr=True,
                                                                                 width=140)
    study_dir = study_dir or _default_study()
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
    sdtm_dir = (out_dir / outcome.report["define"]).parent
    console.print(f"SDTM written to {sdtm_dir}; run report "
                  f"{out_dir / 'report' / 'run.json'}", highlight=False)
    failing = defects.errors + (defects.warnings if strict else [])
    if failing:
        kind = "error(s) and warning(s)" if strict and defects.warnings else "error(s)"
        err.print(f"[bold red]{len(failing)} {kind} in the raw data[/]: see "
                  f"{out_dir / 'report' / 'defects.csv'}", highlight=False)
        sys.exit(EXIT_BAD_INPUT)
    _validation(console, err, outcome, out_dir)


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
def adam(sdtm_dir: Path, spec_dir: Path, out_dir: Path, layout: str,
         formats: tuple[str, ...]) -> None:
    """Build ADaM from a folder of SDTM datasets (XPT, Dataset-JSON or SAS7BDAT)."""
    console = Console() if Console().is_terminal else Console(width=140)
    err = Console(stderr=True) if Console(stderr=True).is_terminal else Console(stderr=True,
                                                                                 width=140)
    try:
        outcome = run_adam_folder(sdtm_dir, spec_dir, out_dir, layout=layout, formats=formats)
    except CdiscflowError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(EXIT_BAD_INPUT)
    for name, d in outcome.report["adam"]["datasets"].items():
        console.print(f"{name}: {d['records']} records", highlight=False)
    console.print(f"ADaM written to {outcome.adam_dir}; run report "
                  f"{out_dir / 'report' / 'run.json'}", highlight=False)
    _validation(console, err, outcome, out_dir)


def _validation(console: Console, err: Console, outcome: RunOutcome | AdamOutcome,
                out_dir: Path) -> None:
    """Report the validation of what the run wrote; exit 1 when it found errors."""
    result = outcome.validation
    if result is None:
        return
    where = out_dir / "report" / "validation.html"
    console.print(f"validation: {result.errors} error(s), {result.warnings} warning(s); "
                  f"see {where}", highlight=False)
    if result.errors:
        errors = result.findings[result.findings["severity"] == "error"]
        for f in errors.head(MAX_LISTED).itertuples():
            err.print(f"{f.dataset} row {f.row} {f.usubjid} {f.variable}={f.value!r}: "
                      f"{f.rule} {f.message}", highlight=False, markup=False, soft_wrap=True)
        sys.exit(EXIT_VALIDATION)


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
    options = {"layout": layout, "formats": formats, "chunk_records": chunk_records,
               "with_adam": with_adam, "workers": workers}
    if not console.is_terminal:
        def plain(domain: str, stage: str) -> None:
            console.print(f"{domain}: {stage}", highlight=False)
        return run_study(study_dir, raw_dir, out_dir, plain, **options)
    from rich.progress import Progress, SpinnerColumn, TextColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console,
                  transient=True) as progress:
        tasks: dict[str, int] = {}

        def live(domain: str, stage: str) -> None:
            if domain not in tasks:
                tasks[domain] = progress.add_task(f"{domain}: {stage}")
            progress.update(tasks[domain], description=f"{domain}: {stage}")
        return run_study(study_dir, raw_dir, out_dir, live, **options)


def _summary(console: Console, report: dict) -> None:
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


main.add_command(check_package_command)
main.add_command(validate_command)
