"""The order a study's domains are built in. A variable that reads another domain
(``DM.RFSTDTC``, ``EX.EXSTDTC``) splits its domain into segments; every segment of every domain
runs after the segments it reads (DM's reference dates after EX's dates, EX's study days after
DM's reference dates), and a cycle is a spec error."""

from __future__ import annotations

from dataclasses import dataclass

from cdiscflow.errors import SpecError
from cdiscflow.sdtm.context import Work
from cdiscflow.sdtm.sources.derive import foreign_refs


@dataclass(frozen=True)
class Segment:
    domain: str
    index: int
    variables: tuple[str, ...]
    needs: frozenset[tuple[str, str]]  # (domain, variable) read from other domains


def plan_segments(works: dict[str, Work]) -> list[Segment]:
    """Every domain's segments, in an order where each runs after what it reads."""
    segments: dict[str, list[Segment]] = {}
    for dom, work in works.items():
        ld = work.loaded
        segs: list[Segment] = []
        current: list[str] = []
        current_needs: set[tuple[str, str]] = set()
        for step in ld.spec.steps:
            if step.join is not None and step.join.domain:
                current_needs |= {(step.join.domain, c) for c in
                                  [*step.join.pairs.values(), *step.join.columns]}
        for name, var in ld.spec.variables.items():
            needs = foreign_refs(var) - {(dom, v) for v in ld.spec.variables}
            if needs and current:
                segs.append(Segment(dom, len(segs), tuple(current), frozenset(current_needs)))
                current, current_needs = [], set()
            current.append(name)
            current_needs |= needs
        segs.append(Segment(dom, len(segs), tuple(current), frozenset(current_needs)))
        segments[dom] = segs

    def producer(dom: str, var: str) -> Segment:
        for seg in segments[dom]:
            if var in seg.variables:
                return seg
        raise SpecError(f"{dom}.{var} is not mapped", domain=dom, variable=var)

    order: list[Segment] = []
    state: dict[tuple[str, int], str] = {}

    def visit(seg: Segment, chain: list[str]) -> None:
        key = (seg.domain, seg.index)
        if state.get(key) == "done":
            return
        if state.get(key) == "active":
            raise SpecError("domains depend on each other in a cycle: "
                            + " -> ".join([*chain, f"{seg.domain}[{seg.index}]"]))
        state[key] = "active"
        deps = [segments[seg.domain][seg.index - 1]] if seg.index else []
        deps += [producer(d, v) for d, v in sorted(seg.needs)]
        for dep in deps:
            visit(dep, [*chain, f"{seg.domain}[{seg.index}]"])
        state[key] = "done"
        order.append(seg)

    for dom in works:
        for seg in segments[dom]:
            visit(seg, [])
    return order


def segments_needed(segments: list[Segment], target: Segment) -> set[Segment]:
    """The segments ``target`` depends on, itself included (to build one variable early)."""
    needed: set[Segment] = set()

    def need(seg: Segment) -> None:
        if seg in needed:
            return
        needed.add(seg)
        for other in segments:
            same_before = other.domain == seg.domain and other.index < seg.index
            feeds = any(other.domain == d and v in other.variables for d, v in seg.needs)
            if same_before or feeds:
                need(other)

    need(target)
    return needed
