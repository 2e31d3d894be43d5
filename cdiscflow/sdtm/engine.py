"""The mapping engine: raw forms + a study's mapping files -> SDTM domains.

The engine only orchestrates. The spec is checked first (``check``), the domains are cut into
segments and ordered (``plan``), then each domain is built from its source form by its steps
(``steps/``, one module per kind) and its variables in the order the mapping file declares them
(``sources/``, one module per kind), and finished for writing (``finish``). The state they
share, and the defects they find, live in the build context (``context``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from cdiscflow.codedtext import settled
from cdiscflow.errors import DefectLog
from cdiscflow.sdtm.check import check_study
from cdiscflow.sdtm.context import (
    STACK_FIELD,
    BuildContext,
    DomainResult,
    Progress,
    Reconciliation,
    duplicate_keys,
    progress_count,
    raw_records_present,
)
from cdiscflow.sdtm.defect_order import KeyedDefect, ordered_defects
from cdiscflow.sdtm.derivations.findings import split_result
from cdiscflow.sdtm.finish import finish_domain
from cdiscflow.sdtm.plan import Segment, plan_segments, segments_needed
from cdiscflow.sdtm.sources import SOURCES
from cdiscflow.sdtm.steps import kind_of, step_reason
from cdiscflow.spec import Condition, LoadedDomain, LoadedStudy, VariableSpec, condition_expression

__all__ = ["STACK_FIELD", "DomainResult", "Engine", "Progress", "Reconciliation",
           "describe_condition", "duplicate_keys", "split_result", "step_reason"]


class Engine(BuildContext):
    """Builds the SDTM domains of one study (or of one chunk of its subjects)."""

    def __init__(self, study: LoadedStudy, raw_dir: Path | None = None,
                 forms: dict[str, pd.DataFrame] | None = None,
                 plan: tuple[Segment, ...] | None = None) -> None:
        """``plan``: the run order of a study already checked (a subject chunk of it): the
        spec is not checked again."""
        super().__init__(study, raw_dir, forms)
        self._segments: list[Segment] | None = list(plan) if plan is not None else None

    def check(self) -> None:
        """Check every mapping against the IG, the registries, CT and the raw files' headers,
        then plan the run. Reads only the header line of each raw file."""
        if self._segments is None:
            check_study(self)
            self._segments = plan_segments(self._work)
            self.keyed += [KeyedDefect(0, (0, i), d) for i, d in enumerate(self.spec_warnings)]

    @property
    def plan(self) -> tuple[Segment, ...]:
        """The checked run order (checking the spec first if it was not)."""
        self.check()
        return tuple(self._segments or ())

    def run(self, progress: Progress | None = None) -> dict[str, DomainResult]:
        """Build every domain; defects are collected in ``self.defects``."""
        self.check()
        notify = progress or (lambda domain, stage: None)
        count = progress_count(progress)
        done = dict.fromkeys(self._work, 0)
        for seg in self._segments or []:
            work = self._work[seg.domain]
            if seg.index == 0:
                notify(seg.domain, "reading raw data")
                work.frame, work.recon = self._start(work.loaded)
                notify(seg.domain, f"mapping {len(work.frame)} records")
            for name in seg.variables:
                work.frame = self._variable(work.loaded, work.frame, name)
                done[seg.domain] += 1
                if count is not None:
                    count(seg.domain, done[seg.domain], len(work.loaded.spec.variables),
                          len(work.frame))
        results = {}
        for dom, work in self._work.items():
            notify(dom, "finishing")
            results[dom] = _settled(finish_domain(work))
        self.defects = DefectLog(ordered_defects(self.keyed))
        return results

    def frame_for(self, domain: str, variable: str) -> pd.DataFrame:
        """The domain's working frame once ``variable`` exists, running only the segments it
        needs (DM's USUBJID without the rest of the study, to plan subject chunks)."""
        self.check()
        segments = self._segments or []
        target = next(s for s in segments if s.domain == domain and variable in s.variables)
        needed = segments_needed(segments, target)
        for seg in segments:
            if seg not in needed:
                continue
            work = self._work[seg.domain]
            if seg.index == 0:
                work.frame, work.recon = self._start(work.loaded)
            for name in seg.variables:
                work.frame = self._variable(work.loaded, work.frame, name)
            if seg == target:
                break
        return self.domain_frame(domain)

    # kept for callers that read forms the way the engine does (subject chunks)
    _form_path = BuildContext.form_path
    _read_options = BuildContext.read_options

    def _start(self, ld: LoadedDomain) -> tuple[pd.DataFrame, Reconciliation]:
        """The source form's rows through the domain's steps, every removed raw record
        counted where the step says (filtered, rejected, or empty)."""
        # a shallow copy: pandas copies on write, so the steps never change the form read
        frame = self.form(ld.spec.source).copy(deep=False)
        recon = Reconciliation(source_file=self.study.spec.raw.forms[ld.spec.source].file,
                               raw_records=len(frame))
        # the raw records present, counted once per step (after it: the next step starts
        # from the same frame)
        present = raw_records_present(frame) if ld.spec.steps else 0
        for step in ld.spec.steps:
            self.next_phase()
            kind, spec = kind_of(step)
            frame = kind.run(self, ld, frame, spec, recon)
            # a raw record is accounted for where its last row left: after a stack, a filter
            # removing some of a record's tests does not lose the record; rows are only ever
            # removed (a stack repeats a record, never adds one)
            after = raw_records_present(frame)
            gone, present = present - after, after
            if gone and kind.bucket is not None:
                bucket = getattr(recon, kind.bucket)
                reason = kind.reason(spec)
                bucket[reason] = bucket.get(reason, 0) + gone
            elif gone:
                recon.empty += gone
        return frame.reset_index(drop=True), recon

    def _variable(self, ld: LoadedDomain, frame: pd.DataFrame, name: str) -> pd.DataFrame:
        """The frame with one more variable, computed by its source kind's module. With a
        `where:` the source runs only on the records the condition keeps: the others are
        blank, and their values are not checked (a term outside the codelist, text that is
        not a number) because they are not mapped."""
        self.next_phase()
        var = ld.spec.variables[name]
        source = SOURCES[var.kind]
        if source.frame_out:
            return _kept_where(source.run(self, ld, frame, name, var), name, var)
        keep = None if var.where is None else condition_expression(var.where).mask(frame)
        if keep is None or keep.all():
            values = source.run(self, ld, frame, name, var)
        else:
            kept = frame[keep.to_numpy()]
            values = source.run(self, ld, kept, name, var)
            values = _on_rows(values, kept.index, frame.index)
        out = frame.copy(deep=False)
        out[name] = self.typed(ld, frame, name, var, values)
        self.check_required(ld, out, name, var)
        return out


def _settled(result: DomainResult) -> DomainResult:
    """A finished domain's frames with plain text columns: a large domain's text is kept as
    codes while it is built (``codedtext.CodedText``), and made text once, here."""
    return replace(result, data=settled(result.data), lineage=settled(result.lineage),
                   supp=None if result.supp is None else settled(result.supp))


def _on_rows(values: pd.Series, kept: pd.Index, index: pd.Index) -> pd.Series:
    """Values computed on some rows, spread over all of them (missing elsewhere)."""
    values = pd.Series(values, index=kept) if not isinstance(values, pd.Series) else values
    return values.reindex(index)


def _kept_where(frame: pd.DataFrame, name: str, var: VariableSpec) -> pd.DataFrame:
    """The variable blanked on the records that do not satisfy its ``where`` condition."""
    if var.where is None:
        return frame
    keep = condition_expression(var.where).mask(frame)
    if keep.all():
        return frame
    out = frame.copy(deep=False)
    out[name] = frame[name].where(keep)
    return out


def describe_condition(cond: Condition | str) -> str:
    """A condition in words, for define.xml (`KEEP is 'Y'`)."""
    return condition_expression(cond).words()
