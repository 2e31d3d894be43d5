"""Conformance rules that look beyond one variable: across records, and across datasets.

One small vectorised function per rule (or family); each yields finding tables. The registry
``RULE_FUNCTIONS`` maps each function to the catalogue rule ids it can report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from cdiscflow.codedtext import arrow
from cdiscflow.textops import is_in
from cdiscflow.validators import findings
from cdiscflow.validators.data import Dataset
from cdiscflow.validators.schema import (
    _TRUNCATED,
    adam_meta,
    is_char,
    is_null,
    is_num,
    per_value,
)

_PLAIN_ISO = re.compile(_TRUNCATED)
_DATE10 = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Study:
    """All datasets of one validation run, by name."""

    datasets: dict[str, Dataset]
    # compare each folder's define.xml with its datasets (rules_define.py)
    check_define: bool = True

    @property
    def sdtm(self) -> list[Dataset]:
        return [d for d in self.datasets.values() if not d.is_adam]

    @property
    def adam(self) -> list[Dataset]:
        return [d for d in self.datasets.values() if d.is_adam]

    def get(self, name: str) -> Dataset | None:
        return self.datasets.get(name)


Found = Iterator[pd.DataFrame]
RULE_FUNCTIONS: list[tuple[tuple[str, ...], Callable[[Study], Found]]] = []


def rule(*ids: str) -> Callable[[Callable[[Study], Found]], Callable[[Study], Found]]:
    def register(fn: Callable[[Study], Found]) -> Callable[[Study], Found]:
        RULE_FUNCTIONS.append((ids, fn))
        return fn
    return register


# --------------------------------------------------------------------------- helpers

def _where(mask: pd.Series | np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.asarray(mask, dtype=bool))


def _text(s: pd.Series) -> pd.Series:
    """Character values stripped, '' for missing; numbers as their shortest text."""
    return findings._text(s, len(s), strip=True)


def _column_text(ds: Dataset, column: str) -> pd.Series:
    """``_text`` of a dataset's column, from its factorization (computed once per dataset)."""
    frame = ds.frame
    return findings._text(frame[column], len(frame), strip=True,
                          factorized=ds.factorized(column))


def _isin(text: pd.Series, allowed: pd.Series) -> np.ndarray:
    """Whether each text is one of ``allowed`` (Arrow's hash look-up), as a boolean array."""
    return is_in(text, allowed).to_numpy(dtype=bool)


def _flag(ds: Dataset, column: str, bad: Callable[[pd.Series], pd.Series]) -> np.ndarray:
    """Positions of present values of ``column`` for which ``bad`` (given stripped text) holds,
    judged once per distinct value."""
    def judge(u: pd.Series) -> np.ndarray:
        text = _text(u)
        return ((text != "") & bad(text)).to_numpy(dtype=bool)
    return _where(per_value(ds.frame[column], judge, False, ds.factorized(column)).astype(bool))


def _dates(s: pd.Series, factorized: tuple | None = None) -> pd.Series:
    """The full date part of ISO values as datetime64 (NaT when the date is partial/absent)."""
    def parse(u: pd.Series) -> np.ndarray:
        head = u.astype("str").str.slice(0, 10)
        head = head.where(head.str.fullmatch(_DATE10).fillna(False))
        return pd.to_datetime(head, format="%Y-%m-%d", errors="coerce").to_numpy(
            dtype="datetime64[ns]")
    return pd.Series(per_value(s, parse, np.datetime64("NaT"), factorized)
                     .astype("datetime64[ns]"), index=s.index)


def _subject_map(dm: Dataset, variable: str) -> pd.Series:
    frame = dm.frame
    out = pd.Series(frame[variable].to_numpy(), index=frame["USUBJID"].to_numpy())
    return out[~out.index.duplicated()]  # a duplicate DM record is reported as CF.KEY_DUP


def _ig_names(ds: Dataset) -> list[str]:
    return [v.name for v in ds.standard_variables()]


# --------------------------------------------------------------------------- SDTM rules


def _subjects_known_to(study: Study, reference: str, datasets: Iterable[Any],
                       rule_id: str) -> Found:
    """Every USUBJID of ``datasets`` must be one of the ``reference`` dataset's subjects."""
    ref = study.get(reference)
    if ref is None or "USUBJID" not in ref.frame.columns:
        return
    known = _column_text(ref, "USUBJID")
    for ds in datasets:
        if ds.name == reference or "USUBJID" not in ds.frame.columns:
            continue
        yield findings.rows(ds.name, ds.frame,
                            _flag(ds, "USUBJID", lambda t: ~_isin(t, known)),
                            rule_id, "USUBJID")


@rule("CF.USUBJID_DM")
def usubjid_in_dm(study: Study) -> Found:
    yield from _subjects_known_to(study, "DM", study.sdtm, "CF.USUBJID_DM")


@rule("CF.DOMAIN")
def domain_is_name(study: Study) -> Found:
    for ds in study.sdtm:
        if ds.is_supp or "DOMAIN" not in ds.frame.columns:
            continue
        # a split dataset (LBCH) carries its parent domain's abbreviation (LB)
        expected = ds.domain if ds.domain and ds.domain != ds.name else ds.name
        yield findings.rows(ds.name, ds.frame,
                            _flag(ds, "DOMAIN", lambda t, e=expected: t != e),
                            "CF.DOMAIN", "DOMAIN", message=f"DOMAIN must be {expected}")


@rule("CF.STUDYID")
def one_studyid(study: Study) -> Found:
    anchor = study.get("DM") or study.get("ADSL")
    pool = [anchor] if anchor is not None else list(study.datasets.values())
    counts = pd.concat([d.frame["STUDYID"].value_counts() for d in pool
                        if "STUDYID" in d.frame.columns] or [pd.Series([], dtype="int64")])
    counts.index = _text(pd.Series(counts.index, dtype=object)).to_numpy()
    counts = counts[counts.index != ""].groupby(level=0).sum().sort_values(ascending=False,
                                                                          kind="stable")
    if counts.empty:
        return
    studyid = counts.index[0]  # DM's (or ADSL's) own, else the commonest
    for ds in study.datasets.values():
        if "STUDYID" not in ds.frame.columns:
            continue
        yield findings.rows(ds.name, ds.frame,
                            _flag(ds, "STUDYID", lambda t: t != studyid), "CF.STUDYID",
                            "STUDYID", message=f"STUDYID should be {studyid}")


def _after(start: pd.Series, end: pd.Series) -> np.ndarray:
    """start > end, compared at the precision both have (2019-12 vs 2019-12-05 is not after)."""
    a, b = _text(start), _text(end)
    ok = a.str.fullmatch(_PLAIN_ISO).fillna(False) & b.str.fullmatch(_PLAIN_ISO).fillna(False)
    la, lb = a.str.len(), b.str.len()
    common = np.minimum(la, lb).where(ok, 0)
    out = np.zeros(len(a), dtype=bool)
    for n in pd.unique(common[common > 0]):
        m = (common == n).to_numpy()
        out[m] = (a[m].str.slice(0, int(n)) > b[m].str.slice(0, int(n))).to_numpy(dtype=bool)
    return out


@rule("CF.START_END")
def start_not_after_end(study: Study) -> Found:
    for ds in study.sdtm:
        if ds.domain is None or ds.is_supp:
            continue
        d = ds.domain
        pairs = [(f"{d}STDTC", f"{d}ENDTC")]
        if d == "DM":
            pairs = [("RFSTDTC", "RFENDTC"), ("RFXSTDTC", "RFXENDTC")]
        for start, end in pairs:
            if {start, end} <= set(ds.frame.columns):
                bad = _where(_after(ds.frame[start], ds.frame[end]))
                ends = ds.frame[end].iloc[bad].astype("str").to_numpy()
                yield findings.rows(ds.name, ds.frame, bad, "CF.START_END", start,
                                    message=pd.Series([f"{start} is after {end} ({e})"
                                                       for e in ends], dtype="str"))


@rule("CF.DY_CALC")
def study_day(study: Study) -> Found:
    dm = study.get("DM")
    # no subject in DM: no reference date to check a study day against
    if dm is None or not {"USUBJID", "RFSTDTC"} <= set(dm.frame.columns) or dm.frame.empty:
        return
    ref_by_subject = _subject_map(dm, "RFSTDTC")
    for ds in study.sdtm:
        if ds.domain is None or ds.is_supp or ds.name == "DM" \
                or "USUBJID" not in ds.frame.columns:
            continue
        frame = ds.frame
        ref = None
        for dy in [c for c in frame.columns if c.endswith("DY") and c != "VISITDY"]:
            dtc = dy[:-2] + "DTC"
            if dtc not in frame.columns or not is_num(frame[dy]):
                continue
            if ref is None:
                ref_dates = _dates(ref_by_subject)
                ref = pd.Series(per_value(
                    frame["USUBJID"],
                    lambda u, r=ref_dates: u.map(r).to_numpy(dtype="datetime64[ns]"),
                    np.datetime64("NaT"), ds.factorized("USUBJID")).astype("datetime64[ns]"),
                    index=frame.index)
            when = _dates(frame[dtc], ds.factorized(dtc))
            days = (when - ref).dt.days
            expected = days.where(days < 0, days + 1)
            actual = frame[dy]
            differs = expected.notna() & (actual.isna() | (actual != expected))
            bad = _where(differs)
            exp_text = expected.iloc[bad].astype("int64").astype("str").to_numpy()
            yield findings.rows(ds.name, frame, bad, "CF.DY_CALC", dy, message=pd.Series(
                [f"{dy} should be {e} from {dtc} and DM.RFSTDTC" for e in exp_text],
                dtype="str"))


@rule("CF.EPOCH_VAR", "CF.EPOCH_NULL")
def epoch(study: Study) -> Found:
    dm = study.get("DM")
    consent = None
    if dm is not None and {"USUBJID", "RFICDTC"} <= set(dm.frame.columns):
        consent = _subject_map(dm, "RFICDTC")
    for ds in study.sdtm:
        if ds.is_supp or ds.domain is None or "EPOCH" not in _ig_names(ds):
            continue
        frame = ds.frame
        if "EPOCH" not in frame.columns:
            yield findings.one(ds.name, "CF.EPOCH_VAR", "EPOCH")
            continue
        d = ds.domain
        date_col = next((c for c in (f"{d}STDTC", f"{d}DTC") if c in frame.columns), None)
        if date_col is None:
            continue
        candidates = _where(is_null(frame["EPOCH"]) & ~is_null(frame[date_col]))
        if consent is not None and "USUBJID" in frame.columns and len(candidates):
            # records from before study participation (prior medications) have no epoch
            start = frame["USUBJID"].iloc[candidates].map(consent).fillna("")
            before = _after(start, frame[date_col].iloc[candidates])
            candidates = candidates[~before]
        yield findings.rows(ds.name, frame, candidates, "CF.EPOCH_NULL", "EPOCH",
                            values=frame[date_col].iloc[candidates],
                            message=f"EPOCH is null though {date_col} is given")


@rule("CF.RFSTDTC_EX", "CF.RFXSTDTC_EX")
def reference_start_is_first_dose(study: Study) -> Found:
    dm, ex = study.get("DM"), study.get("EX")
    if dm is None or ex is None or not {"USUBJID", "EXSTDTC"} <= set(ex.frame.columns) \
            or "USUBJID" not in dm.frame.columns:  # a DM without it is CF.REQ_VAR's finding
        return
    starts = pd.DataFrame({"s": _text(ex.frame["USUBJID"]), "d": _text(ex.frame["EXSTDTC"])})
    first = starts[starts["d"] != ""].groupby("s")["d"].min()
    subj = _text(dm.frame["USUBJID"])
    for var, rule_id in (("RFSTDTC", "CF.RFSTDTC_EX"), ("RFXSTDTC", "CF.RFXSTDTC_EX")):
        if var not in dm.frame.columns:
            continue
        want = subj.map(first)
        have = _text(dm.frame[var])
        bad = _where(want.notna() & (have != want.fillna("")))
        yield findings.rows("DM", dm.frame, bad, rule_id, var, message=pd.Series(
            [f"first EXSTDTC is {w}" for w in want.iloc[bad]], dtype="str"))


def _not_one_to_one(ds: Dataset, a: str, b: str) -> np.ndarray:
    x, y = _column_text(ds, a), _column_text(ds, b)
    both = (x != "") & (y != "")
    pairs = pd.DataFrame({"a": x[both], "b": y[both]}).drop_duplicates()
    many_b = pairs.groupby("a")["b"].nunique()
    many_a = pairs.groupby("b")["a"].nunique()
    bad = both & (x.isin(many_b[many_b > 1].index) | y.isin(many_a[many_a > 1].index))
    return _where(bad)


@rule("CF.ARM_PAIR")
def arm_pairs(study: Study) -> Found:
    dm = study.get("DM")
    if dm is None:
        return
    for code, desc in (("ARMCD", "ARM"), ("ACTARMCD", "ACTARM")):
        if {code, desc} <= set(dm.frame.columns):
            yield findings.rows("DM", dm.frame, _not_one_to_one(dm, code, desc),
                                "CF.ARM_PAIR", code, message=f"{code} and {desc} are not "
                                "one-to-one across subjects")


# Variables that, with the test code, define "the same assessment" for a baseline flag
_ASSESSMENT = ("TESTCD", "TSTDTL", "CAT", "SCAT", "METHOD", "SPEC", "LOC", "LAT", "DIR", "POS",
               "OBJ")


@rule("CF.BASELINE_ONCE")
def baseline_once(study: Study) -> Found:
    for ds in study.sdtm:
        if ds.domain is None or ds.is_supp or "USUBJID" not in ds.frame.columns:
            continue
        d, frame = ds.domain, ds.frame
        by = ["USUBJID"] + [f"{d}{s}" for s in _ASSESSMENT if f"{d}{s}" in frame.columns]
        if len(by) == 1:
            continue
        for flag in (f"{d}BLFL", f"{d}LOBXFL"):
            if flag not in frame.columns:
                continue
            flagged = _column_text(ds, flag) == "Y"
            dup = frame.loc[flagged, by].duplicated(keep=False)
            bad = _where(flagged)[dup.to_numpy()]
            yield findings.rows(ds.name, frame, bad, "CF.BASELINE_ONCE", flag,
                                message=f"{flag}=Y more than once for the subject and "
                                        f"{'/'.join(by[1:])}")


@rule("CF.SUPP_PARENT")
def supp_parent(study: Study) -> Found:
    for ds in study.sdtm:
        if not ds.is_supp or not {"RDOMAIN", "USUBJID"} <= set(ds.frame.columns):
            continue
        frame = ds.frame
        blank = pd.Series("", index=frame.index, dtype="str")
        rdomain = _column_text(ds, "RDOMAIN")
        idvar = _column_text(ds, "IDVAR") if "IDVAR" in frame.columns else blank
        idval = _column_text(ds, "IDVARVAL") if "IDVARVAL" in frame.columns else blank
        subj = _column_text(ds, "USUBJID")
        # the parent is the dataset SUPPxx is named after; a split dataset (SUPPLBCH -> LBCH)
        # carries the domain abbreviation (LB) in RDOMAIN
        parent = study.get(ds.name[4:])
        parent_domain = ds.name[4:] if parent is None or parent.domain is None \
            else parent.domain
        ok = np.zeros(len(frame), dtype=bool)
        reason = pd.Series(f"RDOMAIN must be {parent_domain}", index=frame.index, dtype=object)
        here = rdomain == parent_domain
        if parent is None or "USUBJID" not in parent.frame.columns:
            reason[here] = f"parent dataset {ds.name[4:]} is not present"
        else:
            psubj = _column_text(parent, "USUBJID")
            subject_level = here & (idvar == "")
            ok[subject_level.to_numpy()] = _isin(subj[subject_level], psubj)
            reason[subject_level] = f"USUBJID is not in {parent.name}"
            for var in pd.unique(idvar[here & (idvar != "")]):
                rows_ = here & (idvar == var)
                if var not in parent.frame.columns:
                    reason[rows_] = f"IDVAR {var} is not a variable of {parent.name}"
                    continue
                keys = psubj + "\x00" + _column_text(parent, var)
                ok[rows_.to_numpy()] = _isin(subj[rows_] + "\x00" + idval[rows_], keys)
                reason[rows_] = f"no {parent.name} record with this USUBJID and {var}"
        bad = _where(~ok)
        yield findings.rows(ds.name, frame, bad, "CF.SUPP_PARENT", "IDVARVAL",
                            values=(rdomain + "." + idvar + "=" + idval).iloc[bad],
                            message=reason.iloc[bad].astype("str"))


@rule("CF.VAR_ORDER")
def variable_order(study: Study) -> Found:
    for ds in study.sdtm:
        order = {n: i for i, n in enumerate(_ig_names(ds))}
        present = [c for c in ds.frame.columns if c in order]
        for before, col in zip(present, present[1:], strict=False):
            if order[col] < order[before]:
                yield findings.one(ds.name, "CF.VAR_ORDER", col, message=(
                    f"{col} comes after {before}; the IG puts it before"))
                break


def _ig_label(ds: Dataset, col: str) -> str | None:
    return {v.name: v.label for v in ds.standard_variables()}.get(col)


@rule("CF.LABEL")
def labels(study: Study) -> Found:
    for ds in study.datasets.values():
        if not ds.labels:
            continue
        if ds.is_adam:
            # a placeholder family's label has the placeholder in it ("Period xx"): skipped
            ig = {c: v.label for c, v in adam_meta(ds)[2].items() if v.pattern is None}
        else:
            ig = {c: _ig_label(ds, c) for c in ds.frame.columns}
        for col in ds.frame.columns:
            want, have = ig.get(col), ds.labels.get(col)
            if want and have is not None and have != want:
                yield findings.one(ds.name, "CF.LABEL", col, have,
                                   message=f"label should be '{want}'")


def _longest_bytes(s: pd.Series) -> int:
    """Bytes of the longest value without trailing blanks (what XPT stores), via pyarrow."""
    if not len(s):
        return 0
    data = arrow(s)
    lengths = pc.binary_length(data)
    # trimming copies every value: only done when some value does end with a blank
    if pc.any(pc.ends_with(data, " ")).as_py():
        lengths = pc.binary_length(pc.utf8_rtrim(data, characters=" "))
    return int(pc.max(lengths).as_py() or 0)


@rule("CF.LENGTH")
def lengths(study: Study) -> Found:
    for ds in study.datasets.values():
        if not ds.lengths:
            continue
        for col in ds.frame.columns:
            s = ds.frame[col]
            stored = ds.lengths.get(col)
            if stored is None or not is_char(s):
                continue
            longest = _longest_bytes(s)
            if stored > max(longest, 1):
                yield findings.one(ds.name, "CF.LENGTH", col, stored, message=(
                    f"length {stored} but the longest value has {longest} byte(s)"))


# --------------------------------------------------------------------------- ADaM rules


@rule("CF.ADSL_ONE")
def adsl_one_per_subject(study: Study) -> Found:
    adsl = study.get("ADSL")
    if adsl is None or "USUBJID" not in adsl.frame.columns:
        return
    subj = _text(adsl.frame["USUBJID"])
    yield findings.rows("ADSL", adsl.frame, _where(subj.duplicated(keep=False) & (subj != "")),
                        "CF.ADSL_ONE", "USUBJID")


@rule("CF.ADSL_SUBJ")
def adam_subjects_in_adsl(study: Study) -> Found:
    yield from _subjects_known_to(study, "ADSL", study.adam, "CF.ADSL_SUBJ")


@rule("CF.TRTEMFL")
def trtemfl(study: Study) -> Found:
    for ds in study.adam:
        if "TRTEMFL" in ds.frame.columns:
            yield findings.rows(ds.name, ds.frame, _flag(ds, "TRTEMFL", lambda t: t != "Y"),
                                "CF.TRTEMFL",
                                "TRTEMFL")


@rule("CF.PARAM_1TO1")
def param_one_to_one(study: Study) -> Found:
    for ds in study.adam:
        if {"PARAMCD", "PARAM"} <= set(ds.frame.columns):
            yield findings.rows(ds.name, ds.frame, _not_one_to_one(ds, "PARAMCD", "PARAM"),
                                "CF.PARAM_1TO1", "PARAMCD")


@rule("CF.AVAL_PARAM")
def aval_per_parameter(study: Study) -> Found:
    for ds in study.adam:
        frame = ds.frame
        if "PARAMCD" not in frame.columns:
            continue
        has = pd.Series(False, index=frame.index)
        for col in ("AVAL", "AVALC"):
            if col in frame.columns:
                has |= ~is_null(frame[col])
        code = _column_text(ds, "PARAMCD")
        lacking = code[~_isin(code, code[has])]
        first = lacking.drop_duplicates()
        yield findings.rows(ds.name, frame, _where(frame.index.isin(first.index)),
                            "CF.AVAL_PARAM", "PARAMCD")


_SAS_DATE_FORMATS = re.compile(
    r"(DATE|YYMMDD[BCDNPS]?|MMDDYY[BCDNPS]?|DDMMYY[BCDNPS]?|E8601DA|B8601DA|IS8601DA|"
    r"WORDDATE|WORDDATX|WEEKDATE|WEEKDATX|MONYY|YYMON|JULIAN|YYMM[BCDNPS]?|MMYY[BCDNPS]?|"
    r"NLDATE|DAY|YEAR|MONTH|QTR|YYQ[BCDNPS]?)\d*\.\d*")
# a SAS date is whole days since 1960-01-01; outside 1800-2200 it is not a study date
_MIN_SAS_DAY, _MAX_SAS_DAY = -58440, 87658


@rule("CF.ADAM_DATE", "CF.ADAM_DATE_FMT")
def adam_dates(study: Study) -> Found:
    for ds in study.adam:
        for col in ds.frame.columns:
            if not col.endswith("DT"):
                continue
            s = ds.frame[col]
            if not is_num(s):
                yield findings.one(ds.name, "CF.ADAM_DATE", col, str(s.dtype),
                                   message=f"{col} is not numeric")
                continue
            bad = s.notna() & ((s != np.floor(s)) | (s < _MIN_SAS_DAY) | (s > _MAX_SAS_DAY))
            yield findings.rows(ds.name, ds.frame, _where(bad), "CF.ADAM_DATE", col)
            if ds.formats:
                fmt = ds.formats.get(col) or ""
                if not _SAS_DATE_FORMATS.fullmatch(fmt):
                    yield findings.one(ds.name, "CF.ADAM_DATE_FMT", col, fmt)


def run_rules(study: Study) -> list[pd.DataFrame]:
    return [part for _ids, fn in RULE_FUNCTIONS for part in fn(study)]
