"""The stages of `cdiscflow run`, in order: load and check the spec, build SDTM, write the
submission package (docs/submission-package.md).

Each stage is one function so later stages (ADaM, validation, the submission package) slot in
here without the command line knowing about them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdiscflow.adam.spec import load_adam
from cdiscflow.adam.stage import run_adam
from cdiscflow.errors import CdiscflowError, DefectLog
from cdiscflow.forked import Forked
from cdiscflow.output import Layout, describe_adam_folder, spec_lengths, write_results
from cdiscflow.publish import discard, publish, staging_dir, write_manifest
from cdiscflow.raw import position_word
from cdiscflow.sdtm.chunked import DEFAULT_CHUNK_RECORDS, ChunkReport, build_sdtm_chunked
from cdiscflow.sdtm.engine import DomainResult, Progress
from cdiscflow.sdtm.trial_design import (
    arms_not_in_ta,
    build_trial_design,
    derive_from_data,
    has_trial_design,
)
from cdiscflow.sdtm.ts import build_ts, has_ts
from cdiscflow.spec import LoadedStudy, load_study
from cdiscflow.validators import ValidationResult, validate_run
from cdiscflow.xpt import XptError

# up to this many SDTM records validation runs beside the rest of the run in a second process;
# above it, one after the other: the two at once would hold a large study's data twice
BACKGROUND_VALIDATION_MAX_RECORDS = 3_000_000


@dataclass
class RunOutcome:
    study: LoadedStudy
    defects: DefectLog
    report: dict[str, Any]
    validation: ValidationResult | None = None  # of the datasets written (SDTM, ADaM)
    chunks: ChunkReport | None = None  # how the SDTM stage split the subjects


def build_sdtm(study: LoadedStudy, raw_dir: Path | None, progress: Progress | None,
               chunk_records: int = DEFAULT_CHUNK_RECORDS, workers: int | None = None
               ) -> tuple[dict[str, DomainResult], DefectLog, ChunkReport]:
    # the spec is checked whole before any raw data is read
    return build_sdtm_chunked(study, raw_dir, progress, chunk_records, workers)


def _inputs(study: LoadedStudy, raw_dir: Path | None) -> dict[str, dict[str, Path]]:
    raw = Path(raw_dir) if raw_dir else study.dir / study.spec.raw.dir
    specs = {p.relative_to(study.dir).as_posix(): p for p in study.dir.rglob("*.yaml")
             if p.is_file()}
    return {"spec": specs, "raw": {f.file: raw / f.file for f in study.spec.raw.forms.values()}}


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
    # the ADaM spec files too are checked before any data
    adam = load_adam(study.dir) if with_adam else None
    spec_lengths(study)  # a missing `length:` is a spec error, reported before any data
    ts = build_ts(study) if has_ts(study) else None  # and so is a TS parameter CT refuses
    # TA, TE, TV, TI as declared (checked on load); SV and SE from the data once it is built
    design = build_trial_design(study) if has_trial_design(study) else {}
    sdtm, defects, chunks = build_sdtm(study, raw_dir, progress, chunk_records, workers)
    if "TA" in design and "DM" in sdtm:
        defects.extend(arms_not_in_ta(sdtm["DM"].data, sdtm["DM"].lineage, design["TA"]))
    design.update(derive_from_data(study, design, {n: r.data for n, r in sdtm.items()}))
    out = staging_dir(out_dir)
    validation_job: list[Forked[ValidationResult]] = []
    try:
        written = Layout(out, study.spec.study.studyid, layout)

        def validation() -> ValidationResult:
            # what was written, as a reviewer would receive it; reports in out/report
            return validate_run([written.sdtm_dir, written.adam_dir], written.report_dir)

        records = sum(len(r.data) for r in sdtm.values())

        def start_validation() -> None:
            # once the last datasets are on disk, validation runs in a second process while
            # this one writes define.xml, lineage and the ADaM report (outputs are the same)
            if records <= BACKGROUND_VALIDATION_MAX_RECORDS:
                validation_job.append(Forked(validation))

        try:
            report = write_results(sdtm, ts, study, written, defects, formats,
                                   after_datasets=None if adam else start_validation,
                                   design=design, raw_dir=raw_dir)
        except XptError as exc:
            raise _with_raw_source(exc, sdtm, study) from None
        # the datasets are on disk now, and the later stages read them from there: a large
        # study's frames are not kept through ADaM and validation
        sdtm.clear()
        if adam is not None:  # ADaM from the SDTM just written, then the reviewer's report
            report["adam"] = run_adam(adam, written.sdtm_dir, written.adam_dir,
                                      written.report_dir, study.spec.study.created,
                                      after_write=start_validation)
            describe_adam_folder(study, written, formats, adam)  # define.xml (and JSON)
        result = validation_job.pop().result() if validation_job else validation()
        write_manifest(out, _inputs(study, raw_dir))
        publish(out, out_dir)
    except BaseException:
        for job in validation_job:
            job.cancel()
        discard(out)
        raise
    return RunOutcome(study, defects, report, result, chunks)


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
