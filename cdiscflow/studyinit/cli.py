"""``cdiscflow init RAW_DIR [STUDY_DIR]``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cdiscflow.errors import CdiscflowError

EXIT_BAD_INPUT = 2


@click.command("init")
@click.argument("raw_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("study_dir", required=False, type=click.Path(path_type=Path, file_okay=False),
                default=Path("."))
@click.option("--force", is_flag=True, help="Replace the study files of STUDY_DIR.")
def init_command(raw_dir: Path, study_dir: Path, force: bool) -> None:
    """Guess a study file and mapping files from the raw forms of RAW_DIR.

    Fields whose names or values match SDTM variables and CT become variables; every guess is
    marked `# REVIEW` in the files; forms that fit no domain are listed. STUDY_DIR defaults to
    the current folder, so that `cdiscflow run` finds the study next."""
    from cdiscflow.studyinit.write import init_study

    try:
        result = init_study(raw_dir, study_dir, force)
    except CdiscflowError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(f"study {result.studyid} in {result.study_dir}:")
    for domain, file in result.domains.items():
        click.echo(f"  {domain} from {file} ({domain.lower()}.yaml)")
    for file, why in result.forms_left:
        click.echo(f"  not placed: {file}: {why}")
    # a study file reads raw data only inside its folder or the working folder (README,
    # "Which paths a study may touch"): a raw folder elsewhere is named with --raw
    raw, study = raw_dir.resolve(), result.study_dir.resolve()
    named = "" if study == raw or study in raw.parents else f" --raw {raw_dir}"
    click.echo(f"{result.reviews} line(s) marked # REVIEW; the files pass the spec check. "
               f"Next: cdiscflow run {result.study_dir}{named}")
