"""``cdiscflow init RAW_DIR [STUDY_DIR]``: a first study file and mapping files guessed from
the raw forms, every guess marked ``# REVIEW`` for the data programmer, checked as ``cdiscflow
run`` checks a spec before it is written."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdiscflow.atomic import write_text_atomic
from cdiscflow.errors import CdiscflowError
from cdiscflow.specxlsx.yamlout import render
from cdiscflow.studyinit.forms import Form, read_forms
from cdiscflow.studyinit.guess import (
    SITE_NAMES,
    DomainGuess,
    Guess,
    guess_domain,
    place_forms,
    site_column,
    subject_column,
    subject_keys,
)

REVIEW = "# REVIEW:"
_DM_ALIASES = {"PLANNED_ARMCD": "ARMCD", "PLANNED_ARM": "ARM", "ACTUAL_ARMCD": "ACTARMCD",
               "ACTUAL_ARM": "ACTARM", "ARMCD": "ARMCD", "ARM": "ARM"}


@dataclass
class InitResult:
    study_dir: Path
    studyid: str
    domains: dict[str, str]  # domain -> raw file
    forms_left: list[tuple[str, str]]  # raw file, why it was not placed
    reviews: int  # lines marked for review
    files: list[Path] = field(default_factory=list)


def _studyid(forms: list[Form], raw_dir: Path) -> tuple[str, str]:
    values = {v for f in forms for n in ("STUDYID", "STUDY") if n in f.columns
              for v in f.values(f.columns[n])}
    if len(values) == 1:
        return values.pop(), "the STUDY field of the raw forms"
    folder = raw_dir.resolve()
    name = folder.parent.name if folder.name.lower() == "raw" else folder.name
    return re.sub(r"[^A-Z0-9_-]", "-", name.upper()) or "STUDY", "the raw folder's name"


def _dm(guess: DomainGuess, subject_raw: str, has_ex: bool) -> None:
    """DM's own conventions: subject and site, USUBJID, age, arms, reference dates."""
    form = guess.form
    by_name = {g.name: g for g in guess.variables}
    for norm, target in _DM_ALIASES.items():
        if norm in form.columns and target not in by_name and norm != target:
            raw = form.columns[norm]
            by_name[target] = Guess(target, {"field": raw}, f"{raw}: as collected")
            guess.unplaced = [u for u in guess.unplaced if u != raw]
    by_name["SUBJID"] = Guess("SUBJID", {"field": subject_raw, "required": True},
                              f"{subject_raw}: the subject identifier of every form")
    guess.unplaced = [u for u in guess.unplaced if u != subject_raw]
    site = next((form.columns[n] for n in SITE_NAMES if n in form.columns), None)
    if site:
        by_name["SITEID"] = Guess("SITEID", {"field": site}, f"{site}: the site")
        guess.unplaced = [u for u in guess.unplaced if u != site]
    by_name["USUBJID"] = Guess("USUBJID", {"derive": {
        "function": "usubjid", "parts": ["STUDYID", *(["SITEID"] if site else []), "SUBJID"]}},
        "study, site and subject joined by '-': the sponsor's convention may differ")
    if "AGE" not in by_name and {"BRTHDTC", "RFICDTC"} <= set(by_name):
        by_name["AGE"] = Guess("AGE", {"derive": {"function": "age", "birth": "BRTHDTC",
                                                  "ref": "RFICDTC"}},
                               "completed years at informed consent")
    if "AGE" in by_name:
        by_name["AGEU"] = Guess("AGEU", {"constant": "YEARS"}, "")
    if has_ex:
        for name, source, mode in (("RFSTDTC", "EX.EXSTDTC", "first"),
                                   ("RFXSTDTC", "EX.EXSTDTC", "first"),
                                   ("RFXENDTC", "EX.EXSTDTC", "last")):
            by_name[name] = Guess(name, {"derive": {"function": "extreme_date",
                                                    "sources": [source], "mode": mode}},
                                  f"the {mode} exposure date")
    guess.variables = list(by_name.values())


def _finish(guess: DomainGuess, on: dict[str, str], dm_dates: bool) -> None:
    """What every domain but DM needs: USUBJID from DM, --SEQ, study days, required ones."""
    from cdiscflow.standards import sdtm_variables

    domain = guess.domain
    names = {g.name for g in guess.variables}
    if domain != "DM":
        guess.steps.append({"join": {"domain": "DM", "on": on,
                                     "columns": ["USUBJID"], "required": True}})
        guess.variables.insert(2, Guess("USUBJID", {"field": "USUBJID"}, ""))
        start = next((n for n in (f"{domain}STDTC", f"{domain}DTC") if n in names), None)
        spid = f"{domain}SPID" if f"{domain}SPID" in names else None
        # without a date or sponsor id, file order (the subject field ties every record);
        # USUBJID itself is seq's grouping, never its order
        order = [c for c in (start, spid) if c] or [next(iter(on))]
        guess.variables.append(Guess(f"{domain}SEQ", {"derive": {"function": "seq",
                                                                 "order": order}},
                                     f"numbered by {', '.join(order)}"))
        if start and dm_dates:
            guess.variables.append(Guess(f"{domain}STDY", {"derive": {
                "function": "study_day", "dtc": start, "ref": "DM.RFSTDTC"}}, ""))
    names = {g.name for g in guess.variables}
    for meta in sdtm_variables(domain):
        if meta.core == "Req" and meta.name not in names:
            guess.variables.append(Guess(meta.name, {"constant": None},
                                         "required, and no field was found for it: fill in"))


def _mapping(guess: DomainGuess) -> tuple[dict[str, Any], list[tuple[tuple, str]]]:
    data: dict[str, Any] = {"domain": guess.domain, "source": guess.form.name}
    if guess.steps:
        data["steps"] = guess.steps
    data["variables"] = {g.name: g.spec for g in guess.variables}
    comments = [(("domain",), f"# {guess.domain} guessed by `cdiscflow init` from "
                 f"{guess.form.file}: review every line marked REVIEW")]
    if guess.unplaced:
        comments.append((("variables",), f"{REVIEW} fields of {guess.form.file} not mapped: "
                         f"{', '.join(guess.unplaced)}"))
    comments += [(("variables", g.name), f"{REVIEW} {g.note}") for g in guess.variables
                 if g.note]
    return data, comments


def init_study(raw_dir: Path, study_dir: Path, force: bool = False) -> InitResult:
    """Guess and write the study; raises CdiscflowError when nothing can be placed or the
    guessed spec does not pass the spec check (a bug here: nothing is written then)."""
    raw_dir, study_dir = Path(raw_dir), Path(study_dir)
    if not raw_dir.is_dir():
        raise CdiscflowError(f"{raw_dir}: not a folder")
    if (study_dir / "study.yaml").exists() and not force:
        raise CdiscflowError(f"{study_dir / 'study.yaml'} exists; --force replaces it")
    forms, skipped = read_forms(raw_dir)
    subject = subject_column(forms)
    if subject is None:
        raise CdiscflowError(f"{raw_dir}: no form has a subject identifier field "
                             f"(SUBJID, PATNUM, ...)")
    dm_form, placed, left = place_forms(forms, subject)
    if dm_form is None:
        raise CdiscflowError(f"{raw_dir}: no form with one record per subject and a sex "
                             f"field for DM")
    studyid, studyid_from = _studyid(forms, raw_dir)
    dm = guess_domain("DM", dm_form, dm_form.columns[subject], studyid)
    domain_guesses = {d: guess_domain(d, f, f.columns[subject], studyid)
                      for d, f in placed.items()}
    has_ex = "EXSTDTC" in {g.name for g in domain_guesses.get("EX", DomainGuess("EX", dm_form))
                           .variables}
    _dm(dm, dm_form.columns[subject], has_ex)
    _finish(dm, {}, has_ex)
    site = len(subject_keys(dm_form, subject)) > 1
    for g in domain_guesses.values():
        # DM's SUBJID (and SITEID) variables hold the subject (and site) fields
        on = {g.form.columns[subject]: "SUBJID"}
        if site:
            form_site = site_column(g.form)
            if form_site is None:
                raise CdiscflowError(f"{g.form.file}: sites number their own patients, and "
                                     f"this form has no site field")
            on = {form_site: "SITEID", **on}
        _finish(g, on, has_ex)
    guesses = {"DM": dm, **domain_guesses}
    texts: dict[str, str] = {}
    reviews = 0
    for domain, g in guesses.items():
        data, comments = _mapping(g)
        texts[f"{domain.lower()}.yaml"] = render(data, comments)[0]
        reviews += sum(c.startswith(REVIEW) for _, c in comments)
    study_text = _study_file(studyid, studyid_from, raw_dir, study_dir, guesses, forms,
                             left + skipped)
    texts = {"study.yaml": study_text, **texts}
    _check(texts, raw_dir)
    result = InitResult(study_dir, studyid, {d: g.form.file for d, g in guesses.items()},
                        left + skipped, reviews + study_text.count(REVIEW))
    for name, text in texts.items():
        write_text_atomic(study_dir / name, text)
        result.files.append(study_dir / name)
    return result


def _study_file(studyid: str, studyid_from: str, raw_dir: Path, study_dir: Path,
                guesses: dict[str, DomainGuess], forms: list[Form],
                left: list[tuple[str, str]]) -> str:
    used = {g.form.name for g in guesses.values()}
    form_specs = {}
    for f in forms:
        if f.name in used:
            form_specs[f.name] = {"file": f.file, **({"encoding": f.encoding} if f.encoding
                                                     else {})}
    rel = os.path.relpath(raw_dir.resolve(), study_dir.resolve())
    data = {"study": {"studyid": studyid},
            "raw": {"dir": Path(rel).as_posix(), "forms": form_specs},
            "domains": [d.lower() for d in guesses]}
    comments: list[tuple[tuple, str]] = [
        (("study",), "# Study file guessed by `cdiscflow init`: review every line marked "
                     "REVIEW, then `cdiscflow run`"),
        (("study", "studyid"), f"{REVIEW} the study identifier, from {studyid_from}"),
        (("raw", "forms"), f"{REVIEW} forms used by a mapping file; `keys:` (the fields "
                           f"that identify a record) are not guessed"),
    ]
    comments += [(("domains",), f"{REVIEW} {file} not placed: {why}") for file, why in left]
    return render(data, comments)[0]


def _check(texts: dict[str, str], raw_dir: Path) -> None:
    """The spec check of `cdiscflow run`, on the files before they are written."""
    from cdiscflow.sdtm.engine import Engine
    from cdiscflow.specload import load_study

    with tempfile.TemporaryDirectory() as scratch:
        for name, text in texts.items():
            (Path(scratch) / name).write_text(text, encoding="utf-8")
        try:
            Engine(load_study(Path(scratch)), raw_dir).check()
        except CdiscflowError as exc:
            raise CdiscflowError(f"the guessed spec does not pass the spec check ({exc}); "
                                 f"please report this with the raw folder's headers") from None
