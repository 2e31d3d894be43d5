"""The stages of `cdiscflow run`, in order: load and check the spec, build SDTM, write the
submission package (docs/submission-package.md).

Each stage is one function so later stages (ADaM, validation, the submission package) slot in
here without the command line knowing about them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cdiscflow.adam.engine import check_spec
from cdiscflow.adam.spec import LoadedAdam, load_adam
from cdiscflow.adam.stage import run_adam
from cdiscflow.asciivalues import fix_non_ascii
from cdiscflow.errors import CdiscflowError, DefectLog
from cdiscflow.forked import Forked
from cdiscflow.output import (
    Layout,
    describe_adam_folder,
    spec_lengths,
    write_results,
    write_run_report,
)
from cdiscflow.outswap import OutputLock, clear_debris
from cdiscflow.publish import check_replaceable, discard, publish, staging_dir, write_manifest
from cdiscflow.raw import position_word
from cdiscflow.sdtm.checked import check_study_spec
from cdiscflow.sdtm.chunked import DEFAULT_CHUNK_RECORDS, ChunkReport, build_sdtm_chunked
from cdiscflow.sdtm.domains import sponsor_domains
from cdiscflow.sdtm.engine import DomainResult, Progress
from cdiscflow.sdtm.plan import Segment
from cdiscflow.sdtm.trial_design import (
    arms_not_in_ta,
    derive_from_data,
)
from cdiscflow.spec import LoadedStudy, StudyInfo
from cdiscflow.specload import load_study
from cdiscflow.studypaths import check_out_dir, raw_file, raw_folder
from cdiscflow.validators import ValidationResult, validate_run
from cdiscflow.xpt import XptError

# up to this many SDTM records validation runs beside the rest of the run in a second process;
# above it, one after the other: the two at once would hold a large study's data twice
BACKGROUND_VALIDATION_MAX_RECORDS = 3_000_000
MAX_LISTED = 20  # defects named in a message that stops the run


@dataclass
class RunOutcome:
    study: LoadedStudy
    defects: DefectLog
    report: dict[str, Any]
    validation: ValidationResult | None = None  # of the datasets written (SDTM, ADaM)
    chunks: ChunkReport | None = None  # how the SDTM stage split the subjects


def build_sdtm(study: LoadedStudy, raw_dir: Path | None, progress: Progress | None,
               chunk_records: int = DEFAULT_CHUNK_RECORDS, workers: int | None = None,
               plan: tuple[Segment, ...] | None = None
               ) -> tuple[dict[str, DomainResult], DefectLog, ChunkReport]:
    # the spec is checked whole before any raw data is read (``plan``: already checked)
    return build_sdtm_chunked(study, raw_dir, progress, chunk_records, workers, plan)


def _inputs(study: LoadedStudy, raw_dir: Path | None) -> dict[str, dict[str, Path]]:
    raw = raw_folder(study, raw_dir)
    specs = {p.relative_to(study.dir).as_posix(): p for p in study.dir.rglob("*.yaml")
             if p.is_file()}
    blank = study.spec.submission.blank_crf
    if blank is not None:  # the study's own blank CRF: acrf.pdf holds its pages
        specs[Path(blank.file).as_posix()] = study.dir / blank.file
    return {"spec": specs, "raw": {f.file: raw_file(raw, study, name)
                                   for name, f in study.spec.raw.forms.items()}}


def run_study(study_dir: Path, raw_dir: Path | None, out_dir: Path,
              progress: Progress | None = None, *, layout: str = "m5",
              formats: tuple[str, ...] = ("xpt",),
              chunk_records: int = DEFAULT_CHUNK_RECORDS, with_adam: bool = True,
              workers: int | None = None) -> RunOutcome:
    """Convert one study; raises CdiscflowError for a spec or input that cannot be used.

    Every stage writes below ``out`` (a staging folder); only a run that got to the end
    replaces the previous output, so an interrupted or failed run leaves it intact.
    ``layout`` is "m5" (eCTD module 5 folders) or "flat"; ``formats`` "xpt" and/or "json";
    ``chunk_records``: raw records per subject chunk of the SDTM stage (0: all at once); the
    output is the same either way, and whatever the number of ``workers`` (processes building
    chunks; default: the CPUs available, at most 4). ``with_adam=False`` leaves the study's
    ADaM out (SDTM, define.xml and validation only).
    """
    study = load_study(study_dir)
    # the run reads only inside the study's folders and never writes over them
    inputs = _inputs(study, raw_dir)
    check_out_dir(out_dir, study, raw_folder(study, raw_dir), list(inputs["spec"].values()))
    # one run at a time writes OUT; what runs that died left there is cleared first. The
    # absolute path without resolving links: a linked OUT is refused, not written through
    target = Path(os.path.abspath(out_dir))
    with OutputLock(target):
        clear_debris(target)
        return _convert(study, inputs, raw_dir, target, progress, layout, formats,
                        chunk_records, with_adam, workers)


def _convert(study: LoadedStudy, inputs: dict[str, dict[str, Path]], raw_dir: Path | None,
             out_dir: Path, progress: Progress | None, layout: str, formats: tuple[str, ...],
             chunk_records: int, with_adam: bool, workers: int | None) -> RunOutcome:
    check_replaceable(out_dir)  # a file no run wrote in OUT: refused before any work
    # the ADaM spec files too are checked before any data
    adam = load_adam(study.dir) if with_adam else None
    if adam is not None:
        check_spec(adam)  # a variable the standards do not know and the spec does not label
        from cdiscflow.report.displays import load_displays  # matplotlib: only for ADaM

        load_displays(adam)  # a display's unknown kind, key or variable, before any data
    spec_lengths(study)  # a missing `length:` is a spec error, reported before any data
    # the whole spec checked once (trial design, TS, every mapping against the raw headers):
    # TA, TE, TV, TI as declared; SV and SE from the data once it is built
    checked = check_study_spec(study, raw_dir)
    ts = checked.ts
    design = dict(checked.design)
    sdtm, defects, chunks = build_sdtm(study, raw_dir, progress, chunk_records, workers,
                                       checked.plan)
    defects.defects[:0] = checked.warnings  # the spec's own warnings before the data's
    _check_subjects(sdtm, defects)
    # every non-ASCII value is a defect of its own, and the run goes on to find them all
    defects.extend(fix_non_ascii(sdtm, study))
    if "TA" in design and "DM" in sdtm:
        defects.extend(arms_not_in_ta(sdtm["DM"].data, sdtm["DM"].lineage, design["TA"]))
    design.update(derive_from_data(study, design, {n: r.data for n, r in sdtm.items()}))
    def stage(name: str, what: str) -> None:
        # every stage after SDTM says what it is doing, like the domains do
        if progress is not None:
            progress(name, what)

    out = staging_dir(out_dir)
    validation_job: list[Forked[ValidationResult]] = []
    try:
        written = Layout(out, study.spec.study.studyid, layout)

        def validation() -> ValidationResult:
            # what was written, as a reviewer would receive it; reports in out/report
            return validate_run([written.sdtm_dir, written.adam_dir], written.report_dir,
                                sponsor_domains(study))

        stage("SDTM", f"writing {len(sdtm)} domain(s), define.xml and lineage")

        records = sum(len(r.data) for r in sdtm.values())

        def start_validation() -> None:
            # once the last datasets are on disk, validation runs in a second process while
            # this one writes define.xml, lineage and the ADaM report (outputs are the same)
            if records <= BACKGROUND_VALIDATION_MAX_RECORDS:
                stage("validation", "running beside the rest of the run")
                validation_job.append(Forked(validation))

        try:
            report = write_results(sdtm, ts, study, written, defects, formats,
                                   after_datasets=None if adam else start_validation,
                                   design=design, raw_dir=raw_folder(study, raw_dir))
        except XptError as exc:
            raise _with_raw_source(exc, sdtm, study) from None
        # the datasets are on disk now, and the later stages read them from there: a large
        # study's frames are not kept through ADaM and validation
        sdtm.clear()
        stage("SDTM", "written")
        if adam is not None:  # ADaM from the SDTM just written, then the reviewer's report
            stage("ADaM", "building datasets, then the tables and figures")
            report["adam"] = adam_stage(adam, written.sdtm_dir, study.spec.study, written,
                                        formats, study.spec.submission.max_xpt_bytes,
                                        start_validation, qualifiers=_qualifiers(study))
            stage("ADaM", f"written ({len(report['adam'].get('datasets', {}))} datasets)")
            if missing := report["adam"].get("optional_inputs_missing"):
                stage("ADaM", f"read as empty, not in the SDTM (adam.yaml optional:): "
                              f"{', '.join(missing)}")
            write_run_report(written, report)  # with what the ADaM stage wrote
        if not validation_job:
            stage("validation", "running")
        result = validation_job.pop().result() if validation_job else validation()
        stage("validation", f"{result.errors} error(s), {result.warnings} warning(s)")
        stage("package", "manifest, then publishing")
        if "xpt" not in formats:
            drop_xpt([written.sdtm_dir, written.adam_dir])
        write_manifest(out, inputs)
        publish(out, out_dir)
    except BaseException:
        for job in validation_job:
            job.cancel()
        discard(out)
        raise
    return RunOutcome(study, defects, report, result, chunks)


def _qualifiers(study: LoadedStudy) -> dict[str, list[str]]:
    """Per domain, the SUPP-- QNAMs its mapping declares (the variables written to SUPP--)."""
    return {ld.spec.domain: [n for n, v in ld.spec.variables.items() if v.supp is not None]
            for ld in study.domains}


def _check_subjects(sdtm: dict[str, DomainResult], defects: DefectLog) -> None:
    """A study with no subject in DM has nothing to submit and no reference dates for the rest:
    one message saying why (the defects that rejected its records), before anything is
    written."""
    dm = sdtm.get("DM")
    if dm is None or len(dm.data):
        return
    recon = dm.recon
    lost = {**recon.filtered, **recon.rejected}
    why = "; ".join(f"{n} {reason}" for reason, n in lost.items())
    errors = [str(d) for d in defects.errors if d.file == recon.source_file]
    listed = "".join(f"\n  {d}" for d in errors[:MAX_LISTED])
    more = f"\n  ... and {len(errors) - MAX_LISTED} more" if len(errors) > MAX_LISTED else ""
    raise CdiscflowError(f"no subjects in DM: {recon.source_file} gave no DM record "
                         f"({recon.raw_records} raw record(s){': ' + why if why else ''}); "
                         f"nothing was written" + listed + more)


def drop_xpt(folders: list[Path]) -> None:
    """Remove the XPT files of a Dataset-JSON-only run (`--format json`) from the staging
    folder: ADaM and validation read them, the package does not hold them."""
    for folder in folders:
        for path in sorted(folder.glob("*.xpt")) if folder.is_dir() else []:
            path.unlink()


def adam_stage(adam: LoadedAdam, sdtm_dir: Path, info: StudyInfo, written: Layout,
               formats: tuple[str, ...], max_bytes: int,
               after_write: Callable[[], None] | None = None,
               sdtm: dict[str, pd.DataFrame] | None = None,
               qualifiers: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """The ADaM stage of `cdiscflow run` and `cdiscflow adam` alike: the datasets from the
    SDTM in ``sdtm_dir`` (``sdtm``: those datasets already read), split past ``max_bytes``,
    the estimates and report, then the ADaM define.xml (and Dataset-JSON)."""
    report = run_adam(adam, sdtm_dir if sdtm is None else sdtm, written.adam_dir,
                      written.report_dir, info.created, after_write=after_write,
                      max_bytes=max_bytes, qualifiers=qualifiers)
    from cdiscflow.report.displays import result_displays

    describe_adam_folder(info, written.adam_dir, sdtm_dir, formats, adam,
                         displays=result_displays(adam))
    return report


def _with_raw_source(exc: XptError, sdtm: dict[str, DomainResult], study: LoadedStudy
                     ) -> CdiscflowError:
    """An XPT limit broken by a value: say which raw record the value came from."""
    result = sdtm.get(exc.dataset)
    if result is None or exc.row is None or exc.row >= len(result.lineage):
        return exc
    origin = result.lineage.iloc[exc.row]
    file = origin["SOURCE_FILE"]
    return CdiscflowError(f"{exc}; it comes from {file} {_position_word(study, file)} "
                          f"{origin['SOURCE_ROW']}")


def _position_word(study: LoadedStudy, file_name: str) -> str:
    """"line" for a CSV file, "row" for a worksheet, "record" for SAS and Parquet data."""
    formats = {Path(f.file).name: f.file_format for f in study.spec.raw.forms.values()}
    return position_word(formats.get(file_name, "csv"))
