"""Response derivations for a BDS response dataset (ADRS): per-assessment response by a declared
rule set, then per-subject parameters (best response, exists flags, confirmed response, time to
event, cumulative response duration).

The rule set is data (:class:`ResponseRule`, declared in the ADaM spec): which values make a
category, what makes an assessment not evaluable (windows around other records, e.g. rescue
therapy), what same-day observation disqualifies it (e.g. bleeding). Nothing here knows a study.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from cdiscflow.adam.conditions import Where, evaluate
from cdiscflow.adam.dates import impute_date
from cdiscflow.adam.derivations import DerivationError
from cdiscflow.adam.values import is_expr, set_values


@dataclass(frozen=True)
class Window:
    """Records of another dataset that open a window (start - before .. end + after days,
    both ends inclusive) in which an assessment is not evaluable."""

    records: pd.DataFrame  # USUBJID plus the start and end columns, already filtered
    start: str
    end: str | None
    days_before_start: int = 0
    days_after_end: int = 0
    end_if_missing: Literal["start", "open"] = "start"


@dataclass(frozen=True)
class SameDayFlag:
    """An observation of another dataset on the assessment's date (e.g. bleeding)."""

    records: pd.DataFrame  # USUBJID, the date column and the value column, already filtered
    date: str
    value: str
    true_values: Sequence[str]
    if_missing: Literal["false", "true"] = "false"


@dataclass(frozen=True)
class ResponseRule:
    categories: Sequence[tuple[str, Where]]  # best first; the first that holds is the result
    otherwise: str
    not_evaluable_code: str
    response_codes: Sequence[str]
    windows: dict[str, list[Window]] = field(default_factory=dict)  # flag var -> windows
    same_day: dict[str, SameDayFlag] = field(default_factory=dict)  # flag var -> source
    evaluable_var: str = "ANL01FL"
    loss_var: str | None = None  # flags the first non-response after a response


def _window_flag(df: pd.DataFrame, date_var: str, windows: list[Window]) -> pd.Series:
    flag = pd.Series(False, index=df.index)
    dates = pd.to_numeric(df[date_var], errors="coerce")
    for w in windows:
        start, _ = impute_date(w.records[w.start])
        end, _ = impute_date(w.records[w.end]) if w.end else (pd.Series(np.nan,
                                                                           index=start.index),
                                                               None)
        end = end.where(end.notna(), start if w.end_if_missing == "start" else np.inf)
        spans = pd.DataFrame({"USUBJID": w.records["USUBJID"].to_numpy(),
                              "lo": (start - w.days_before_start).to_numpy(),
                              "hi": (end + w.days_after_end).to_numpy()})
        # each record against its own subject's spans only (a join, not subjects x records)
        rows = pd.DataFrame({"_row": np.arange(len(df)),
                             "USUBJID": df["USUBJID"].astype(str).to_numpy(),
                             "_date": dates.to_numpy(dtype=float)})
        spans["USUBJID"] = spans["USUBJID"].astype(str)
        pairs = rows.merge(spans, on="USUBJID", how="inner")
        inside = pairs[(pairs["_date"] >= pairs["lo"]) & (pairs["_date"] <= pairs["hi"])]
        hit = np.zeros(len(df), dtype=bool)
        hit[inside["_row"].to_numpy()] = True
        flag |= pd.Series(hit, index=df.index)
    return flag


def _same_day_flag(df: pd.DataFrame, date_var: str, src: SameDayFlag) -> pd.Series:
    day, _ = impute_date(src.records[src.date])
    obs = pd.DataFrame({"USUBJID": src.records["USUBJID"].to_numpy(), "_day": day.to_numpy(),
                        "_hit": src.records[src.value].astype("string")
                        .isin([str(v) for v in src.true_values]).fillna(False).to_numpy()})
    obs["USUBJID"] = obs["USUBJID"].astype(str)
    any_hit = obs.groupby(["USUBJID", "_day"])["_hit"].any().reset_index()
    keys = pd.DataFrame({"USUBJID": df["USUBJID"].astype(str).to_numpy(),
                         "_day": pd.to_numeric(df[date_var], errors="coerce").to_numpy(float)})
    merged = keys.merge(any_hit, on=["USUBJID", "_day"], how="left")
    default = src.if_missing == "true"
    # no assessment that day (or no date): the declared default
    found = merged["_hit"].astype("boolean").fillna(default).astype(bool).to_numpy()
    return pd.Series(found, index=df.index)


class _Runs:
    """Response runs of records already in subject and date order: whether each record is a
    response, and whether the one before it (same subject) was. Replaces walking each
    subject's records in a loop; records without a subject take part in nothing (as in a
    groupby)."""

    def __init__(self, ordered: pd.DataFrame, response_codes: Sequence[str]) -> None:
        codes, uniques = pd.factorize(ordered["USUBJID"])
        self.subject, self.subjects = codes, uniques
        self.known = codes >= 0
        self.response = ordered["AVALC"].isin(list(response_codes)).to_numpy(dtype=bool) \
            & self.known
        n = len(codes)
        self.first = np.ones(n, dtype=bool)  # a subject's first record
        self.first[1:] = codes[1:] != codes[:-1]
        self.last = np.ones(n, dtype=bool)  # a subject's last record
        self.last[:-1] = self.first[1:]
        self.after_response = np.zeros(n, dtype=bool)
        self.after_response[1:] = self.response[:-1]
        self.after_response &= ~self.first

    def first_non_response(self) -> np.ndarray:
        """Positions of the records that end a response run (a non-response right after)."""
        return np.flatnonzero(self.known & ~self.response & self.after_response)

    def starts(self) -> np.ndarray:
        """Positions of the records that start a response run."""
        return np.flatnonzero(self.response & ~self.after_response)


def derive_param_response(df: pd.DataFrame, source: Where, assessments: Where | None,
                          rule: ResponseRule, set_values_to: dict[str, Any],
                          date_var: str = "ADT") -> pd.DataFrame:
    """Add one response record per assessment (records meeting ``source`` and ``assessments``).

    On the assessment records: each window flag var (Y/N), each same-day flag var (Y/N) and
    the evaluable flag (Y when no window flag is set). The new records copy the assessment
    record, take ``set_values_to`` (PARAMCD, PARAM, ...), and get AVALC = the first category
    whose condition holds, ``otherwise`` when none does, or ``not_evaluable_code``; AVAL is
    cleared. ``loss_var`` flags the first evaluable non-response after a response (relapse).
    """
    out = df.copy(deep=False)
    picked = evaluate(source, out) & evaluate(assessments, out)
    rec = out[picked]
    in_window = pd.Series(False, index=rec.index)
    for var, windows in rule.windows.items():
        flag = _window_flag(rec, date_var, windows)
        rec[var] = np.where(flag, "Y", "N")
        in_window |= flag
    for var, src in rule.same_day.items():
        rec[var] = np.where(_same_day_flag(rec, date_var, src), "Y", "N")
    rec[rule.evaluable_var] = np.where(in_window, None, "Y")
    for var in [*rule.windows, *rule.same_day, rule.evaluable_var]:
        # a flag is Y/N (or Y/missing) on the assessments and missing on every other record
        spread = rec[var].reindex(out.index).astype(object)
        out[var] = spread.where(spread.notna(), None)
    resp = rec.copy(deep=False)
    result = pd.Series(rule.otherwise, index=resp.index, dtype=object)
    decided = pd.Series(False, index=resp.index)
    for code, where in rule.categories:
        hit = evaluate(where, resp) & ~decided
        result[hit] = code
        decided |= hit
    result[in_window] = rule.not_evaluable_code
    resp["AVALC"] = result
    resp["AVAL"] = np.nan
    for k, v in set_values_to.items():
        if not is_expr(v):
            resp[k] = v
    if rule.loss_var:
        resp[rule.loss_var] = None
        resp[rule.loss_var] = resp[rule.loss_var].astype(object)
        evaluable = resp["AVALC"] != rule.not_evaluable_code
        ordered = resp.loc[evaluable, ["USUBJID", "AVALC", date_var]].sort_values(
            ["USUBJID", date_var], kind="mergesort")
        runs = _Runs(ordered, rule.response_codes)
        # in response until a non-response: the non-response right after a response loses it
        resp.loc[ordered.index[runs.first_non_response()], rule.loss_var] = "Y"
    # the new records go after the source records, with fresh index labels
    return _append(out, resp, set_values_to)


def _new_records(subjects: pd.DataFrame, by_vars: Sequence[str], set_values_to: dict[str, Any]
                 ) -> pd.DataFrame:
    """One new record per ``by_vars`` of ``subjects`` with the constants of ``set_values_to``
    (its expressions wait until the step has set its own values: :func:`_append`)."""
    new = subjects[list(by_vars)].drop_duplicates().reset_index(drop=True)
    for k, v in set_values_to.items():
        if not is_expr(v):
            new[k] = v
    return new


def _append(df: pd.DataFrame, new: pd.DataFrame, set_values_to: dict[str, Any]
            ) -> pd.DataFrame:
    """``df`` with the new records after it, their ``{expr: ...}`` values computed on each
    finished record (so ``AVAL: {expr: "if_else(AVALC = 'Y', 1, 0)"}`` sees the AVALC the
    step gave it)."""
    exprs = {k: v for k, v in set_values_to.items() if is_expr(v)}
    return pd.concat([df, set_values(new, exprs) if exprs else new], ignore_index=True)


def derive_extreme_event(df: pd.DataFrame, subjects: pd.DataFrame, by_vars: Sequence[str],
                         source: Where, order: Sequence[str], set_values_to: dict[str, Any],
                         if_none: str | None, date_var: str = "ADT",
                         values_n: dict[str, float] | None = None) -> pd.DataFrame:
    """One record per subject holding the best of the ``source`` records' AVALC, best =
    earliest in ``order`` (ties: the earliest date); ``if_none`` when the subject has none.
    ADT is the date of the chosen record; AVAL the code's number from ``values_n``."""
    # only the columns the choice needs (sorting every column of a large frame is the cost)
    src = df.loc[evaluate(source, df), ["USUBJID", "AVALC", date_var]]
    unknown = set(src["AVALC"].dropna()) - set(order)
    if unknown:
        raise DerivationError(f"AVALC values {sorted(unknown)} are not in the order {order}")
    src["_rank"] = src["AVALC"].map({c: i for i, c in enumerate(order)})
    best = src.sort_values(["USUBJID", "_rank", date_var], kind="mergesort")
    best = best.groupby("USUBJID", sort=False).head(1).set_index("USUBJID")
    new = _new_records(subjects, by_vars, set_values_to)
    new["AVALC"] = new["USUBJID"].map(best["AVALC"]).astype(object)
    new[date_var] = new["USUBJID"].map(best[date_var]).astype(float)
    new["AVALC"] = new["AVALC"].where(new["AVALC"].notna(), if_none)
    new["AVAL"] = new["AVALC"].map(values_n or {}).astype(float)
    return _append(df, new, set_values_to)


def derive_param_exist_flag(df: pd.DataFrame, subjects: pd.DataFrame, by_vars: Sequence[str],
                            condition: Where, set_values_to: dict[str, Any],
                            true_value: str = "Y", false_value: str = "N") -> pd.DataFrame:
    """One record per subject: AVALC ``true_value`` (AVAL 1) if any record meets
    ``condition``, else ``false_value`` (AVAL 0)."""
    hits = df.loc[evaluate(condition, df), "USUBJID"].unique()
    new = _new_records(subjects, by_vars, set_values_to)
    has = new["USUBJID"].isin(hits)
    new["AVALC"] = np.where(has, true_value, false_value).astype(object)
    new["AVAL"] = has.astype(float)
    return _append(df, new, set_values_to)


def derive_param_confirmed_resp(df: pd.DataFrame, subjects: pd.DataFrame, by_vars: Sequence[str],
                                source: Where, codes: Sequence[str], min_count: int,
                                min_days_apart: float, set_values_to: dict[str, Any],
                                date_var: str = "ADT") -> pd.DataFrame:
    """Confirmed response: at least ``min_count`` ``source`` records with AVALC in ``codes``
    whose first and last dates are at least ``min_days_apart`` days apart. AVALC Y/N (AVAL
    1/0), ADT the date of confirmation (the first qualifying record that far from the first)."""
    src = df.loc[evaluate(source, df) & df["AVALC"].isin(list(codes)), ["USUBJID", date_var]]
    dates = pd.to_numeric(src[date_var], errors="coerce")
    dated = pd.DataFrame({"USUBJID": src["USUBJID"], "date": dates})[dates.notna()]
    by_subject = dated.groupby("USUBJID")["date"]
    first, count = by_subject.transform("min"), by_subject.transform("size")
    # the earliest date far enough from the subject's first, among subjects with enough dates
    far = dated[(count >= min_count) & (dated["date"] - first >= min_days_apart)]
    earliest = far.groupby("USUBJID")["date"].min()
    confirmed = dict(zip(earliest.index.map(str), earliest, strict=True))
    new = _new_records(subjects, by_vars, set_values_to)
    has = new["USUBJID"].isin(list(confirmed))
    new["AVALC"] = np.where(has, "Y", "N").astype(object)
    new["AVAL"] = has.astype(float)
    new[date_var] = new["USUBJID"].map(confirmed).astype(float)
    return _append(df, new, set_values_to)


def derive_param_tte(df: pd.DataFrame, subjects: pd.DataFrame, by_vars: Sequence[str],
                     start_date: str, event: Where, censor: Where | None,
                     set_values_to: dict[str, Any], unit: Literal["DAYS", "WEEKS"] = "DAYS",
                     date_var: str = "ADT", day_offset: float = 0) -> pd.DataFrame:
    """Time from ``start_date`` (a subject-level variable of ``subjects``) to the first record
    meeting ``event`` (CNSR 0), or to the last record meeting ``censor`` (CNSR 1). AVAL =
    ADT - STARTDT + ``day_offset`` in days (or that divided by 7); no record when the subject
    has neither. A ``day_offset`` of 1 counts the start day (admiral's derive_vars_duration
    with add_one, which the CDISC pilot's ADTTE uses)."""
    starts = subjects.set_index("USUBJID")[start_date]
    keys = ["USUBJID", date_var]  # only what the dates need, not every column of a large frame
    ev = df.loc[evaluate(event, df), keys].sort_values(keys, kind="mergesort")
    first = ev.groupby("USUBJID")[date_var].first()
    last = pd.Series(dtype=float)
    if censor is not None:
        cn = df.loc[evaluate(censor, df), keys].sort_values(keys, kind="mergesort")
        last = cn.groupby("USUBJID")[date_var].last()
    new = _new_records(subjects, by_vars, set_values_to)
    new["STARTDT"] = new["USUBJID"].map(starts).astype(float)
    new[date_var] = new["USUBJID"].map(first).astype(float)
    new["CNSR"] = np.where(new[date_var].notna(), 0.0, 1.0)
    censored = new[date_var].isna()
    new.loc[censored, date_var] = new.loc[censored, "USUBJID"].map(last).astype(float)
    new = new[new[date_var].notna()].copy()
    days = new[date_var] - new["STARTDT"] + day_offset
    new["AVAL"] = days / 7 if unit == "WEEKS" else days
    new["AVALU"] = unit
    return _append(df, new, set_values_to)


def derive_param_response_duration(df: pd.DataFrame, subjects: pd.DataFrame,
                                   by_vars: Sequence[str], source: Where,
                                   response_codes: Sequence[str], not_evaluable: Sequence[str],
                                   set_values_to: dict[str, Any],
                                   unit: Literal["DAYS", "WEEKS"] = "WEEKS",
                                   date_var: str = "ADT") -> pd.DataFrame:
    """Cumulative duration of response over the evaluable ``source`` records in date order:
    an episode runs from its first response record to the first record no longer in response,
    or to the last record when the response lasts to the end; AVAL = the sum over episodes
    (0 for a subject never in response). Subjects with no evaluable record get no record."""
    src = df.loc[evaluate(source, df) & ~df["AVALC"].isin(list(not_evaluable)),
                 ["USUBJID", "AVALC", date_var]]
    ordered = src.sort_values(["USUBJID", date_var], kind="mergesort")
    runs = _Runs(ordered, response_codes)
    dates = pd.to_numeric(ordered[date_var], errors="coerce").to_numpy(dtype=float)
    # each record's latest run start (runs never cross subjects: a subject's first record that
    # is a response starts one)
    start = np.zeros(len(dates), dtype=np.int64)
    start[runs.starts()] = runs.starts()
    start = np.maximum.accumulate(start) if len(start) else start
    # a run ends at the first non-response after it, or at the subject's last record
    ends = runs.known & ((~runs.response & runs.after_response) | (runs.response & runs.last))
    episode = np.where(ends, dates - dates[start], 0.0)
    # summed in date order per subject, as the episodes follow one another
    days = np.bincount(runs.subject[runs.known], weights=episode[runs.known],
                       minlength=len(runs.subjects))
    total = dict(zip(map(str, runs.subjects), days.tolist(), strict=True))
    new = _new_records(subjects, by_vars, set_values_to)
    new = new[new["USUBJID"].isin(list(total))].copy()
    days = new["USUBJID"].map(total).astype(float)
    new["AVAL"] = days / 7 if unit == "WEEKS" else days
    new["AVALU"] = unit
    return _append(df, new, set_values_to)
