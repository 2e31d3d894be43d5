"""SDTM for a large study in chunks of whole subjects: the same output as one run, in bounded
memory.

A subject's records never straddle two chunks, so what the engine derives per subject (--SEQ,
baseline flags, study days, reference dates taken from other domains) is exact in each chunk.
Chunks follow USUBJID order and every domain is sorted by USUBJID first, so the chunks' records
concatenated are one run's records in one run's order; defects are put in one run's order by
their (phase, raw position) keys (cdiscflow/sdtm/defect_order.py).

A study can be chunked when its study file names the raw subject columns (``raw.subject``),
every domain is built from a form holding them, and every join matches on them (or on USUBJID);
otherwise it runs whole, and the run report says why.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdiscflow import options
from cdiscflow.errors import DefectLog
from cdiscflow.forked import Forked, can_fork
from cdiscflow.raw import raw_defects, read_form, read_header
from cdiscflow.sdtm.context import progress_count
from cdiscflow.sdtm.defect_order import KeyedDefect, ordered_defects
from cdiscflow.sdtm.engine import (
    DomainResult,
    Engine,
    Progress,
    Reconciliation,
    duplicate_keys,
    step_reason,
)
from cdiscflow.sdtm.plan import Segment
from cdiscflow.spec import LoadedStudy
from cdiscflow.textops import match_rows, take_matched

# one chunk's domains, keyed defects and the phase at which each form was first read
_Chunk = tuple[dict[str, DomainResult], list[KeyedDefect], dict[str, int]]

# raw records per chunk when the caller does not say (defined with the CLI's options)
DEFAULT_CHUNK_RECORDS = options.DEFAULT_CHUNK_RECORDS
# below this many raw records a study is built in one piece even with several CPUs: starting a
# worker process costs more than it saves
PARALLEL_MIN_RECORDS = 100_000


@dataclass
class ChunkReport:
    """How the SDTM stage ran, for the run report."""

    chunks: int
    chunk_records: int
    subjects: int
    whole_because: str | None = None  # why a study larger than one chunk ran whole
    records_per_chunk: list[int] = field(default_factory=list)
    processes: int = 1  # worker processes that built the chunks

    def as_dict(self) -> dict[str, object]:
        return {"chunks": self.chunks, "chunk_records": self.chunk_records,
                "subjects": self.subjects, "records_per_chunk": self.records_per_chunk,
                "processes": self.processes,
                **({"whole_because": self.whole_because} if self.whole_because else {})}


def build_sdtm_chunked(study: LoadedStudy, raw_dir: Path | None,
                       progress: Progress | None = None,
                       chunk_records: int = DEFAULT_CHUNK_RECORDS, workers: int | None = None,
                       plan: tuple[Segment, ...] | None = None
                       ) -> tuple[dict[str, DomainResult], DefectLog, ChunkReport]:
    """Every SDTM domain of the study, built in subject chunks of about ``chunk_records`` raw
    records (0: one piece), by up to ``workers`` processes at once (default: the CPUs this
    process may use, at most 4). With more than one worker a study of at least
    PARALLEL_MIN_RECORDS raw records is cut into at least one chunk per worker."""
    template = Engine(study, raw_dir, plan=plan)
    # the whole spec (and the codelists it uses) checked once, before any raw data is read;
    # every chunk reuses the checked plan
    plan = template.plan
    forms = {name: read_form(template._form_path(name), **template._read_options(name),
                             missing=study.spec.raw.forms[name].missing)
             for name in _used_forms(study)}
    # per form, the defects of its records known before mapping (duplicate keys; control
    # characters and a missing last line break found by the reader)
    duplicates = {name: duplicate_keys(name, frame, study.spec.raw.forms[name].keys)
                  + raw_defects(frame) for name, frame in forms.items()}
    subject_forms = [n for n, f in forms.items()
                     if study.spec.raw.subject and set(study.spec.raw.subject) <= set(f.columns)]
    total = sum(len(f) for f in forms.values())
    workers = default_workers() if workers is None else max(1, workers)
    size = chunk_records
    if chunk_records and workers > 1 and total >= PARALLEL_MIN_RECORDS:
        size = min(chunk_records, -(-total // workers))
    refusal = chunk_refusal(study, template) if size and total > size else None
    if not size or total <= size or refusal:
        chunk_of = {n: np.zeros(len(forms[n]), dtype=np.int64) for n in subject_forms}
        n_chunks, subjects = 1, 0
    else:
        chunk_of, n_chunks, subjects = _plan_chunks(study, raw_dir, forms, subject_forms, size,
                                                    plan)
    orders = {n: np.argsort(chunk_of[n], kind="stable") for n in subject_forms}
    bounds = {n: np.searchsorted(chunk_of[n][orders[n]], np.arange(n_chunks + 1))
              for n in subject_forms}
    report = ChunkReport(n_chunks, size, subjects, refusal)

    def chunk_forms(i: int) -> dict[str, pd.DataFrame]:
        given = dict(forms)
        for n in subject_forms:
            given[n] = (forms[n] if n_chunks == 1 else
                        forms[n].take(orders[n][bounds[n][i]:bounds[n][i + 1]]))
        return given

    report.records_per_chunk = ([total] if n_chunks == 1 else
                                [int(sum(bounds[n][i + 1] - bounds[n][i] for n in subject_forms))
                                 for i in range(n_chunks)])
    def build(i: int, notify: Progress | None = None) -> _Chunk:
        engine = Engine(study, raw_dir, forms=chunk_forms(i), plan=plan)
        return engine.run(notify), engine.keyed, engine.form_phase

    if n_chunks > 1 and workers > 1 and can_fork():
        report.processes = min(workers, n_chunks)
        built = _in_workers(build, n_chunks, report.processes, progress)
    else:
        built = [build(i, _chunk_progress(progress, i, n_chunks)) for i in range(n_chunks)]
    forms.clear()
    keyed = [k for _, chunk_keyed, _ in built for k in chunk_keyed]
    form_phase = built[-1][2]
    for name, found in duplicates.items():
        keyed += [KeyedDefect(form_phase[name], (row, 0), d) for row, d in found]
    return (_merge(study, [parts for parts, _, _ in built]), DefectLog(ordered_defects(keyed)),
            report)


def default_workers() -> int:
    """The CPUs this process may run on, at most 4 (beyond that memory, not CPU, limits)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(4, cpus))


def _in_workers(build: Callable[[int], _Chunk], n_chunks: int, workers: int,
                progress: Progress | None) -> list[_Chunk]:
    """The chunks built by up to ``workers`` forked processes at once, in chunk order (a
    chunk whose process failed is built again here, where its error is raised as itself)."""
    running: deque[Forked[_Chunk]] = deque()
    built: list[_Chunk] = []
    try:
        for i in range(n_chunks):
            if len(running) == workers:
                built.append(running.popleft().result())
                _built(progress, len(built), n_chunks, workers)
            running.append(Forked(partial(build, i)))
        while running:
            built.append(running.popleft().result())
            _built(progress, len(built), n_chunks, workers)
    finally:
        for job in running:
            job.cancel()
    return built


def _built(progress: Progress | None, done: int, n_chunks: int, workers: int) -> None:
    if progress is not None:
        progress("SDTM", f"subject chunk {done}/{n_chunks} built ({workers} processes)")


def _used_forms(study: LoadedStudy) -> list[str]:
    used: list[str] = []
    for ld in study.domains:
        used.append(ld.spec.source)
        used += [s.join.form for s in ld.spec.steps if s.join is not None and s.join.form]
    return list(dict.fromkeys(used))


def chunk_refusal(study: LoadedStudy, engine: Engine) -> str | None:
    """Why the study cannot be split by subject, or None when it can."""
    subject = study.spec.raw.subject
    if not subject:
        return "the study file does not name the raw subject columns (raw.subject)"
    if "DM" not in {ld.spec.domain for ld in study.domains}:
        return "there is no DM domain to give each subject its USUBJID"

    def holds_subjects(form: str) -> bool:
        header = read_header(engine._form_path(form), **engine._read_options(form))
        return set(subject) <= set(header)

    for ld in study.domains:
        dom = ld.spec.domain
        order = [c for c in ld.spec.sort if c != "STUDYID"]
        if order and order[0] != "USUBJID":
            return f"{dom} is sorted by {', '.join(ld.spec.sort)}, not by USUBJID first"
        if not holds_subjects(ld.spec.source):
            return f"{dom} is built from form {ld.spec.source}, which has no {', '.join(subject)}"
        for step in ld.spec.steps:
            j = step.join
            if j is None or (j.form and not holds_subjects(j.form)):
                continue
            by_subject = all(_names_subject(study, j, c) for c in subject)
            if not by_subject and j.pairs.get("USUBJID") != "USUBJID":
                return (f"{dom} joins {j.form or j.domain} on {', '.join(j.pairs)}, not on "
                        f"{', '.join(subject)}")
    return None


def _names_subject(study: LoadedStudy, j: Any, column: str) -> bool:
    """Whether the join matches the raw subject column ``column`` on the same subject's
    records: the right side's column of that name, or a variable of the joined domain that
    copies that raw column unchanged (a multi-site study's DM may keep each site's own patient
    number as SITENUM, its SUBJID being made unique in the study)."""
    right = j.pairs.get(column)
    if right == column:
        return True
    if not j.domain or right is None:
        return False
    var = next((d.spec.variables.get(right) for d in study.domains
                if d.spec.domain == j.domain), None)
    return var is not None and var.field == column and var.where is None


def _raw_subject_in_dm(study: LoadedStudy, column: str) -> str:
    """The DM column holding the raw subject column's value: the column itself unless a DM
    variable of that name changes it (a site-prefixed SUBJID), then the DM
    variable copying it unchanged (its SITENUM)."""
    variables = study.domain("DM").spec.variables
    own = variables.get(column)
    if own is None or (own.field == column and own.where is None):
        return column
    return next((name for name, var in variables.items()
                 if var.field == column and var.where is None), column)


def _plan_chunks(study: LoadedStudy, raw_dir: Path | None, forms: dict[str, pd.DataFrame],
                 subject_forms: list[str], chunk_records: int, plan: tuple[Segment, ...]
                 ) -> tuple[dict[str, np.ndarray], int, int]:
    """Each subject form's records' chunk numbers; subjects in USUBJID order, records of
    subjects DM does not know (reported by the run as such) in the last chunk."""
    subject = study.spec.raw.subject
    dm = Engine(study, raw_dir, forms=forms, plan=plan).frame_for("DM", "USUBJID")
    dm = dm[dm["USUBJID"].notna()]
    # USUBJID of every record of every subject form, matched on DM's subject columns as the
    # engine's joins match them
    held = [_raw_subject_in_dm(study, c) for c in subject]
    usubjid = {n: take_matched(dm["USUBJID"].astype("string"),
                               match_rows([forms[n][c] for c in subject],
                                          [dm[c] for c in held]), forms[n].index)
               for n in subject_forms}
    sizes = pd.concat(list(usubjid.values())).value_counts().sort_index()
    before = np.cumsum(sizes.to_numpy()) - sizes.to_numpy()
    # a subject larger than a chunk skips chunk numbers: number the chunks densely
    chunk_no = pd.Series(np.unique(before // chunk_records, return_inverse=True)[1])
    n_chunks = int(chunk_no.iloc[-1]) + 1 if len(chunk_no) else 1
    ids = pd.Series(sizes.index, dtype="string")
    chunk_of = {n: take_matched(chunk_no, match_rows([usubjid[n]], [ids]), usubjid[n].index)
                .fillna(n_chunks - 1).to_numpy(dtype=np.int64) for n in subject_forms}
    return chunk_of, n_chunks, len(ids)


def _chunk_progress(progress: Progress | None, i: int, n: int) -> Progress | None:
    if progress is None or n == 1:
        return progress

    def chunk(domain: str, stage: str) -> None:
        progress(domain, f"{stage} (subject chunk {i + 1}/{n})")

    count = progress_count(progress)
    if count is not None:  # the variables mapped, chunk by chunk
        chunk.count = count  # type: ignore[attr-defined]
    return chunk


def _merge(study: LoadedStudy, parts: list[dict[str, DomainResult]]
           ) -> dict[str, DomainResult]:
    if len(parts) == 1:
        return parts[0]
    merged = {}
    for dom, first in parts[0].items():
        reasons = [step_reason(s) for s in study.domain(dom).spec.steps]
        results = [p[dom] for p in parts]
        supps = [r.supp for r in results if r.supp is not None]
        merged[dom] = DomainResult(
            dom, _concat([r.data for r in results]),
            _concat(supps) if supps else None,
            _concat([r.lineage for r in results]),
            _add_recons([r.recon for r in results], reasons), first.labels)
    return merged


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    # a chunk without records of a domain adds nothing (and its empty columns' types do not
    # decide the whole's)
    filled = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(filled, ignore_index=True) if len(filled) > 1 else filled[0]


def _add_recons(recons: list[Reconciliation], reasons: list[str]) -> Reconciliation:
    """One reconciliation from the chunks'; reasons in step order, as one run lists them."""
    total = Reconciliation(source_file=recons[0].source_file)
    for r in recons:
        total.raw_records += r.raw_records
        total.records_out += r.records_out
        total.raw_records_landed += r.raw_records_landed
        total.empty += r.empty
        total.cells_not_done += r.cells_not_done
        for mine, theirs in ((total.filtered, r.filtered), (total.rejected, r.rejected)):
            for reason, n in theirs.items():
                mine[reason] = mine.get(reason, 0) + n
    total.filtered = dict(sorted(total.filtered.items(), key=lambda kv: reasons.index(kv[0])))
    total.rejected = dict(sorted(total.rejected.items(), key=lambda kv: reasons.index(kv[0])))
    return total
