"""Conformance rules on values: reference ranges of results that are not numbers, tests not
done without a reason, and text (leading blanks, values longer than XPT v5 allows).

Registered in ``rules.RULE_FUNCTIONS``. Text rules run on every character column, so they use
Arrow's string kernels on whole columns and look closer only at the few values they catch."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdiscflow.codedtext import arrow
from cdiscflow.validators import findings
from cdiscflow.validators.catalogue import RULES
from cdiscflow.validators.rules import Found, Study, _column_text, _flag, _where, rule
from cdiscflow.validators.rules_events import _events
from cdiscflow.validators.schema import is_char, is_null

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
# a continuous result reported beyond a limit of quantification (<5, >= 1000, < 0.05) is a
# number, censored; its reference range stays meaningful
NUMERIC_RESULT = re.compile(rf"(?:<=?|>=?|\u2264|\u2265)?\s*{_NUMBER}")

# the result each reference range describes
_RANGES = (("ORRES", ("ORNRLO", "ORNRHI")), ("STRESC", ("STNRLO", "STNRHI")))


@rule("CF.RANGE_CATEG")
def range_of_categorical_result(study: Study) -> Found:
    for ds in _events(study):
        d, frame = ds.domain, ds.frame
        for result, ranges in _RANGES:
            res = f"{d}{result}"
            present = [f"{d}{r}" for r in ranges if f"{d}{r}" in frame.columns]
            if res not in frame.columns or not present:
                continue
            text = _flag(ds, res, lambda t: ~t.str.fullmatch(NUMERIC_RESULT).fillna(False))
            for col in present:
                given = ~is_null(frame[col].iloc[text]).to_numpy(dtype=bool)
                bad = text[given]
                yield findings.rows(ds.name, frame, bad, "CF.RANGE_CATEG", col,
                                    values=frame[res].iloc[bad],
                                    message=f"{res} is not a number but {col} is given")


@rule("CF.STAT_REASND")
def not_done_without_reason(study: Study) -> Found:
    not_done = RULES["CF.STAT_REASND"].terms[0]
    for ds in _events(study):
        stat, reasnd = f"{ds.domain}STAT", f"{ds.domain}REASND"
        if stat not in ds.frame.columns:
            continue
        flagged = _where(_column_text(ds, stat) == not_done)
        if reasnd in ds.frame.columns:
            flagged = flagged[is_null(ds.frame[reasnd].iloc[flagged]).to_numpy(dtype=bool)]
        yield findings.rows(ds.name, ds.frame, flagged, "CF.STAT_REASND", stat)


def _arrow_data(s: pd.Series) -> pa.Array | pa.ChunkedArray:
    """The column's Arrow data: as it is for a pyarrow-backed column (no copy), else
    converted."""
    if isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow":
        return pa.array(s.array)
    return arrow(s)


# XPT v5 holds at most 200 bytes per character value (SDTMIG 4.5.3: longer text goes to SUPP--)
_MAX_BYTES = 200


@rule("CF.LEADING_SPACE", "CF.TEXT_200")
def text_values(study: Study) -> Found:
    for ds in study.datasets.values():
        for col in ds.frame.columns:
            s = ds.frame[col]
            if not len(s) or not is_char(s):
                continue
            data = _arrow_data(s)
            lead = pc.fill_null(pc.starts_with(data, " "), False)
            if pc.any(lead).as_py():
                at = np.flatnonzero(lead.to_numpy(zero_copy_only=False))
                # an all-blank value is a missing value, not a value with a leading blank
                text = pc.utf8_trim_whitespace(data.take(pa.array(at)))
                at = at[pc.not_equal(text, "").to_numpy(zero_copy_only=False)]
                yield findings.rows(ds.name, ds.frame, at, "CF.LEADING_SPACE", col)
            # XPT v5 cannot store longer values: a dataset read from a file has none
            if ds.is_adam or (col in ds.lengths and ds.lengths[col] <= _MAX_BYTES):
                continue
            long = pc.fill_null(pc.greater(pc.binary_length(data), _MAX_BYTES), False)
            if pc.any(long).as_py():
                yield findings.rows(ds.name, ds.frame,
                                    np.flatnonzero(long.to_numpy(zero_copy_only=False)),
                                    "CF.TEXT_200", col, message=(
                                        f"{col} has more than {_MAX_BYTES} bytes"))
