"""Findings as one columnar table, so that a rule failing on a million records costs one
vectorised step, not a million Python objects.

Every finding has the same fields (the JSON report keeps these names):
``dataset``, ``row`` (1-based record number as in a SAS viewer; null for a finding about the
dataset or a variable as a whole), ``usubjid``, ``variable``, ``value``, ``rule``, ``severity``
and ``message``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from cdiscflow.validators.catalogue import RULES

FIELDS = ("dataset", "row", "usubjid", "variable", "value", "rule", "severity", "message")


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # the "str" dtype
_EMPTY = pd.DataFrame({f: pd.Series(dtype="Int64" if f == "row" else "str") for f in FIELDS})


def empty() -> pd.DataFrame:
    """No findings (shared: callers never modify finding tables in place)."""
    return _EMPTY


def _format(u: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(u.dtype):
        whole = (u == np.floor(u)) & (u.abs() < 2**53)
        out = u.astype("str")
        out[whole] = u[whole].astype("int64").astype("str")
        return out
    return u.astype("str")


def _text(values: object, n: int, *, strip: bool = False,
          factorized: tuple[np.ndarray, object] | None = None) -> pd.Series:
    """Any values as strings ('' for missing), numbers without a spurious '.0', stripped of
    blanks with ``strip``. Each distinct value is formatted once (``factorized``: the values'
    ``pd.factorize``, when the caller has it) and the texts are taken back to the records by
    Arrow, without a Python object per record."""
    if values is None or np.isscalar(values):  # one value (as an object) on every record
        codes = np.full(n, -1 if pd.isna(values) else 0, dtype=np.int64)
        uniques: object = np.array([] if pd.isna(values) else [values], dtype=object)
    else:
        s = values.reset_index(drop=True) if isinstance(values, pd.Series) else pd.Series(values)
        codes, uniques = factorized if factorized is not None else pd.factorize(s)
    texts = _format(pd.Series(uniques))
    if strip:
        texts = texts.str.strip()
    table = pa.array([*texts.tolist(), ""], type=pa.large_string())
    return _series(table.take(pa.array(np.where(codes < 0, len(texts), codes))))


def _series(data: pa.Array) -> pd.Series:
    """An Arrow string array as a Series of the "str" dtype."""
    return data.to_pandas(types_mapper=lambda _t: _STR)


def _repeat(text: str, n: int) -> pd.Series:
    """One text on ``n`` records."""
    return _series(pa.array([text], type=pa.large_string()).take(np.zeros(n, dtype=np.int64)))


def rows(dataset: str, frame: pd.DataFrame, positions: np.ndarray, rule_id: str,
         variable: str, values: object = None, message: object = None) -> pd.DataFrame:
    """Findings for the records at 0-based ``positions`` of ``frame``.

    ``values`` defaults to the variable's own values at those records; ``message`` (one text or
    one per record) defaults to the rule's message.
    """
    positions = np.asarray(positions, dtype="int64")
    n = len(positions)
    if n == 0:
        return empty()
    if values is None:
        values = frame[variable].iloc[positions] if variable in frame.columns else None
    usubjid = frame["USUBJID"].iloc[positions] if "USUBJID" in frame.columns else ""
    rule = RULES[rule_id]
    return pd.DataFrame({
        "dataset": _repeat(dataset, n),
        "row": pd.Series(positions + 1, dtype="Int64"),
        "usubjid": _text(usubjid, n),
        "variable": _repeat(variable, n),
        "value": _text(values, n),
        "rule": _repeat(rule_id, n),
        "severity": _repeat(rule.severity, n),
        "message": _text(rule.message if message is None else message, n),
    })


def one(dataset: str, rule_id: str, variable: str = "", value: object = "",
        message: str | None = None) -> pd.DataFrame:
    """A finding about a dataset or a variable as a whole (no record)."""
    rule = RULES[rule_id]
    return pd.DataFrame({
        "dataset": pd.Series([dataset], dtype="str"),
        "row": pd.Series([pd.NA], dtype="Int64"),
        "usubjid": pd.Series([""], dtype="str"),
        "variable": pd.Series([variable], dtype="str"),
        "value": pd.Series(["" if value is None else str(value)], dtype="str"),
        "rule": pd.Series([rule_id], dtype="str"),
        "severity": pd.Series([rule.severity], dtype="str"),
        "message": pd.Series([message or rule.message], dtype="str"),
    })


def combine(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """All findings in one table, in a stable order: dataset, record, rule, variable."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return _EMPTY.copy()
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["dataset", "row", "rule", "variable"], na_position="first",
                          kind="stable").reset_index(drop=True)
    return out[list(FIELDS)]
