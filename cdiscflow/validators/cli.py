"""``cdiscflow validate PATH``: validate a folder of SDTM and/or ADaM .xpt datasets.

Exit codes: 0 no errors, 1 errors found (or warnings with ``--fail-on warning``), 2 the input
could not be read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from cdiscflow.package.manifest import manifest_warnings
from cdiscflow.validators import ValidationInputError, ValidationResult, validate_folder
from cdiscflow.validators.report import print_table, write_html, write_json, write_junit

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2
# the reports' folder when no report path is given (run writes the same files to OUT/report)
DEFAULT_REPORT_DIR = "validation-report"


def write_reports(result: ValidationResult, json_path: Path | None = None,
                  html_path: Path | None = None, junit_path: Path | None = None) -> None:
    if json_path:
        write_json(result, json_path)
    if html_path:
        write_html(result, html_path)
    if junit_path:
        write_junit(result, junit_path)


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--fail-on", type=click.Choice(["error", "warning"]), default="error",
              show_default=True, help="Lowest severity that makes the exit code 1.")
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the findings as JSON here.")
@click.option("--html", "html_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write a self-contained HTML report here.")
@click.option("--junit", "junit_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write JUnit XML here (each rule a test case).")
@click.option("--report-dir", type=click.Path(path_type=Path, file_okay=False),
              default=Path(DEFAULT_REPORT_DIR), show_default=True,
              help="Where validation.json, .html and .xml go when none of --json, --html, "
                   "--junit is given.")
@click.option("--limit", default=50, show_default=True,
              help="Findings listed in the terminal (the reports have all).")
def validate(path: Path, fail_on: str, json_path: Path | None, html_path: Path | None,
             junit_path: Path | None, report_dir: Path, limit: int) -> None:
    """Validate every .xpt in PATH (SDTM and/or ADaM, told apart by dataset name).

    The reports are those of `cdiscflow run` (validation.json, .html, .xml), in --report-dir
    unless a single report's path is given."""
    console = Console() if Console().is_terminal else Console(width=160)
    err = Console(stderr=True)
    try:
        result = validate_folder(path)
    except ValidationInputError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(EXIT_BAD_INPUT)
    print_table(result, console, limit)
    for warning in manifest_warnings(path) if path.is_dir() else []:
        # the datasets are not what the run that wrote them published: say so, but validate
        err.print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False,
                  soft_wrap=True)
    if not (json_path or html_path or junit_path):
        json_path, html_path, junit_path = (report_dir / f"validation.{ext}"
                                            for ext in ("json", "html", "xml"))
        console.print(f"reports written to {report_dir}", highlight=False)
    write_reports(result, json_path, html_path, junit_path)
    console.print(f"{result.errors} error(s), {result.warnings} warning(s)", highlight=False)
    sys.exit(EXIT_FINDINGS if result.failed(fail_on) else EXIT_OK)
