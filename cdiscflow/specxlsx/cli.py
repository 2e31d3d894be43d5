"""``cdiscflow spec export`` and ``cdiscflow spec import``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cdiscflow.errors import CdiscflowError

EXIT_BAD_INPUT = 2


@click.group("spec")
def spec_group() -> None:
    """The study's spec as an Excel workbook, and back to mapping files."""


@spec_group.command("export")
@click.argument("study_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--xlsx", "target", required=True,
              type=click.Path(path_type=Path, dir_okay=False),
              help="The workbook to write (replaced when it exists).")
def export_command(study_dir: Path, target: Path) -> None:
    """Write the study file and mapping files of STUDY_DIR as one workbook.

    Sheets: Study, Datasets, Variables, ValueLevel, Codelists, Methods, Comments, Tables
    (docs/spec-workbook.md)."""
    from cdiscflow.specxlsx.export import export_workbook

    try:
        counts = export_workbook(study_dir, target)
    except CdiscflowError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    rows = ", ".join(f"{sheet} {n}" for sheet, n in counts.items())
    click.echo(f"wrote {target} (rows: {rows})")


@spec_group.command("import")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False, exists=True),
                metavar="SPEC.xlsx")
@click.argument("study_dir", type=click.Path(path_type=Path, file_okay=False))
def import_command(source: Path, study_dir: Path) -> None:
    """Write the study file and mapping files a workbook describes into STUDY_DIR.

    The files are checked as `cdiscflow run` checks them before any is written; an error names
    the sheet, row and column. Other files of STUDY_DIR (adam/*.yaml) are left as they are."""
    from cdiscflow.specxlsx.importer import import_workbook

    try:
        written, raw = import_workbook(source, study_dir)
    except CdiscflowError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"wrote {len(written)} file(s) to {study_dir}: "
               f"{', '.join(p.name for p in written)}")
    click.echo(f"checked against the raw headers in {raw}" if raw else
               "the study's raw folder is not there: the spec files alone were checked")
