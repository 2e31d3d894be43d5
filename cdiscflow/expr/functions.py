"""The functions an expression may call: the one documented list (docs/mapping-language.md,
"Expressions"). Each is registered with its parameter types, its result type, how it runs on
whole Arrow columns and how define.xml says it in words; nothing else can be called.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdiscflow import iso8601
from cdiscflow.expr.values import (
    ANY,
    BOOL,
    DATE,
    NUMBER,
    TEXT,
    Context,
    Problem,
    Value,
    as_array,
    cast,
    common_type,
    finite,
    missing,
    null,
)

Run = Callable[[list[Value], list[str], Context], Value]


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[str, ...]  # a type per parameter; "same": all such share one type
    returns: str  # a type, or "same" (the shared type of the "same" parameters)
    run: Run
    words: str  # define.xml text; {0}, {1} ... are the arguments in words, {*} all of them
    min_args: int | None = None  # fewer than params may be given (trailing optional ones)
    variadic: bool = False  # the last parameter repeats
    literal: tuple[int, ...] = ()  # argument positions that must be a literal (patterns)

    @property
    def least(self) -> int:
        return len(self.params) if self.min_args is None else self.min_args


FUNCTIONS: dict[str, Function] = {}


def _register(name: str, params: tuple[str, ...], returns: str, words: str, **extra):
    def add(run: Run) -> Run:
        FUNCTIONS[name] = Function(name, params, returns, run, words, **extra)
        return run
    return add


# ---- missing values and choices ---------------------------------------------------------------

@_register("is_missing", (ANY,), BOOL, "{0} is missing")
def _is_missing(args: list[Value], types: list[str], ctx: Context) -> Value:
    return missing(args[0])


@_register("is_numeric", (ANY,), BOOL, "{0} is a number")
def _is_numeric(args: list[Value], types: list[str], ctx: Context) -> Value:
    if types[0] == NUMBER:
        return pc.invert(missing(args[0]))
    return pc.is_valid(_numbers(as_array(args[0], ctx.rows)))


@_register("coalesce", ("same", "same"), "same", "the first non-missing of {*}", variadic=True)
def _coalesce(args: list[Value], types: list[str], ctx: Context) -> Value:
    kind = common_type(types) or TEXT
    return pc.coalesce(*[cast(a, kind) for a in args])


@_register("if_else", (BOOL, "same", "same"), "same", "{1} if {0}, else {2}")
def _if_else(args: list[Value], types: list[str], ctx: Context) -> Value:
    kind = common_type(types[1:]) or TEXT
    return pc.if_else(pc.fill_null(args[0], False), cast(args[1], kind), cast(args[2], kind))


# ---- numbers -----------------------------------------------------------------------------------

@_register("round", (NUMBER, NUMBER), NUMBER, "{0} rounded to {1} decimal places", min_args=1)
def _round(args: list[Value], types: list[str], ctx: Context) -> Value:
    # as SAS ROUND: halves away from zero, once binary noise is gone (2.675 is 2.68, though
    # its nearest double is 2.67499999...), so results agree with the SAS-built data
    digits = args[1].as_py() if len(args) > 1 and isinstance(args[1], pa.Scalar) else 0
    if len(args) > 1 and not isinstance(args[1], pa.Scalar):
        raise ValueError("round's decimal places must be a number literal")
    scale = 10.0 ** int(digits or 0)
    scaled = pc.round(pc.multiply(args[0], scale), ndigits=7, round_mode="half_to_even")
    return pc.divide(pc.round(scaled, round_mode="half_towards_infinity"), scale)


@_register("floor", (NUMBER,), NUMBER, "{0} rounded down")
def _floor(args: list[Value], types: list[str], ctx: Context) -> Value:
    return pc.floor(args[0])


@_register("ceil", (NUMBER,), NUMBER, "{0} rounded up")
def _ceil(args: list[Value], types: list[str], ctx: Context) -> Value:
    return pc.ceil(args[0])


@_register("abs", (NUMBER,), NUMBER, "the absolute value of {0}")
def _abs(args: list[Value], types: list[str], ctx: Context) -> Value:
    return pc.abs(args[0])


@_register("min", (NUMBER, NUMBER), NUMBER, "the smallest of {*}", variadic=True)
def _min(args: list[Value], types: list[str], ctx: Context) -> Value:
    # as SAS MIN: missing arguments are skipped; all missing gives missing
    return pc.min_element_wise(*args, skip_nulls=True)


@_register("max", (NUMBER, NUMBER), NUMBER, "the largest of {*}", variadic=True)
def _max(args: list[Value], types: list[str], ctx: Context) -> Value:
    return pc.max_element_wise(*args, skip_nulls=True)


_NUMBER_TEXT = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


def _numbers(text: pa.Array) -> pa.Array:
    """Text that is a number, as float64; null elsewhere (''/'<5'/'abc' are not numbers)."""
    ok = pc.fill_null(pc.match_substring_regex(text, _NUMBER_TEXT.pattern), False)
    cleaned = pc.if_else(ok, pc.utf8_trim_whitespace(text), pa.scalar(None, text.type))
    return finite(pc.cast(cleaned, pa.float64()))


@_register("to_number", (ANY,), NUMBER, "{0} as a number")
def _to_number(args: list[Value], types: list[str], ctx: Context) -> Value:
    if types[0] == NUMBER:
        return args[0]
    text = as_array(cast(args[0], TEXT), ctx.rows)
    numbers = _numbers(text)
    bad = pc.and_(pc.is_valid(text), pc.is_null(numbers))
    if pc.any(bad).as_py():
        ctx.problems.append(Problem(bad.to_numpy(zero_copy_only=False), None,
                                    "expected a number"))
    return numbers


@_register("to_text", (ANY,), TEXT, "{0} as text")
def _to_text(args: list[Value], types: list[str], ctx: Context) -> Value:
    if types[0] != NUMBER:
        return cast(args[0], TEXT)
    from cdiscflow.textops import format_numbers

    values = as_array(args[0], ctx.rows).to_numpy(zero_copy_only=False)
    texts = format_numbers(pd.Series(values, dtype="float64"))
    return pa.array(texts.array, type=pa.large_string())


# ---- text --------------------------------------------------------------------------------------

def _text(args: list[Value], i: int) -> Value:
    return cast(args[i], TEXT)


def _blank_is_missing(value: Value) -> Value:
    return pc.if_else(pc.equal(value, ""), pa.scalar(None, pa.large_string()), value)


@_register("upper", (TEXT,), TEXT, "{0} in upper case")
def _upper(args: list[Value], types: list[str], ctx: Context) -> Value:
    return pc.utf8_upper(_text(args, 0))


@_register("lower", (TEXT,), TEXT, "{0} in lower case")
def _lower(args: list[Value], types: list[str], ctx: Context) -> Value:
    return pc.utf8_lower(_text(args, 0))


@_register("trim", (TEXT,), TEXT, "{0} without leading and trailing blanks")
def _trim(args: list[Value], types: list[str], ctx: Context) -> Value:
    return _blank_is_missing(pc.utf8_trim_whitespace(_text(args, 0)))


@_register("substr", (TEXT, NUMBER, NUMBER), TEXT,
           "{2} characters of {0} from character {1}", min_args=2)
def _substr(args: list[Value], types: list[str], ctx: Context) -> Value:
    # 1-based as in SAS SUBSTR; a literal start and length (checked on load)
    start = int(args[1].as_py()) - 1
    stop = None if len(args) < 3 else start + int(args[2].as_py())
    return _blank_is_missing(pc.utf8_slice_codeunits(_text(args, 0), start=start, stop=stop))


@_register("length", (TEXT,), NUMBER, "the number of characters of {0}")
def _length(args: list[Value], types: list[str], ctx: Context) -> Value:
    return pc.cast(pc.utf8_length(_text(args, 0)), pa.float64())


@_register("concat", (ANY, ANY), TEXT, "{*} joined", variadic=True)
def _concat(args: list[Value], types: list[str], ctx: Context) -> Value:
    # as SAS CATS: a missing part adds nothing; all parts missing give missing
    empty = pa.scalar("", pa.large_string())
    parts = [pc.fill_null(_to_text([a], [t], ctx), empty)
             for a, t in zip(args, types, strict=True)]
    return _blank_is_missing(pc.binary_join_element_wise(*parts, empty))


@_register("contains", (TEXT, TEXT), BOOL, "{0} contains {1}", literal=(1,))
def _contains(args: list[Value], types: list[str], ctx: Context) -> Value:
    return pc.fill_null(pc.match_substring(_text(args, 0), args[1].as_py() or ""), False)


@_register("starts_with", (TEXT, TEXT), BOOL, "{0} starts with {1}", literal=(1,))
def _starts_with(args: list[Value], types: list[str], ctx: Context) -> Value:
    return pc.fill_null(pc.starts_with(_text(args, 0), args[1].as_py() or ""), False)


@_register("matches", (TEXT, TEXT), BOOL, "{0} matches the pattern {1}", literal=(1,))
def _matches(args: list[Value], types: list[str], ctx: Context) -> Value:
    return pc.fill_null(pc.match_substring_regex(_text(args, 0), args[1].as_py()), False)


@_register("extract", (TEXT, TEXT), TEXT,
           "the part of {0} matching {1}", literal=(1,))
def _extract(args: list[Value], types: list[str], ctx: Context) -> Value:
    pattern = _one_group(args[1].as_py())
    found = pc.extract_regex(as_array(_text(args, 0), ctx.rows), pattern=pattern)
    return _blank_is_missing(pc.struct_field(found, "v"))


def _one_group(pattern: str) -> str:
    """The pattern with its one capture group named ``v`` (the whole match if it has none)."""
    groups = re.compile(pattern).groups
    if groups == 0:
        return f"(?P<v>{pattern})"
    depth, out, i = 0, [], 0
    while i < len(pattern):  # name the first unnamed, capturing "(" outside a class
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "(" and not pattern.startswith("(?", i) and depth == 0:
            out.append("(?P<v>")
            depth = 1
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


@_register("replace", (TEXT, TEXT, TEXT), TEXT,
           "{0} with every match of {1} replaced by {2}", literal=(1, 2))
def _replace(args: list[Value], types: list[str], ctx: Context) -> Value:
    return _blank_is_missing(pc.replace_substring_regex(
        _text(args, 0), pattern=args[1].as_py(), replacement=args[2].as_py() or ""))


# ---- ISO 8601 dates ----------------------------------------------------------------------------

def _parsed(value: Value, ctx: Context) -> iso8601.Parsed:
    return iso8601.parse_array(as_array(cast(value, TEXT), ctx.rows))


def _date_part(value: Value, ctx: Context, group: int) -> pa.Array:
    return pa.array(_parsed(value, ctx).part(iso8601.PARTS[group]), from_pandas=True)


@_register("year", (DATE,), NUMBER, "the year of {0}")
def _year(args: list[Value], types: list[str], ctx: Context) -> Value:
    return _date_part(args[0], ctx, 0)


@_register("month", (DATE,), NUMBER, "the month of {0}")
def _month(args: list[Value], types: list[str], ctx: Context) -> Value:
    return _date_part(args[0], ctx, 1)


@_register("day", (DATE,), NUMBER, "the day of the month of {0}")
def _day(args: list[Value], types: list[str], ctx: Context) -> Value:
    return _date_part(args[0], ctx, 2)


@_register("date", (DATE,), DATE, "the date part of {0}")
def _date(args: list[Value], types: list[str], ctx: Context) -> Value:
    # the date of a date and time; a partial date stays as partial as it is
    return pc.utf8_slice_codeunits(cast(args[0], TEXT), start=0, stop=10)


def _days(value: Value, ctx: Context) -> pa.Array:
    """Complete dates as day numbers (float64); partial or impossible dates are missing."""
    return pa.array(_parsed(value, ctx).days(), from_pandas=True)


@_register("days_between", (DATE, DATE), NUMBER, "the days from {0} to {1}")
def _days_between(args: list[Value], types: list[str], ctx: Context) -> Value:
    # a partial date has no day count: missing, never an imputed day
    return pc.subtract(_days(args[1], ctx), _days(args[0], ctx))


# 1960-01-01 (SAS day 0) is 3653 days before 1970-01-01 (Arrow's day 0)
_SAS_EPOCH_DAYS = 3653.0


@_register("sas_date", (DATE,), NUMBER, "{0} as a SAS date")
def _sas_date(args: list[Value], types: list[str], ctx: Context) -> Value:
    # ADaM's numeric dates (ADT, LSTALVDT) from ISO text; a partial date stays missing
    # (imputing is derive_vars_dt's work, where it is flagged)
    return pc.add(_days(args[0], ctx), _SAS_EPOCH_DAYS)


@_register("sas_datetime", (DATE,), NUMBER, "{0} as a SAS datetime")
def _sas_datetime(args: list[Value], types: list[str], ctx: Context) -> Value:
    # ADaM's numeric datetimes (ADTM, LDOSEDTM): seconds since 1960-01-01T00:00:00 of a
    # complete date with at least hours and minutes; a date without a time stays missing
    # (imputing a time is derive_vars_dtm's work, where it is flagged)
    seconds = pa.array(_parsed(args[0], ctx).seconds(), from_pandas=True)
    return pc.add(seconds, _SAS_EPOCH_DAYS * 86400)


@_register("add_days", (DATE, NUMBER), DATE, "{0} plus {1} days")
def _add_days(args: list[Value], types: list[str], ctx: Context) -> Value:
    days = pc.add(_days(args[0], ctx), args[1])
    valid = pc.is_valid(days)
    whole = pc.cast(pc.fill_null(pc.floor(days), 0), pa.int32()).cast(pa.date32())
    text = pc.strftime(whole, format="%Y-%m-%d")
    return pc.if_else(valid, pc.cast(text, pa.large_string()), null(DATE))
