"""Arrow text columns as pandas text, and a text column kept as codes into its distinct
values (``CodedText``) until its values are needed.

A large domain's text columns are mostly read through their codes (``cdiscflow.codes``): a
derivation works on the distinct values and spreads its result back, so a million values are
made once, when a finished dataset needs them (``settled``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

import cdiscflow.arrowpool  # noqa: F401 - the allocator chosen before any column is made

if TYPE_CHECKING:
    from cdiscflow.codes import Codes


STRING = pd.StringDtype("pyarrow")


def arrow(series: pd.Series) -> pa.Array:
    """The column as one Arrow string array (missing values as nulls)."""
    values = series.astype(STRING).array
    data = pa.array(values)
    if isinstance(data, pa.ChunkedArray):
        data = data.combine_chunks()
    return data.cast(pa.large_string())


def text_series(data: pa.Array, index: pd.Index) -> pd.Series:
    """An Arrow string array as a text Series on ``index`` (by position, never aligned)."""
    out = data.to_pandas(types_mapper=lambda t: STRING)
    out.index = index
    return out.astype(STRING)


# a text result spread onto at least this many rows is kept as codes (CodedText)
CODED_FROM_ROWS = 50_000


class _Coded:
    """The values ``distinct[at]`` of a coded text column, shared by its views and copies
    (which pandas makes freely): made text at most once, for all of them."""

    __slots__ = ("__weakref__", "_at", "codes", "distinct", "text")

    def __init__(self, distinct: pa.Array, at: np.ndarray | None,
                 codes: Codes | None = None) -> None:
        """``at``: positions into ``distinct``; or ``codes`` whose codes they are, made an
        array over the rows only when asked for (a column numbered through its root may
        never need them)."""
        self.distinct: pa.Array | None = distinct
        self._at = at
        self.codes = codes
        self.text: pa.ChunkedArray | None = None

    @property
    def at(self) -> np.ndarray | None:
        if self._at is None and self.codes is not None:
            self._at = self.codes.codes
        return self._at

    def rows(self) -> int:
        return len(self._at) if self._at is not None else self.codes.rows()

    def values(self) -> pa.ChunkedArray:
        if self.text is None:
            self.text = pa.chunked_array([self.distinct.take(pa.array(self.at))])
            self.distinct = self._at = self.codes = None
        return self.text


class CodedText(pd.arrays.ArrowStringArray):
    """A text column held as codes into its distinct values until its values are needed.

    A large domain's text columns are mostly read through their codes (a derivation works
    on the distinct values and spreads its result back): a stacked record's date or visit
    repeated on each test, or a joined range, may never need its million values at all, and
    a column that does makes them once, when first asked (pandas reads ``_pa_array``). It
    is an ordinary pandas text array in every other respect; ``settled`` gives the plain
    array a finished dataset holds, and pickling (a worker's result) gives the plain one."""

    _coded: _Coded | None = None
    _plain: pa.ChunkedArray | None = None

    @classmethod
    def of(cls, distinct: pa.Array, at: np.ndarray) -> CodedText:
        """The values ``distinct[at]`` (``distinct``: large_string, ``at``: integer codes)."""
        return cls._sharing(_Coded(distinct, at), None)

    @classmethod
    def through(cls, distinct: pa.Array, codes: Codes) -> CodedText:
        """The values ``distinct[codes.codes]``, the codes made only when needed."""
        return cls._sharing(_Coded(distinct, None, codes), None)

    @classmethod
    def _sharing(cls, coded: _Coded | None, plain: pa.ChunkedArray | None,
                 readonly: bool = False) -> CodedText:
        obj = cls.__new__(cls)
        obj._coded, obj._plain = coded, plain
        obj._dtype = STRING
        obj._readonly = readonly
        obj._cache = {}
        return obj

    @property
    def _pa_array(self) -> pa.ChunkedArray:  # pandas' own name for the array's data
        return self._plain if self._coded is None else self._coded.values()

    @_pa_array.setter
    def _pa_array(self, value: pa.ChunkedArray) -> None:
        self._coded, self._plain = None, value

    def pending(self) -> _Coded | None:
        """The codes and distinct values, while the text is not made."""
        return self._coded if self._coded is not None and self._coded.text is None else None

    def __len__(self) -> int:
        coded = self.pending()
        return len(self._pa_array) if coded is None else coded.rows()

    def __reduce__(self) -> tuple:
        return (pd.arrays.ArrowStringArray, (self._pa_array,))

    def view(self, dtype: Any = None) -> Any:
        if dtype is not None:
            return super().view(dtype)
        return self._sharing(self._coded, self._plain, getattr(self, "_readonly", False))

    def copy(self) -> CodedText:
        return self._sharing(self._coded, self._plain)  # immutable data: shared

    def isna(self) -> np.ndarray:
        coded = self.pending()
        if coded is None:
            return super().isna()
        missing = coded.distinct.is_null().to_numpy(zero_copy_only=False)
        if coded._at is None and coded.codes.per_root is not None:
            # through the root's codes: no array of codes made for this column
            return missing[coded.codes.per_root][coded.codes.root.codes]
        return missing[coded.at]

    def take(self, indices: Any, allow_fill: bool = False, fill_value: Any = None
             ) -> pd.arrays.ArrowStringArray:
        coded = self.pending()
        if coded is None or (allow_fill and not pd.isna(fill_value)):
            return super().take(indices, allow_fill=allow_fill, fill_value=fill_value)
        indices = np.asarray(indices, dtype=np.int64)
        if not allow_fill or not len(indices) or indices.min() >= 0:
            # pandas' row selections (iloc, a frame's take) ask for a fill they do not use
            return CodedText.of(coded.distinct, coded.at.take(indices))
        if indices.min() < -1:
            raise ValueError("invalid value in 'indices': -1 is the only negative allowed")
        # -1: a missing value, one more distinct value after the others
        at = np.where(indices < 0, len(coded.distinct), coded.at.take(np.maximum(indices, 0)))
        return CodedText.of(pa.concat_arrays([coded.distinct, pa.nulls(1, pa.large_string())]),
                            at)

    def _cmp_method(self, other: Any, op: Any) -> Any:
        coded = self.pending()
        if coded is None or not isinstance(other, str):
            return super()._cmp_method(other, op)
        # against one text value: compared once per distinct value, the answers spread
        per_value = pd.arrays.ArrowStringArray(pa.chunked_array([coded.distinct]))
        answers = per_value._cmp_method(other, op)
        return pd.arrays.ArrowExtensionArray(
            pa.chunked_array([answers._pa_array.combine_chunks().take(pa.array(coded.at))]))

    def taken(self, positions: np.ndarray) -> pa.Array:
        """The values at ``positions``, made only for those rows."""
        coded = self.pending()
        if coded is not None:
            return coded.distinct.take(pa.array(coded.at[positions]))
        return self._pa_array.take(pa.array(positions)).combine_chunks()


def plain_arrow(array: pd.api.extensions.ExtensionArray) -> pa.Array:
    """A pandas text array's values as one large_string Arrow array."""
    data = getattr(array, "_pa_array", None)
    if not isinstance(data, pa.ChunkedArray):
        data = pa.array(array)
    data = data.combine_chunks() if isinstance(data, pa.ChunkedArray) else data
    return data if data.type == pa.large_string() else data.cast(pa.large_string())


def settled(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its coded text columns made plain pandas text (a finished dataset)."""
    coded = [c for c in frame.columns if isinstance(frame[c].array, CodedText)]
    if not coded:
        return frame
    out = frame.copy(deep=False)
    for c in coded:
        out[c] = pd.Series(pd.arrays.ArrowStringArray(frame[c].array._pa_array),
                           index=frame.index, name=c, copy=False)
    return out
