"""admiral's ``derive_vars_extreme_event``: variables from the first or last of several kinds
of event, each from its own dataset (the last date known alive, LSTALVDT, over adverse
events, lab samples, doses and disposition).

Each event is the records of one dataset meeting its condition, with ``set_values_to``
computed on them (e.g. ``LSTALVDT: {expr: "sas_date(AESTDTC)"}``, ``LALVDOM: AE``). The events'
records are pooled, sorted by ``by_vars`` and ``order``, and the first or last of each by group
gives ``new_vars``. ``tmp_event_nr_var`` names a variable holding each event's number (1, 2, ...
in the order listed) for ``order`` to break ties by, as admiral does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from cdiscflow.adam.derivations import DerivationError
from cdiscflow.adam.ordering import order_vars, sort_records
from cdiscflow.adam.values import set_values


@dataclass(frozen=True)
class Event:
    records: pd.DataFrame  # the event dataset's records meeting the event's condition
    set_values_to: Mapping[str, Any] = field(default_factory=dict)


def derive_vars_extreme_event(df: pd.DataFrame, by_vars: Sequence[str], events: Sequence[Event],
                              order: Sequence[str], mode: Literal["first", "last"],
                              new_vars: Mapping[str, str],
                              tmp_event_nr_var: str | None = None) -> pd.DataFrame:
    """Add ``new_vars`` (new name -> variable of the pooled events) from the first/last event
    record (by ``order``) of each ``by_vars`` group; missing where a group has no event."""
    clash = [n for n in new_vars if n in df.columns]
    if clash:
        raise DerivationError(f"variables {clash} already exist; a derivation adds new ones")
    keep = list(dict.fromkeys([*by_vars, *order_vars(order), *new_vars.values()]))
    parts = []
    for number, event in enumerate(events, start=1):
        records = set_values(event.records, event.set_values_to)
        if tmp_event_nr_var:
            records = records.assign(**{tmp_event_nr_var: float(number)})
        absent = [c for c in keep if c not in records.columns]
        if absent:
            raise DerivationError(f"event {number} has no {absent[0]!r}: set it in its "
                                  "set_values_to")
        parts.append(records[keep])
    pool = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=keep)
    ordered = sort_records(pool, by_vars, order)
    grouped = ordered.groupby(list(by_vars), sort=False, dropna=False)
    chosen = grouped.head(1) if mode == "first" else grouped.tail(1)
    chosen = chosen[[*by_vars, *new_vars.values()]].rename(
        columns={v: k for k, v in new_vars.items()})
    return df.merge(chosen, on=list(by_vars), how="left", validate="many_to_one")
