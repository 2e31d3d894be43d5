"""Reading the CSV data files shipped in ``cdiscflow/standards/data``."""

from __future__ import annotations

import csv
from importlib import resources


def read_csv(folder: str, name: str) -> list[dict[str, str]]:
    """The rows of ``data/<folder>/<name>`` as dicts keyed by the header."""
    path = resources.files("cdiscflow.standards").joinpath("data", folder, name)
    # utf-8-sig: the CDISC Library export starts Datasets.csv with a byte-order mark
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))
