"""Guessing, from raw forms alone, which SDTM domain each form holds and which field makes each
variable. Every guess carries a note for the reviewer; a form or field that fits nothing is
listed, never dropped silently.

A form is placed in the domain whose own variables its field names spell most often (AETERM,
CMTRT, EXDOSE; ``IT.`` item prefixes and the domain prefix left out, so ``STDAT`` in an AE form
is AESTDAT), helped by the file name (``ae_raw``, ``adverse_events``). The subject form (DM)
is the one with one record per subject and a sex. A field becomes:

- a date variable when all its values read by one date format (AESTDAT -> AESTDTC, with
  AESTTIM as its time), the format found from the values;
- a coded variable (``ct:``) when every value is a term or synonym of the variable's codelist;
- the variable itself (``field:``) when the names agree and, for a number, every value is one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cdiscflow.studyinit.forms import (
    Form,
    codelist_for,
    date_format,
    looks_like_date_column,
    looks_like_time_column,
    numeric,
)

SUBJECT_NAMES = ("SUBJID", "PATNUM", "SUBJECT", "SUBJ", "PATID", "PATIENT", "PTNO", "SUBJNO",
                 "USUBJID")
SITE_NAMES = ("SITEID", "SITE", "SITENO", "CENTRE", "CENTER")
# domains a form may be placed in (events and interventions: one record per raw record)
DOMAINS = ("AE", "CM", "EX", "EC", "DS", "CE", "MH", "PR", "DV", "HO")
# words of file names that say the domain
NAME_HINTS = {"adverse": "AE", "ae": "AE", "conmed": "CM", "medication": "CM", "cm": "CM",
              "exposure": "EX", "dosing": "EX", "ex": "EX", "ec": "EC", "disposition": "DS",
              "ds": "DS", "end_of_study": "DS", "eos": "DS", "ce": "CE", "mh": "MH",
              "history": "MH", "demographics": "DM", "demog": "DM", "dm": "DM"}
# variables every domain gets from the engine's conventions, not from a field
_SET_HERE = {"STUDYID", "DOMAIN", "USUBJID"}
_TOPIC = {"AE": "AETERM", "CM": "CMTRT", "EX": "EXTRT", "EC": "ECTRT", "DS": "DSTERM",
          "CE": "CETERM", "MH": "MHTERM", "PR": "PRTRT", "DV": "DVTERM", "HO": "HOTERM"}
_DM_DATES = {"IC": "RFICDTC", "BRTH": "BRTHDTC", "DTH": "DTHDTC", "BIRTH": "BRTHDTC"}


@dataclass
class Guess:
    """One variable as guessed: its spec (a mapping file's variable entry) and why."""

    name: str
    spec: dict[str, Any]
    note: str


@dataclass
class DomainGuess:
    domain: str
    form: Form
    variables: list[Guess] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)  # raw fields no variable took
    steps: list[dict[str, Any]] = field(default_factory=list)
    why: str = ""


def _hint(form: Form) -> str | None:
    words = set(re.split(r"[^a-z]+", form.name)) | {form.name}
    for word, domain in NAME_HINTS.items():
        if word in words or (len(word) > 3 and word in form.name):
            return domain
    return None


def _variables(domain: str) -> dict[str, Any]:
    from cdiscflow.standards import sdtm_variables

    return {v.name: v for v in sdtm_variables(domain)}


def _target(norm: str, domain: str, names: dict[str, Any]) -> str | None:
    """The variable a field's normalised name spells in a domain (with or without prefix)."""
    for candidate in (norm, domain + norm):
        if candidate in names and candidate not in _SET_HERE:
            return candidate
    return None


def _date_target(norm: str, domain: str, names: dict[str, Any]) -> str | None:
    stem = re.sub(r"(DAT|DT|DATE|DTC)$", "", norm)
    if domain == "DM" and stem in _DM_DATES:
        return _DM_DATES[stem]
    for candidate in (stem + "DTC", domain + stem + "DTC", domain + stem.removeprefix(domain)
                      + "DTC"):
        if candidate in names:
            return candidate
    return None


def score(form: Form, domain: str) -> int:
    names = _variables(domain)
    own = {n for n in names if n.startswith(domain)}
    hits = {_target(c, domain, names) for c in form.columns}
    hits |= {_date_target(c, domain, names) for c in form.columns if looks_like_date_column(c)}
    return len((hits - {None}) & own) + (2 if _hint(form) == domain else 0)


def subject_column(forms: list[Form]) -> str | None:
    """The normalised name of the subject identifier most forms carry."""
    counts = {n: sum(n in f.columns for f in forms) for n in SUBJECT_NAMES}
    best = max(counts, key=lambda n: (counts[n], -SUBJECT_NAMES.index(n)))
    return best if counts[best] else None


def site_column(form: Form) -> str | None:
    """The raw name of a form's site field."""
    return next((form.columns[n] for n in SITE_NAMES if n in form.columns), None)


def subject_keys(form: Form, subject: str) -> list[str]:
    """The raw fields naming one subject: the subject field, with the site when sites number
    their own patients (the subject field alone repeats)."""
    raw = form.columns[subject]
    site = site_column(form)
    if site and form.frame[raw].duplicated().any():
        return [site, raw]
    return [raw]


def place_forms(forms: list[Form], subject: str) -> tuple[Form | None, dict[str, Form],
                                                          list[tuple[str, str]]]:
    """The DM form, the form of each other domain, and the forms placed nowhere (with why)."""
    with_subject = [f for f in forms if subject in f.columns]
    dm_candidates = [f for f in with_subject
                     if ("SEX" in f.columns or "GENDER" in f.columns)
                     and not f.frame[subject_keys(f, subject)].duplicated().any()]
    dm = max(dm_candidates, key=lambda f: (score(f, "DM"), f.name), default=None)
    placed: dict[str, Form] = {}
    left: list[tuple[str, str]] = []
    ranked = sorted(((score(f, d), f.name, d, f) for f in with_subject if f is not dm
                     for d in DOMAINS), key=lambda t: (-t[0], t[1], t[2]))
    taken: set[str] = set()
    for points, _, domain, form in ranked:
        if points < 2 or domain in placed or form.name in taken:
            continue
        placed[domain] = form
        taken.add(form.name)
    for form in forms:
        if form is dm or form.name in taken:
            continue
        why = ("no subject identifier field" if form not in with_subject
               else "its fields name no domain's variables often enough")
        left.append((form.file, why))
    return dm, placed, left


def guess_domain(domain: str, form: Form, subject_raw: str, studyid: str) -> DomainGuess:
    """The variables of one domain from one form."""
    names = _variables(domain)
    guess = DomainGuess(domain, form)
    used: set[str] = set()
    taken_fields: set[str] = {subject_raw} if domain != "DM" else set()
    guess.variables.append(Guess("STUDYID", {"constant": studyid}, ""))
    guess.variables.append(Guess("DOMAIN", {"constant": domain}, ""))
    times = {c: raw for c, raw in form.columns.items()
             if looks_like_time_column(c, form.values(raw))}
    for norm, raw in form.columns.items():
        if raw in taken_fields or norm in times:
            continue
        values = form.values(raw)
        made = _date_guess(norm, raw, values, domain, names, form, times)
        if made is None:
            made = _field_guess(norm, raw, values, domain, names)
        if made is None or made.name in used:
            guess.unplaced.append(raw)
            continue
        used.add(made.name)
        taken_fields.add(raw)
        if "date" in made.spec and "time" in made.spec["date"]:
            taken_fields.add(made.spec["date"]["time"])
        guess.variables.append(made)
    for raw in times.values():
        if raw not in taken_fields:
            guess.unplaced.append(raw)
    return guess


def _date_guess(norm: str, raw: str, values: list[str], domain: str, names: dict[str, Any],
                form: Form, times: dict[str, str]) -> Guess | None:
    if not looks_like_date_column(norm):
        return None
    target = _date_target(norm, domain, names)
    fmt, ambiguous = date_format(values)
    if target is None or fmt is None:
        return None
    spec: dict[str, Any] = {"date": raw}
    stem = re.sub(r"(DAT|DT|DATE|DTC)$", "", norm)
    time = next((t for c, t in times.items() if re.sub(r"(TIM|TM|TIME)$", "", c) == stem), None)
    if time:
        spec["time"] = time
    if fmt != "YYYY-MM-DD":
        spec["format"] = fmt
    note = f"{raw}{' and ' + time if time else ''}: dates read as {fmt}"
    if ambiguous:
        note += " (the values read as DD/MM/YYYY and MM/DD/YYYY too: check which)"
    return Guess(target, {"date": spec}, note)


def _field_guess(norm: str, raw: str, values: list[str], domain: str, names: dict[str, Any]
                 ) -> Guess | None:
    target = _target(norm, domain, names)
    if target is None and norm == "GENDER" and domain == "DM":
        target = "SEX"
    if target is None or target.endswith("DTC") or target.endswith("SEQ"):
        return None
    meta = names[target]
    if meta.type == "Num":
        if not numeric(values):
            return None
        return Guess(target, {"field": raw}, f"{raw}: numbers as collected")
    if meta.codelists:
        codelist = codelist_for(values, meta.codelists)
        if codelist:
            return Guess(target, {"ct": {"field": raw, "codelist": codelist}},
                         f"{raw}: every value is a term or synonym of codelist {codelist}")
        return Guess(target, {"field": raw}, f"{raw}: as collected; not every value is a CT "
                     f"term of {', '.join(meta.codelists)}: add ct: or map:")
    return Guess(target, {"field": raw}, f"{raw}: as collected")
