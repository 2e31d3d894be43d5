"""pandera schemas built from the standards metadata: SDTMIG 3.4 for SDTM domains, ADaMIG 1.3
for ADaM datasets, CDISC CT 2025-03 for codelists. Nothing here is typed in per domain.

Each pandera check is named ``RULE:VARIABLE`` so a failure maps back to the catalogue rule and
variable; validation is lazy, so every failure of every check is collected.
All checks are vectorised (string checks run once per distinct value where that is cheaper).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_
import pyarrow.compute as pc
from pandera.errors import SchemaErrors

from cdiscflow.codedtext import arrow
from cdiscflow.standards import find_codelist
from cdiscflow.standards.adamig import AdamVariable, adam_variable, adam_variables
from cdiscflow.validators import findings
from cdiscflow.validators.data import Dataset

# ISO 8601 as SDTMIG 3.4 section 4.4 uses it: any right-truncated precision, an optional time
# zone, unknown middle components written as a hyphen (2003---15), and intervals (a/b).
_Y, _M, _D = r"\d{4}", r"(?:0[1-9]|1[0-2])", r"(?:0[1-9]|[12]\d|3[01])"
_H, _MI, _S = r"(?:[01]\d|2[0-3])", r"[0-5]\d", r"[0-5]\d(?:\.\d+)?"
_TZ = r"(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?"
_TRUNCATED = rf"{_Y}(?:-{_M}(?:-{_D}(?:T{_H}(?::{_MI}(?::{_S})?)?{_TZ})?)?)?"
_WITH_GAPS = rf"(?:{_Y}|-)-(?:{_M}|-)-(?:{_D}|-)(?:T(?:{_H}|-)(?::(?:{_MI}|-)(?::{_S})?)?)?"
_ONE = rf"(?:{_TRUNCATED}|{_WITH_GAPS})"
ISO8601 = re.compile(rf"{_ONE}(?:/{_ONE})?")
_DATE = r"\d{4}-\d{2}-\d{2}"
_FULL_DATE = re.compile(rf"({_DATE})")


Factorized = tuple[np.ndarray, object]  # (codes, uniques) as pd.factorize gives them


def per_value(s: pd.Series, fn: Callable[[pd.Series], object], missing: object,
              factorized: Factorized | None = None) -> np.ndarray:
    """``fn`` evaluated once per distinct value of ``s`` and spread back to every record
    (``missing`` where ``s`` is NaN): clinical columns repeat a few values many times."""
    codes, uniques = factorized if factorized is not None else pd.factorize(s)
    per_unique = np.asarray(fn(pd.Series(uniques)))
    if len(per_unique) == 0:
        return np.full(len(s), missing, dtype=object if missing is None else None)
    out = per_unique[np.maximum(codes, 0)]
    if (codes < 0).any():
        out = out.astype(object) if missing is None else out.copy()
        out[codes < 0] = missing
    return out


def is_null(s: pd.Series, factorized: Factorized | None = None) -> pd.Series:
    """Missing as SAS sees it: NaN, or (character) empty or all blanks."""
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.isna()
    blank = per_value(s, lambda u: u.astype("str").str.strip().fillna("") == "", True,
                      factorized)
    return pd.Series(blank.astype(bool), index=s.index)


class _Memo:
    """Each column factorized once per validation, however many checks look at it."""

    def __init__(self, ds: Dataset) -> None:
        self._ds = ds

    def of(self, name: str, s: pd.Series) -> Factorized:
        if name in self._ds.frame.columns and len(self._ds.frame) == len(s):
            return self._ds.factorized(name)
        return pd.factorize(s)

    def duplicated(self, df: pd.DataFrame, keys: list[str]) -> pd.Series:
        """Records sharing all ``keys`` with another, from the columns' factor codes."""
        combined = np.zeros(len(df), dtype="int64")
        span = 1  # combined is below span
        for k in keys:
            codes, uniques = self.of(k, df[k])
            radix = len(uniques) + 1
            if span * radix >= 2**62:
                # re-factorized only when the mixed-radix number would overflow: it is then
                # below len(df) again
                combined = pd.factorize(combined)[0]
                span = len(df) + 1
            combined = combined * radix + (codes + 1)
            span *= radix
        return pd.Series(combined, index=df.index).duplicated(keep=False)


def is_char(s: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(s.dtype) or (
        s.dtype == object and s.dropna().map(type).eq(str).all())


def is_num(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def _by_value(s: pd.Series, ok: Callable[[pd.Series], pd.Series],
              factorized: Factorized | None = None) -> pd.Series:
    """``ok`` evaluated once per distinct value and mapped back (True for nulls)."""
    def judged(u: pd.Series) -> np.ndarray:
        u = u.astype("str")
        blank = (u.str.strip().fillna("") == "").to_numpy(dtype=bool)
        return blank | np.asarray(ok(u), dtype=bool)
    return pd.Series(per_value(s, judged, True, factorized).astype(bool), index=s.index)


def iso8601_ok(values: pd.Series) -> pd.Series:
    """True for values that are ISO 8601 date/times with real calendar dates.

    ASCII text is judged by Arrow's regex engine (RE2, in C++); anything else by Python's re,
    whose \\d also takes other scripts' digits. On ASCII the two agree exactly."""
    data = arrow(values)
    ascii_ = pc.fill_null(pc.string_is_ascii(data), False).to_numpy(zero_copy_only=False)
    out = np.zeros(len(values), dtype=bool)
    if ascii_.any():
        out[ascii_] = _iso8601_ascii(data.filter(pa_.array(ascii_)))
    if not ascii_.all():
        out[~ascii_] = _iso8601_python(values[~ascii_]).to_numpy(dtype=bool)
    return pd.Series(out, index=values.index)


def _re2(pattern: str) -> str:
    """A pattern of this module for RE2 on ASCII text (where Python's \\d is [0-9])."""
    return pattern.replace(r"\d", "[0-9]")


_ISO8601_RE2 = f"^(?:{_re2(ISO8601.pattern)})$"
_FULL_DATE_RE2 = f"(?P<date>{_re2(_DATE)})"
_LAST_PART_RE2 = "(?P<part>[^/]*)$"  # after the last '/' of an interval (or all of it)


def _iso8601_ascii(data: pa_.Array) -> np.ndarray:
    shape = pc.fill_null(pc.match_substring_regex(data, _ISO8601_RE2), False)
    # the first full date, and the second one of an interval, must be real dates
    real = _real_first_date(data) & _real_first_date(_extracted(data, _LAST_PART_RE2, "part"))
    return shape.to_numpy(zero_copy_only=False) & real


def _extracted(data: pa_.Array, pattern: str, group: str) -> pa_.Array:
    """The named group of the first match of ``pattern`` in each value, null for no match."""
    found = pc.extract_regex(data, pattern=pattern)
    return pc.if_else(found.is_valid(), found.field(group), None)


def _real_first_date(data: pa_.Array) -> np.ndarray:
    """Whether the first full date (yyyy-mm-dd) in each value is a real date; True where
    there is none."""
    full = pd.Series(_extracted(data, _FULL_DATE_RE2, "date").to_numpy(zero_copy_only=False))
    return (pd.to_datetime(full, format="%Y-%m-%d", errors="coerce").notna()
            | full.isna()).to_numpy(dtype=bool)


def _iso8601_python(values: pd.Series) -> pd.Series:
    shape = values.str.fullmatch(ISO8601).fillna(False).astype(bool)
    full = values.str.extract(_FULL_DATE, expand=False)
    real = pd.to_datetime(full, format="%Y-%m-%d", errors="coerce").notna() | full.isna()
    # a second full date in an interval
    tail = values.str.split("/").str[-1].str.extract(_FULL_DATE, expand=False)
    real &= pd.to_datetime(tail, format="%Y-%m-%d", errors="coerce").notna() | tail.isna()
    return shape & real


@dataclass(frozen=True)
class _Meta:
    """What the schema needs of one IG variable, whichever IG it came from."""

    name: str
    label: str
    type: str
    core: str
    codelists: tuple[str, ...]
    pattern: re.Pattern[str] | None = None


@dataclass
class BuiltSchema:
    schema: pa.DataFrameSchema
    # check name -> function giving a finding message for the failing values (or None)
    messages: dict[str, Callable[[pd.Series], pd.Series] | None]


@cache
def _codelist_check(codes: tuple[str, ...]) -> tuple[str, pa_.Array, str] | None:
    """(rule, allowed submission values as a pyarrow array, codelist names) for a variable's
    codelists; cached because every dataset asks for the same few lists."""
    lists = [cl for cl in (find_codelist(c) for c in codes) if cl is not None]
    if not lists:
        return None  # e.g. an ADaM-only codelist: not in the SDTM CT release we ship
    allowed: set[str] = set().union(*(cl.submission_values for cl in lists))
    extensible = any(cl.extensible for cl in lists)
    names = ", ".join(f"{cl.submission_value} ({cl.code})" for cl in lists)
    rule = "CF.CT_EXT" if extensible else "CF.CT_NONEXT"
    return rule, pa_.array(sorted(allowed), type=pa_.string()), names


def _column_checks(var: _Meta, messages: dict, seq_name: str | None, memo: _Memo
                   ) -> list[pa.Check]:
    checks: list[pa.Check] = []

    def fact(s: pd.Series, name: str = var.name) -> Factorized:
        return memo.of(name, s)
    want_char = var.type == "Char"
    right_type = is_char if want_char else is_num

    def add(rule: str, fn: Callable[[pd.Series], object],
            message: Callable[[pd.Series], pd.Series] | None = None) -> None:
        name = f"{rule}:{var.name}"
        messages[name] = message
        # ignore_na=False: pandera would otherwise drop the NaNs a null check is looking for
        checks.append(pa.Check(fn, name=name, ignore_na=False))

    add("CF.TYPE", right_type, lambda v, t=var.type: pd.Series(
        [f"expected {t}"] * len(v), dtype="str"))
    if var.core == "Req":
        add("CF.REQ_NULL", lambda s: ~is_null(s, None if is_num(s) else fact(s)))
    if want_char and var.name.endswith("DTC"):
        add("CF.ISO8601", lambda s: _by_value(s, iso8601_ok, fact(s)) if is_char(s) else True)
    if want_char and var.codelists:
        found = _codelist_check(var.codelists)
        if found:
            rule, allowed, names = found
            kind = "extensible" if rule == "CF.CT_EXT" else "non-extensible"
            # a result variable's codelist is for its text results: numbers are not terms
            numbers_ok = var.name.endswith(("STRESC", "ORRES"))
            if var.name == "TSVCDREF":
                # the IG's own reference names our TS writes (cdiscflow/sdtm/ts.py)
                from cdiscflow.sdtm.ts import TSVCDREF_NAMES

                allowed = pa_.array(sorted({*allowed.to_pylist(), *TSVCDREF_NAMES}),
                                    type=pa_.string())

            def in_list(u: pd.Series, a: pa_.Array = allowed,
                        numbers: bool = numbers_ok) -> pd.Series:
                # pyarrow's is_in with a prepared value set: codelists have thousands of terms
                ok = pd.Series(pc.is_in(pa_.array(u.astype("str"), type=pa_.string()),
                                        value_set=a).to_numpy(zero_copy_only=False),
                               index=u.index)
                if not numbers:
                    return ok
                # '<5' and '>=200' are numeric results with a comparator, not terms either
                bare = u.str.replace(r"^\s*[<>]=?\s*", "", regex=True)
                return ok | pd.to_numeric(bare, errors="coerce").notna()

            add(rule, lambda s, f=in_list: _by_value(s, f, fact(s)) if is_char(s) else True,
                lambda v, n=names, k=kind: "'" + v + f"' is not in {k} codelist {n}")
    if var.name == seq_name:
        add("CF.SEQ_INT", lambda s: (s.isna() | ((s == np.floor(s)) & (s > 0)))
            if is_num(s) else True)
    if not want_char and var.name.endswith("DY"):
        add("CF.DY_ZERO", lambda s: (s != 0) | s.isna() if is_num(s) else True)
    return checks


def _stresn_ok(df: pd.DataFrame, c: str, n: str) -> pd.Series:
    """--STRESN agrees with --STRESC: the same number when STRESC is numeric, null when it is
    text (e.g. '<5'), and never a number with no STRESC."""
    text = df[c]
    num = df[n] if is_num(df[n]) else pd.to_numeric(df[n], errors="coerce")
    as_number = pd.Series(per_value(
        text, lambda u: pd.to_numeric(u.astype("str").str.strip(), errors="coerce")
        .to_numpy(dtype=float), np.nan).astype(float), index=df.index)
    both = as_number.notna() & num.notna()
    close = np.isclose(as_number.where(both, 0).astype(float), num.where(both, 0).astype(float),
                       rtol=1e-9, atol=0)
    ok = np.where(as_number.notna(), num.notna() & close, num.isna())
    return pd.Series(ok, index=df.index)


def _sdtm_meta(ds: Dataset) -> list[_Meta]:
    return [_Meta(v.name, v.label, v.type, v.core, v.codelists)
            for v in ds.standard_variables()]


def _adam_structure(ds: Dataset) -> str:
    if ds.name == "ADSL":
        return "ADSL"
    return "BDS" if "PARAMCD" in ds.frame.columns else "OTHER"


def _adam_to_meta(v: AdamVariable, core: str | None = None) -> _Meta:
    return _Meta(v.name, v.label, v.type, core or v.core, v.codelists,
                 v.regex if v.is_pattern else None)


def adam_meta(ds: Dataset) -> tuple[str, list[_Meta], dict[str, _Meta]]:
    """The structure, the IG variables that must be checked for presence, and the IG variable
    describing each column present (by exact name or placeholder family)."""
    structure = _adam_structure(ds)
    if structure == "OTHER":
        # An occurrence (OCCDS) or other dataset: ADaMIG 1.3 tables do not cover it, so only
        # the identifiers are required and columns are described wherever ADSL or BDS does.
        required = [_adam_to_meta(v) for v in adam_variables("BDS")
                    if v.name in ("STUDYID", "USUBJID")]
        described = {}
        for col in ds.frame.columns:
            v = adam_variable("ADSL", col) or adam_variable("BDS", col)
            if v is not None:
                core = "Req" if col in ("STUDYID", "USUBJID") else "Perm"
                described[col] = _adam_to_meta(v, core)
        return structure, required, described
    required = [_adam_to_meta(v) for v in adam_variables(structure) if v.core == "Req"]
    described = {}
    for col in ds.frame.columns:
        v = adam_variable(structure, col)
        if v is not None:
            described[col] = _adam_to_meta(v)
    return structure, required, described


def build_schema(ds: Dataset) -> BuiltSchema | None:
    """The pandera schema for ``ds``, or None for a dataset neither IG describes."""
    messages: dict[str, Callable[[pd.Series], pd.Series] | None] = {}
    memo = _Memo(ds)
    columns: dict[str, pa.Column] = {}
    frame_checks: list[pa.Check] = []
    cols = set(ds.frame.columns)

    if ds.is_adam:
        _structure, required, described = adam_meta(ds)
        for var in required:
            if var.pattern is not None:  # e.g. TRTxxP: at least one TRT01P, TRT02P, ...
                name = f"CF.REQ_VAR:{var.name}"
                messages[name] = None
                frame_checks.append(pa.Check(
                    lambda df, p=var.pattern: any(p.match(c) for c in df.columns), name=name))
        for col, var in described.items():
            per_column = _Meta(col, var.label, var.type, var.core, var.codelists)
            columns[col] = pa.Column(required=False, nullable=True,
                                     checks=_column_checks(per_column, messages, None, memo))
        for var in required:
            if var.pattern is None and var.name not in cols:
                columns[var.name] = pa.Column(required=True, nullable=True)
        return BuiltSchema(pa.DataFrameSchema(columns, checks=frame_checks), messages)

    if ds.domain is None:
        return None
    meta = _sdtm_meta(ds)
    domain = ds.domain
    seq = None if ds.is_supp else f"{domain}SEQ"
    for var in meta:
        columns[var.name] = pa.Column(required=var.core == "Req", nullable=True,
                                      checks=_column_checks(var, messages, seq, memo))
        if var.core == "Exp":
            name = f"CF.EXP_VAR:{var.name}"
            messages[name] = None
            frame_checks.append(pa.Check(lambda df, n=var.name: n in df.columns, name=name))
    keys = _sdtm_keys(ds, seq)
    if keys and set(keys) <= cols:
        name = f"CF.KEY_DUP:{keys[-1]}"
        messages[name] = lambda v, k=keys: pd.Series(
            [f"another record has the same {', '.join(k)}"] * len(v), dtype="str")
        frame_checks.append(pa.Check(
            lambda df, k=keys: ~memo.duplicated(df, k), name=name))
    stresc, stresn = f"{domain}STRESC", f"{domain}STRESN"
    if {stresc, stresn} <= cols:
        name = f"CF.STRESN:{stresn}"
        messages[name] = None
        frame_checks.append(pa.Check(lambda df, c=stresc, n=stresn: _stresn_ok(df, c, n),
                                     name=name))
    return BuiltSchema(pa.DataFrameSchema(columns, checks=frame_checks), messages)


def _sdtm_keys(ds: Dataset, seq: str | None) -> list[str]:
    if ds.is_supp:
        return ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL", "QNAM"]
    if ds.domain == "DM":
        return ["USUBJID"]
    if seq and "USUBJID" in ds.frame.columns:
        return ["USUBJID", seq]
    return []


def validate_schema(ds: Dataset) -> pd.DataFrame:
    """Run the dataset's schema lazily; every failure as a finding."""
    built = build_schema(ds)
    if built is None:
        return findings.empty()
    frame = ds.frame.reset_index(drop=True)
    try:
        # inplace: the frame is our own (reset_index made it), so no defensive copy of it
        built.schema.validate(frame, lazy=True, inplace=True)
    except SchemaErrors as exc:
        return _to_findings(ds, frame, exc.failure_cases, built.messages)
    return findings.empty()


def _to_findings(ds: Dataset, frame: pd.DataFrame, cases: pd.DataFrame,
                 messages: dict[str, Callable[[pd.Series], pd.Series] | None]) -> pd.DataFrame:
    parts = []
    for check, group in cases.groupby("check", sort=True):
        check = str(check)
        if check == "column_in_dataframe":  # a Req column pandera found missing
            for missing in group["failure_case"].astype(str).unique():
                parts.append(findings.one(ds.name, "CF.REQ_VAR", missing))
            continue
        rule, _, variable = check.partition(":")
        if rule == "CF.REQ_VAR" or rule == "CF.EXP_VAR":
            parts.append(findings.one(ds.name, rule, variable))
            continue
        index = pd.to_numeric(group["index"], errors="coerce").dropna()
        if index.empty:  # a check on the column as a whole, e.g. its type
            make = messages.get(check)
            msg = None
            if make is not None:
                msg = f"{findings.RULES[rule].message}: {make(pd.Series(['']))[0]}"
            parts.append(findings.one(ds.name, rule, variable, message=msg))
            continue
        positions = np.unique(index.to_numpy(dtype="int64"))
        values = frame[variable].iloc[positions] if variable in frame.columns else None
        make = messages.get(check)
        message = None
        if make is not None and values is not None:
            message = make(findings._text(values, len(positions)))
        parts.append(findings.rows(ds.name, frame, positions, rule, variable, values, message))
    return findings.combine(parts)
