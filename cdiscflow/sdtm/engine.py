"""The mapping engine: raw forms + a study's mapping files -> SDTM domains.

A domain is built from its source form by its steps (filter, join, stack), then its variables in
the order the mapping file declares them. Variables that reference another domain
(``DM.RFSTDTC``, ``EX.EXSTDTC``) split a domain into segments; the engine orders all segments of
all domains so each runs after what it reads (DM's reference dates after EX's dates, EX's study
days after DM's reference dates) and rejects a cycle.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdiscflow.errors import Defect, DefectLog, RawDataError, SpecError
from cdiscflow.expr import ANY, BOOL, DATE, NUMBER, TEXT, Expression, ExprSyntaxError
from cdiscflow.raw import SOURCE_FILE, SOURCE_ROW, read_form, read_header
from cdiscflow.sdtm import dates, textsource
from cdiscflow.sdtm.defect_order import KeyedDefect, ordered_defects
from cdiscflow.sdtm.derivations import REGISTRY, qualified
from cdiscflow.sdtm.derivations.findings import format_number, split_result
from cdiscflow.spec import NULL, Condition, LoadedDomain, LoadedStudy, VariableSpec, expression
from cdiscflow.standards import (
    SDTM_MODEL_VERSION,
    SDTMIG_VERSION,
    SPONSOR_FIRST_LETTERS,
    SponsorDomain,
    VariableMeta,
    codelist,
    find_codelist,
    is_ig_domain,
    model_classes,
    register_sponsor_domain,
    sdtm_dataset,
    sdtm_variables,
)
from cdiscflow.standards.ct import Codelist
from cdiscflow.studypaths import raw_file, raw_folder
from cdiscflow.textops import (
    coerce_numbers,
    format_numbers,
    lookup,
    map_text,
    match_rows,
    per_distinct,
    take_matched,
)

STACK_FIELD = "__field"
_INTERNAL = (SOURCE_FILE, SOURCE_ROW, STACK_FIELD)


@dataclass
class Reconciliation:
    """Where each raw record of a domain's source form went."""

    source_file: str
    raw_records: int = 0
    records_out: int = 0
    raw_records_landed: int = 0
    filtered: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    empty: int = 0  # raw rows whose every stacked value was blank (nothing collected)
    cells_not_done: int = 0  # stacked values left blank (test not done)

    @property
    def balanced(self) -> bool:
        return self.raw_records == (self.raw_records_landed + sum(self.filtered.values())
                                    + sum(self.rejected.values()) + self.empty)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_file": self.source_file,
            "raw_records": self.raw_records,
            "records_out": self.records_out,
            "raw_records_landed": self.raw_records_landed,
            "filtered": dict(self.filtered),
            "rejected": dict(self.rejected),
            "empty_raw_records": self.empty,
            "values_not_done": self.cells_not_done,
            "balanced": self.balanced,
        }


@dataclass
class DomainResult:
    name: str
    data: pd.DataFrame  # IG order, output types
    supp: pd.DataFrame | None
    lineage: pd.DataFrame
    recon: Reconciliation
    labels: dict[str, str]


@dataclass
class _Work:
    """A domain while it is being built."""

    loaded: LoadedDomain
    frame: pd.DataFrame | None = None
    recon: Reconciliation | None = None


@dataclass(frozen=True)
class _Segment:
    domain: str
    index: int
    variables: tuple[str, ...]
    needs: frozenset[tuple[str, str]]  # (domain, variable) read from other domains


Progress = Callable[[str, str], None]


def _spec_error(ld: LoadedDomain, message: str, variable: str | None = None,
                path: tuple[Any, ...] = ()) -> SpecError:
    return SpecError(message, file=str(ld.file), domain=ld.spec.domain, variable=variable,
                     line=ld.line(*path) if path else None)


def _defined_by(domain: str) -> str:
    """Who defines the domain's variables, for messages: "an SDTMIG" or "an SDTM model"."""
    return "an SDTMIG" if is_ig_domain(domain) else f"an SDTM v{SDTM_MODEL_VERSION} model"


class Engine:
    """Builds the SDTM domains of one study."""

    def __init__(self, study: LoadedStudy, raw_dir: Path | None = None,
                 forms: dict[str, pd.DataFrame] | None = None) -> None:
        """``forms``: raw forms already read and key-checked (one subject chunk's records)."""
        self.study = study
        # the one folder raw files are read from (cdiscflow/studypaths.py)
        self.raw_dir = raw_folder(study, Path(raw_dir) if raw_dir else None)
        self.defects = DefectLog()
        self._given = dict(forms or {})
        self._forms: dict[str, pd.DataFrame] = {}
        # defects carry (phase, raw position) so a run split into subject chunks reports them
        # in the same order as one run: a phase is a step or variable, numbered in run order
        self._phase = 0
        self.keyed: list[KeyedDefect] = []
        self.form_phase: dict[str, int] = {}
        self._work = {d.spec.domain: _Work(d) for d in study.domains}
        self._segments: list[_Segment] | None = None

    # ---- checking the spec before any data is read -----------------------------------------

    def _form_path(self, form: str) -> Path:
        forms = self.study.spec.raw.forms
        if form not in forms:
            raise SpecError(f"unknown raw form {form!r} (declared: {', '.join(forms)})",
                            file=str(self.study.file))
        return raw_file(self.raw_dir, self.study, form)

    def _read_options(self, form: str) -> dict[str, Any]:
        """How read_form/read_header read a form: its format, encoding and sheet."""
        raw = self.study.spec.raw
        spec = raw.forms[form]
        return {"fmt": spec.file_format, "sheet": spec.sheet, "encoding": raw.encoding_of(form)}

    def _tables(self, ld: LoadedDomain) -> dict[str, list[dict[str, Any]]]:
        return {**self.study.spec.tables, **ld.spec.tables}

    def check(self) -> None:
        """Check every mapping against the IG, the registry, CT and the raw files' headers.

        Reads only the header line of each raw file: a spec mistake is reported before any data.
        """
        for work in self._work.values():
            ld = work.loaded
            ig = self._allowed_variables(ld)
            columns = set(self._columns_after_steps(ld))
            defined: set[str] = set()
            for name, var in ld.spec.variables.items():
                path = ("variables", name)
                self._check_declaration(ld, name, var, ig, path)
                self._check_variable(ld, name, var, columns | defined, path)
                defined.add(name)
            written = {n for n, v in ld.spec.variables.items() if not (v.temp or v.supp)}
            missing = [v.name for v in ig.values() if v.core == "Req" and v.name not in written]
            if missing:
                raise _spec_error(ld, f"required (Req) SDTMIG variables not mapped: "
                                  f"{', '.join(missing)}", path=("variables",))
            for key in ld.spec.sort:
                if key not in defined:
                    raise _spec_error(ld, f"sort key {key} is not a mapped variable",
                                      path=("sort",))
            if ld.spec.supp_idvar and ld.spec.supp_idvar not in defined:
                raise _spec_error(ld, f"supp_idvar {ld.spec.supp_idvar} is not mapped",
                                  path=("supp_idvar",))
            has_supp = any(v.supp for v in ld.spec.variables.values())
            if has_supp and not ld.spec.supp_idvar and ld.spec.domain != "DM":
                raise _spec_error(ld, "SUPP-- records of a domain with several records per "
                                  "subject need supp_idvar (e.g. the --SEQ variable) to point "
                                  "at their parent record", path=("variables",))
        self._segments = self._plan()

    def _allowed_variables(self, ld: LoadedDomain) -> dict[str, VariableMeta]:
        """The variables the domain may carry, once its class declaration is checked.

        An SDTMIG domain takes its class from the IG; a sponsor-defined one declares it and is
        registered so every later reader of its metadata (define.xml, validation) knows it.
        """
        spec = ld.spec
        if is_ig_domain(spec.domain):
            for key, value in (("class", spec.class_), ("label", spec.label),
                               ("structure", spec.structure)):
                if value is not None:
                    raise _spec_error(
                        ld, f"{key}: {value!r} is only for sponsor-defined domains; "
                        f"{spec.domain} is an SDTMIG {SDTMIG_VERSION} domain (class "
                        f"{sdtm_dataset(spec.domain).cls})", path=(key,))
        else:
            register_sponsor_domain(self._sponsor_domain(ld))
        return {v.name: v for v in sdtm_variables(spec.domain)}

    def _sponsor_domain(self, ld: LoadedDomain) -> SponsorDomain:
        spec = ld.spec
        code = spec.domain
        classes = ", ".join(model_classes())
        if code[0] not in SPONSOR_FIRST_LETTERS:
            raise _spec_error(
                ld, f"{code} is not an SDTMIG {SDTMIG_VERSION} domain, and a sponsor-defined "
                f"domain code starts with {', '.join(SPONSOR_FIRST_LETTERS)} (SDTMIG 2.6)",
                path=("domain",))
        if spec.class_ is None:
            raise _spec_error(
                ld, f"{code} is not an SDTMIG {SDTMIG_VERSION} domain: a sponsor-defined domain "
                f"declares class: (one of {classes}) and label:", path=("domain",))
        if spec.class_ not in model_classes():
            raise _spec_error(
                ld, f"class: {spec.class_!r} is not an SDTM v{SDTM_MODEL_VERSION} observation "
                f"class (one of {classes})", path=("class",))
        if spec.label is None:
            raise _spec_error(ld, f"sponsor-defined domain {code} needs label: (its dataset "
                              f"label)", path=("domain",))
        if len(spec.label.encode()) > 40:
            raise _spec_error(ld, "a dataset label has at most 40 characters", path=("label",))
        structure = spec.structure or f"One record per {spec.class_.lower()} record per subject"
        return SponsorDomain(code, spec.class_, spec.label, structure)

    def _check_declaration(self, ld: LoadedDomain, name: str, var: VariableSpec,
                           ig: dict[str, Any], path: tuple[Any, ...]) -> None:
        """What a variable is allowed to be, before where its value comes from."""
        domain = ld.spec.domain
        if name not in ig and not (var.temp or var.supp):
            raise _spec_error(ld, f"{name} is not {_defined_by(domain)} variable of {domain}; "
                              f"mark it supp: (SUPP{domain}) or temp:", name, path)
        if name in ig and var.type and var.type != ig[name].type and not var.temp:
            raise _spec_error(ld, f"type {var.type} contradicts SDTMIG, where {name} is "
                              f"{ig[name].type}", name, path)
        if var.supp and len(name) > 8:
            raise _spec_error(ld, "a SUPP-- QNAM has at most 8 characters", name, path)
        if var.supp and len(var.supp.qlabel.encode()) > 40:
            raise _spec_error(ld, "a SUPP-- QLABEL has at most 40 characters", name, path)
        if var.constant is not None and var.constant is not NULL:
            expected = {"STUDYID": self.study.spec.study.studyid, "DOMAIN": domain}.get(name)
            if expected is not None and str(var.constant) != expected:
                raise _spec_error(ld, f"{name} is {var.constant!r} here but {expected!r} in "
                                  f"the study", name, path)

    def _columns_after_steps(self, ld: LoadedDomain) -> list[str]:
        cols = read_header(self._form_path(ld.spec.source), **self._read_options(ld.spec.source))
        for i, step in enumerate(ld.spec.steps):
            path = ("steps", i)
            if step.filter is not None:
                self._check_expression(ld, condition_of(step.filter), set(cols), "filter",
                                       None, path, want=BOOL)
            elif step.join is not None:
                j = step.join
                if j.form:
                    right = read_header(self._form_path(j.form), **self._read_options(j.form))
                else:
                    if j.domain not in self._work:
                        raise _spec_error(ld, f"join to unknown domain {j.domain}", path=path)
                    right = list(self._work[j.domain].loaded.spec.variables)
                for left_col, right_col in j.pairs.items():
                    if left_col not in cols:
                        raise _spec_error(ld, f"join key {left_col!r} is not a column here",
                                          path=path)
                    if right_col not in right:
                        raise _spec_error(ld, f"join key {right_col!r} is not in "
                                          f"{j.form or j.domain}", path=path)
                for c in j.columns:
                    if c not in right:
                        raise _spec_error(ld, f"join column {c!r} is not in {j.form or j.domain}",
                                          path=path)
                    if c in cols and c not in j.pairs:
                        raise _spec_error(ld, f"join column {c!r} is already a column here; a "
                                          f"join adds new columns only", path=path)
                cols = cols + [c for c in j.columns if c not in cols]
            elif step.stack is not None:
                s = step.stack
                used = {raw for g in s.groups.values() for raw in g.values()}
                for raw_col in sorted(used):
                    if raw_col not in cols:
                        raise _spec_error(ld, f"stack column {raw_col!r} is not a column here",
                                          path=path)
                new_cols = {c for g in s.groups.values() for c in g}
                if s.drop_empty and s.drop_empty not in new_cols:
                    raise _spec_error(ld, f"drop_empty names {s.drop_empty!r}, not a stacked "
                                      f"column", path=path)
                cols = [c for c in cols if c not in used] + [s.key, *sorted(new_cols)]
        return cols

    def _check_variable(self, ld: LoadedDomain, name: str, var: VariableSpec,
                        available: set[str], path: tuple[Any, ...]) -> None:
        def need(col: str, what: str) -> None:
            if col not in available:
                raise _spec_error(ld, f"{what} {col!r} is neither a raw column nor a variable "
                                  f"defined above", name, path)

        if var.where is not None:
            self._check_expression(ld, condition_of(var.where), available, "where", name,
                                   path, want=BOOL)
        kind = var.kind
        if kind == "field":
            need(var.field, "source field")
        elif kind == "expr":
            got = self._check_expression(ld, expression(var.expr), available, "expr", name,
                                         path)
            if self._type_of(ld, name, var) == "Num" and got not in (NUMBER, ANY):
                raise _spec_error(ld, f"expr gives {got}, but {name} is Num; convert it with "
                                  f"to_number(...)", name, path)
        elif kind == "ct":
            need(var.ct.field, "source field")
            cl = find_codelist(var.ct.codelist)
            if cl is None:
                raise _spec_error(ld, f"unknown codelist {var.ct.codelist!r}", name, path)
            if var.ct.from_codelist and find_codelist(var.ct.from_codelist) is None:
                raise _spec_error(ld, f"unknown codelist {var.ct.from_codelist!r}", name, path)
            # with from_codelist the values name terms of that (source) list
            target = find_codelist(var.ct.from_codelist) if var.ct.from_codelist else cl
            for raw_value, sub in var.ct.values.items():
                if sub not in target.submission_values and not target.extensible:
                    raise _spec_error(ld, f"{sub!r} (for {raw_value!r}) is not a term of the "
                                      f"non-extensible codelist {target.submission_value}",
                                      name, path)
        elif kind == "map":
            need(var.map.field, "source field")
        elif kind == "lookup":
            rows = self._tables(ld).get(var.lookup.table)
            if rows is None:
                raise _spec_error(ld, f"unknown table {var.lookup.table!r}", name, path)
            table_cols = {c for row in rows for c in row}
            for tcol, fcol in var.lookup.match.items():
                need(fcol, "lookup key")
                if tcol not in table_cols:
                    raise _spec_error(ld, f"table {var.lookup.table} has no column {tcol!r}",
                                      name, path)
            if var.lookup.value not in table_cols:
                raise _spec_error(ld, f"table {var.lookup.table} has no column "
                                  f"{var.lookup.value!r}", name, path)
        elif kind == "date":
            need(var.date.date, "date field")
            if var.date.time:
                need(var.date.time, "time field")
            formats = var.date.format
            for fmt in [formats] if isinstance(formats, str) else formats:
                if not dates.known_date_format(fmt):
                    raise _spec_error(ld, f"date format {fmt!r} needs YYYY, at most one of MM "
                                      f"or MON, and DD only with a month", name, path)
        elif kind == "text":
            for col in var.text.columns():
                need(col, "text column")
        elif kind == "derive":
            self._check_derive(ld, name, var, available, path)

    def _column_types(self, ld: LoadedDomain, available: set[str]) -> dict[str, str]:
        """The expression type of each column a variable may read: raw fields are text;
        variables (of this domain, or joined from another) have their SDTM type."""
        joined = {c: j.domain for s in ld.spec.steps if (j := s.join) is not None and j.domain
                  for c in j.columns}
        types = {}
        for col in available:
            owner = ld if col in ld.spec.variables else (
                self._work[joined[col]].loaded if col in joined else None)
            if owner is None:
                types[col] = TEXT
                continue
            kind = self._type_of(owner, col, owner.spec.variables[col])
            types[col] = NUMBER if kind == "Num" else DATE if col.endswith("DTC") else TEXT
        return types

    def _check_expression(self, ld: LoadedDomain, expr: Expression, available: set[str],
                          what: str, name: str | None, path: tuple[Any, ...],
                          want: str | None = None) -> str:
        """The type of an expression of this mapping; a spec error names file, line,
        variable and the position of the mistake."""
        try:
            got = expr.check(self._column_types(ld, available))
        except ExprSyntaxError as exc:
            raise _spec_error(ld, f"{what}: {exc}", name, path) from None
        if want is not None and got not in (want, ANY):
            raise _spec_error(ld, f"{what}: {expr.text!r} gives {got}, not a condition", name,
                              path)
        return got

    def _check_derive(self, ld: LoadedDomain, name: str, var: VariableSpec,
                      available: set[str], path: tuple[Any, ...]) -> None:
        fn = var.derive.function
        if fn not in REGISTRY:
            raise _spec_error(ld, f"unknown derivation {fn!r} (known: "
                              f"{', '.join(sorted(REGISTRY))})", name, path)
        spec = REGISTRY[fn]
        given = dict(var.derive.model_extra or {})
        for p in given:
            if p not in spec.params:
                raise _spec_error(ld, f"derivation {fn} has no parameter {p!r} (it takes "
                                  f"{', '.join(spec.params)})", name, path)
        for pname, param in spec.params.items():
            if pname not in given:
                if param.required:
                    raise _spec_error(ld, f"derivation {fn} needs parameter {pname!r}: "
                                      f"{param.doc}", name, path)
                continue
            value = given[pname]
            if param.kind in ("column", "columns"):
                refs = value if isinstance(value, list) else [value]
                if param.kind == "column" and isinstance(value, list):
                    raise _spec_error(ld, f"{fn}.{pname} takes one column", name, path)
                for ref in refs:
                    q = qualified(str(ref))
                    if q and q[0] == ld.spec.domain:
                        raise _spec_error(ld, f"{fn}.{pname}: write {q[1]} for a variable of "
                                          f"this domain, not {ref}", name, path)
                    if q:
                        self._check_foreign(ld, name, path, q)
                        if "USUBJID" not in available:
                            raise _spec_error(ld, f"{fn}.{pname}: {ref} is matched by USUBJID; "
                                              f"define USUBJID above {name}", name, path)
                    elif ref not in available:
                        raise _spec_error(ld, f"{fn}.{pname}: {ref!r} is neither a raw column "
                                          f"nor a variable defined above", name, path)
            elif param.kind == "records":
                refs = value if isinstance(value, list) else [value]
                for ref in refs:
                    q = qualified(str(ref))
                    if not q:
                        raise _spec_error(ld, f"{fn}.{pname} takes DOMAIN.VARIABLE, not "
                                          f"{ref!r}", name, path)
                    self._check_foreign(ld, name, path, q)
                    if "USUBJID" not in available:
                        raise _spec_error(ld, f"{fn}.{pname}: records are matched by USUBJID; "
                                          f"define USUBJID above {name}", name, path)
            elif param.kind == "table" and value not in self._tables(ld):
                raise _spec_error(ld, f"{fn}.{pname}: unknown table {value!r}", name, path)
            elif param.choices and value not in param.choices:
                raise _spec_error(ld, f"{fn}.{pname} is one of {', '.join(param.choices)}, not "
                                  f"{value!r}", name, path)
        if spec.check is not None:
            problem = spec.check(given)
            if problem:
                raise _spec_error(ld, f"{fn}: {problem}", name, path)

    def _check_foreign(self, ld: LoadedDomain, name: str, path: tuple[Any, ...],
                       q: tuple[str, str]) -> None:
        dom, var = q
        if dom not in self._work:
            raise _spec_error(ld, f"{dom}.{var}: domain {dom} is not in this study", name, path)
        other = self._work[dom].loaded.spec.variables
        if var not in other:
            raise _spec_error(ld, f"{dom}.{var}: {dom} maps no variable {var}", name, path)
        if "USUBJID" not in other:
            raise _spec_error(ld, f"{dom}.{var}: {dom} has no USUBJID to match records by",
                              name, path)

    # ---- planning -----------------------------------------------------------------------------

    def _plan(self) -> list[_Segment]:
        segments: dict[str, list[_Segment]] = {}
        for dom, work in self._work.items():
            ld = work.loaded
            segs: list[_Segment] = []
            current: list[str] = []
            current_needs: set[tuple[str, str]] = set()
            for step in ld.spec.steps:
                if step.join is not None and step.join.domain:
                    current_needs |= {(step.join.domain, c) for c in
                                      [*step.join.pairs.values(), *step.join.columns]}
            for name, var in ld.spec.variables.items():
                needs = _foreign_refs(var) - {(dom, v) for v in ld.spec.variables}
                if needs and current:
                    segs.append(_Segment(dom, len(segs), tuple(current), frozenset(current_needs)))
                    current, current_needs = [], set()
                current.append(name)
                current_needs |= needs
            segs.append(_Segment(dom, len(segs), tuple(current), frozenset(current_needs)))
            segments[dom] = segs

        def producer(dom: str, var: str) -> _Segment:
            for seg in segments[dom]:
                if var in seg.variables:
                    return seg
            raise SpecError(f"{dom}.{var} is not mapped", domain=dom, variable=var)

        order: list[_Segment] = []
        state: dict[tuple[str, int], str] = {}

        def visit(seg: _Segment, chain: list[str]) -> None:
            key = (seg.domain, seg.index)
            if state.get(key) == "done":
                return
            if state.get(key) == "active":
                raise SpecError("domains depend on each other in a cycle: "
                                + " -> ".join([*chain, f"{seg.domain}[{seg.index}]"]))
            state[key] = "active"
            deps = [segments[seg.domain][seg.index - 1]] if seg.index else []
            deps += [producer(d, v) for d, v in sorted(seg.needs)]
            for dep in deps:
                visit(dep, [*chain, f"{seg.domain}[{seg.index}]"])
            state[key] = "done"
            order.append(seg)

        for dom in self._work:
            for seg in segments[dom]:
                visit(seg, [])
        return order

    # ---- running ------------------------------------------------------------------------------

    def run(self, progress: Progress | None = None) -> dict[str, DomainResult]:
        """Build every domain; defects are collected in ``self.defects``."""
        self.check()
        notify = progress or (lambda domain, stage: None)
        for seg in self._segments or []:
            work = self._work[seg.domain]
            if seg.index == 0:
                notify(seg.domain, "reading raw data")
                work.frame, work.recon = self._start(work.loaded)
                notify(seg.domain, f"mapping {len(work.frame)} records")
            for name in seg.variables:
                work.frame = self._variable(work.loaded, work.frame, name)
        results = {}
        for dom, work in self._work.items():
            notify(dom, "finishing")
            results[dom] = self._finish(work)
        self.defects = DefectLog(ordered_defects(self.keyed))
        return results

    def frame_for(self, domain: str, variable: str) -> pd.DataFrame:
        """The domain's working frame once ``variable`` exists, running only the segments it
        needs (DM's USUBJID without the rest of the study, to plan subject chunks)."""
        self.check()
        segments = self._segments or []
        target = next(s for s in segments if s.domain == domain and variable in s.variables)
        needed: set[_Segment] = set()

        def need(seg: _Segment) -> None:
            if seg in needed:
                return
            needed.add(seg)
            for other in segments:
                same_before = other.domain == seg.domain and other.index < seg.index
                feeds = any(other.domain == d and v in other.variables for d, v in seg.needs)
                if same_before or feeds:
                    need(other)

        need(target)
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
        return self._work[domain].frame

    def _next_phase(self) -> None:
        self._phase += 1

    def _form(self, name: str) -> pd.DataFrame:
        if name not in self._forms:
            self._next_phase()
            self.form_phase[name] = self._phase
            if name in self._given:
                self._forms[name] = self._given[name]
            else:
                form = self.study.spec.raw.forms[name]
                frame = read_form(self._form_path(name), **self._read_options(name),
                                  missing=form.missing)
                self.keyed += [KeyedDefect(self._phase, (row, 0), d)
                               for row, d in duplicate_keys(name, frame, form.keys)]
                self._forms[name] = frame
        return self._forms[name]

    def _start(self, ld: LoadedDomain) -> tuple[pd.DataFrame, Reconciliation]:
        frame = self._form(ld.spec.source).copy()
        recon = Reconciliation(source_file=self.study.spec.raw.forms[ld.spec.source].file,
                               raw_records=len(frame))
        for step in ld.spec.steps:
            self._next_phase()
            present = frame[SOURCE_ROW].nunique()
            reason = step_reason(step)
            if step.filter is not None:
                frame = frame[condition_of(step.filter).mask(frame).to_numpy()]
                bucket = recon.filtered
            elif step.join is not None:
                frame = self._join(ld, frame, step.join)
                bucket = recon.rejected
            else:
                frame = self._stack(frame, step.stack, recon)
                bucket = None
            # a raw record is accounted for where its last row left: after a stack, a filter
            # removing some of a record's tests does not lose the record
            # rows are only ever removed (a stack repeats a record, never adds one)
            gone = present - frame[SOURCE_ROW].nunique()
            if gone and bucket is not None:
                bucket[reason] = bucket.get(reason, 0) + gone
            elif gone:
                recon.empty += gone
        return frame.reset_index(drop=True), recon

    def _join(self, ld: LoadedDomain, frame: pd.DataFrame, j: Any) -> pd.DataFrame:
        pairs = j.pairs
        if j.form:
            right = self._form(j.form)
            right_name = self.study.spec.raw.forms[j.form].file
        else:
            right = self._work[j.domain].frame
            right_name = j.domain
        right = right[[*pairs.values(), *[c for c in j.columns if c not in pairs.values()]]]
        wild_cols = list(j.blank_matches_any)
        wild = (right[wild_cols].isna().any(axis=1) if wild_cols
                else pd.Series(False, index=right.index))
        if right[~wild].duplicated(list(pairs.values())).any():
            raise _spec_error(ld, f"join to {right_name} on {', '.join(pairs.values())} matches "
                              f"more than one record per key; join on a unique key",
                              path=("steps",))
        merged = _merge_on(frame, right[~wild], pairs)
        if wild.any():
            exact_keys = {k: v for k, v in pairs.items() if v not in wild_cols}
            if right[wild].duplicated(list(exact_keys.values())).any():
                raise _spec_error(ld, f"join to {right_name}: two rows with a blank "
                                  f"{', '.join(wild_cols)} share the same "
                                  f"{', '.join(exact_keys.values())}", path=("steps",))
            fallback = _merge_on(frame, right[wild].drop(columns=wild_cols), exact_keys)
            use = (merged["__join"] == "left_only") & (fallback["__join"] == "both")
            for c in j.columns:
                if c in fallback.columns:
                    merged.loc[use, c] = fallback.loc[use, c]
            merged.loc[use, "__join"] = "both"
        unmatched = merged["__join"] == "left_only"
        if j.required and unmatched.any():
            reason = f"no match in {right_name} on {', '.join(pairs)}"
            for _, row in merged[unmatched].drop_duplicates(SOURCE_ROW).iterrows():
                self.keyed.append(KeyedDefect(self._phase, (int(row[SOURCE_ROW]), 0), Defect(
                    "error", ld.spec.domain, row[SOURCE_FILE], int(row[SOURCE_ROW]),
                    "+".join(pairs), "/".join(str(row[k]) for k in pairs),
                    f"record rejected: {reason} (a subject or record missing from {right_name})"
                )))
            merged = merged[~unmatched]
        return merged.drop(columns=["__join"])

    def _stack(self, frame: pd.DataFrame, s: Any, recon: Reconciliation) -> pd.DataFrame:
        """One row per raw record and group, in raw order, each record's groups in declared
        order; every column is gathered with a single take (no concat, sort or copy of the
        whole frame per group)."""
        used = {raw for g in s.groups.values() for raw in g.values()}
        ident = [c for c in frame.columns if c not in used]
        groups = list(s.groups)
        new_cols = list(dict.fromkeys(c for g in groups for c in s.groups[g]))
        n, k = len(frame), len(groups)
        # long row r * k + g holds raw row r, group g; group-major stacking puts it at g * n + r
        order = np.arange(n * k).reshape(k, n).T.ravel()
        stacked = {c: self._stacked_column(frame, s, groups, c, order) for c in new_cols}
        keep = np.ones(n * k, dtype=bool)
        if s.drop_empty:
            keep = ~pd.isna(stacked[s.drop_empty]).to_numpy(dtype=bool)
            recon.cells_not_done += int((~keep).sum())
        rows = np.repeat(np.arange(n), k)[keep]
        names = np.array(groups, dtype=object)[np.tile(np.arange(k), n)[keep]]
        long = {c: frame[c].iloc[rows].reset_index(drop=True) for c in ident}
        long[s.key] = pd.Series(names, dtype="string")
        long[STACK_FIELD] = long[s.key]
        for c in new_cols:
            long[c] = stacked[c][keep].reset_index(drop=True)
        return pd.DataFrame(long)

    @staticmethod
    def _stacked_column(frame: pd.DataFrame, s: Any, groups: list[str], column: str,
                        order: np.ndarray) -> pd.Series:
        parts = []
        for g in groups:
            raw = s.groups[g].get(column)
            part = frame[raw] if raw else pd.Series(pd.NA, index=frame.index, dtype="string")
            parts.append(part.astype("string").reset_index(drop=True))
        return pd.concat(parts, ignore_index=True).iloc[order].reset_index(drop=True)

    # ---- variables ----------------------------------------------------------------------------

    def _variable(self, ld: LoadedDomain, frame: pd.DataFrame, name: str) -> pd.DataFrame:
        self._next_phase()
        var = ld.spec.variables[name]
        kind = var.kind
        if kind == "field":
            values = frame[var.field]
        elif kind == "constant":
            values = pd.Series(pd.NA if var.constant is NULL else var.constant,
                               index=frame.index)
        elif kind == "expr":
            values = self._expr(ld, frame, name, var)
        elif kind == "ct":
            values = self._ct(ld, frame, name, var)
        elif kind == "map":
            values = self._map(ld, frame, name, var)
        elif kind == "lookup":
            values = self._lookup(ld, frame, name, var)
        elif kind == "date":
            values = self._date(ld, frame, name, var)
        elif kind == "text":
            values = self._text(ld, frame, name, var)
        else:
            return _kept_where(self._derive(ld, frame, name, var), name, var)
        out = frame.copy(deep=False)
        out[name] = self._typed(ld, frame, name, var, values)
        out = _kept_where(out, name, var)
        self._check_required(ld, out, name, var)
        return out

    def _type_of(self, ld: LoadedDomain, name: str, var: VariableSpec) -> str:
        if var.type:
            return var.type
        for v in sdtm_variables(ld.spec.domain):
            if v.name == name:
                return v.type
        return "Char"

    def _typed(self, ld: LoadedDomain, frame: pd.DataFrame, name: str, var: VariableSpec,
               values: pd.Series) -> pd.Series:
        if self._type_of(ld, name, var) != "Num":
            if pd.api.types.is_float_dtype(values) or pd.api.types.is_integer_dtype(values):
                return format_numbers(values)
            return values.astype("string")
        if pd.api.types.is_numeric_dtype(values):
            return values.astype("Float64")
        text = values.astype("string")
        nums = coerce_numbers(text)
        bad = text.notna() & nums.isna()
        for idx in bad[bad].index:
            self._defect(ld, frame, idx, name, text[idx], "expected a number", column=None)
        return nums.astype("Float64")

    def _check_required(self, ld: LoadedDomain, frame: pd.DataFrame, name: str,
                        var: VariableSpec) -> None:
        if not var.required:
            return
        missing = frame[name].isna()
        for idx in missing[missing].index:
            self._defect(ld, frame, idx, name, None, f"{name} is required but has no value")

    def _defect(self, ld: LoadedDomain, frame: pd.DataFrame, idx: Any, variable: str,
                value: Any, message: str, column: str | None = None,
                severity: str = "error", tally: tuple[Any, int, Callable[[int], str]] | None = None
                ) -> None:
        """``tally``: (key, count, message for a count) of a defect reported once per value."""
        row = frame.loc[idx]
        col = column or _source_column(ld.spec.variables.get(variable))
        group = 0
        if STACK_FIELD in frame.columns:
            group = _stack_group_index(ld, str(row[STACK_FIELD]))
            if col:
                # a stacked column: name the raw column of this record's group (PLT_U, not ORRESU)
                col = _stack_raw_column(ld, str(row[STACK_FIELD]), col) or col
        defect = Defect(severity, ld.spec.domain, str(row[SOURCE_FILE]), int(row[SOURCE_ROW]),
                        col or variable, None if value is None else str(value),
                        f"{variable}: {message}")
        position = (int(row[SOURCE_ROW]), group)
        if tally is None:
            self.keyed.append(KeyedDefect(self._phase, position, defect))
        else:
            key, count, rebuild = tally
            # a partial, not a closure: chunks built in worker processes send it back pickled
            self.keyed.append(KeyedDefect(self._phase, position, defect, key, count,
                                          partial(_prefixed, variable, rebuild)))

    def _ct(self, ld: LoadedDomain, frame: pd.DataFrame, name: str, var: VariableSpec
            ) -> pd.Series:
        spec = var.ct
        cl = codelist(spec.codelist)
        raw = frame[spec.field].astype("string")
        explicit = {str(k): v for k, v in spec.values.items()}
        if spec.from_codelist:
            source = codelist(spec.from_codelist)
            by_code = {t.code: t.submission_value for t in cl.terms}

            def resolve(v: str) -> str | None:
                sub = explicit.get(v) or source.lookup(v)
                term = next((t for t in source.terms if t.submission_value == sub), None)
                return by_code.get(term.code) if term else None
        else:
            def resolve(v: str) -> str | None:
                return explicit.get(v) or cl.lookup(v)

        uniq = raw.dropna().unique()
        resolved = {v: resolve(v) for v in uniq}
        values = map_text(raw, resolved)
        for v, sub in resolved.items():
            if sub is not None:
                continue
            rows = raw[raw == v].index
            if cl.extensible:
                values[rows] = v
                self._defect(ld, frame, rows[0], name, v, _ct_miss(cl, len(rows), True),
                             severity="warning",
                             tally=(v, len(rows), partial(_ct_miss, cl, extensible=True)))
            else:
                for idx in rows:
                    self._defect(ld, frame, idx, name, v, _ct_miss(cl, 1, False))
        return values

    def _expr(self, ld: LoadedDomain, frame: pd.DataFrame, name: str, var: VariableSpec
              ) -> pd.Series:
        expr = expression(var.expr)
        values, _, problems = expr.evaluate(frame)
        # a value the where condition blanks is not a defect (to_number of a text answer
        # outside `where: is_numeric(...)`)
        keep = (condition_of(var.where).mask(frame).to_numpy() if var.where is not None
                else None)
        column = "+".join(n for n in expr.names if n in frame.columns)
        for problem in problems:
            rows = problem.rows if keep is None else problem.rows & keep
            for idx in frame.index[rows]:
                shown = frame.at[idx, column] if column in frame.columns else None
                self._defect(ld, frame, idx, name, shown, problem.message, column=column)
        return values

    def _map(self, ld: LoadedDomain, frame: pd.DataFrame, name: str, var: VariableSpec
             ) -> pd.Series:
        spec = var.map
        table = {str(k): v for k, v in spec.values.items()}
        raw = frame[spec.field].astype("string")
        values = map_text(raw, table)
        miss = raw.notna() & ~raw.isin(list(table))
        if spec.other is not None:
            values = values.where(~miss, _literal_text(spec.other))
        else:
            for idx in miss[miss].index:
                self._defect(ld, frame, idx, name, raw[idx],
                             f"not one of the mapped values ({', '.join(table)})")
        if spec.blank is not None:
            values = values.where(raw.notna(), _literal_text(spec.blank))
        return values

    def _lookup(self, ld: LoadedDomain, frame: pd.DataFrame, name: str, var: VariableSpec
                ) -> pd.Series:
        spec = var.lookup
        rows = pd.DataFrame(self._tables(ld)[spec.table]).astype("string")
        left = frame[list(spec.match.values())].astype("string")
        left.columns = list(spec.match.keys())
        right = rows[[*spec.match.keys(), spec.value]].drop_duplicates(list(spec.match.keys()))
        at = match_rows([left[c] for c in spec.match], [right[c] for c in spec.match])
        values = take_matched(right[spec.value], at, frame.index)
        miss = values.isna() & left.notna().all(axis=1)
        if spec.missing == "blank":
            return values
        for idx in miss[miss].index:
            key = "/".join(str(left.at[idx, c]) for c in spec.match)
            self._defect(ld, frame, idx, name, key, f"no row of table {spec.table} matches",
                         column="+".join(spec.match.values()))
        return values

    def _date(self, ld: LoadedDomain, frame: pd.DataFrame, name: str, var: VariableSpec
              ) -> pd.Series:
        spec = var.date
        times = frame[spec.time] if spec.time else None
        iso, problems = dates.parse_dates(frame[spec.date], spec.format, times)
        for p in problems:
            column = spec.time if "time" in p.message else spec.date
            self._defect(ld, frame, p.index, name, p.value, p.message, column=column,
                         severity=p.severity)
        if spec.time:
            orphan = frame[spec.time].notna() & frame[spec.date].isna()
            for idx in orphan[orphan].index:
                self._defect(ld, frame, idx, name, frame.at[idx, spec.time],
                             "a time was collected without a date; it is not mapped",
                             column=spec.time, severity="warning")
        if spec.complete:
            partial = iso.notna() & (iso.str.len() < 10)
            for idx in partial[partial].index:
                self._defect(ld, frame, idx, name, frame.at[idx, spec.date],
                             f"a complete date is required, got the partial date {iso[idx]}",
                             column=spec.date)
            iso = iso.where(~partial)
        return iso

    def _text(self, ld: LoadedDomain, frame: pd.DataFrame, name: str, var: VariableSpec
              ) -> pd.Series:
        spec = var.text
        values = textsource.build_text(frame, spec.field, spec.template, spec.coalesce)
        if spec.trim:
            values = textsource.collapse_blanks(values)
        cut: list[tuple[pd.Series, str]] = []
        if spec.extract is not None:
            values, lost = textsource.extract_first(values, spec.extract)
            cut.append((lost, f"does not match the pattern {spec.extract!r}"))
        if spec.split is not None:
            values, lost = textsource.split_part(values, spec.split, spec.part)
            cut.append((lost, f"has no part {spec.part} when split at {spec.split!r}"))
        if spec.case == "upper":
            values = values.str.upper()
        elif spec.case == "lower":
            values = values.str.lower()
        if spec.no_match == "error":
            column = "+".join(spec.columns())
            for lost, why in cut:
                for idx in lost[lost].index:
                    self._defect(ld, frame, idx, name, textsource.source_text(frame, spec, idx),
                                 f"the value {why}", column=column)
        return values

    def _derive(self, ld: LoadedDomain, frame: pd.DataFrame, name: str, var: VariableSpec
                ) -> pd.DataFrame:
        spec = REGISTRY[var.derive.function]
        given = dict(var.derive.model_extra or {})
        kwargs: dict[str, Any] = {}
        work = frame
        merged_cols: list[str] = []
        for pname, param in spec.params.items():
            if pname not in given:
                if not param.required and param.default is not None:
                    kwargs[pname] = param.default
                continue
            value = given[pname]
            if param.kind in ("column", "columns"):
                refs = value if isinstance(value, list) else [value]
                for ref in refs:
                    q = qualified(str(ref))
                    if q and str(ref) not in work.columns:
                        work = self._merge_subject_level(ld, work, name, *q)
                        merged_cols.append(str(ref))
                kwargs[pname] = value
            elif param.kind == "records":
                refs = value if isinstance(value, list) else [value]
                kwargs[pname] = self._records(refs)
            elif param.kind == "table":
                kwargs[pname] = self._tables(ld)[value]
            else:
                kwargs[pname] = value
        if "report" in inspect.signature(spec.function).parameters:
            def report(index: pd.Index, message: str, column: str | None = None) -> None:
                # a variable named as the column: name the raw column it came from
                source = _source_column(ld.spec.variables.get(column)) if column else None
                for idx in index:
                    value = work.at[idx, column] if column in work.columns else None
                    self._defect(ld, work, idx, name, value, message,
                                 column=source or column)
            kwargs["report"] = report
        try:
            out = spec.function(work, new_var=name, **kwargs)
        except (ValueError, KeyError, TypeError) as exc:
            raise _spec_error(ld, f"derivation {spec.name} failed: {exc}", name,
                              ("variables", name)) from exc
        out = out.drop(columns=merged_cols)
        out[name] = self._typed(ld, out, name, var, out[name])
        self._check_required(ld, out, name, var)
        return out

    def _merge_subject_level(self, ld: LoadedDomain, frame: pd.DataFrame, name: str,
                             dom: str, var: str) -> pd.DataFrame:
        other = self._work[dom].frame
        if other["USUBJID"].duplicated().any():
            raise _spec_error(ld, f"{dom}.{var} has several records per subject; use a "
                              f"derivation that takes records", name, ("variables", name))
        # one record per subject: a positional take, not a merge of a million rows
        values = lookup(frame["USUBJID"], other["USUBJID"], other[var])
        out = frame.copy(deep=False)
        out[f"{dom}.{var}"] = values
        return out

    def _records(self, refs: list[str]) -> pd.DataFrame:
        parts = []
        for ref in refs:
            dom, var = qualified(str(ref))
            other = self._work[dom].frame
            parts.append(pd.DataFrame({"USUBJID": other["USUBJID"].astype("string"),
                                       "VALUE": other[var]}))
        return pd.concat(parts, ignore_index=True)

    # ---- finishing ----------------------------------------------------------------------------

    def _finish(self, work: _Work) -> DomainResult:
        ld = work.loaded
        frame = work.frame
        spec = ld.spec
        ig = sdtm_variables(spec.domain)
        mapped = {n for n, v in spec.variables.items() if not (v.temp or v.supp)}
        keep = [v.name for v in ig if v.name in mapped]
        labels = {v.name: v.label for v in ig if v.name in mapped}
        for n, v in spec.variables.items():
            if v.label and n in labels:
                labels[n] = v.label
        seq = next((v for v in keep if v.endswith("SEQ")), None)
        default = [c for c in ("USUBJID", seq) if c and c in frame.columns]
        order = spec.sort or default
        if order:
            frame = frame.sort_values(order, kind="stable")
        frame = frame.reset_index(drop=True)
        data = frame[keep].copy()
        recon = work.recon
        recon.records_out = len(frame)
        recon.raw_records_landed = int(frame[SOURCE_ROW].nunique())
        lineage = pd.DataFrame({
            "DOMAIN": spec.domain,
            **({"USUBJID": frame["USUBJID"]} if "USUBJID" in frame.columns else {}),
            **({seq: frame[seq].astype("Int64")} if seq else {}),
            "SOURCE_FILE": frame[SOURCE_FILE],
            "SOURCE_ROW": frame[SOURCE_ROW].astype("int64"),
            **({"SOURCE_FIELD": frame[STACK_FIELD]} if STACK_FIELD in frame.columns else {}),
        })
        supp = self._supp(ld, frame)
        return DomainResult(spec.domain, data, supp, lineage, recon, labels)

    def _supp(self, ld: LoadedDomain, frame: pd.DataFrame) -> pd.DataFrame | None:
        spec = ld.spec
        supp_vars = [(n, v) for n, v in spec.variables.items() if v.supp]
        if not supp_vars:
            return None
        parts = []
        for n, v in supp_vars:
            values = frame[n]
            text = (_numbers_text(values) if pd.api.types.is_numeric_dtype(values)
                    else values).astype("string")
            has = text.notna() & (text.str.strip() != "")
            part = pd.DataFrame({
                "STUDYID": frame["STUDYID"],
                "RDOMAIN": spec.domain,
                "USUBJID": frame["USUBJID"],
                "IDVAR": spec.supp_idvar or "",
                "IDVARVAL": (_numbers_text(frame[spec.supp_idvar]).astype("string")
                             if spec.supp_idvar else ""),
                "QNAM": n,
                "QLABEL": v.supp.qlabel,
                "QVAL": text,
                "QORIG": v.supp.qorig,
                "QEVAL": v.supp.qeval or "",
            })[has]
            parts.append(part)
        supp = pd.concat(parts, ignore_index=True)
        supp["__order"] = supp["QNAM"].map({n: i for i, (n, _) in enumerate(supp_vars)})
        supp["__id"] = pd.to_numeric(supp["IDVARVAL"], errors="coerce")
        supp = supp.sort_values(["USUBJID", "__id", "__order"], kind="stable")
        return supp.drop(columns=["__order", "__id"]).astype("string").reset_index(drop=True)


def _merge_on(frame: pd.DataFrame, right: pd.DataFrame, pairs: dict[str, str]) -> pd.DataFrame:
    """Left join on keys compared as text, keeping the frame's rows and order; ``__join`` says
    which rows matched ("both") and which did not ("left_only"). ``right`` has unique keys:
    a positional take, not a merge of a million rows."""
    at = match_rows([frame[k] for k in pairs], [right[v] for v in pairs.values()])
    merged = frame.copy(deep=False)
    for k in pairs:
        merged[k] = frame[k].astype("string")
    for c in right.columns:
        if c not in pairs.values():
            merged[c] = take_matched(right[c], at, frame.index)
    merged["__join"] = np.where(at.is_valid().to_numpy(zero_copy_only=False), "both",
                                "left_only")
    return merged


def _kept_where(frame: pd.DataFrame, name: str, var: VariableSpec) -> pd.DataFrame:
    """The variable blanked on the records that do not satisfy its ``where`` condition."""
    if var.where is None:
        return frame
    keep = condition_of(var.where).mask(frame)
    if keep.all():
        return frame
    out = frame.copy(deep=False)
    out[name] = frame[name].where(keep)
    return out


def _literal_text(value: Any) -> Any:
    """A spec literal as the text a variable holds (1.5 -> "1.5"; null stays missing)."""
    return pd.NA if value is NULL else str(value)


def _numbers_text(values: pd.Series) -> pd.Series:
    """Numbers as SUPP-- text (``_num_text``), worked out once per distinct value."""
    return per_distinct(lambda v: v.map(_num_text, na_action="ignore"), values)


def _num_text(v: Any) -> str:
    f = float(v)
    return str(int(f)) if f.is_integer() and abs(f) < 1e15 else format_number(f)


def _prefixed(variable: str, message: Callable[[int], str], n: int) -> str:
    return f"{variable}: {message(n)}"


def _ct_miss(cl: Codelist, n: int, extensible: bool) -> str:
    if extensible:
        return (f"not a term of the extensible codelist {cl.submission_value} ({cl.code}); kept "
                f"as collected in {n} record(s): add it to the mapping's values if it is a "
                f"synonym")
    return f"not a term of codelist {cl.submission_value} ({cl.code}) and not mapped"


def _source_column(var: VariableSpec | None) -> str | None:
    if var is None:
        return None
    if var.field:
        return var.field
    for attr in ("ct", "map"):
        spec = getattr(var, attr)
        if spec is not None:
            return spec.field
    if var.date is not None:
        return var.date.date
    if var.text is not None:
        return "+".join(var.text.columns())
    return None


def step_reason(step: Any) -> str:
    """What the reconciliation says of the raw records a step removed."""
    if step.filter is not None:
        # the condition as written in the expression language: what a programmer searches for
        return condition_of(step.filter).text
    if step.join is not None:
        return f"no match in {step.join.form or step.join.domain} on {', '.join(step.join.pairs)}"
    return ""


def _stack_group_index(ld: LoadedDomain, group: str) -> int:
    """A stacked record's place among its raw record's groups (the order the stack makes)."""
    for step in ld.spec.steps:
        if step.stack is not None and group in step.stack.groups:
            return list(step.stack.groups).index(group)
    return 0


def duplicate_keys(name: str, frame: pd.DataFrame, keys: list[str]) -> list[tuple[int, Defect]]:
    """Records of a raw form sharing their key, as (line, defect); a missing key column is an
    error that stops the run."""
    if not keys:
        return []
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise RawDataError(f"{frame[SOURCE_FILE].iat[0] if len(frame) else name}: key "
                           f"column(s) {', '.join(missing)} missing")
    dup = frame[frame.duplicated(keys, keep=False)]
    return [(int(row[SOURCE_ROW]),
             Defect("error", "-", row[SOURCE_FILE], int(row[SOURCE_ROW]), "+".join(keys),
                    "/".join(str(row[k]) for k in keys),
                    f"duplicate key: another record of form {name} has the same "
                    f"{', '.join(keys)}"))
            for _, row in dup.iterrows()]


def _stack_raw_column(ld: LoadedDomain, group: str, column: str) -> str | None:
    for step in ld.spec.steps:
        if step.stack is not None and group in step.stack.groups:
            return step.stack.groups[group].get(column)
    return None


def _foreign_refs(var: VariableSpec) -> set[tuple[str, str]]:
    if var.derive is None:
        return set()
    spec = REGISTRY.get(var.derive.function)
    if spec is None:
        return set()
    refs: set[tuple[str, str]] = set()
    for pname, value in (var.derive.model_extra or {}).items():
        param = spec.params.get(pname)
        if param is None or param.kind not in ("column", "columns", "records"):
            continue
        for ref in value if isinstance(value, list) else [value]:
            q = qualified(str(ref))
            if q:
                refs.add(q)
    return refs


def condition_of(cond: Condition | str) -> Expression:
    """A filter or where condition as an expression (the condition keys are its aliases)."""
    return expression(cond, "condition")


def describe_condition(cond: Condition | str) -> str:
    """A condition in words, for the run report and define.xml (`KEEP is 'Y'`)."""
    return condition_of(cond).words()


__all__ = ["DomainResult", "Engine", "Reconciliation", "split_result"]
