"""``cdiscflow diff OUT_A OUT_B``: what changed between two runs' datasets, like PROC COMPARE.

Datasets are found by their define.xml (every folder under OUT holding one: SDTM and ADaM), or,
for a plain folder of XPT files, by the files themselves. Records are paired by the dataset's
keys from define.xml (``KeySequence``); records sharing a key are paired in record order, so a
key that is not unique still gives a stable answer. Without keys, records pair by position.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import click

from cdiscflow.errors import CdiscflowError

MAX_EXAMPLES = 3
_OCCURRENCE = "__occurrence"


@dataclass
class VariableDiff:
    variable: str
    changed: int  # paired records whose value differs
    examples: list[dict[str, str]] = field(default_factory=list)  # key, a, b


@dataclass
class DatasetDiff:
    dataset: str
    keys: list[str]
    records_a: int
    records_b: int
    added: int = 0  # records of B with no partner in A
    removed: int = 0
    changed: int = 0  # paired records with at least one differing value
    variables_added: list[str] = field(default_factory=list)
    variables_removed: list[str] = field(default_factory=list)
    attributes: list[str] = field(default_factory=list)  # label, type, length changes
    variables: list[VariableDiff] = field(default_factory=list)
    added_examples: list[str] = field(default_factory=list)
    removed_examples: list[str] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.variables_added
                    or self.variables_removed or self.attributes)


@dataclass
class Comparison:
    datasets_added: list[str]
    datasets_removed: list[str]
    datasets: list[DatasetDiff]

    @property
    def differs(self) -> bool:
        return bool(self.datasets_added or self.datasets_removed
                    or any(d.differs for d in self.datasets))


def _define_keys(define: Path) -> dict[str, list[str]]:
    """Dataset name -> its key variables in KeySequence order, from a define.xml."""
    from lxml import etree

    tree = etree.parse(str(define))
    names = {e.get("OID"): e.get("Name") for e in tree.iter("{*}ItemDef")}
    out: dict[str, list[str]] = {}
    for group in tree.iter("{*}ItemGroupDef"):
        refs = [(int(r.get("KeySequence")), names.get(r.get("ItemOID"), ""))
                for r in group.iter("{*}ItemRef") if r.get("KeySequence")]
        out[group.get("Name", "").upper()] = [n for _, n in sorted(refs) if n]
    return out


def find_datasets(out: Path) -> dict[str, tuple[Path, list[str]]]:
    """Every dataset of a run's output: name -> (XPT file, keys)."""
    out = Path(out)
    if not out.is_dir():
        raise CdiscflowError(f"{out}: not a folder")
    found: dict[str, tuple[Path, list[str]]] = {}
    defines = sorted(p for p in out.rglob("define.xml")
                     if not any(part.startswith(".") for part in p.relative_to(out).parts))
    folders = [(d.parent, _define_keys(d)) for d in defines] or [(out, {})]
    for folder, keys in folders:
        for xpt in sorted(folder.glob("*.xpt")):
            name = xpt.stem.upper()
            if name in found:
                raise CdiscflowError(f"{xpt}: dataset {name} is also in {found[name][0].parent}")
            found[name] = (xpt, keys.get(name, []))
    if not found:
        raise CdiscflowError(f"{out}: no XPT datasets found")
    return found


def _cell(value: Any) -> str:
    """A value as compared and shown: missing is blank, a whole number has no decimals."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    return "" if text == "<NA>" else text


def text_frame(frame: Any) -> Any:
    """Every cell as the text compared (see _cell): frames of different dtypes compare."""
    return frame.apply(lambda col: col.map(_cell)).astype(object)


def compare_dataset(name: str, a_path: Path, b_path: Path, keys: list[str]) -> DatasetDiff:
    """Pair the records of two versions of a dataset by ``keys`` and count the differences."""
    import pandas as pd

    from cdiscflow.xpt import read_xpt

    a, meta_a = read_xpt(a_path)
    b, meta_b = read_xpt(b_path)
    result = DatasetDiff(name, [], len(a), len(b))
    result.variables_added = [c for c in b.columns if c not in a.columns]
    result.variables_removed = [c for c in a.columns if c not in b.columns]
    common = [c for c in a.columns if c in b.columns]
    for c in common:
        for what in ("variable_labels", "types", "lengths"):
            va, vb = meta_a[what][c], meta_b[what][c]
            if va != vb:
                result.attributes.append(f"{c} {what.rstrip('s').replace('_', ' ')}: "
                                         f"{va!r} -> {vb!r}")
    if meta_a["label"] != meta_b["label"]:
        result.attributes.append(f"dataset label: {meta_a['label']!r} -> {meta_b['label']!r}")
    keys = [k for k in keys if k in common]
    result.keys = keys
    ta, tb = text_frame(a[common]), text_frame(b[common])
    for t in (ta, tb):
        t[_OCCURRENCE] = t.groupby(keys, sort=False).cumcount() if keys else range(len(t))
    on = [*keys, _OCCURRENCE]
    merged = ta.merge(tb, on=on, how="outer", suffixes=("\0a", "\0b"), indicator=True,
                      sort=False)
    only_a = merged[merged["_merge"] == "left_only"]
    only_b = merged[merged["_merge"] == "right_only"]
    both = merged[merged["_merge"] == "both"]
    result.removed, result.added = len(only_a), len(only_b)
    result.removed_examples = [_key_text(r, keys) for _, r in only_a.head(MAX_EXAMPLES).iterrows()]
    result.added_examples = [_key_text(r, keys) for _, r in only_b.head(MAX_EXAMPLES).iterrows()]
    any_change = pd.Series(False, index=both.index)
    for c in common:
        if c in keys:
            continue
        differs = both[f"{c}\0a"] != both[f"{c}\0b"]
        n = int(differs.sum())
        if not n:
            continue
        any_change |= differs
        rows = both[differs].head(MAX_EXAMPLES)
        result.variables.append(VariableDiff(c, n, [
            {"key": _key_text(r, keys), "a": r[f"{c}\0a"], "b": r[f"{c}\0b"]}
            for _, r in rows.iterrows()]))
    result.changed = int(any_change.sum())
    return result


def _key_text(row: Any, keys: list[str]) -> str:
    if not keys:
        return f"record {int(row[_OCCURRENCE]) + 1}"
    text = ", ".join(f"{k}={row[k]}" for k in keys)
    return text + (f" (#{int(row[_OCCURRENCE]) + 1})" if row[_OCCURRENCE] else "")


def compare(out_a: Path, out_b: Path) -> Comparison:
    """Compare every dataset of two runs' outputs (keys from B's define.xml, else A's)."""
    a, b = find_datasets(out_a), find_datasets(out_b)
    diffs = [compare_dataset(name, a[name][0], b[name][0], b[name][1] or a[name][1])
             for name in sorted(set(a) & set(b))]
    return Comparison(sorted(set(b) - set(a)), sorted(set(a) - set(b)), diffs)


def as_text(result: Comparison) -> list[str]:
    lines = [f"dataset {n}: only in B (added)" for n in result.datasets_added]
    lines += [f"dataset {n}: only in A (removed)" for n in result.datasets_removed]
    for d in result.datasets:
        if not d.differs:
            lines.append(f"{d.dataset}: same ({d.records_a} records)")
            continue
        lines.append(f"{d.dataset}: {d.records_a} -> {d.records_b} records; {d.added} added, "
                     f"{d.removed} removed, {d.changed} changed (keys: "
                     f"{', '.join(d.keys) or 'record order'})")
        lines += [f"  variable {v} only in B" for v in d.variables_added]
        lines += [f"  variable {v} only in A" for v in d.variables_removed]
        lines += [f"  {a}" for a in d.attributes]
        lines += [f"  added: {k}" for k in d.added_examples]
        lines += [f"  removed: {k}" for k in d.removed_examples]
        for v in d.variables:
            lines.append(f"  {v.variable}: {v.changed} value(s) changed")
            lines += [f"    {e['key']}: {e['a']!r} -> {e['b']!r}" for e in v.examples]
    lines.append("differences found" if result.differs else "no differences")
    return lines


def as_json(result: Comparison) -> str:
    data = asdict(result)
    data["differs"] = result.differs
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@click.command("diff")
@click.argument("out_a", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("out_b", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--json", "json_out", is_flag=True, help="Print the comparison as JSON.")
def diff_command(out_a: Path, out_b: Path, json_out: bool) -> None:
    """Compare two runs' datasets, record by record and variable by variable.

    Per dataset the records added, removed and changed (paired by define.xml's keys), per
    variable the count of changed values with examples.

    Exit codes: 0 the same, 1 something differs, 2 a folder holds no datasets."""
    try:
        result = compare(out_a, out_b)
    except CdiscflowError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    if json_out:
        click.echo(as_json(result), nl=False)
    else:
        for line in as_text(result):
            click.echo(line)
    raise SystemExit(1 if result.differs else 0)
