"""The stages of `cdiscflow run`, in order: load and check the spec, build SDTM, write.

Each stage is one function so later stages (ADaM, validation, the submission package) slot in
here without the command line knowing about them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdiscflow.errors import CdiscflowError, DefectLog
from cdiscflow.output import write_results
from cdiscflow.publish import discard, publish, staging_dir, write_manifest
from cdiscflow.sdtm.engine import DomainResult, Engine, Progress
from cdiscflow.spec import LoadedStudy, load_study
from cdiscflow.xpt import XptError


@dataclass
class RunOutcome:
    study: LoadedStudy
    sdtm: dict[str, DomainResult]
    defects: DefectLog
    report: dict[str, Any]


def build_sdtm(study: LoadedStudy, raw_dir: Path | None, progress: Progress | None
               ) -> tuple[dict[str, DomainResult], DefectLog]:
    engine = Engine(study, raw_dir)
    engine.check()  # the whole spec, before any raw data is read
    return engine.run(progress), engine.defects


def _inputs(study: LoadedStudy, raw_dir: Path | None) -> dict[str, dict[str, Path]]:
    raw = Path(raw_dir) if raw_dir else study.dir / study.spec.raw.dir
    specs = {p.relative_to(study.dir).as_posix(): p for p in study.dir.rglob("*.yaml")
             if p.is_file()}
    return {"spec": specs, "raw": {f.file: raw / f.file for f in study.spec.raw.forms.values()}}


def run_study(study_dir: Path, raw_dir: Path | None, out_dir: Path,
              progress: Progress | None = None) -> RunOutcome:
    """Convert one study; raises CdiscflowError for a spec or input that cannot be used.

    Every stage writes below ``out`` (a staging folder); only a run that got to the end
    replaces the previous output, so an interrupted or failed run leaves it intact.
    """
    study = load_study(study_dir)
    sdtm, defects = build_sdtm(study, raw_dir, progress)
    out = staging_dir(out_dir)
    try:
        report = write_results(sdtm, out, study.spec.study.created, defects,
                               {"studyid": study.spec.study.studyid,
                                "study_dir": str(study_dir)})
        write_manifest(out, _inputs(study, raw_dir))
        publish(out, out_dir)
    except XptError as exc:
        discard(out)
        raise _with_raw_source(exc, sdtm) from None
    except BaseException:
        discard(out)
        raise
    return RunOutcome(study, sdtm, defects, report)


def _with_raw_source(exc: XptError, sdtm: dict[str, DomainResult]) -> CdiscflowError:
    """An XPT limit broken by a value: say which raw record the value came from."""
    result = sdtm.get(exc.dataset)
    if result is None or exc.row is None or exc.row >= len(result.lineage):
        return exc
    origin = result.lineage.iloc[exc.row]
    return CdiscflowError(f"{exc}; it comes from {origin['SOURCE_FILE']} line "
                          f"{origin['SOURCE_ROW']}")
