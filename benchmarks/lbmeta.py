"""XPT metadata for the benchmark's LB frame, from the standards like the pipeline's own."""

from __future__ import annotations

import pandas as pd

from cdiscflow.standards import sdtm_variables
from cdiscflow.xpt import XptVariable


def variables(domain: str, frame: pd.DataFrame) -> list[XptVariable]:
    ig = {v.name: v for v in sdtm_variables(domain)}
    return [XptVariable(c, ig[c].label, ig[c].type) for c in frame.columns]


def lb_variables(frame: pd.DataFrame) -> list[XptVariable]:
    return variables("LB", frame)
