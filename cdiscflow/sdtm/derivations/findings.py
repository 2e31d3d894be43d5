"""Findings derivations: standard results and units, reference range indicator, baseline flag."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from cdiscflow.codedtext import text_series
from cdiscflow.codes import holds_per_distinct, per_distinct, row_codes, sort_ranks
from cdiscflow.sdtm import dates
from cdiscflow.sdtm.derivations.registry import Param, Report, derivation
from cdiscflow.textops import extract, format_numbers, to_number
from cdiscflow.wording import words as in_words

_RESULT_RE = r"^\s*(?P<op><=|>=|<|>)?\s*(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$"


def split_result(values: pd.Series) -> pd.DataFrame:
    """Collected results as comparator (``<``, ``>=``, ... or missing) and number."""
    parts = extract(values, _RESULT_RE)
    return pd.DataFrame({"op": parts["op"], "num": to_number(parts["num"])},
                        index=values.index)


def _factor_for(test: pd.Series, unit: pd.Series, to: pd.Series,
                conversions: list[dict[str, Any]]) -> pd.Series:
    return per_distinct(lambda t, u, s: _factors(t, u, s, conversions),
                        test.astype("string"), unit.astype("string"), to.astype("string"))


def _factors(test: pd.Series, unit: pd.Series, to: pd.Series,
             conversions: list[dict[str, Any]]) -> pd.Series:
    """The factor taking each result from its unit to the standard unit (1 when they are equal,
    a test-specific row before a ``test: "*"`` row, NaN when none is declared)."""
    sep = "\x1f"
    specific = {sep.join((str(r.get("test", "*")), str(r["from"]), str(r["to"]))):
                float(r["factor"]) for r in conversions}
    u, t = unit.astype("string"), to.astype("string")
    factor = (test.astype("string") + sep + u + sep + t).map(specific).astype("Float64")
    factor = factor.fillna(("*" + sep + u + sep + t).map(specific).astype("Float64"))
    same = (u == t).fillna(False) | (u.isna() & t.isna())  # equal, or a test with no unit
    factor = factor.mask(same.astype(bool), 1.0)
    return factor.astype("float64")


def _converted(result: pd.Series, unit: pd.Series, test: pd.Series, standard_unit: pd.Series,
               conversions: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.Series]:
    """The collected result split into comparator and number, and the number converted."""
    parts = split_result(result)
    factor = _factor_for(test, unit, standard_unit, conversions)
    return parts, parts["num"] * factor


def format_number(x: float) -> str:
    """A number as text with up to 10 significant digits: enough for any collected value,
    and few enough to hide binary noise of a conversion (0.7 x 17.1 -> 11.97)."""
    return f"{float(x):.10g}"


@derivation(
    "standard_numeric_result",
    words=lambda p: (f"{p['result']} as a number converted from "
                     f"{p['unit']} to {p['standard_unit']} with the "
                     f"factor of the study's table {p['conversions']} for "
                     f"the test ({p['test']}); blank for a result with a "
                     f"comparator or in words."),
    result=Param("column", doc="--ORRES"),
    unit=Param("column", doc="--ORRESU"),
    test=Param("column", doc="--TESTCD, to pick test-specific factors"),
    standard_unit=Param("column", doc="--STRESU"),
    conversions=Param("table", doc="rows of test (or *), from, to, factor"),
)
def derive_standard_numeric_result(df: pd.DataFrame, *, new_var: str, result: str, unit: str,
                                   test: str, standard_unit: str,
                                   conversions: list[dict[str, Any]],
                                   report: Report | None = None) -> pd.DataFrame:
    """--STRESN: the numeric result in the standard unit; missing for a result with a comparator
    (``<5``), for text, or where no conversion factor is declared (reported)."""
    out = df.copy(deep=False)  # copy-on-write: the caller's frame is never changed

    def stresn(*columns: pd.Series) -> pd.DataFrame:
        parts, value = _converted(*columns, conversions)
        lost = parts["num"].notna() & value.isna()
        value = value.where(parts["op"].isna())
        # "Infinity", "NaN" or 1e309 as a result: no dataset can hold it (named below)
        spelled = columns[0].astype("string").str.strip().str.fullmatch(_NOT_FINITE,
                                                                        case=False)
        # rounded to the digits STRESC shows, so the two always agree
        return pd.DataFrame({"lost": lost, "value": to_number(format_numbers(value)),
                             "spelled": spelled.fillna(False).astype(bool)},
                            index=value.index)

    # every input is per record: worked out once per distinct (result, unit, test, to unit)
    found = per_distinct(stresn, out[result], out[unit], out[test], out[standard_unit])
    lost = found["lost"].astype(bool)
    if report is not None and lost.any():
        keys = out.loc[lost, [test, unit, standard_unit]].astype("string").fillna("(none)")
        for (t, u, su), rows in keys.groupby([test, unit, standard_unit]).groups.items():
            report(rows, f"no conversion declared for {t} from {u} to {su}", unit)
    value = found["value"].astype("Float64")
    # "Infinity", "NaN" or 1e309 as a result: no dataset can hold it, so it is named here with
    # its raw line rather than by a dataset row in validation
    numbers = value.to_numpy(dtype="float64", na_value=np.nan)
    not_finite = pd.Series(np.isinf(numbers), index=out.index) | found["spelled"].astype(bool)
    if not_finite.any():
        if report is not None:
            report(out.index[not_finite.to_numpy()], "result is not a finite number", result)
        value = value.mask(not_finite.to_numpy())
    out[new_var] = value
    return out


_NOT_FINITE = r"[-+]?(?:inf|infinity|nan)"


@derivation(
    "standard_character_result",
    words=lambda p: (f"{p['result']} converted from {p['unit']} to "
                     f"{p['standard_unit']} with the factor of the "
                     f"study's table {p['conversions']} for the test "
                     f"({p['test']}), as text; a comparator such as <5 "
                     f"is kept and a result in words carried over."),
    result=Param("column", doc="--ORRES"),
    unit=Param("column", doc="--ORRESU"),
    test=Param("column", doc="--TESTCD"),
    standard_unit=Param("column", doc="--STRESU"),
    conversions=Param("table", doc="the same table as for standard_numeric_result"),
)
def derive_standard_character_result(df: pd.DataFrame, *, new_var: str, result: str, unit: str,
                                     test: str, standard_unit: str,
                                     conversions: list[dict[str, Any]]) -> pd.DataFrame:
    """--STRESC: the converted number as text, keeping a comparator (``<5`` -> ``<5``, converted
    when the unit changes); text results are carried over as collected."""
    out = df.copy(deep=False)  # copy-on-write: the caller's frame is never changed

    def stresc(*columns: pd.Series) -> pd.Series:
        parts, value = _converted(*columns, conversions)
        text = format_numbers(value)
        text = parts["op"].fillna("").astype("string") + text
        is_number = parts["num"].notna()
        converted = is_number & value.notna()
        collected = columns[0].astype("string").str.strip()  # text results as collected
        collected = collected.where(~is_number)
        collected[converted] = text[converted]
        return collected

    # every input is per record: worked out once per distinct (result, unit, test, to unit)
    out[new_var] = per_distinct(stresc, out[result], out[unit], out[test], out[standard_unit])
    return out


@derivation(
    "reference_range_indicator",
    words=lambda p: (f"LOW when {p['result']} is below {p['low']}, HIGH "
                     f"when above {p['high']}, else NORMAL; blank "
                     f"without a numeric result or range."),
    result=Param("column", doc="--STRESC (a comparator result is placed by its bound)"),
    low=Param("column", doc="--STNRLO"),
    high=Param("column", doc="--STNRHI"),
)
def derive_reference_range_indicator(df: pd.DataFrame, *, new_var: str, result: str, low: str,
                                     high: str) -> pd.DataFrame:
    """--NRIND: LOW, NORMAL or HIGH against the standard reference range.

    ``<5`` is LOW when 5 <= the lower limit; ``>1000`` is HIGH when 1000 >= the upper limit;
    otherwise a comparator result cannot be placed and stays missing.
    """
    out = df.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    # worked out once per distinct (result, low, high): a million records hold far fewer
    out[new_var] = per_distinct(_range_indicator, out[result], out[low], out[high])
    return out


def _range_indicator(result: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    parts = split_result(result)
    num, op = parts["num"], parts["op"]
    lo = pd.to_numeric(low, errors="coerce")
    hi = pd.to_numeric(high, errors="coerce")
    exact = op.isna()
    is_low = (exact & (num < lo)) | (op.isin(["<", "<="]) & (num <= lo))
    is_high = (exact & (num > hi)) | (op.isin([">", ">="]) & (num >= hi))
    normal = exact & (num >= lo) & (num <= hi)
    # HIGH over LOW over NORMAL where more than one holds; built as codes into the three
    # words rather than by masked assignments into a text column
    choice = np.select([_flag(is_high), _flag(is_low), _flag(normal)], [2, 1, 0], -1)
    words = pa.array(["NORMAL", "LOW", "HIGH"], type=pa.large_string())
    return text_series(words.take(pa.array(choice, mask=choice < 0)), result.index)


def _flag(test: pd.Series) -> np.ndarray:
    return test.fillna(False).to_numpy(dtype=bool)


@derivation(
    "baseline_flag",
    words=lambda p: (f"'Y' on the last record per {in_words(p['by'])} with a "
                     f"non-blank {p['result']} whose {p['dtc']} is on or before "
                     f"{p['ref']}."),
    by=Param("columns", doc="e.g. [USUBJID, LBTESTCD]"),
    dtc=Param("column", doc="the record's --DTC"),
    ref=Param("column", doc="the reference, usually DM.RFXSTDTC"),
    result=Param("column", doc="the result that must be present, e.g. --STRESC or --ORRES"),
)
def derive_baseline_flag(df: pd.DataFrame, *, new_var: str, by: list[str], dtc: str, ref: str,
                         result: str) -> pd.DataFrame:
    """--LOBXFL: 'Y' on the last record with a result on or before the reference per group.

    Compared with times where both have one, else by date (a same-day record without a time
    counts as before the first dose, the usual pre-dose assumption).
    """
    out = df.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    eligible = dates.on_or_before_mask(out[dtc], out[ref])
    rows = np.flatnonzero(eligible & holds_per_distinct(_present, out[result]))
    # 0 on the flagged records, -1 elsewhere, made text once (setting values into a
    # million-row Arrow text column rebuilds it)
    chosen = np.full(len(out), -1, dtype=np.int64)
    if len(rows):
        # per group the candidate latest in time, the last in record order among equals
        # (a stable sort by group and date, then each group's last row), found as each
        # group's largest (date rank, position) instead of sorting the records
        groups = row_codes(*(out[b] for b in by)).codes[rows]
        latest = sort_ranks(out[dtc].astype("string"))[rows] * len(rows) + np.arange(len(rows))
        # (numpy's unbuffered maximum per group: no hash of the group codes, as a groupby
        # of a million rows would make)
        most = np.full(int(groups.max()) + 1, -1, dtype=np.int64)
        np.maximum.at(most, groups, latest)
        chosen[rows[most[most >= 0] % len(rows)]] = 0
    yes = pa.array(["Y"], type=pa.large_string())
    out[new_var] = text_series(yes.take(pa.array(chosen, mask=chosen < 0)), out.index)
    return out


def _present(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().fillna("") != ""
