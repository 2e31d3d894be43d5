"""Non-ASCII values in the SDTM built: one data defect per value, and the run goes on.

SAS XPORT v5 holds ASCII only. Rather than stop at the first such value, every one is reported
(raw file, line, field, value and a suggested ASCII spelling) and the suggested spelling is
written in its place, so one run lists them all; the defects are errors, so the run exits 3
(data defects) until the raw data or the mapping is corrected.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from cdiscflow.errors import Defect

# spellings NFKD decomposition does not give (it only strips accents)
_SPELLED = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "...", "\u00a0": " ", "\u00b5": "u",
    "\u03bc": "u", "\u00d7": "x", "\u00b0": " deg", "\u00df": "ss", "\u00e6": "ae",
    "\u00c6": "AE", "\u0153": "oe", "\u0152": "OE", "\u00f8": "o", "\u00d8": "O",
    "\u0142": "l", "\u0141": "L", "\u0111": "d", "\u0110": "D", "\u00b1": "+/-",
    "\u2264": "<=", "\u2265": ">=", "\u00bd": "1/2", "\u00bc": "1/4", "\u00be": "3/4",
}


def ascii_spelling(text: str) -> str:
    """A suggested ASCII spelling: accents dropped (céphalée -> cephalee), typographic quotes
    and dashes made plain, a few symbols spelled out; anything else becomes '?'."""
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif ch in _SPELLED:
            out.append(_SPELLED[ch])
        else:
            base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(base or "?")
    return "".join(out)


def _raw_field(ld: Any, variable: str) -> str | None:
    """The raw field a variable reads, when its source names one field."""
    var = ld.spec.variables.get(variable) if ld is not None else None
    if var is None:
        return None
    source = getattr(var, var.kind)
    field = source if isinstance(source, str) and var.kind == "field" else getattr(
        source, "field", None)
    return field if isinstance(field, str) else None


def _non_ascii_rows(series: Any) -> list[int]:
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(series.astype("string").fillna(""), type=pa.string())
    return [int(i) for i in pc.indices_nonzero(pc.invert(pc.string_is_ascii(text))).to_pylist()]


def fix_non_ascii(results: dict[str, Any], study: Any) -> list[Defect]:
    """Replace every non-ASCII value of the SDTM results (and their SUPP--) by its suggested
    ASCII spelling; one error defect per value, naming its raw file, line and field."""
    defects: list[Defect] = []
    for name, res in results.items():
        try:
            ld = study.domain(name)
        except KeyError:
            ld = None
        frames = [(name, res.data, None)]
        if res.supp is not None:
            frames.append((f"SUPP{name}", res.supp, "QNAM"))
        for dataset, frame, qnam in frames:
            for column in frame.columns:
                if frame[column].dtype.kind in "biufM":
                    continue
                for row in _non_ascii_rows(frame[column]):
                    value = str(frame[column].iat[row])
                    spelled = ascii_spelling(value)
                    variable = str(frame[qnam].iat[row]) if qnam else column
                    origin = _origin(res, frame, row, qnam is not None)
                    file, line = origin if origin else ("", None)
                    defects.append(Defect(
                        "error", name, file, line, _raw_field(ld, variable) or variable, value,
                        f"not ASCII, which SAS XPORT v5 cannot hold ({dataset}.{column} record "
                        f"{row + 1}); written as {spelled!r}, a suggested ASCII spelling: "
                        f"correct the raw value or map it"))
                    frame.iat[row, frame.columns.get_loc(column)] = spelled
    return defects


def _origin(res: Any, frame: Any, row: int, supp: bool) -> tuple[str, int] | None:
    """The raw file and position of a record (a SUPP-- record: of its parent)."""
    lineage = res.lineage
    if not supp:
        if row >= len(lineage):
            return None
        return str(lineage["SOURCE_FILE"].iat[row]), int(lineage["SOURCE_ROW"].iat[row])
    idvar, idval = str(frame["IDVAR"].iat[row]), str(frame["IDVARVAL"].iat[row])
    parents = res.data["USUBJID"] == frame["USUBJID"].iat[row]
    if idvar and idvar in res.data.columns:
        shown = res.data[idvar].map(lambda v: str(int(v)) if isinstance(v, float)
                                    and v.is_integer() else str(v))
        parents &= shown == idval
    hits = parents[parents].index
    if len(hits) == 0:
        return None
    first = int(hits[0])
    return str(lineage["SOURCE_FILE"].iat[first]), int(lineage["SOURCE_ROW"].iat[first])
