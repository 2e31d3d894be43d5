"""The order defects are reported in, the same whether a study ran whole or in subject chunks.

The engine numbers its phases (reading a form, each step, each variable) in run order, which
depends on the spec only; within a phase a defect sits at its raw record's position (line in
the source file, then the stacked group). Sorting by (phase, position) gives one order for a
whole run and for chunks concatenated, because a raw record belongs to exactly one chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from cdiscflow.errors import Defect


@dataclass(frozen=True)
class KeyedDefect:
    phase: int
    position: tuple[int, int]  # (raw line, stacked group index)
    defect: Defect
    # a defect reported once per distinct value with a record count (a term kept as collected
    # in n records): chunks each count their records; merged, the first record keeps the total
    tally: Any = None
    count: int = 0
    message: Callable[[int], str] | None = None


def ordered_defects(keyed: Iterable[KeyedDefect]) -> list[Defect]:
    out: list[Defect] = []
    tallies: dict[tuple[int, Any], tuple[int, int, KeyedDefect]] = {}
    for k in sorted(keyed, key=lambda k: (k.phase, k.position)):  # stable: ties keep run order
        if k.tally is None:
            out.append(k.defect)
            continue
        key = (k.phase, k.tally)
        if key in tallies:
            at, count, first = tallies[key]
            tallies[key] = (at, count + k.count, first)
        else:
            tallies[key] = (len(out), k.count, k)
            out.append(k.defect)
    for at, count, first in tallies.values():
        if first.message is not None:
            out[at] = replace(first.defect, message=first.message(count))
    return out
