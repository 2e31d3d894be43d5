"""The `text` source of the mapping language: a value built from columns and literals, then
trimmed, cut by a pattern or a separator, and re-cased (docs/mapping-language.md, `text`).

Patterns run on Arrow's RE2 engine, whose matching time is linear in the text: a pattern in an
untrusted spec cannot make a run hang, as a backtracking engine's could.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdiscflow.codedtext import arrow, text_series
from cdiscflow.codes import per_distinct
from cdiscflow.spec import TextSource, check_pattern, template_columns


def build_text(frame: pd.DataFrame, field: str | None, template: str | None,
               coalesce: list[str] | None) -> pd.Series:
    """The starting text: a column; a template's literals and columns (blank if any column it
    names is blank, so that no half-built identifier is written); or the first non-blank of
    several columns."""
    if field is not None:
        return frame[field].astype("string")
    if coalesce is not None:
        out = frame[coalesce[0]].astype("string")
        for col in coalesce[1:]:
            out = out.fillna(frame[col].astype("string"))
        return out
    assert template is not None
    pieces = _template_pieces(template)
    out = pd.Series("", index=frame.index, dtype="string")
    for literal, column in pieces:
        out = out + literal if column is None else out + frame[column].astype("string")
    return out


def _template_pieces(template: str) -> list[tuple[str, str | None]]:
    """(literal, None) and ("", column) pieces of a checked template, in order."""
    pieces: list[tuple[str, str | None]] = []
    names = iter(template_columns(template))
    literal, i = "", 0
    while i < len(template):
        if template.startswith(("{{", "}}"), i):
            literal += template[i]
            i += 2
        elif template[i] == "{":
            if literal:
                pieces.append((literal, None))
                literal = ""
            pieces.append(("", next(names)))
            i = template.index("}", i) + 1
        else:
            literal += template[i]
            i += 1
    if literal:
        pieces.append((literal, None))
    return pieces


def collapse_blanks(values: pd.Series) -> pd.Series:
    """Outer blanks removed, inner runs of blanks made one; an all-blank value is missing."""
    out = values.str.replace(r"\s+", " ", regex=True).str.strip()
    return out.where(out != "")


def extract_first(values: pd.Series, pattern: str) -> tuple[pd.Series, pd.Series]:
    """The first group of ``pattern`` (the whole match where it has none) in each value, and
    which non-blank values it did not match (their result is missing)."""
    groups = check_pattern(pattern)
    out = per_distinct(lambda s: _extract_first(s, pattern, groups), values.astype("string"))
    lost = values.notna() & out.isna()
    return out, lost


def _extract_first(values: pd.Series, pattern: str, groups: int) -> pd.Series:
    data = arrow(values)
    if len(data) == 0:
        return values.astype("string")
    matched = pc.match_substring_regex(data, pattern=pattern)
    # the whole value replaced by the part wanted: RE2 finds the leftmost match as search does
    whole = pc.replace_substring_regex(
        data, pattern=f"(?s)^.*?(?:{pattern}).*$" if groups else f"(?s)^.*?({pattern}).*$",
        replacement=r"\1", max_replacements=1)
    out = pc.if_else(pc.and_(matched, pc.not_equal(whole, "")), whole, pa.scalar(None, pa.string()))
    return text_series(out, values.index)


def split_part(values: pd.Series, separator: str, part: int) -> tuple[pd.Series, pd.Series]:
    """Part ``part`` (1-based; negative counts from the end) of each value split at
    ``separator``, and which non-blank values have no such part."""
    def one(v: object) -> object:
        if not isinstance(v, str):
            return pd.NA
        parts = v.split(separator)
        if part > len(parts) or -part > len(parts):
            return pd.NA
        got = parts[part - 1 if part > 0 else part].strip()
        return got or pd.NA

    out = per_distinct(lambda s: s.map(one).astype("string"), values.astype("string"))
    lost = values.notna() & out.isna()
    return out, lost


def source_text(frame: pd.DataFrame, spec: TextSource, idx: object) -> str:
    """The collected value(s) a text source read on one record, for a defect message."""
    cells = [frame.at[idx, c] for c in spec.columns()]
    return "/".join("" if pd.isna(c) else str(c) for c in cells)
