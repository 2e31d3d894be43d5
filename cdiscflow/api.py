"""The Python API, for notebooks and scripts: the stages of ``cdiscflow run`` one at a time,
with the data as pandas frames in between (docs/python-api.md).

    from cdiscflow import api

    study = api.load_study("path/to/study")  # the folder of study.yaml
    sdtm = api.build_sdtm(study)
    sdtm.datasets["AE"].head()
    adam = api.build_adam(study, sdtm)
    result = api.validate({**sdtm.datasets, **adam})

Each function does what the command does at that stage, with the same checks and errors
(``cdiscflow.errors.SpecError`` for a spec, ``RawDataError`` for unreadable raw data; data
defects are collected, never raised). Nothing is written except where a function says so.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from cdiscflow.errors import Defect
    from cdiscflow.spec import LoadedStudy
    from cdiscflow.validators import ValidationResult

__all__ = ["Sdtm", "build_adam", "build_sdtm", "load_study", "validate"]


def load_study(study_dir: str | Path) -> LoadedStudy:
    """Load and check a study's study file and mapping files (``SpecError`` on a mistake)."""
    from cdiscflow.specload import load_study as load

    return load(Path(study_dir))


@dataclass
class Sdtm:
    """The SDTM of a study as built: ``datasets`` by name (DM, SUPPDM, ..., TS and the trial
    design datasets), each domain's ``lineage`` (the raw file and line of every record) and
    the data ``defects`` found on the way."""

    study: LoadedStudy
    datasets: dict[str, pd.DataFrame]
    lineage: dict[str, pd.DataFrame]
    defects: list[Defect]
    # what the submission writer needs (the engine's results, TS, the trial design)
    _parts: dict[str, Any] = field(default_factory=dict, repr=False)


def _study(study: LoadedStudy | str | Path) -> LoadedStudy:
    return load_study(study) if isinstance(study, str | Path) else study


def build_sdtm(study: LoadedStudy | str | Path, raw_dir: str | Path | None = None, *,
               workers: int = 1) -> Sdtm:
    """Build every SDTM dataset of a study from its raw forms (``raw_dir``: default the study
    file's ``raw.dir``), as ``cdiscflow run`` does before it writes anything."""
    from cdiscflow.pipeline import build_sdtm as build
    from cdiscflow.sdtm.checked import check_study_spec
    from cdiscflow.sdtm.expected import with_expected
    from cdiscflow.sdtm.trial_design import arms_not_in_ta, derive_from_data

    study = _study(study)
    raw = Path(raw_dir) if raw_dir else None
    # the spec checked once, as `cdiscflow run` does: trial design, TS and the run order
    checked = check_study_spec(study, raw)
    ts, design = checked.ts, dict(checked.design)
    results, defects, _ = build(study, raw, None, 0, workers, checked.plan)
    defects.defects[:0] = checked.warnings
    if "TA" in design and "DM" in results:
        defects.extend(arms_not_in_ta(results["DM"].data, results["DM"].lineage, design["TA"]))
    design.update(derive_from_data(study, design, {n: r.data for n, r in results.items()}))
    # as written: every Expected variable present, empty where not mapped
    datasets: dict[str, pd.DataFrame] = {}
    for name, res in results.items():
        datasets[name] = with_expected(name, res.data)
        if res.supp is not None and len(res.supp):
            datasets[f"SUPP{name}"] = with_expected(f"SUPP{name}", res.supp)
    if ts is not None:
        datasets["TS"] = with_expected("TS", ts)
    datasets.update({name: with_expected(name, frame) for name, frame in design.items()})
    return Sdtm(study, datasets, {n: r.lineage for n, r in results.items()},
                list(defects.defects), {"results": results, "ts": ts, "design": design})


def write_sdtm(sdtm: Sdtm, folder: str | Path) -> Path:
    """Write the SDTM as the run does (XPT files, define.xml, lineage, run report) into
    ``folder`` with the flat layout; returns the folder of the datasets."""
    from cdiscflow.asciivalues import fix_non_ascii
    from cdiscflow.errors import DefectLog
    from cdiscflow.output import Layout, write_results

    study = sdtm.study
    results = sdtm._parts["results"]
    defects = DefectLog(list(sdtm.defects))
    defects.extend(fix_non_ascii(results, study))  # XPT holds ASCII only
    layout = Layout(Path(folder), study.spec.study.studyid, "flat")
    write_results(results, sdtm._parts["ts"], study, layout, defects,
                  design=sdtm._parts["design"])
    return layout.sdtm_dir


def build_adam(study: LoadedStudy | str | Path, sdtm: Sdtm | str | Path
               ) -> dict[str, pd.DataFrame]:
    """Build the study's ADaM datasets (``adam/*.yaml``) from its SDTM: an ``Sdtm`` from
    :func:`build_sdtm`, or a folder of SDTM XPT files (a run's ``tabulations/sdtm``). The SDTM
    goes through XPT as in ``cdiscflow run``, so the frames are those the run writes."""
    from cdiscflow.adam.engine import build_adam as build
    from cdiscflow.adam.engine import read_sdtm
    from cdiscflow.adam.spec import load_adam

    study = _study(study)
    adam = load_adam(study.dir)
    if adam is None:
        return {}
    if isinstance(sdtm, Sdtm):
        with tempfile.TemporaryDirectory() as scratch:
            frames = read_sdtm(write_sdtm(sdtm, scratch))
    else:
        frames = read_sdtm(Path(sdtm))
    return {name: ds.data for name, ds in build(adam, frames).items()}


def validate(datasets: dict[str, pd.DataFrame] | Sdtm | str | Path) -> ValidationResult:
    """Validate datasets together with the rules of ``cdiscflow validate``: frames by dataset
    name, an ``Sdtm``, or a folder of XPT files. ``result.errors``, ``result.warnings`` and
    ``result.findings`` (one row per finding) say what was found."""
    from cdiscflow.validators import Dataset, validate_folder
    from cdiscflow.validators import validate as run_rules

    if isinstance(datasets, str | Path):
        return validate_folder(datasets)
    if isinstance(datasets, Sdtm):
        from cdiscflow.sdtm.domains import sponsor_domains

        # the study's sponsor-defined domains are checked against their declared class
        sponsor = sponsor_domains(datasets.study)
        return run_rules([Dataset(name, frame, sponsor=sponsor)
                          for name, frame in datasets.datasets.items()], source="api")
    return run_rules([Dataset(name, frame) for name, frame in datasets.items()], source="api")
