"""Timing derivations: reference dates, study day, age, EPOCH, visits."""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cdiscflow import iso8601
from cdiscflow.codedtext import arrow, text_series
from cdiscflow.codes import factorised, per_distinct
from cdiscflow.sdtm import dates
from cdiscflow.sdtm.derivations.registry import Param, Report, derivation
from cdiscflow.textops import format_numbers, is_in, map_text, to_number
from cdiscflow.wording import either


@derivation(
    "extreme_date",
    words=lambda p: (f"The {'earliest' if p['mode'] == 'first' else 'latest'} "
                     f"complete date of the subject's {either(p['sources'])}."),
    sources=Param("records", doc="DOMAIN.VARIABLE date(s) to search, e.g. [EX.EXSTDTC]"),
    mode=Param("value", doc="first or last", choices=("first", "last")),
)
def derive_extreme_date(df: pd.DataFrame, *, new_var: str, sources: pd.DataFrame, mode: str
                        ) -> pd.DataFrame:
    """First or last date per subject across the source records (RFSTDTC, RFXENDTC, ...).

    Only complete dates take part (a partial date cannot anchor a reference date); ISO 8601 text
    sorts in time order, and the chosen value keeps the precision it was collected with.
    """
    if mode not in ("first", "last"):
        raise ValueError(f"mode must be first or last, not {mode!r}")
    # ISO 8601 text sorts in time order, so numbering the distinct dates in sorted order
    # (code point order, as a sort of the text) makes the first date the smallest number and
    # the last the largest: one integer min/max per subject instead of sorting every record
    dates_ = arrow(sources["VALUE"]).dictionary_encode()
    order = pc.array_sort_indices(dates_.dictionary)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order.to_numpy()] = np.arange(len(order))
    # only complete dates anchor a subject (decided per distinct date)
    complete = _codes_where(dates_, pc.greater_equal(pc.utf8_length(dates_.dictionary), 10))
    subjects = arrow(sources["USUBJID"]).dictionary_encode()
    subject = _codes_where(subjects)
    keep = (subject >= 0) & (complete >= 0)
    pick = np.full(len(subjects.dictionary), len(order) if mode == "first" else -1)
    (np.minimum if mode == "first" else np.maximum).at(pick, subject[keep],
                                                       rank[complete[keep]])
    anchored = np.flatnonzero(pick != (len(order) if mode == "first" else -1))
    keys = subjects.dictionary.take(pa.array(anchored))
    chosen = dates_.dictionary.take(order).take(pa.array(pick[anchored]))
    out = df.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    # each record's subject looked up among the anchored ones (missing where it has none)
    at = pc.index_in(arrow(out["USUBJID"]), value_set=keys)
    out[new_var] = text_series(chosen.take(at), out.index)
    return out


def _codes_where(encoded: pa.DictionaryArray, wanted: pa.Array | None = None) -> np.ndarray:
    """Each row's code into a dictionary array's values, -1 where the value is missing or
    not ``wanted`` (a flag per distinct value; all wanted when not given)."""
    codes = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64)
    if wanted is None:
        return codes
    allowed = np.append(pc.fill_null(wanted, False).to_numpy(zero_copy_only=False), False)
    return np.where(allowed[codes], codes, -1)  # code -1 reads the appended False


def _study_day_reference(params: dict[str, Any]) -> str | None:
    ref = params.get("ref")
    if ref in (None, "DM.RFSTDTC", "RFSTDTC"):  # RFSTDTC: DM's own, in DM
        return None
    # SDTMIG defines --DY against DM.RFSTDTC; another reference is allowed, but a reviewer
    # comparing study days across domains should know
    return (f"the study day counts from {ref}, not DM.RFSTDTC, the reference SDTMIG defines "
            f"--DY against")


@derivation(
    "study_day",
    words=lambda p: (f"Study day of {p['dtc']} relative to {p['ref']}: the number of "
                     f"days from {p['ref']}, plus one when on or after it (no day 0); "
                     f"blank when either date is partial."),
    warn=_study_day_reference,
    dtc=Param("column", doc="the --DTC of the record"),
    ref=Param("column", doc="the reference date, usually DM.RFSTDTC"),
)
def derive_study_day(df: pd.DataFrame, *, new_var: str, dtc: str, ref: str) -> pd.DataFrame:
    """--DY: days from the reference date, counting the reference date as day 1 (no day 0).

    Missing when either date is partial: a study day is never computed from an invented day.
    """
    out = df.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    # once per distinct (date, reference) pair: a million records of a few thousand subjects
    # hold far fewer pairs, and the pairs of a stacked domain are numbered per raw record
    out[new_var] = per_distinct(_study_days, out[dtc], out[ref])
    return out


def _study_days(dtc: pd.Series, ref: pd.Series) -> pd.Series:
    # whole days as float day counts (NaN where either date is partial), made Int64 once
    delta = iso8601.parse(dtc).days() - iso8601.parse(ref).days()
    known = ~np.isnan(delta)
    day = np.where(delta < 0, delta, delta + 1)
    return pd.Series(pd.arrays.IntegerArray(np.where(known, day, 0).astype(np.int64), ~known),
                     index=dtc.index)


@derivation(
    "age",
    words=lambda p: (f"Age in completed years from {p['birth']} to {p['ref']}; blank when "
                     f"either date is partial."),
    birth=Param("column", doc="BRTHDTC"),
    ref=Param("column", doc="the date age is taken at, e.g. RFICDTC or RFSTDTC"),
)
def derive_age(df: pd.DataFrame, *, new_var: str, birth: str, ref: str) -> pd.DataFrame:
    """AGE in completed years at the reference date (missing if either date is partial)."""
    out = df.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    # the parts of complete, real dates, as numbers (no datetime Series for a few numbers)
    b, r = iso8601.parse(out[birth]), iso8601.parse(out[ref])
    known = ~np.isnan(b.days()) & ~np.isnan(r.days())
    by, bm, bd = _year_month_day(b, known)
    ry, rm, rd = _year_month_day(r, known)
    before_birthday = (rm < bm) | ((rm == bm) & (rd < bd))
    out[new_var] = pd.arrays.IntegerArray(ry - by - before_birthday, ~known)
    return out


def _year_month_day(parsed: iso8601.Parsed, known: np.ndarray) -> list[np.ndarray]:
    return [np.where(known, parsed.part(k), 0).astype(np.int64) for k in ("year", "month", "day")]


def _check_epochs(given: dict[str, Any]) -> str | None:
    epochs, ends = given.get("epochs", []), given.get("ends", [])
    inclusive = given.get("ends_inclusive", [])
    if not (isinstance(epochs, list) and isinstance(ends, list) and isinstance(inclusive, list)):
        return "epochs, ends and ends_inclusive are lists"
    if len(epochs) != len(ends) + 1 or len(inclusive) != len(ends):
        return (f"epochs needs one more entry than ends ({len(epochs)} epochs, {len(ends)} "
                f"ends), and ends_inclusive one per end ({len(inclusive)})")
    if not all(isinstance(v, bool) for v in inclusive):
        return "ends_inclusive holds true or false for each end"
    return None


def _epoch_words(p: Mapping[str, Any]) -> str:
    epochs, ends, inclusive = p["epochs"], p["ends"], p["ends_inclusive"]
    rules = []
    for name, end, incl in zip(epochs, ends, inclusive, strict=False):
        rules.append(f"{name} when {p['dtc']} is {'on or before' if incl else 'before'} {end}")
    rules.append(f"{epochs[-1]} after that")
    return ("Epoch of the record from its date: " + "; ".join(rules) + ". A date known "
            "only to the month or year is placed when its whole period falls in one epoch; "
            "blank when it straddles an end or is missing.")


@derivation(
    "epoch",
    words=_epoch_words,
    check=_check_epochs,
    dtc=Param("column", doc="the --DTC (or --STDTC) of the record"),
    epochs=Param("value", doc="epoch names in time order, e.g. [SCREENING, TREATMENT, FOLLOW-UP]"),
    ends=Param("columns", doc="the date each epoch but the last ends, e.g. [DM.RFXSTDTC, "
                              "DM.RFXENDTC]"),
    ends_inclusive=Param("value", doc="per end: true if a record at that moment still belongs "
                                      "to the epoch it ends"),
)
def derive_epoch(df: pd.DataFrame, *, new_var: str, dtc: str, epochs: list[str],
                 ends: list[str], ends_inclusive: list[bool]) -> pd.DataFrame:
    """EPOCH: the first epoch whose end the record does not pass.

    A record at the first dose's date and time passes an exclusive end (``false``) and so falls
    in the next epoch. A partial date (``2020-05``) is placed when its whole period falls in
    one epoch, by the same rule applied to its first and last day; missing when the period
    straddles an end or the date is missing, rather than guessed.
    """
    if len(epochs) != len(ends) + 1 or len(ends_inclusive) != len(ends):
        raise ValueError("epochs needs one more entry than ends, and ends_inclusive one per end")
    out = df.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    # placed once per distinct (date, ends) combination: records share them heavily
    out[new_var] = per_distinct(lambda d, *e: _epoch(d, e, epochs, ends_inclusive),
                                *(out[c].astype("string") for c in [dtc, *ends]))
    return out


def _epoch(dtc: pd.Series, ends: Sequence[pd.Series], epochs: list[str],
           ends_inclusive: list[bool]) -> pd.Series:
    # each record's epoch as a number into the names (-1: none), made text once at the end
    # rather than by masked assignments into a text column
    choice = np.full(len(dtc), -1, dtype=np.int64)
    record = dates.Instants.of(dtc)  # read once, compared with every end
    # a partial date whose period the end can be compared with is decided too (the package
    # issue); a missing or unplaceable one is not
    undecided = ~np.isnan(record.day) | ~np.isnan(record.first)
    for number, (end, inclusive) in enumerate(zip(ends, ends_inclusive, strict=False)):
        op = operator.le if inclusive else operator.lt
        # a month or year wholly before (or wholly after) the end decides like a full date
        passes, fails = dates.compare_instants(record, dates.Instants.of(end), op)
        choice[undecided & passes] = number
        # a record that cannot be compared with this end is placed in no epoch
        undecided &= fails
    choice[undecided] = len(epochs) - 1
    names = pa.array([str(e) for e in epochs], type=pa.large_string())
    return text_series(names.take(pa.array(choice, mask=choice < 0)), dtc.index)


def _numbers_for(names: pd.Series, mapping: dict[str, Any], dtype: str) -> pd.Series:
    """The number each visit name maps to (missing where it maps to none) as ``dtype``,
    looked up and typed once per distinct name: a million records carry a few dozen visit
    names, and pandas' checked cast of a million floats to Float64 or Int64 costs more than
    the lookup."""
    return per_distinct(lambda n: to_number(map_text(n, mapping)).astype(dtype), names)


def _schedule(schedule: list[dict[str, Any]]) -> pd.DataFrame:
    """The visit schedule by name, made once per distinct schedule: every visit variable of
    every domain reads the study's one table (read only; callers never change it)."""
    try:
        key = tuple(tuple((k, type(v), v) for k, v in row.items()) for row in schedule)
        hash(key)
    except TypeError:  # a value that cannot be a key (a list): made each time
        return _schedule_frame(schedule)
    return _remembered_schedule(key)


@functools.lru_cache(maxsize=16)
def _remembered_schedule(key: tuple) -> pd.DataFrame:
    return _schedule_frame([{k: v for k, _, v in row} for row in key])


def _schedule_frame(schedule: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(schedule).astype({"name": "string"}).set_index("name")


@derivation(
    "visit",
    words=lambda p: (f"{p['target']} of the collected visit name {p['visit']} in the "
                     f"study's visit schedule ({p['schedule']}); a visit not in the schedule "
                     f"is '{p.get('unscheduled', 'Unscheduled')}' with its number from "
                     f"{p['dtc']}."),
    visit=Param("column", doc="the collected visit name"),
    dtc=Param("column", doc="the record's date, to place unscheduled visits"),
    schedule=Param("table", doc="rows of name, VISIT, VISITNUM, VISITDY"),
    target=Param("value", doc="VISIT, VISITNUM or VISITDY",
                 choices=("VISIT", "VISITNUM", "VISITDY")),
    unscheduled=Param("value", required=False, default="Unscheduled",
                      doc="collected name of an unscheduled visit"),
)
def derive_visit(df: pd.DataFrame, *, new_var: str, visit: str, dtc: str,
                 schedule: list[dict[str, Any]], target: str, unscheduled: str = "Unscheduled",
                 report: Report | None = None) -> pd.DataFrame:
    """VISIT, VISITNUM or VISITDY from the declared visit schedule.

    An unscheduled visit is numbered after the last scheduled visit the subject had on or before
    its date: 5.01, 5.02, ... (VISIT ``UNSCHEDULED x.yy``, VISITDY missing), the SDTMIG convention.
    """
    if target not in ("VISIT", "VISITNUM", "VISITDY"):
        raise ValueError(f"target must be VISIT, VISITNUM or VISITDY, not {target!r}")
    sched = _schedule(schedule)
    out = df.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    names = out[visit].astype("string")
    # what the names are, judged once per distinct name: a million records' visit numbers
    # are made only where they are written or unscheduled visits need them
    each = factorised(names)[1][0]
    scheduled = to_number(map_text(each, sched["VISITNUM"].to_dict())).notna()
    unsched_name = (each == unscheduled).fillna(False).astype(bool)
    unknown_names = each[each.notna() & ~unsched_name & ~scheduled]
    if report is not None and len(unknown_names):
        unknown = is_in(names, unknown_names)
        report(unknown[unknown].index, f"visit name not in the schedule (nor "
               f"{unscheduled!r})", visit)
    has_unsched = bool(unsched_name.any())
    vnum = (_numbers_for(names, sched["VISITNUM"].to_dict(), "Float64")
            if has_unsched or target == "VISITNUM" else None)
    is_unsched = (names == unscheduled).fillna(False).astype(bool) if has_unsched else None
    if has_unsched:
        day = dates.date_part(out[dtc])
        frame = pd.DataFrame({"USUBJID": out["USUBJID"], "day": day, "vnum": vnum,
                              "uns": is_unsched})
        # only subjects with an unscheduled visit, each looked at once (not one scan of
        # every record per subject)
        frame = frame[is_in(frame["USUBJID"], frame.loc[frame["uns"], "USUBJID"])]
        for _, records in frame.groupby("USUBJID", sort=False):
            rows = records[records["uns"]]
            sched_rows = records[~records["uns"] & records["vnum"].notna()]
            uns_days = sorted(rows["day"].dropna().unique())
            counters: dict[float, int] = {}
            for d in uns_days:
                prior = sched_rows.loc[sched_rows["day"] <= d, "vnum"]
                base = float(prior.max()) if len(prior) else 0.0
                counters[base] = counters.get(base, 0) + 1
                vnum[rows.index[rows["day"] == d]] = round(base + counters[base] / 100, 2)
    if target == "VISITNUM":
        out[new_var] = vnum
    elif target == "VISIT":
        label = map_text(names, sched["VISIT"].to_dict())
        if has_unsched:
            numbers = format_numbers(vnum[is_unsched], ".2f")
            label[is_unsched] = "UNSCHEDULED " + numbers
        out[new_var] = label
    else:
        days = sched["VISITDY"].dropna() if "VISITDY" in sched else pd.Series(dtype=float)
        visitdy = _numbers_for(names, {k: int(v) for k, v in days.items()}, "Int64")
        out[new_var] = visitdy.where(~is_unsched) if has_unsched else visitdy
    return out
