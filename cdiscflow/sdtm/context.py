"""What every part of an SDTM build shares: the study, the raw forms read so far, the domains
being built, and the defects found, each keyed so that a run split into subject chunks reports
them in one run's order. Steps (``cdiscflow/sdtm/steps``) and sources
(``cdiscflow/sdtm/sources``) read and report through it; ``Engine`` orchestrates them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdiscflow.codes import factorised, numbers_through, row_codes
from cdiscflow.errors import Defect, DefectLog, RawDataError, SpecError
from cdiscflow.raw import SOURCE_FILE, SOURCE_ROW, raw_defects, read_form
from cdiscflow.sdtm.defect_order import KeyedDefect
from cdiscflow.sdtm.domains import domain_variables
from cdiscflow.spec import LoadedDomain, LoadedStudy, VariableSpec
from cdiscflow.studypaths import raw_file, raw_folder
from cdiscflow.textops import coerce_numbers, format_numbers

STACK_FIELD = "__field"
INTERNAL = (SOURCE_FILE, SOURCE_ROW, STACK_FIELD)

# progress(domain, stage) says what a stage is doing. A progress object may also have a
# ``count(domain, done, total, records)`` method: the engine then says how many of a domain's
# variables are mapped, so a terminal can show a rate and an estimate on the long stage
Progress = Callable[[str, str], None]
Count = Callable[[str, int, int, int], None]


def progress_count(progress: Progress | None) -> Count | None:
    """The progress object's ``count`` method, when it has one."""
    return getattr(progress, "count", None)


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
class Work:
    """A domain while it is being built."""

    loaded: LoadedDomain
    frame: pd.DataFrame | None = None
    recon: Reconciliation | None = None


class BuildContext:
    """The state of one SDTM build (one study, or one chunk of its subjects)."""

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
        self._work = {d.spec.domain: Work(d) for d in study.domains}
        # allowed but unusual choices of the mapping files, found by the check (phase 0: they
        # come before every data defect)
        self.spec_warnings: list[Defect] = []

    # ---- raw forms and tables ------------------------------------------------------------------

    def form_path(self, form: str) -> Path:
        forms = self.study.spec.raw.forms
        if form not in forms:
            raise SpecError(f"unknown raw form {form!r} (declared: {', '.join(forms)})",
                            file=str(self.study.file))
        return raw_file(self.raw_dir, self.study, form)

    def read_options(self, form: str) -> dict[str, Any]:
        """How read_form/read_header read a form: its format, encoding and sheet."""
        raw = self.study.spec.raw
        spec = raw.forms[form]
        return {"fmt": spec.file_format, "sheet": spec.sheet, "encoding": raw.encoding_of(form)}

    def tables(self, ld: LoadedDomain) -> dict[str, list[dict[str, Any]]]:
        return {**self.study.spec.tables, **ld.spec.tables}

    def next_phase(self) -> None:
        self._phase += 1

    def form(self, name: str) -> pd.DataFrame:
        """A raw form, read once (its duplicate keys reported when it is read)."""
        if name not in self._forms:
            self.next_phase()
            self.form_phase[name] = self._phase
            if name in self._given:
                self._forms[name] = self._given[name]
            else:
                form = self.study.spec.raw.forms[name]
                frame = read_form(self.form_path(name), **self.read_options(name),
                                  missing=form.missing)
                self.keyed += [KeyedDefect(self._phase, (row, 0), d)
                               for row, d in duplicate_keys(name, frame, form.keys)
                               + raw_defects(frame)]
                self._forms[name] = frame
        return self._forms[name]

    def domain_frame(self, domain: str) -> pd.DataFrame:
        """A domain's working frame as built so far (the plan runs what it needs first)."""
        frame = self._work[domain].frame
        assert frame is not None, f"{domain} read before it was built"
        return frame

    # ---- types and defects ---------------------------------------------------------------------

    def type_of(self, ld: LoadedDomain, name: str, var: VariableSpec) -> str:
        if var.type:
            return var.type
        for v in domain_variables(ld):
            if v.name == name:
                return v.type
        return "Char"

    def typed(self, ld: LoadedDomain, frame: pd.DataFrame, name: str, var: VariableSpec,
              values: pd.Series) -> pd.Series:
        """Values as the variable's type: numbers as text for Char (``1.0`` -> ``1``); text
        as numbers for Num, a non-number being a defect naming the raw record."""
        if self.type_of(ld, name, var) != "Num":
            if pd.api.types.is_float_dtype(values) or pd.api.types.is_integer_dtype(values):
                return format_numbers(values)
            return values.astype("string")
        if pd.api.types.is_numeric_dtype(values):
            return values.astype("Float64")
        text = values.astype("string")
        # read once per distinct text (a million lab records hold a few thousand results),
        # and only the numbers and their missing mask put on the rows
        known, distinct = factorised(text)
        number, bad = _numbers_read(distinct[0])
        if bad.any():
            on_rows = known.gather(number)
            for pos in np.flatnonzero(known.gather(bad)):
                self.defect(ld, frame, text.index[pos], name, text.iloc[pos],
                            "expected a number" if np.isnan(on_rows[pos]) else
                            "expected a finite number (no dataset holds infinity or NaN)",
                            column=None)
            number = np.where(bad, np.nan, number)  # reported, and not carried on
        return numbers_through(known, number, text.index)

    def check_required(self, ld: LoadedDomain, frame: pd.DataFrame, name: str,
                       var: VariableSpec) -> None:
        if not var.required:
            return
        missing = frame[name].isna()
        for idx in missing[missing].index:
            self.defect(ld, frame, idx, name, None, f"{name} is required but has no value")

    def defect(self, ld: LoadedDomain, frame: pd.DataFrame, idx: Any, variable: str,
               value: Any, message: str, column: str | None = None,
               severity: str = "error", tally: tuple[Any, int, Callable[[int], str]] | None = None
               ) -> None:
        """A defect of one raw record, naming its file, line and raw column.

        ``tally``: (key, count, message for a count) of a defect reported once per value."""
        from cdiscflow.sdtm.sources import source_column

        row = frame.loc[idx]
        col = column or source_column(ld.spec.variables.get(variable))
        group = 0
        if STACK_FIELD in frame.columns:
            group = stack_group_index(ld, str(row[STACK_FIELD]))
            if col:
                # a stacked column: name the raw column of this record's group (PLT_U, not ORRESU)
                col = stack_raw_column(ld, str(row[STACK_FIELD]), col) or col
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

    def record_defect(self, defect: Defect) -> None:
        """A defect of a whole raw record (a join that finds no match), in run order."""
        self.keyed.append(KeyedDefect(self._phase, (int(defect.row or 0), 0), defect))


def _numbers_read(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Text as numbers (NaN where none), and where a value is not one a dataset can hold:
    not a number, or "Infinity", "inf", "NaN", 1e309 (which parse as numbers)."""
    number = coerce_numbers(text).to_numpy(dtype="float64")
    return number, text.notna().to_numpy(dtype=bool) & ~np.isfinite(number)


def _prefixed(variable: str, message: Callable[[int], str], n: int) -> str:
    return f"{variable}: {message(n)}"


def stack_group_index(ld: LoadedDomain, group: str) -> int:
    """A stacked record's place among its raw record's groups (the order the stack makes)."""
    for step in ld.spec.steps:
        if step.stack is not None and group in step.stack.groups:
            return list(step.stack.groups).index(group)
    return 0


def stack_raw_column(ld: LoadedDomain, group: str, column: str) -> str | None:
    for step in ld.spec.steps:
        if step.stack is not None and group in step.stack.groups:
            return step.stack.raw_columns(group).get(column)
    return None


def raw_records_present(frame: pd.DataFrame) -> int:
    """How many distinct raw records (``SOURCE_ROW``, a raw line number) the frame's rows
    come from: marked in a table of line numbers rather than hashed (a stacked domain asks
    this of a million rows after every step)."""
    lines = frame[SOURCE_ROW].to_numpy()
    if not len(lines):
        return 0
    if lines.dtype.kind in "iu" and lines.min() >= 0 and lines.max() <= 4 * len(lines) + 2**20:
        seen = np.zeros(int(lines.max()) + 1, dtype=bool)
        seen[lines] = True
        return int(np.count_nonzero(seen))
    return int(frame[SOURCE_ROW].nunique())


def duplicate_keys(name: str, frame: pd.DataFrame, keys: list[str]) -> list[tuple[int, Defect]]:
    """Records of a raw form sharing their key, as (line, defect); a missing key column is an
    error that stops the run."""
    if not keys:
        return []
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise RawDataError(f"{frame[SOURCE_FILE].iat[0] if len(frame) else name}: key "
                           f"column(s) {', '.join(missing)} missing")
    if row_codes(*(frame[k] for k in keys)).size == len(frame):
        # as many key combinations as records (the usual case): no duplicate, and the key
        # columns' codes are remembered for the derivations that number them again
        return []
    dup = frame[frame.duplicated(keys, keep=False)]
    return [(int(row[SOURCE_ROW]),
             Defect("error", "-", row[SOURCE_FILE], int(row[SOURCE_ROW]), "+".join(keys),
                    "/".join(str(row[k]) for k in keys),
                    f"duplicate key: another record of form {name} has the same "
                    f"{', '.join(keys)}"))
            for _, row in dup.iterrows()]
