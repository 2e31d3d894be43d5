"""The codes of columns' values: numbering rows by their distinct values (or combinations
of several columns' values), working per distinct value and spreading results back.

Collected data repeat heavily (a lab sample's date on each of its tests, a subject's
reference dates on each record), so work done per distinct value and then taken back to the
rows is work done a fraction of the times; codes are remembered while their columns live, and
carried through the results spread from them, so a million rows are hashed once.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdiscflow.codedtext import (
    CODED_FROM_ROWS,
    STRING,
    CodedText,
    arrow,
    plain_arrow,
    text_series,
)


def factorize(*columns: pd.Series) -> tuple[np.ndarray, pd.DataFrame]:
    """Row codes and the distinct rows of one or more aligned columns (missing kept as a value).

    Collected data repeat heavily (a lab sample's date on each of its tests, the same result
    in many records), so work done per distinct value and then taken back to the rows is work
    done a fraction of the times. The codes of Arrow text columns are remembered while the
    columns live (``_FACTORISED``): the derivations of a domain number USUBJID, --DTC or
    --TESTCD again and again, and a million-row column is hashed once.
    """
    known, distinct = factorised(*columns)
    return known.codes.astype(np.int64), distinct


def factorised(*columns: pd.Series) -> tuple[Codes, pd.DataFrame]:
    """``factorize``, the codes as the remembered ``Codes`` (for ``spread``)."""
    known = row_codes(*columns)
    first = known.first_rows()
    rows = pd.RangeIndex(len(first))
    distinct = pd.DataFrame({i: take(col, first, rows) for i, col in enumerate(columns)})
    return known, distinct


def row_codes(*columns: pd.Series) -> Codes:
    """The codes of the rows' value combinations of aligned columns (missing kept as a
    value), remembered while the columns live, without their distinct rows."""
    data = [_arrow_identity(col) for col in columns]
    known = _FACTORISED.get(data)
    if known is None:
        known = _combined(columns)
        _FACTORISED.put(data, known)
    return known


def spread(result: pd.Series | pd.DataFrame, known: Codes, index: pd.Index,
           distinct: bool = False) -> pd.Series | pd.DataFrame:
    """Per-distinct results back onto the rows they stand for (``take``). A text result's
    codes on the rows follow from the rows' codes, and are remembered for when a later step
    factorises it: numbered through the few distinct results, not hashed again.
    ``distinct``: the results are the distinct values themselves (their codes are known)."""
    out = take(result, known, index)
    if isinstance(out, pd.DataFrame):
        # each text column of a result frame, as a result column of its own
        if out.columns.is_unique:
            for name in out.columns:
                _remember_spread(out[name], result[name], known, False)
        return out
    _remember_spread(out, result, known, distinct)
    return out


def _remember_spread(out: pd.Series, result: pd.Series, known: Codes, distinct: bool) -> None:
    data = _arrow_identity(out)
    if data is None:
        return
    if distinct:
        _FACTORISED.put([data], known)
        return
    # distinct rows come in order of first appearance, so their results' codes (in order
    # of first appearance among them) are the rows' codes in that order too
    result_codes = _codes(result)
    _FACTORISED.put([data], Codes.through(known, result_codes.codes, result_codes.size))


def constant_text(value: str, index: pd.Index) -> pd.Series:
    """``value`` on every row of ``index``, its codes known (on a large domain kept as
    codes until the text is needed: ``take``)."""
    one = text_series(pa.array([value], type=pa.large_string()), pd.RangeIndex(1))
    every = Codes.of(np.zeros(len(index), dtype=np.int32), min(len(index), 1))
    return spread(one, every, index, distinct=True)


def spread_values(values: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """``values`` at ``codes`` (positions into them, in any order) on ``index``, their codes
    remembered as ``spread``'s are: renumbered in order of first appearance through a table
    of ``len(values)`` entries, so a later factorisation of a million rows hashes nothing."""
    renumbered = _first_appearance(codes.astype(np.int64), len(values))
    size = int(renumbered.max()) + 1 if len(renumbered) else 0
    original = np.empty(size, dtype=np.int64)
    original[renumbered] = codes  # each new code's position in ``values``
    distinct = take(values, original, pd.RangeIndex(size))
    return spread(distinct, Codes.of(renumbered, size), index)


def _combined(columns: Sequence[pd.Series]) -> Codes:
    """The codes of several aligned columns' combinations, in order of first appearance.

    Columns whose codes map one numbering of the rows (``Codes.through``: a stacked domain's
    values repeated from its raw records, or results spread from a subject's or a date's
    distinct values) are combined on that numbering's few thousand codes, not on every row:
    a million rows are then numbered by one lookup instead of a hash or table of a million
    keys."""
    parts = [_codes(col) for col in columns]
    if len(parts) == 1:
        # Arrow and pandas both number values in order of first appearance, as the
        # factorisation of several columns below does: these codes are the answer already
        return parts[0]
    # a column with one value (often one all missing) tells no rows apart; with one column
    # left, its codes are the answer
    parts = [p for p in parts if p.size > 1]
    if not parts:
        return Codes.of(np.zeros(len(columns[0]), dtype=np.int32), 1 if len(columns[0]) else 0)
    if len(parts) == 1:
        return parts[0]
    by_root: dict[int, list[Codes]] = {}
    for p in parts:
        by_root.setdefault(id(p.root), []).append(p)
    # columns through one root (a test's code, name and unit, all looked up from the test)
    # combined on its codes first: the rows then combine fewer columns, in a smaller span
    parts = [_through_root(group) for group in by_root.values()]
    if len(parts) == 1:
        return parts[0]
    return Codes.of(_combine_codes([(p.codes, p.size) for p in parts], len(columns[0])))


def _through_root(parts: list[Codes]) -> Codes:
    """The combinations of columns whose codes come through one root, numbered on it."""
    if len(parts) == 1:
        return parts[0]
    root = parts[0].root
    # a root's codes appear in order (code j's first row grows with j), so numbering the
    # combinations in order of the root's codes numbers them in order of rows
    inner = _combine_codes([p.on_root() for p in parts], root.size)
    return Codes.through(root, inner, int(inner.max()) + 1 if len(inner) else 0)


def _combine_codes(parts: Sequence[tuple[np.ndarray, int]], n: int) -> np.ndarray:
    """Codes numbering the combinations of several columns' codes (each ``(codes, size)``,
    ``n`` rows), in order of first appearance."""
    # built in place from the first column's codes (no fresh million-row array per column)
    combined = parts[0][0].astype(np.int64) if parts else np.zeros(n, dtype=np.int64)
    span = parts[0][1] if parts else 1
    for col_codes, col_size in parts[1:]:
        combined *= col_size
        combined += col_codes
        span *= col_size
    if span <= 4 * n:
        return _first_appearance(combined, span)
    codes, _ = pd.factorize(combined)  # hashing: no sort of a million keys
    return codes.astype(np.int32)


def _first_appearance(keys: np.ndarray, span: int) -> np.ndarray:
    """Integer keys in ``range(span)`` renumbered 0, 1, ... in order of first appearance, as
    ``pd.factorize`` numbers them, through a table of ``span`` entries instead of a hash
    table: the keys of a domain's columns combined are few (a subject's tests, a date's
    epochs) and come mostly in subject order, which the table's writes follow."""
    n = len(keys)
    first = np.full(span, n, dtype=np.int64)
    first[keys[::-1]] = np.arange(n - 1, -1, -1)  # the last write, each key's first row, wins
    present = np.flatnonzero(first < n)
    order = present[np.argsort(first[present], kind="stable")]
    number = np.empty(span, dtype=np.int32)
    number[order] = np.arange(len(order), dtype=np.int32)
    codes = number[keys]
    codes.flags.writeable = False
    return codes


def _first_rows(codes: np.ndarray, size: int) -> np.ndarray:
    """Each code's first position in ``codes``."""
    rows = np.empty(size, dtype=np.int64)
    rows[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the last write, the first row
    return rows


def _read_only(codes: np.ndarray, size: int) -> np.ndarray:
    if size < 2**31 and codes.dtype == np.int32 and not codes.flags.writeable:
        return codes  # remembered codes already (read-only): shared, not copied
    small = codes.astype(np.int32) if size < 2**31 else codes.copy()
    small.flags.writeable = False
    return small


class Codes:
    """A column's (or several columns') codes, numbered from 0 in order of first appearance,
    and how many there are.

    A root's codes are an array over the rows. Codes made ``through`` a root (a stacked
    record's values on each of its tests, a result spread from distinct values) are kept as
    one code per root code instead, and made an array over the rows only when asked for:
    columns that map the same root are combined on its codes, not on every row."""

    __slots__ = ("_codes", "_first", "per_root", "root", "size")

    def __init__(self, codes: np.ndarray | None, size: int, root: Codes | None = None,
                 per_root: np.ndarray | None = None) -> None:
        self._codes = codes
        self.size = size
        self._first: np.ndarray | None = None
        self.root = self if root is None else root
        self.per_root = per_root  # this column's code for each root code (None for a root)

    @classmethod
    def of(cls, codes: np.ndarray, size: int | None = None) -> Codes:
        """Codes over the rows (a root)."""
        if size is None:
            size = int(codes.max()) + 1 if len(codes) else 0
        return cls(_read_only(codes, size), size)

    @classmethod
    def through(cls, keys: Codes, per_key: np.ndarray, size: int) -> Codes:
        """The codes ``per_key[keys.codes]``: ``per_key`` numbers ``keys``' codes in order of
        first appearance among them (so the result is in order of first appearance too)."""
        if keys.per_root is not None:
            per_key = per_key[keys.per_root]
        return cls(None, size, keys.root, _read_only(per_key, size))

    @property
    def codes(self) -> np.ndarray:
        """The codes of the rows (read-only, as small an integer type as they fit)."""
        if self._codes is None:
            codes = self.per_root[self.root.codes]
            codes.flags.writeable = False
            self._codes = codes
        return self._codes

    def gather(self, per_code: np.ndarray) -> np.ndarray:
        """``per_code[self.codes]``: through the root's codes while this column's own are not
        made (a gather of the few root codes, then one of the rows, instead of two of the
        rows)."""
        if self._codes is None and self.per_root is not None:
            return per_code[self.per_root][self.root.codes]
        return per_code[self.codes]

    def rows(self) -> int:
        """How many rows the codes are of."""
        return len(self._codes) if self._codes is not None else len(self.root.codes)

    def on_root(self) -> tuple[np.ndarray, int]:
        """``(code per root code, how many)``; a root's own codes number themselves."""
        if self.per_root is None:
            return np.arange(self.size, dtype=np.int32), self.size
        return self.per_root, self.size

    def first_rows(self) -> np.ndarray:
        """Each code's first row (worked out once)."""
        if self._first is None:
            if self.per_root is None:
                self._first = _first_rows(self.codes, self.size)
            else:
                # the root's codes appear in order: a code's first row is the first row of
                # the first root code that maps to it
                self._first = self.root.first_rows()[_first_rows(self.per_root, self.size)]
        return self._first


def _codes(col: pd.Series) -> Codes:
    """A column's codes (missing has a code too). Text columns' codes are remembered while
    their data live (read-only: callers combine them into new arrays, never write into
    them)."""
    if isinstance(col.dtype, (pd.StringDtype, pd.ArrowDtype)):
        identity = _arrow_identity(col)
        known = _FACTORISED.get([identity])
        if known is not None:
            return known
        pending = col.array.pending() if isinstance(col.array, CodedText) else None
        if pending is not None:
            # numbered through its values: their codes at the rows, renumbered in order of
            # first appearance (a table of the values; no hash of every row, no text made)
            encoded = pending.distinct.dictionary_encode(null_encoding="encode")
            per_value = encoded.indices.to_numpy(zero_copy_only=False)
            remembered = Codes.of(_first_appearance(per_value[pending.at],
                                                    len(encoded.dictionary)))
        else:
            encoded = arrow(col).dictionary_encode(null_encoding="encode")
            remembered = Codes.of(encoded.indices.to_numpy(zero_copy_only=False),
                                  len(encoded.dictionary))
        _FACTORISED.put([identity], remembered)
        return remembered
    array = col.array
    if isinstance(array, pd.arrays.FloatingArray):
        # (see ``numbers_through``): pandas' shallow copies hold views of the same arrays
        known = _FACTORISED.get([_whole_view_of(array._data), _whole_view_of(array._mask)])
        if known is not None:
            return known
    codes, size = _number_codes(col)
    return Codes.of(codes, size)


def _whole_view_of(data: np.ndarray) -> np.ndarray:
    """The array ``data`` is a view of, when it views all of it alike (a shallow copy's);
    else ``data`` itself (a slice or a reinterpretation is another array)."""
    base = data.base
    if (isinstance(base, np.ndarray) and base.dtype == data.dtype
            and base.shape == data.shape and base.strides == data.strides
            and base.ctypes.data == data.ctypes.data):
        return base
    return data


def numbers_through(known: Codes, numbers: np.ndarray, index: pd.Index) -> pd.Series:
    """Per-value numbers (float64, NaN for missing) as a Float64 column on the rows whose
    codes are ``known``, its own codes remembered for a later factorisation (a range
    column read as numbers from a few text values is not hashed again on a million rows).
    Its values and mask are made read-only: they stand for those codes, so they must not
    change (pandas copies before writing into a column it shares)."""
    missing = np.isnan(numbers)
    data, mask = known.gather(np.where(missing, 0.0, numbers)), known.gather(missing)
    data.flags.writeable = mask.flags.writeable = False
    column = pd.arrays.FloatingArray(data, mask)
    if column._data is data and column._mask is mask:
        # equal numbers (1 and 1.0 read from two texts) share a code, missing has one, and
        # -0.0 is 0.0; the per-value codes follow the values' first appearance
        per_value, uniques = pd.factorize(np.where(missing, np.nan, numbers) + 0.0,
                                          use_na_sentinel=False)
        _FACTORISED.put([data, mask], Codes.through(known, per_value, len(uniques)))
    return pd.Series(column, index=index, copy=False)


def _number_codes(col: pd.Series) -> tuple[np.ndarray, int]:
    """``pd.factorize(col, use_na_sentinel=False)``'s codes and count: for nullable numbers
    (Float64, Int64) the values themselves with the missing ones made one more value (NaN,
    or an integer no value has), which pandas hashes faster than the nullable array;
    decimals hashed by their 64 bits (faster again), -0.0 made 0.0 first so that equal
    numbers have equal bits."""
    array = col.array
    if isinstance(array, pd.arrays.FloatingArray) and array.dtype.itemsize == 8:
        data, missing = array._data, array._mask
        if not np.isnan(data[~missing]).any():  # else NaN and missing would share a code
            bits = (np.where(missing, np.nan, data) + 0.0).view(np.int64)
            codes, uniques = pd.factorize(bits, use_na_sentinel=False)
            return codes, len(uniques)
    elif isinstance(array, pd.arrays.IntegerArray) and array.dtype.itemsize == 8:
        data, missing = array._data, array._mask
        present = data[~missing]
        spare = int(present.min()) - 1 if len(present) else 0
        if spare > np.iinfo(np.int64).min:
            codes, uniques = pd.factorize(np.where(missing, spare, data),
                                          use_na_sentinel=False)
            return codes, len(uniques)
    codes, uniques = pd.factorize(col, use_na_sentinel=False)
    return codes.astype(np.int64), len(uniques)


def _arrow_identity(col: pd.Series) -> object | None:
    """The Arrow data behind an Arrow-backed text column, the same object for as long as the
    column's values are unchanged (Arrow data are immutable; a pandas frame copied, a column
    renamed or re-indexed, or ``astype`` to its own type share it); None for other columns.

    pandas gives its Arrow data out only as a copy or a new wrapper (``__arrow_array__``), so
    this reads the array's own attribute; where a pandas version lacks it nothing is
    remembered and every factorisation is computed, as before."""
    if col.dtype != STRING:
        return None
    if isinstance(col.array, CodedText) and col.array._coded is not None:
        return col.array._coded  # shared by its views; asking for its Arrow data makes them
    data = getattr(col.array, "_pa_array", None)
    return data if isinstance(data, pa.ChunkedArray) else None


class _Remembered:
    """Results computed from Arrow arrays, kept while every one of those arrays lives: keyed by
    the arrays' identities and dropped when one of them is freed (a weak reference each), so
    an identity is never taken for another array that reuses its memory, and nothing keeps an
    array alive."""

    def __init__(self) -> None:
        self._entries: dict[tuple[int, ...], tuple[list[weakref.ref], Any]] = {}

    def get(self, data: Sequence[object | None]) -> Any:
        if any(d is None for d in data):
            return None
        entry = self._entries.get(tuple(id(d) for d in data))
        if entry is None or any(ref() is not d for ref, d in zip(entry[0], data, strict=True)):
            return None
        return entry[1]

    def put(self, data: Sequence[object | None], value: Any) -> None:
        if any(d is None for d in data):
            return
        key = tuple(id(d) for d in data)
        entries = self._entries

        def forget(ref: weakref.ref) -> None:
            entry = entries.get(key)
            if entry is not None and any(r is ref for r in entry[0]):
                del entries[key]

        entries[key] = ([weakref.ref(d, forget) for d in data], value)


_FACTORISED = _Remembered()


def sort_ranks(col: pd.Series) -> np.ndarray:
    """Each value's place in the column's sorted distinct values (0 = smallest), missing
    after every value: text in Arrow's (code point) order, numbers by value. Sorting a
    million records by these integers orders them as sorting by the values would, while
    only the distinct values are sorted."""
    if col.dtype == STRING:
        known, distinct = factorised(col)
        values = arrow(distinct[0])
        order = pc.array_sort_indices(values, null_placement="at_end").to_numpy()
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return known.gather(rank)
    codes, uniques = pd.factorize(col, sort=True, use_na_sentinel=True)
    return np.where(codes < 0, len(uniques), codes).astype(np.int64)


def _order_keys(col: pd.Series) -> np.ndarray:
    """Non-negative integers that order as the column's values do, missing last: whole
    numbers in a short range (a --SEQ, a line number) are their own keys, shifted to start
    at 0 (no hash of a million numbers), also when held as decimals (a Num variable such as
    --SEQ is Float64); anything else its ``sort_ranks``."""
    array = col.array
    if isinstance(array, (pd.arrays.IntegerArray, pd.arrays.FloatingArray)):
        values, missing = array._data, array._mask
    elif col.dtype.kind in "iuf":
        values, missing = col.to_numpy(), None
    else:
        return sort_ranks(col)
    if missing is not None and not missing.any():
        missing = None  # (no copy of the present values when none is missing)
    present = values if missing is None else values[~missing]
    if not len(present):
        return sort_ranks(col)
    low, high = present.min(), present.max()
    if values.dtype.kind == "f" and not (np.isfinite(low) and np.isfinite(high)
                                         and (present == np.floor(present)).all()):
        return sort_ranks(col)  # NaN, infinity or a fraction: ranked
    low, high = int(low), int(high)
    if high - low > 4 * len(values) + 2**16:
        return sort_ranks(col)
    keys = np.empty(len(values), dtype=np.int64)
    if missing is None:
        np.subtract(values, low, out=keys, casting="unsafe")
    else:
        np.subtract(np.where(missing, high + 1, values), low, out=keys, casting="unsafe")
    return keys


def stable_order(columns: Sequence[pd.Series]) -> np.ndarray:
    """The row positions that sort by ``columns`` in turn, ascending, missing last, ties in
    row order: ``frame.sort_values(keys, kind="stable")``'s order. Computed on the keys'
    ranks, combined into one integer where they fit (records mostly arrive in order, which
    a stable sort of integers passes through quickly)."""
    n = len(columns[0]) if columns else 0
    if n == 0:
        return np.arange(0)
    ranks = [_order_keys(col) for col in columns]
    sizes = [int(rank.max()) + 1 for rank in ranks]
    if math.prod(sizes) >= 2**62:
        return np.lexsort(ranks[::-1])  # stable; its last key sorts first
    # the ranks are this function's own arrays: the first becomes the key, in place
    key = ranks[0]
    for rank, size in zip(ranks[1:], sizes[1:], strict=True):
        key *= size
        key += rank
    return np.argsort(key, kind="stable")


def take(values: pd.Series | pd.DataFrame, codes: np.ndarray | Codes, index: pd.Index
         ) -> pd.Series | pd.DataFrame:
    """Per-distinct results back onto the rows they stand for.

    Text and plain numpy columns are taken directly (Arrow's take of the int32 codes, numpy
    indexing): pandas' ``iloc`` would copy the codes to int64 and bounds-check a million of
    them on every one of the hundred or so spreads of a large domain's build. ``codes``
    given as ``Codes``: a large text result keeps them as they are (see ``_Coded``)."""
    if isinstance(values, pd.DataFrame):
        if values.columns.is_unique:
            return pd.DataFrame({name: take(values[name], codes, index)
                                 for name in values.columns}, index=index, copy=False)
        out = values.iloc[codes.codes if isinstance(codes, Codes) else codes]
        out.index = index
        return out
    if isinstance(codes, Codes):
        if (values.dtype == STRING and codes.rows() >= CODED_FROM_ROWS
                and not isinstance(values.array, CodedText)):
            coded = CodedText.through(plain_arrow(values.array), codes)
            return pd.Series(coded, index=index, name=values.name, copy=False)
        if isinstance(values.dtype, np.dtype) or isinstance(values.array, _MASKED):
            return _gathered(values, codes.gather, index)
        codes = codes.codes
    if values.dtype == STRING:
        array = values.array
        if len(codes) >= CODED_FROM_ROWS:
            # onto many rows: kept as codes into the values until they are needed
            pending = array.pending() if isinstance(array, CodedText) else None
            if pending is not None:
                coded = CodedText.of(pending.distinct, pending.at[codes])
            else:
                coded = CodedText.of(plain_arrow(array), codes)
            return pd.Series(coded, index=index, name=values.name, copy=False)
        taken = (array.taken(codes) if isinstance(array, CodedText)
                 else plain_arrow(array).take(pa.array(codes)))
        return pd.Series(pd.arrays.ArrowStringArray(taken), index=index, name=values.name,
                         copy=False)
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        # pandas' default text ("str": NaN for missing, as a raw form's file name column
        # is): Arrow's take too, keeping that type
        data = plain_arrow(values.array)
        if (len(codes) >= CODED_FROM_ROWS and len(data) and not data.null_count
                and pc.count_distinct(data).as_py() == 1):
            # one value throughout (a raw record's file name): repeated, not taken
            taken = pa.repeat(data[0], len(codes))
        else:
            taken = data.take(pa.array(codes))
        return pd.Series(pd.array(taken, dtype=values.dtype), index=index, name=values.name,
                         copy=False)
    if isinstance(values.dtype, np.dtype) or isinstance(values.array, _MASKED):
        return _gathered(values, lambda per_code: per_code[codes], index)
    out = values.iloc[codes]
    out.index = index
    return out


_MASKED = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)


def _gathered(values: pd.Series, at: Callable[[np.ndarray], np.ndarray], index: pd.Index
              ) -> pd.Series:
    """A numpy or nullable column's values at rows (``at``: the gather of a per-value array
    onto them)."""
    if isinstance(values.dtype, np.dtype):
        return pd.Series(at(values.to_numpy()), index=index, name=values.name, copy=False)
    # nullable numbers and flags: their values and missing mask taken apart (a few thousand
    # distinct values made numpy, then indexed)
    masked = values.array
    data = masked.to_numpy(dtype=values.dtype.numpy_dtype, na_value=False)
    return pd.Series(type(masked)(at(data), at(masked.isna())), index=index,
                     name=values.name, copy=False)


def per_distinct(func, *columns: pd.Series):  # noqa: ANN001, ANN201 - any row-wise function
    """``func`` applied to the distinct rows of ``columns`` and spread back onto every row.

    ``func`` must treat rows independently and return a Series or DataFrame aligned with
    its inputs; small inputs skip the detour.
    """
    index = columns[0].index
    if len(index) < 1000:
        return func(*columns)
    known, distinct = factorised(*columns)
    if len(distinct) > 0.8 * len(index):
        return func(*columns)
    result = func(*(distinct[i] for i in range(len(columns))))
    return spread(result, known, index)


def holds_per_distinct(test, *columns: pd.Series) -> np.ndarray:  # noqa: ANN001 - row-wise
    """Where a row-wise ``test`` holds (False where it does not or is unknown), as a numpy
    mask over the rows: the test worked out per distinct row of ``columns`` and its answers
    indexed by the rows' codes (one gather, no boolean column spread and converted)."""
    if len(columns[0]) < 1000:
        return test(*columns).to_numpy(dtype=bool, na_value=False)
    known, distinct = factorised(*columns)
    answers = test(*(distinct[i] for i in range(len(columns))))
    return known.gather(answers.to_numpy(dtype=bool, na_value=False))
