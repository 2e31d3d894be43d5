"""A study checked once, whole, before any raw data is read: the trial design and TS sections
of the study file built and checked, and every mapping checked against SDTMIG, CT, the
registries and the raw files' headers into the run order. The result is frozen; the stages
after it (subject chunks and their worker processes included) reuse it instead of checking
again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from cdiscflow.errors import Defect
from cdiscflow.sdtm.engine import Engine
from cdiscflow.sdtm.plan import Segment
from cdiscflow.sdtm.trial_design import build_trial_design, check_derived_specs, has_trial_design
from cdiscflow.sdtm.ts import build_ts, has_ts
from cdiscflow.spec import LoadedStudy


@dataclass(frozen=True)
class CheckedStudy:
    study: LoadedStudy
    design: Mapping[str, pd.DataFrame]  # TE, TA, TV, TI as declared (read-only)
    ts: pd.DataFrame | None  # TS from the study file's ts: section
    plan: tuple[Segment, ...]  # the mappings' run order
    warnings: tuple[Defect, ...]  # allowed but unusual choices of the mapping files


def check_study_spec(study: LoadedStudy, raw_dir: Path | None = None) -> CheckedStudy:
    """Everything the spec says, checked; a SpecError names file, line and what is wrong."""
    design = build_trial_design(study) if has_trial_design(study) else {}
    check_derived_specs(study, design)
    ts = build_ts(study) if has_ts(study) else None
    engine = Engine(study, raw_dir)
    plan = engine.plan
    return CheckedStudy(study, MappingProxyType(design), ts, plan, tuple(engine.spec_warnings))
