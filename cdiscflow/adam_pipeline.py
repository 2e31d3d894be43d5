"""`cdiscflow adam SDTM_DIR`: ADaM from a folder of SDTM datasets someone else wrote (XPT,
Dataset-JSON or SAS7BDAT), by the ADaM spec files alone: no study file, no raw data.

It runs the ADaM stage of `cdiscflow run` (:func:`cdiscflow.pipeline.adam_stage`: datasets,
estimates, report, define.xml), validates the ADaM written, and writes the run report and the
manifest, all in a staging folder that replaces OUT whole only when everything got to the end,
with the same lock and checks as `cdiscflow run` (cdiscflow.outswap, cdiscflow.publish).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cdiscflow.adam.engine import check_spec, read_sdtm
from cdiscflow.adam.spec import INDEX_FILE, AdamSpecError, LoadedAdam, load_adam_folder
from cdiscflow.atomic import write_text_atomic
from cdiscflow.datasets_folder import dataset_files
from cdiscflow.errors import CdiscflowError
from cdiscflow.output import DEFINE_FILE, Layout
from cdiscflow.outswap import OutputLock, clear_debris
from cdiscflow.pipeline import adam_stage
from cdiscflow.publish import (
    check_replaceable,
    discard,
    publish,
    staging_dir,
    write_manifest,
)
from cdiscflow.spec import FDA_MAX_XPT_BYTES, StudyInfo
from cdiscflow.validators import ValidationResult, validate_run

# the XPT header date when adam.yaml gives none (the study file's default too)
DEFAULT_CREATED = dt.datetime(2000, 1, 1)


@dataclass
class AdamOutcome:
    info: StudyInfo
    report: dict[str, Any]
    validation: ValidationResult | None
    adam_dir: Path  # where the ADaM datasets are, below the output folder


def study_info(adam: LoadedAdam, sdtm: dict[str, pd.DataFrame]) -> StudyInfo:
    """The study identifier, title and XPT date: from adam.yaml's `study:`, else from the
    SDTM (its one STUDYID; TS TITLE), else the defaults."""
    spec = adam.index.study
    index_file = str(adam.dir / INDEX_FILE)
    studyid = spec.studyid
    if studyid is None:
        ids = sorted({str(v).strip() for frame in sdtm.values() if "STUDYID" in frame.columns
                      for v in frame["STUDYID"].unique() if str(v).strip()})
        if len(ids) != 1:
            raise AdamSpecError(f"study.studyid: the SDTM holds {len(ids)} study identifiers "
                                f"({', '.join(ids[:5]) or 'none'}); name the study in "
                                f"{INDEX_FILE}", file=index_file)
        studyid = ids[0]
    title = spec.title
    ts = sdtm.get("TS")
    if title is None and ts is not None and {"TSPARMCD", "TSVAL"} <= set(ts.columns):
        titles = ts.loc[ts["TSPARMCD"] == "TITLE", "TSVAL"]
        title = str(titles.iloc[0]) if len(titles) and str(titles.iloc[0]).strip() else None
    return StudyInfo(studyid=studyid, title=title or studyid,
                     created=spec.created or DEFAULT_CREATED)


def _check_out(out_dir: Path, sdtm_dir: Path, spec_dir: Path) -> None:
    """The package replaces OUT whole: refuse an OUT that is or holds the SDTM or spec folder,
    or lies inside the SDTM folder, so a run never replaces its own inputs."""
    out = out_dir.resolve()
    for what, folder in (("SDTM", sdtm_dir.resolve()), ("ADaM spec", spec_dir.resolve())):
        if folder == out or out in folder.parents:
            raise CdiscflowError(f"the output folder {out} is or holds the {what} folder "
                                 f"{folder}; write the output elsewhere (--out)")
    if sdtm_dir.resolve() in out.parents:
        raise CdiscflowError(f"the output folder {out} lies inside the SDTM folder "
                             f"{sdtm_dir.resolve()}; write the output elsewhere (--out)")


def run_adam_folder(sdtm_dir: Path, spec_dir: Path, out_dir: Path, *, layout: str = "m5",
                    formats: tuple[str, ...] = ("xpt",)) -> AdamOutcome:
    """Build, validate and write the ADaM of ``spec_dir`` from the SDTM in ``sdtm_dir``.

    Raises CdiscflowError for a spec or input that cannot be used; the previous output is then
    left as it was."""
    sdtm_dir, spec_dir = Path(sdtm_dir), Path(spec_dir)
    adam = load_adam_folder(spec_dir)  # the whole spec is checked before any data is read
    check_spec(adam)
    from cdiscflow.report.displays import load_displays  # matplotlib: only when needed

    load_displays(adam)  # a display's unknown kind, key or variable, before any data
    if not sdtm_dir.is_dir() or not dataset_files(sdtm_dir):
        raise CdiscflowError(f"{sdtm_dir}: no SDTM datasets (.xpt, .json, .sas7bdat)")
    _check_out(Path(out_dir), sdtm_dir, spec_dir)
    # one run at a time writes OUT, as `cdiscflow run` (the absolute path without resolving
    # links: a linked OUT is refused, not written through)
    target = Path(os.path.abspath(out_dir))
    with OutputLock(target):
        clear_debris(target)
        check_replaceable(target)  # a file no run wrote in OUT: refused before any work
        return _build(adam, sdtm_dir, spec_dir, target, layout, formats)


def _build(adam: LoadedAdam, sdtm_dir: Path, spec_dir: Path, out_dir: Path, layout: str,
           formats: tuple[str, ...]) -> AdamOutcome:
    sdtm = read_sdtm(sdtm_dir)
    info = study_info(adam, sdtm)
    max_bytes = adam.index.study.max_xpt_bytes or FDA_MAX_XPT_BYTES
    out = staging_dir(out_dir)
    try:
        written = Layout(out, info.studyid, layout)
        adam_report = adam_stage(adam, sdtm_dir, info, written, formats, max_bytes, sdtm=sdtm)
        sdtm.clear()
        validation = validate_run([written.adam_dir], written.report_dir)
        report = {
            "study": {"studyid": info.studyid, "adam_spec_dir": str(spec_dir)},
            "layout": layout,
            "sdtm_dir": str(sdtm_dir),
            "adam": adam_report,
            "define": (written.adam_dir / DEFINE_FILE).relative_to(out).as_posix(),
            "validation": {"errors": validation.errors, "warnings": validation.warnings},
        }
        write_text_atomic(written.report_dir / "run.json", json.dumps(report, indent=2) + "\n")
        specs = {p.relative_to(spec_dir).as_posix(): p for p in sorted(spec_dir.rglob("*.yaml"))}
        write_manifest(out, {"spec": specs,
                             "sdtm": {p.name: p for p in dataset_files(sdtm_dir)}})
        adam_dir = out_dir / written.adam_dir.relative_to(out)
        publish(out, out_dir)
    except BaseException:
        discard(out)
        raise
    return AdamOutcome(info, report, validation, adam_dir)
