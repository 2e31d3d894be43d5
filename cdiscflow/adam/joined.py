"""admiral's ``derive_vars_joined``: variables from the record of another dataset chosen by a
condition on both records (the last dose before an adverse event: LDOSEDTM, DOSEON).

Each record of the dataset is paired with every record of ``dataset_add`` sharing its
``by_vars``; ``filter_join`` keeps the pairs it holds for (it sees the variables of both, a
variable of ``dataset_add`` that the dataset also has written ``NAME.join``); of the pairs
left, the first or last by ``order`` (variables of ``dataset_add``) gives ``new_vars``. A record
with no pair left gets them missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from cdiscflow.adam.conditions import Where, evaluate, variables
from cdiscflow.adam.derivations import DerivationError
from cdiscflow.adam.ordering import order_vars, sort_records

_ROW = "__joined_row__"
JOIN_SUFFIX = ".join"


def derive_vars_joined(df: pd.DataFrame, dataset_add: pd.DataFrame, by_vars: Sequence[str],
                       new_vars: dict[str, str], filter_join: Where | None = None,
                       filter_add: Where | None = None, order: Sequence[str] = (),
                       mode: Literal["first", "last"] | None = None,
                       exist_flag: str | None = None, true_value: str = "Y",
                       false_value: str | None = None) -> pd.DataFrame:
    """Add ``new_vars`` (new name -> variable of ``dataset_add``) from the paired record of
    ``dataset_add`` meeting ``filter_join``; ``exist_flag`` (optional) is ``true_value`` where
    a pair was found, else ``false_value``."""
    clash = [n for n in [*new_vars, *([exist_flag] if exist_flag else [])] if n in df.columns]
    if clash:
        raise DerivationError(f"variables {clash} already exist; a derivation adds new ones")
    add = dataset_add[evaluate(filter_add, dataset_add)]
    wanted = [*new_vars.values(), *order_vars(order)]
    if filter_join is not None:
        wanted += [n[: -len(JOIN_SUFFIX)] if n.endswith(JOIN_SUFFIX) else n
                   for n in variables(filter_join)]
    # only dataset_add's variables that the pairs need (and not the dataset's own)
    from_add = [c for c in dict.fromkeys(wanted) if c in add.columns and c not in by_vars]
    renamed = {c: f"{c}{JOIN_SUFFIX}" if c in df.columns else c for c in from_add}
    right = add[[*by_vars, *from_add]].rename(columns=renamed)
    left = df.assign(**{_ROW: np.arange(len(df))})
    pairs = left.merge(right, on=list(by_vars), how="inner")
    pairs = pairs[evaluate(filter_join, pairs).to_numpy(dtype=bool)]
    sort_order = [("-" if o.startswith("-") else "") + renamed.get(o.lstrip("-"), o.lstrip("-"))
                  for o in order]
    if mode is not None:
        pairs = sort_records(pairs, [_ROW], sort_order)
        grouped = pairs.groupby(_ROW, sort=False)
        pairs = grouped.head(1) if mode == "first" else grouped.tail(1)
    elif pairs[_ROW].duplicated().any():
        row = int(pairs.loc[pairs[_ROW].duplicated(), _ROW].iloc[0])
        raise DerivationError(f"record {row + 1} pairs with more than one record of the "
                              "added dataset; give order and mode")
    chosen = pairs.set_index(_ROW)
    out = df.copy(deep=False)
    positions = np.arange(len(df))
    for new, source in new_vars.items():
        column = chosen[renamed.get(source, source)]
        values = pd.Series(positions).map(column).to_numpy()
        if pd.api.types.is_numeric_dtype(column):
            out[new] = pd.Series(values, index=df.index)
        else:  # text: None where no pair, as other derivations leave it
            values = values.astype(object)
            values[pd.isna(values)] = None
            out[new] = pd.Series(values, index=df.index, dtype=object)
    if exist_flag:
        found = np.isin(positions, chosen.index.to_numpy())
        out[exist_flag] = pd.Series(np.where(found, true_value, None), index=df.index,
                                    dtype=object)
        if false_value is not None:
            out.loc[~found, exist_flag] = false_value
    return out
