"""The stages of `cdiscflow run`, in order: load and check the spec, build SDTM, write.

Each stage is one function so later stages (ADaM, validation, the submission package) slot in
here without the command line knowing about them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdiscflow.errors import DefectLog
from cdiscflow.output import write_results
from cdiscflow.sdtm.engine import DomainResult, Engine, Progress
from cdiscflow.spec import LoadedStudy, load_study


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


def run_study(study_dir: Path, raw_dir: Path | None, out_dir: Path,
              progress: Progress | None = None) -> RunOutcome:
    """Convert one study; raises CdiscflowError for a spec or input that cannot be used."""
    study = load_study(study_dir)
    sdtm, defects = build_sdtm(study, raw_dir, progress)
    report = write_results(sdtm, out_dir, study.spec.study.created, defects,
                           {"studyid": study.spec.study.studyid, "study_dir": str(study_dir)})
    return RunOutcome(study, sdtm, defects, report)
