"""Writing a run's results: the submission package (datasets as XPT v5 and optionally
Dataset-JSON, each folder with its define.xml and define.html), lineage and the run report.

Layouts (docs/submission-package.md):

* ``m5`` (default), the eCTD module 5 folders a regulator receives::

    out/m5/datasets/<studyid>/tabulations/sdtm/*.xpt, define.xml, define.html
    out/m5/datasets/<studyid>/analysis/adam/datasets/*.xpt, define.xml, define.html
    out/report/run.json, defects.csv, lineage/*.csv     (for people, not the regulator)

* ``flat``, for local work: ``out/sdtm``, ``out/adam``, ``out/lineage``, ``out/report``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from cdiscflow import options
from cdiscflow.adam.spec import LoadedAdam
from cdiscflow.atomic import write_bytes_atomic, write_text_atomic
from cdiscflow.datasetjson import dataset_json, write_dataset_json
from cdiscflow.datasets_folder import dataset_files, read_dataset_file, read_folder
from cdiscflow.define.adam import adam_define
from cdiscflow.define.adam_spec import adam_define_from_spec
from cdiscflow.define.arm import ResultDisplay
from cdiscflow.define.html import define_html
from cdiscflow.define.model import Define, WrittenDataset
from cdiscflow.define.sdtm import sdtm_define
from cdiscflow.define.xml import STYLESHEET_FILE, define_bytes, part_names, stylesheet_text
from cdiscflow.errors import DefectLog, SpecError
from cdiscflow.package.acrf import write_acrf
from cdiscflow.sdtm.domains import domain_variables, sponsor_domains
from cdiscflow.sdtm.engine import DomainResult
from cdiscflow.sdtm.expected import with_expected
from cdiscflow.spec import LoadedStudy, StudyInfo
from cdiscflow.standards import SponsorDomains, sdtm_dataset_label, sdtm_variables
from cdiscflow.xpt import XptVariable, resolve_lengths, write_xpt_parts

LAYOUTS, FORMATS = options.LAYOUTS, options.FORMATS  # defined with the CLI's options
DEFINE_FILE = "define.xml"


@dataclass(frozen=True)
class Layout:
    """Where each part of the output goes."""

    root: Path
    studyid: str
    kind: str = "m5"

    def __post_init__(self) -> None:
        if self.kind not in LAYOUTS:
            raise ValueError(f"layout {self.kind!r} is not one of {LAYOUTS}")
        # the study id names a folder: never a path out of root (spec.StudyInfo refuses one
        # on load; this guards every other caller)
        if Path(self.studyid).name != self.studyid or self.studyid in (".", ".."):
            raise ValueError(f"study id {self.studyid!r} is not a plain folder name")

    @property
    def _study(self) -> Path:
        # eCTD folder names are lower case
        return self.root / "m5" / "datasets" / self.studyid.lower()

    @property
    def sdtm_dir(self) -> Path:
        return self.root / "sdtm" if self.kind == "flat" else self._study / "tabulations" / "sdtm"

    @property
    def adam_dir(self) -> Path:
        if self.kind == "flat":
            return self.root / "adam"
        return self._study / "analysis" / "adam" / "datasets"

    @property
    def report_dir(self) -> Path:
        return self.root / "report"

    @property
    def lineage_dir(self) -> Path:
        return self.root / "lineage" if self.kind == "flat" else self.report_dir / "lineage"


@dataclass
class DatasetToWrite:
    """A dataset to write: ``variables`` in column order, character lengths optional."""

    name: str
    label: str
    frame: pd.DataFrame
    variables: list[XptVariable]


def xpt_variables(domain: str, frame: pd.DataFrame, labels: dict[str, str] | None = None,
                  lengths: dict[str, int] | None = None, sponsor: SponsorDomains = ()
                  ) -> list[XptVariable]:
    """The XPT description of a domain's columns, from the IG's labels and types (the model's,
    for one of the study's ``sponsor`` domains)."""
    ig = {v.name: v for v in sdtm_variables(domain, sponsor)}
    labels = labels or {}
    lengths = lengths or {}
    return [
        XptVariable(name=c, label=labels.get(c) or ig[c].label, type=ig[c].type,
                    length=lengths.get(c) if ig[c].type == "Char" else None)
        for c in frame.columns
    ]


def spec_lengths(study: LoadedStudy) -> dict[str, dict[str, int]]:
    """Per domain, the `length:` of each character variable written, when the study asks for
    spec lengths (submission.length_source: spec); {} otherwise.

    Raises SpecError naming the mapping file and variables that declare no length, before any
    data is read.
    """
    if study.spec.submission.length_source != "spec":
        return {}
    out: dict[str, dict[str, int]] = {}
    for ld in study.domains:
        ig = {v.name: v for v in domain_variables(ld)}
        missing = []
        lengths: dict[str, int] = {}
        for name, var in ld.spec.variables.items():
            if var.temp or var.supp or name not in ig or ig[name].type != "Char":
                continue
            if var.length is None:
                missing.append(name)
            else:
                lengths[name] = var.length
        if missing:
            raise SpecError(f"submission.length_source is spec, but {', '.join(missing)} "
                            f"declare(s) no length:", file=str(ld.file), domain=ld.spec.domain,
                            variable=missing[0], line=ld.line("variables", missing[0]))
        out[ld.spec.domain] = lengths
    return out


def write_xpt_datasets(datasets: Sequence[DatasetToWrite], folder: Path, created: dt.datetime,
                       max_bytes: int) -> list[WrittenDataset]:
    """Write each dataset as XPT v5 (split into numbered parts if larger than ``max_bytes``).

    Every dataset is checked (lengths fixed) before the first file is written.
    """
    fixed = [resolve_lengths(d.frame, dataset=d.name, label=d.label, variables=d.variables)
             for d in datasets]
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for d, variables in zip(datasets, fixed, strict=True):
        parts = write_xpt_parts(d.frame, folder, dataset=d.name, label=d.label,
                                variables=variables, created=created, max_bytes=max_bytes)
        written.append(WrittenDataset(d.name, d.label, d.frame, variables,
                                      [(p.path.name, p.first, p.stop) for p in parts]))
    return written


def write_define_files(define: Define, written: Sequence[WrittenDataset], folder: Path,
                       formats: Sequence[str]) -> list[Path]:
    """define.xml, define.html and (with "json" in formats) one Dataset-JSON per XPT file."""
    if "xpt" not in formats:
        # Dataset-JSON alone: define.xml's leaves name the JSON files; the XPT files the later
        # stages read are removed before publishing (pipeline.drop_xpt)
        define = replace(define, datasets=[
            replace(d, files=[f.rsplit(".", 1)[0] + ".json" for f in d.files])
            for d in define.datasets])
    write_text_atomic(folder / DEFINE_FILE, define_bytes(define).decode("utf-8"))
    write_text_atomic(folder / "define.html", define_html(define))
    write_text_atomic(folder / STYLESHEET_FILE, stylesheet_text())
    files = [folder / DEFINE_FILE, folder / "define.html", folder / STYLESHEET_FILE]
    if "json" in formats:
        by_name = {d.name: d for d in define.datasets}
        for w in written:
            ds = by_name[w.name]
            for part, (file, first, stop) in zip(part_names(ds), w.files, strict=True):
                path = folder / (file.rsplit(".", 1)[0] + ".json")
                frame = w.frame.iloc[first:stop]
                write_dataset_json(path, dataset_json(define, ds, frame, part, DEFINE_FILE))
                files.append(path)
    return files


def write_adam_package(study: LoadedStudy, layout: Layout, datasets: Sequence[DatasetToWrite],
                       sdtm: dict[str, pd.DataFrame], formats: Sequence[str] = ("xpt",),
                       **define_options: Any) -> list[WrittenDataset]:
    """Write ADaM datasets with their define.xml into the layout's ADaM folder.

    ``sdtm`` holds the SDTM frames the ADaM datasets come from (for Predecessor origins);
    ``define_options`` are passed to :func:`cdiscflow.define.adam.adam_define`.
    """
    info = study.spec.study
    folder = layout.adam_dir
    written = write_xpt_datasets(datasets, folder, info.created,
                                 study.spec.submission.max_xpt_bytes)
    define = adam_define(info.studyid, info.title or info.studyid, info.created, written,
                         predecessors=sdtm, **define_options)
    write_define_files(define, written, folder, formats)
    return written


def read_datasets(folder: Path, *, columns_only: bool = False) -> list[WrittenDataset]:
    """The XPT datasets of a folder as written, split parts (lb1.xpt, lb2.xpt) put back
    together in order (:func:`cdiscflow.datasets_folder.read_folder`).

    ``columns_only``: frames without records (the variables are read from the headers)."""
    return [WrittenDataset(d.name, d.label, d.frame, d.variables, d.files)
            for d in read_folder(folder, columns_only=columns_only, formats=("xpt",))]


def describe_adam_folder(info: StudyInfo, adam_dir: Path, sdtm_dir: Path,
                         formats: Sequence[str] = ("xpt",),
                         adam: LoadedAdam | None = None,
                         displays: list[ResultDisplay] | None = None) -> Define | None:
    """define.xml, define.html (and Dataset-JSON) for the ADaM datasets already written in
    ``adam_dir``, from the files themselves (names, labels, types, lengths, formats). With the
    ``adam`` spec that built them, origins, methods, keys, codelists and value-level metadata
    come from its steps (``cdiscflow.define.adam_spec``); without it, SDTM variables of the
    same name in ``sdtm_dir`` are Predecessors; ``displays``: the analysis results metadata of
    the study's displays. None when there is no ADaM."""
    folder = adam_dir
    if not folder.is_dir() or not any(folder.glob("*.xpt")):
        return None
    written = read_datasets(folder)
    # SDTM variables name the Predecessors: their names are all that is needed (the SDTM
    # may be in any format the folder reader reads), but for the SUPP-- datasets, whose QNAM
    # values name the qualifiers merged into ADaM
    sdtm = {d.name: d.frame for d in read_folder(sdtm_dir, columns_only=True)}
    for path in dataset_files(sdtm_dir):
        if path.name.lower().startswith("supp"):
            found = read_dataset_file(path)
            sdtm[found.name] = found.frame
    if adam is not None:
        define = adam_define_from_spec(adam, info.studyid, info.title or info.studyid,
                                       info.created, written, sdtm)
    else:
        define = adam_define(info.studyid, info.title or info.studyid, info.created, written,
                             predecessors=sdtm)
    define.result_displays = list(displays or [])
    write_define_files(define, written, folder, formats)
    return define


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as pandas writes CSV (no index, "\\n" lines), through Arrow's writer when
    that gives the same bytes: text and whole numbers with nothing to quote (a million
    lineage records: 0.25 s instead of 3 s)."""
    simple = all(pd.api.types.is_string_dtype(t) or pd.api.types.is_integer_dtype(t)
                 for t in frame.dtypes)
    if simple:
        body = io.BytesIO()
        try:
            pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), body,
                            pacsv.WriteOptions(quoting_style="none", include_header=False))
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a comma, quote or line break, or an
            # object column Arrow cannot type: pandas writes it
            pass
        else:
            header = frame.iloc[:0].to_csv(index=False, lineterminator="\n")
            return header.encode("utf-8") + body.getvalue()
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _from_out(folder: Path, out: Path) -> str:
    """``folder`` relative to the output folder (the staging folder is OUT's sibling, so the
    same path), links resolved: a run by relative path, absolute path or link writes the same
    bytes."""
    try:
        return Path(os.path.relpath(Path(folder).resolve(), Path(out).resolve())).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return Path(folder).resolve().as_posix()


def write_run_report(layout: Layout, report: dict[str, Any]) -> None:
    """report/run.json: what the run did, for people and scripts (not the regulator)."""
    write_text_atomic(layout.report_dir / "run.json", json.dumps(report, indent=2) + "\n")


def write_results(results: dict[str, DomainResult], ts: pd.DataFrame | None,
                  study: LoadedStudy, layout: Layout, defects: DefectLog,
                  formats: Sequence[str] = ("xpt",),
                  after_datasets: Callable[[], None] | None = None,
                  design: dict[str, pd.DataFrame] | None = None,
                  raw_dir: Path | None = None) -> dict[str, Any]:
    """Write every domain (and SUPP--, TS, the trial design datasets and SV/SE in
    ``design``), define.xml, lineage and the run report; returns the report.
    ``after_datasets`` is called once the XPT files are written."""
    created = study.spec.study.created
    lengths = spec_lengths(study)
    sponsor = sponsor_domains(study)
    datasets: list[DatasetToWrite] = []
    for name, res in results.items():
        data = with_expected(name, res.data)  # every Expected variable, empty if not mapped
        datasets.append(DatasetToWrite(name, sdtm_dataset_label(name, sponsor), data,
                                       xpt_variables(name, data, res.labels,
                                                     lengths.get(name), sponsor)))
        if res.supp is not None and len(res.supp):
            supp_name = f"SUPP{name}"
            supp = with_expected(supp_name, res.supp)
            datasets.append(DatasetToWrite(supp_name, sdtm_dataset_label(supp_name), supp,
                                           xpt_variables(supp_name, supp)))
    if ts is not None:
        ts = with_expected("TS", ts)
        datasets.append(DatasetToWrite("TS", sdtm_dataset_label("TS"), ts,
                                       xpt_variables("TS", ts)))
    for name, frame in (design or {}).items():
        frame = with_expected(name, frame)
        datasets.append(DatasetToWrite(name, sdtm_dataset_label(name), frame,
                                       xpt_variables(name, frame)))
    folder = layout.sdtm_dir
    written = write_xpt_datasets(datasets, folder, created, study.spec.submission.max_xpt_bytes)
    if after_datasets is not None:
        after_datasets()
    # the annotated CRF beside the datasets: its pages are what Collected origins point to
    crf = write_acrf(study, raw_dir if raw_dir is not None else study.dir / study.spec.raw.dir,
                     folder)
    define = sdtm_define(study, written, crf)
    write_define_files(define, written, folder, formats)
    for name, res in results.items():
        write_bytes_atomic(layout.lineage_dir / f"{name.lower()}.csv", csv_bytes(res.lineage))
    out = layout.root
    report = {
        "study": {"studyid": study.spec.study.studyid, "study_dir": _from_out(study.dir, out)},
        "layout": layout.kind,
        "domains": {
            name: {**res.recon.as_dict(),
                   "supp_records": 0 if res.supp is None else len(res.supp)}
            for name, res in results.items()
        },
        "datasets": {w.name: [str((folder / f).relative_to(out)) for f, _, _ in w.files]
                     for w in written},
        "define": str((folder / DEFINE_FILE).relative_to(out)),
        "errors": len(defects.errors),
        "warnings": len(defects.warnings),
        "defects": [d.as_dict() for d in defects.defects],
    }
    write_run_report(layout, report)
    cols = ["severity", "domain", "file", "row", "column", "value", "message"]
    table = pd.DataFrame([d.as_dict() for d in defects.defects], columns=cols)
    write_text_atomic(layout.report_dir / "defects.csv", table.to_csv(index=False,
                                                                     lineterminator="\n"))
    return report
