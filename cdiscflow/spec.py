"""The mapping language's model: a study file plus one mapping file per domain.

Everything here is data, checked on load by pydantic models that forbid unknown keys; nothing in
a spec is ever evaluated as code. ``docs/mapping-language.md`` documents every construct.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cdiscflow.expr import Expression, ExprSyntaxError
from cdiscflow.yamlio import line_of


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- study file ---------------------------------------------------------------------------

# the file formats a raw form may have, and the format each file extension implies
RawFormat = Literal["csv", "sas7bdat", "xpt", "xlsx", "parquet"]
RAW_FORMATS: tuple[str, ...] = get_args(RawFormat)
FORMAT_OF_EXTENSION = {".csv": "csv", ".sas7bdat": "sas7bdat", ".xpt": "xpt", ".xlsx": "xlsx",
                       ".xlsm": "xlsx", ".parquet": "parquet", ".pq": "parquet"}
# formats that store text as bytes in some encoding; Excel and Parquet text is always Unicode
ENCODED_FORMATS = ("csv", "sas7bdat", "xpt")


def format_of_file(file: str | Path) -> str | None:
    """The raw format a file's extension implies (None for an extension not in the list)."""
    return FORMAT_OF_EXTENSION.get(Path(file).suffix.lower())


class FormSpec(_Model):
    file: str
    keys: list[str] = []  # fields that identify one record of the form (duplicates reported)
    encoding: str | None = None  # overrides raw.encoding for this file
    format: RawFormat | None = None  # default: from the file's extension
    sheet: str | None = None  # Excel only: the worksheet (default: the first)
    # the form's own spellings of "no value" (NA, ND, UNK): read as blanks
    missing: list[str] = []

    @model_validator(mode="after")
    def _inside_raw_dir(self) -> FormSpec:
        # a spec is untrusted: it names files inside the raw folder, never elsewhere
        p = Path(self.file)
        if p.is_absolute() or ".." in p.parts or self.file.startswith("~"):
            raise ValueError(f"raw file {self.file!r} must be a path inside the raw folder")
        return self

    @model_validator(mode="after")
    def _known_format(self) -> FormSpec:
        if self.format is None and format_of_file(self.file) is None:
            raise ValueError(f"raw file {self.file!r}: the extension does not tell its format; "
                             f"declare format: (one of {', '.join(RAW_FORMATS)})")
        if self.sheet is not None and self.file_format != "xlsx":
            raise ValueError(f"sheet: is for Excel files; {self.file!r} is "
                             f"{self.file_format}")
        if self.encoding is not None and self.file_format not in ENCODED_FORMATS:
            raise ValueError(f"encoding: does not apply to {self.file_format} ({self.file!r}), "
                             f"whose text is always Unicode")
        return self

    @property
    def file_format(self) -> str:
        """The declared format, else the one the extension implies."""
        return self.format or format_of_file(self.file) or ""


class RawSpec(_Model):
    dir: str
    encoding: str = "utf-8"
    forms: dict[str, FormSpec]
    # the raw columns naming a subject on every form that holds subject data (e.g. [SUBJID],
    # or [SITEID, SUBJID] where sites number their own patients): with them a large study is
    # processed in chunks of whole subjects (cdiscflow/sdtm/chunked.py)
    subject: list[str] = []

    def encoding_of(self, form: str) -> str | None:
        """The encoding to read a form with; None: the file's own (a SAS7BDAT header records
        it), which a SAS or XPT file gets unless its form or the study declares one."""
        spec = self.forms[form]
        if spec.encoding:
            return spec.encoding
        fmt = spec.file_format
        if fmt == "csv" or (fmt in ENCODED_FORMATS and "encoding" in self.model_fields_set):
            return self.encoding
        return None


# a study id is written into a folder name (m5/datasets/<studyid>): no separators, no control
# characters, not a relative-path word, no outer blanks
_NOT_IN_NAME = re.compile(r"[/\\:\x00-\x1f\x7f]")


class StudyInfo(_Model):
    studyid: str = Field(min_length=1)
    title: str | None = None
    sponsor: str | None = None
    # the date written into XPT headers: fixed per study so output is byte-identical across runs
    created: dt.datetime = dt.datetime(2000, 1, 1)

    @model_validator(mode="after")
    def _plain_name(self) -> StudyInfo:
        sid = self.studyid
        if sid.strip() != sid or sid in (".", "..") or _NOT_IN_NAME.search(sid):
            raise ValueError(f"studyid {sid!r} must be a plain name (it names the package "
                             f"folder m5/datasets/<studyid>): no '/', '\\', ':', control "
                             f"characters, outer blanks, '.' or '..'")
        return self


# FDA Technical Conformance Guide: a dataset file may be at most 5 GB (decimal gigabytes)
FDA_MAX_XPT_BYTES = 5_000_000_000


class BlankCrfSpec(_Model):
    """The study's own blank CRF, which acrf.pdf puts before the generated annotation pages."""

    file: str = Field(min_length=1)  # a PDF inside the study folder
    # raw form -> the blank CRF pages (from 1) that show it: its annotation pages name them and
    # define.xml's page references of its variables include them
    forms: dict[str, list[Annotated[int, Field(ge=1)]]] = {}


class SubmissionSpec(_Model):
    """How the submission package is written (docs/submission-package.md)."""

    # character lengths: the longest value in bytes (FDA default) or each variable's `length:`
    length_source: Literal["data", "spec"] = "data"
    # a dataset whose XPT file would be larger is split by record order into numbered parts
    max_xpt_bytes: int = Field(default=FDA_MAX_XPT_BYTES, gt=0)
    blank_crf: BlankCrfSpec | None = None


class SubjectVisitsSpec(_Model):
    """SV derived from the visits found in the named domains (cdiscflow/sdtm/trial_design.py)."""

    # domains whose VISITNUM/VISIT count; none named: every domain of the study mapping VISITNUM
    from_: list[str] | None = Field(default=None, alias="from", min_length=1)


class SubjectElementsSpec(_Model):
    """SE derived per subject from the elements of its arm (cdiscflow/sdtm/trial_design.py)."""

    # ETCD -> DOMAIN.VARIABLE holding the date the element starts (DM.RFXSTDTC; another
    # domain's variable: the subject's earliest complete date of it)
    starts: dict[str, str] = Field(min_length=1)
    end: str = "DM.RFPENDTC"  # the date the subject's last element ends


class TrialDesignSpec(_Model):
    """The protocol's design (TA, TE, TV, TI rows keyed by SDTMIG variable names), and the
    subject-level datasets derived from the data against it (SV, SE)."""

    TA: list[dict[str, Any]] = []
    TE: list[dict[str, Any]] = []
    TV: list[dict[str, Any]] = []
    TI: list[dict[str, Any]] = []
    SV: SubjectVisitsSpec | None = None
    SE: SubjectElementsSpec | None = None


class StudySpec(_Model):
    study: StudyInfo
    raw: RawSpec
    domains: list[str] = Field(min_length=1)
    tables: dict[str, list[dict[str, Any]]] = {}
    submission: SubmissionSpec = SubmissionSpec()
    # Trial Summary parameters: TSPARMCD -> value (or list of values), checked in sdtm/ts.py
    ts: dict[str, Any] = {}
    # trial design datasets and SV/SE, checked and built in sdtm/trial_design.py
    trial_design: TrialDesignSpec = TrialDesignSpec()


# --- domain mapping file ------------------------------------------------------------------

class Condition(_Model):
    """A row filter: one test on one column, or all/any/not of conditions."""

    column: str | None = None
    equals: Any = None
    not_equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    not_in: list[Any] | None = None
    is_null: bool | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        combos = [self.all, self.any, self.not_]
        tests = [self.equals, self.not_equals, self.in_, self.not_in, self.is_null]
        n_combo = sum(c is not None for c in combos)
        n_test = sum(t is not None for t in tests)
        if n_combo + n_test != 1:
            raise ValueError("a condition has exactly one of equals, not_equals, in, not_in, "
                             "is_null, all, any, not")
        if n_test and not self.column:
            raise ValueError("a test (equals, in, ...) needs a column")
        return self

    def text(self) -> str:
        """The condition in the expression language (its keys are aliases of it)."""
        combined = combined_text(self.all, self.any, self.not_, lambda c: c.text())
        if combined is not None:
            return combined
        col = quote_name(self.column or "")
        if self.is_null is not None:
            return f"{col} is {'' if self.is_null else 'not '}missing"
        if self.equals is not None:
            return f"{col} = {quote_text(self.equals)}"
        if self.not_equals is not None:
            return f"{col} != {quote_text(self.not_equals)}"
        listed = ", ".join(quote_text(v) for v in (self.in_ or self.not_in or []))
        return f"{col} {'in' if self.in_ is not None else 'not in'} ({listed})"


def combined_text(all_: list[Any] | None, any_: list[Any] | None, not_: Any,
                  text: Callable[[Any], str]) -> str | None:
    """all/any/not of the condition keys as an expression (None when it is a single test)."""
    if all_ is not None:
        return " and ".join(f"({text(c)})" for c in all_)
    if any_ is not None:
        return " or ".join(f"({text(c)})" for c in any_)
    if not_ is not None:
        return f"not ({text(not_)})"
    return None


def quote_name(name: str) -> str:
    """A column name as an expression writes it (backticks around an unusual one)."""
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) is not None
    return name if plain and name.lower() not in _KEYWORDS else f"`{name}`"


def quote_text(value: Any) -> str:
    """A literal compared as text, as the old condition keys compared every value."""
    return "'" + str(value).replace("'", "''") + "'"


_KEYWORDS = {"and", "or", "not", "in", "is", "null", "missing", "case", "when", "then", "else",
             "end", "true", "false"}


def expression(value: Condition | str, what: str = "expression") -> Expression:
    """A condition or value as a parsed expression (the old condition keys as aliases)."""
    text = value.text() if isinstance(value, Condition) else value
    try:
        return Expression.parse(text)
    except ExprSyntaxError as exc:
        raise ValueError(f"{what}: {exc}") from None


def condition_expression(cond: Condition | str) -> Expression:
    """A filter or where condition as an expression (the condition keys are its aliases)."""
    return expression(cond, "condition")


def _parsed_text(value: Any) -> Any:
    """An expression written as text is parsed on load: a syntax error names its position."""
    if isinstance(value, str):
        expression(value)
    return value


class JoinStep(_Model):
    form: str | None = None
    domain: str | None = None
    on: list[str] | dict[str, str]
    columns: list[str]
    required: bool = False  # rows with no match are rejected (and reported) rather than kept
    # right-side key columns whose blank value matches any value (a range for both sexes)
    blank_matches_any: list[str] = []

    @model_validator(mode="after")
    def _one_source(self) -> JoinStep:
        if (self.form is None) == (self.domain is None):
            raise ValueError("a join names exactly one of form or domain")
        keys = set(self.pairs.values())
        if not set(self.blank_matches_any) <= keys:
            raise ValueError("blank_matches_any lists columns that are not join keys")
        return self

    @property
    def pairs(self) -> dict[str, str]:
        """left column -> right column."""
        return dict(self.on) if isinstance(self.on, dict) else {c: c for c in self.on}


class GroupConstant(_Model):
    """A value the same on every row of one stacked group (a unit per test)."""

    constant: str


class StackStep(_Model):
    """Wide to long: one output row per group of columns (e.g. one per lab test)."""

    key: str  # new column holding the group name
    # group name -> {new column: raw column, or {constant: value} the same on the group's rows}
    groups: dict[str, dict[str, str | GroupConstant]]
    drop_empty: str | None = None  # new column whose blank value drops the row (test not done)
    # a condition on the stacked rows: a row that fails it was not done (e.g. kept when a
    # result or a "not done" flag was collected)
    keep: str | None = None

    @model_validator(mode="after")
    def _keep_parsed(self) -> StackStep:
        _parsed_text(self.keep)
        return self

    def raw_columns(self, group: str) -> dict[str, str]:
        """A group's new columns that come from raw columns, and those raw columns."""
        return {new: raw for new, raw in self.groups[group].items() if isinstance(raw, str)}


class Step(_Model):
    filter: str | Condition | None = None  # an expression, or the condition keys
    join: JoinStep | None = None
    stack: StackStep | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        if sum(x is not None for x in (self.filter, self.join, self.stack)) != 1:
            raise ValueError("a step is exactly one of filter, join, stack")
        _parsed_text(self.filter)
        return self


class CtSource(_Model):
    field: str
    codelist: str
    values: dict[str, str] = {}  # collected value -> submission value, tried before CT itself
    from_codelist: str | None = None  # value is a term of this paired list (LBTESTCD -> LBTEST)


class MapSource(_Model):
    field: str
    values: dict[str, Any]
    # a non-blank value that is not a key: this value instead of an error (e.g. "all other
    # reasons are DISPOSITION EVENT"); a blank collected value: this value instead of blank
    other: Any = None
    blank: Any = None

    @model_validator(mode="before")
    @classmethod
    def _null_other(cls, data: Any) -> Any:
        # `other: null` is a real choice (any other value gives blank, without an error)
        return _null_kept(data, "other")


class LookupSource(_Model):
    table: str
    match: dict[str, str]  # table column -> frame column
    value: str  # table column to return
    # a record whose keys match no row: an error (the default) or a blank value and no defect,
    # for a table that knows only some values (scheduled visits, where unscheduled ones are not)
    missing: Literal["error", "blank"] = "error"


class TextSource(_Model):
    """Text built from columns and literals, then trimmed, cut and re-cased, in that order."""

    field: str | None = None
    template: str | None = None  # "01-{PATNUM}": columns in braces, everything else literal
    coalesce: list[str] | None = Field(default=None, min_length=2)  # the first non-blank
    trim: bool = False  # outer blanks removed and inner runs of blanks made one
    extract: str | None = None  # RE2 pattern: the first group's text (the whole match if none)
    split: str | None = None  # separator text (not a pattern)
    part: int | None = None  # with split: 1 is the first part, -1 the last
    case: Literal["upper", "lower"] | None = None
    # a value that extract does not match or split has no such part: an error, or blank
    no_match: Literal["error", "blank"] = "error"

    @model_validator(mode="after")
    def _well_formed(self) -> TextSource:
        bases = [b for b in ("field", "template", "coalesce") if getattr(self, b) is not None]
        if len(bases) != 1:
            raise ValueError("a text source has exactly one of field, template, coalesce")
        if (self.split is None) != (self.part is None):
            raise ValueError("split and part go together")
        if self.part == 0:
            raise ValueError("part counts from 1 (or from -1 at the end); 0 is no part")
        if self.template is not None:
            template_columns(self.template)  # raises on unbalanced braces
        if self.extract is not None:
            check_pattern(self.extract)
        return self

    def columns(self) -> list[str]:
        if self.field is not None:
            return [self.field]
        if self.coalesce is not None:
            return list(self.coalesce)
        return template_columns(self.template or "")


def template_columns(template: str) -> list[str]:
    """The column names a template refers to, in order; ``{{`` and ``}}`` are literal braces."""
    names, i = [], 0
    while i < len(template):
        c = template[i]
        if template.startswith(("{{", "}}"), i):
            i += 2
            continue
        if c == "}":
            raise ValueError(f"template {template!r}: '}}' without '{{' (write }}}} for a brace)")
        if c == "{":
            end = template.find("}", i)
            name = template[i + 1:end].strip() if end > 0 else ""
            if end < 0 or not name or "{" in name:
                raise ValueError(f"template {template!r}: '{{' must enclose a column name")
            names.append(name)
            i = end + 1
            continue
        i += 1
    return names


def check_pattern(pattern: str) -> int:
    """The number of capture groups of an extract pattern, which must be valid for RE2 (linear
    time: a spec's pattern can never make a run hang) and have at most one group."""
    try:
        groups = re.compile(pattern).groups
        pc.match_substring_regex(pa.array([""]), pattern=pattern)
    except (re.error, pa.ArrowInvalid) as exc:
        raise ValueError(f"extract pattern {pattern!r} is not a valid regular expression: "
                         f"{exc}") from None
    if groups > 1:
        raise ValueError(f"extract pattern {pattern!r} has {groups} groups; use one (its text "
                         f"is the value) or none (the whole match is)")
    return groups


class DateSource(_Model):
    date: str
    time: str | None = None
    format: str | list[str] = "YYYY-MM-DD"  # a list: the first format a value matches reads it
    complete: bool = False  # a partial date is an error (e.g. a date of birth that must be full)
    # a format with a two-digit year (YY) reads it in the hundred years from this year, as SAS
    # YEARCUTOFF does (1940: 39 is 2039, 40 is 1940)
    year_cutoff: int | None = Field(default=None, ge=1000, le=9999)


class DeriveSource(_Model):
    model_config = ConfigDict(extra="allow", frozen=True)
    function: str


class SuppSpec(_Model):
    qlabel: str
    qorig: str = "CRF"
    qeval: str | None = None


class VariableSpec(_Model):
    field: str | None = None
    constant: Any = None
    expr: str | None = None  # a value computed by the expression language
    ct: CtSource | None = None
    map: MapSource | None = None
    lookup: LookupSource | None = None
    date: DateSource | None = None
    text: TextSource | None = None
    derive: DeriveSource | None = None
    type: Literal["Char", "Num"] | None = None  # for SUPP and temporary variables
    temp: bool = False  # a working variable, not written
    supp: SuppSpec | None = None  # written to SUPP-- instead of the domain
    required: bool = False  # a missing value is an error naming the raw row
    label: str | None = None  # overrides the IG label (never needed for IG variables)
    # XPT byte length, used when the study sets submission.length_source: spec
    length: int | None = Field(default=None, ge=1, le=200)
    # the value is kept on the records that satisfy this condition and blank on the others
    where: str | Condition | None = None

    @model_validator(mode="before")
    @classmethod
    def _constant_null(cls, data: Any) -> Any:
        # `constant: null` is a real choice (an expected variable left empty): keep it visible
        return _null_kept(data, "constant")

    @model_validator(mode="after")
    def _one_source(self) -> VariableSpec:
        kinds = [k for k in SOURCE_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a variable has exactly one source of {', '.join(SOURCE_KINDS)}; "
                             f"found {', '.join(kinds) or 'none'}")
        if self.temp and self.supp:
            raise ValueError("a variable is temp or supp, not both")
        _parsed_text(self.where)
        if self.expr is not None:
            expression(self.expr)
        return self

    @property
    def kind(self) -> str:
        return next(k for k in SOURCE_KINDS if getattr(self, k) is not None)


class _Null:
    """Marks `constant: null` (pydantic treats a plain None as 'not given')."""

    def __repr__(self) -> str:
        return "null"


_NULL = _Null()
NULL = _NULL


def _null_kept(data: Any, key: str) -> Any:
    """``key: null`` written in a spec, marked as NULL (pydantic reads a plain None as 'not
    given')."""
    if isinstance(data, dict) and key in data and data[key] is None:
        return {**data, key: _NULL}
    return data
SOURCE_KINDS = ("field", "constant", "expr", "ct", "map", "lookup", "date", "text", "derive")


class DomainSpec(_Model):
    domain: str = Field(pattern=r"^[A-Z]{2}$")
    # a sponsor-defined domain (not in SDTMIG) declares its SDTM class and dataset label;
    # structure is its define.xml def:Structure (docs/mapping-language.md 5.2)
    class_: str | None = Field(None, alias="class")
    label: str | None = None
    structure: str | None = None
    source: str
    comment: str | None = None  # why this domain, for readers of the mapping
    steps: list[Step] = []
    tables: dict[str, list[dict[str, Any]]] = {}
    variables: dict[str, VariableSpec]
    supp_idvar: str | None = None  # parent variable SUPP-- records point at (e.g. AESEQ)
    sort: list[str] = []  # record order of the output


class LoadedDomain(BaseModel):
    """A domain spec with where it came from."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    spec: DomainSpec
    file: Path
    lines: dict[Any, int]

    def line(self, *path: Any) -> int | None:
        return line_of(self.lines, path)


class LoadedStudy(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    spec: StudySpec
    dir: Path
    file: Path
    domains: list[LoadedDomain]
    lines: dict[Any, int] = {}  # of the study file's keys, for spec errors that name a line

    def line(self, *path: Any) -> int | None:
        return line_of(self.lines, path)

    def domain(self, name: str) -> LoadedDomain:
        for d in self.domains:
            if d.spec.domain == name:
                return d
        raise KeyError(name)
