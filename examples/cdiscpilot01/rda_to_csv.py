"""pharmaverseraw's raw extracts (.rda, R's save format) to the CSV files in ./raw.

Reads each `<name>.rda` of a folder with the PyPI package `rdata` (no R needed) and writes
`<name>.csv`: every value as text as a CRF export holds it (a whole R double such as an age
63 as `63`), missing values blank, columns and records in the R data frame's order.

    python examples/cdiscpilot01/rda_to_csv.py examples/cdiscpilot01/rda examples/cdiscpilot01/raw
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_raw import BUILDERS, write_csv  # noqa: E402


def read_rda(path: Path) -> pd.DataFrame:
    """The one data frame an .rda file of pharmaverseraw holds."""
    import rdata

    with warnings.catch_warnings():
        # tibbles have no Python class of their own: read as the data frame they are
        warnings.filterwarnings("ignore", message="Missing constructor for R class")
        objects = rdata.read_rda(path)
    if len(objects) != 1:
        raise SystemExit(f"{path}: expected one data frame, found {sorted(objects)}")
    (frame,) = objects.values()
    return frame


def convert(rda_dir: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in BUILDERS:
        frame = read_rda(rda_dir / f"{name}.rda")
        target = out / f"{name}.csv"
        write_csv(frame, target)
        written.append(target)
        print(f"{target.name}: {len(frame)} records, {len(frame.columns)} columns")
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: rda_to_csv.py RDA_DIR OUT_DIR")
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
