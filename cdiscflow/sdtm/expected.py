"""Every Expected variable of a domain in the submitted dataset (SDTMIG: an Expected variable is
included even when no value was collected; CDISC CORE CG0016 reports each one missing).

A mapping file lists the variables a study collects or derives; the Expected ones it leaves out
(the AE MedDRA hierarchy where the extract carries no coding, DM ARMNRS and ACTARMUD where every
subject was assigned and treated, LB reference ranges a local lab did not give) are added here,
empty, at their SDTMIG position. Which variables are Expected comes from the SDTMIG table in
``cdiscflow/standards/data`` (``VariableMeta.core``), never from a list in code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cdiscflow.standards import is_ig_domain, sdtm_variables


def missing_expected(domain: str, columns: list[str]) -> list[str]:
    """The Expected variables of ``domain`` (SDTMIG core "Exp") not among ``columns``."""
    if not is_ig_domain(domain):
        # a sponsor-defined domain's cores are cdiscflow's reading of its class, not SDTMIG's
        return []
    variables = sdtm_variables(domain)
    present = set(columns)
    return [v.name for v in variables if v.core == "Exp" and v.name not in present]


def with_expected(domain: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every missing Expected variable added, empty, in SDTMIG order: each one
    goes right before the first variable present that the IG lists after it."""
    missing = missing_expected(domain, list(frame.columns))
    if not missing:
        return frame
    meta = {v.name: v for v in sdtm_variables(domain)}
    position = {v.name: i for i, v in enumerate(sdtm_variables(domain))}
    order: list[str] = []
    pending = sorted(missing, key=position.__getitem__)
    for name in frame.columns:
        at = position.get(name)
        while at is not None and pending and position[pending[0]] < at:
            order.append(pending.pop(0))
        order.append(name)
    order.extend(pending)
    # the frame's own columns keep their dtypes; the added ones are empty text or numbers
    added = {name: _empty(meta[name].type, frame.index) for name in missing}
    return frame.assign(**added)[order]


def _empty(var_type: str, index: pd.Index) -> pd.Series:
    if var_type == "Num":
        return pd.Series(np.nan, index=index, dtype="float64")
    return pd.Series(pd.NA, index=index, dtype="string")
