"""Cross-check every XPT file cdiscflow produces with the `xport` package, an implementation
of the format independent of readstat (which pyreadstat, hence cdiscflow, uses).

Two steps in two virtual environments, because xport 3.6.1 works only with pandas < 3 while
cdiscflow needs pandas >= 3:

    python .ci/xpt_crosscheck.py dump WORK      # cdiscflow's venv: write the files (the
                                                # example study, both layouts and formats,
                                                # and edge cases) and WORK/expected.json with
                                                # what pyreadstat reads from each
    python .ci/xpt_crosscheck.py compare WORK   # the pinned venv: read each file with xport
                                                # and compare; exit 1 on any difference

Values must agree exactly: text after removing the blank padding, numbers bit for bit, missing
numbers as missing; plus dataset name and label and each variable's name, label, type, length
and format.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.rstrip(" ")
    if value is None:
        return None
    f = float(value)
    return None if math.isnan(f) else f.hex()  # hex: exact, and JSON has no NaN


def dump(work: Path) -> None:
    import datetime as dt

    import pandas as pd
    from click.testing import CliRunner

    from cdiscflow.cli import main
    from cdiscflow.xpt import SpecialMissing, XptVariable, read_xpt, write_xpt, write_xpt_parts

    study = ROOT / "mappings" / "nct04014166"
    for layout in ("m5", "flat"):
        result = CliRunner().invoke(main, ["run", str(study), "--out", str(work / layout),
                                           "--layout", layout, "--format", "xpt,json"])
        if result.exit_code != 0:
            sys.exit(f"cdiscflow run --layout {layout} failed:\n{result.output}")
    edge = work / "edge"
    edge.mkdir(parents=True, exist_ok=True)
    created = dt.datetime(2024, 1, 1)
    variables = [XptVariable("ID", "Identifier", "Char"),
                 XptVariable("AVAL", "Analysis Value", "Num", format="8.2"),
                 XptVariable("ADT", "Analysis Date", "Num", format="DATE9.")]
    frame = pd.DataFrame({
        "ID": ["A", "  lead", "B", "C"],
        "AVAL": pd.Series([0.0, SpecialMissing("A"), -1.5e-70, SpecialMissing("Z")],
                          dtype=object),
        "ADT": [0.0, 23000.0, None, -365.0],
    })
    write_xpt(frame, edge / "special.xpt", dataset="SPECIAL", label="Special missing values",
              variables=variables, created=created)
    write_xpt(frame.iloc[:0], edge / "empty.xpt", dataset="EMPTY", label="No records",
              variables=variables, created=created)
    big = pd.DataFrame({"ID": [f"S{i:04d}" for i in range(300)],
                        "AVAL": [i / 7 for i in range(300)],
                        "ADT": [float(20000 + i) for i in range(300)]})
    write_xpt_parts(big, edge, dataset="SPLIT", label="Split by record order",
                    variables=variables, created=created, max_bytes=4000)
    expected = {}
    for path in sorted(work.rglob("*.xpt")):
        data, meta = read_xpt(path)
        expected[str(path.relative_to(work))] = {
            "dataset": meta["dataset"],
            "label": meta["label"],
            "variables": [[v.name, v.label, v.type, v.length, v.format]
                          for v in meta["variables"]],
            "rows": [[_cell(v) for v in row]
                     for row in data.astype(object).itertuples(index=False, name=None)],
        }
    (work / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    print(f"xpt cross-check: {len(expected)} files written and read with pyreadstat")


def _xport_format(fmt: Any) -> str | None:
    text = str(fmt) if fmt is not None else ""
    if not getattr(fmt, "name", "") and not getattr(fmt, "length", 0):
        return None
    return text if text.endswith(".") or "." in text else text + "."


def compare(work: Path) -> int:
    import xport.v56

    expected = json.loads((work / "expected.json").read_text())
    problems: list[str] = []
    for rel, want in expected.items():
        with open(work / rel, "rb") as fh:
            library = xport.v56.load(fh)
        if list(library) != [want["dataset"]]:
            problems.append(f"{rel}: members {list(library)}, pyreadstat {want['dataset']}")
            continue
        ds = library[want["dataset"]]
        got_label = ds.dataset_label or ""
        if got_label != want["label"]:
            problems.append(f"{rel}: label {got_label!r}, pyreadstat {want['label']!r}")
        got_vars = [[c, ds[c].label or "", "Char" if ds[c].vtype.name == "CHARACTER" else "Num",
                     ds[c].width, _xport_format(ds[c].format)] for c in ds.columns]
        if got_vars != want["variables"]:
            problems.append(f"{rel}: variables {got_vars} != pyreadstat {want['variables']}")
        rows = [[_cell(v) for v in row] for row in ds.astype(object).itertuples(index=False,
                                                                                 name=None)]
        if rows != want["rows"]:
            pairs = enumerate(zip(rows, want["rows"], strict=False))
            bad = next((i for i, (a, b) in pairs if a != b), min(len(rows), len(want["rows"])))
            got = rows[bad] if bad < len(rows) else None
            exp = want["rows"][bad] if bad < len(want["rows"]) else None
            problems.append(f"{rel}: {len(rows)} rows vs {len(want['rows'])}; first "
                            f"difference at row {bad}: xport {got} pyreadstat {exp}")
    for p in problems:
        print("MISMATCH", p)
    print(f"xpt cross-check: {len(expected)} files read with xport, {len(problems)} mismatch(es)")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("dump", "compare"):
        sys.exit("usage: xpt_crosscheck.py dump|compare WORK_DIR")
    folder = Path(sys.argv[2])
    if sys.argv[1] == "dump":
        dump(folder)
    else:
        sys.exit(compare(folder))
