"""CDISC Controlled Terminology: codelists and the lookup of collected values."""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

_SDTM_CT = ("ct-2025-03", "SDTM_Terminology_2025-03-25.txt.gz")


@dataclass(frozen=True)
class Term:
    code: str
    submission_value: str
    synonyms: tuple[str, ...]
    preferred_term: str


@dataclass(frozen=True)
class Codelist:
    code: str
    name: str
    submission_value: str  # the codelist's short name, e.g. SEX, UNIT, LBTESTCD
    extensible: bool
    terms: tuple[Term, ...] = field(repr=False)

    @property
    def submission_values(self) -> frozenset[str]:
        return frozenset(t.submission_value for t in self.terms)

    def lookup(self, value: str) -> str | None:
        """The submission value a collected value stands for, or None.

        Matches the submission value exactly first, then submission values, CDISC synonyms and
        NCI preferred terms, the places a collected value is usually found: ignoring case, except
        in a codelist where case tells terms apart (UNIT: "Pa" and "PA", and "G/L" is not "g/L").
        """
        if value in self.submission_values:
            return value
        return self._index().get(self._key(value.strip()))

    @property
    def case_sensitive(self) -> bool:
        folded = {t.submission_value.casefold() for t in self.terms}
        return len(folded) < len(self.submission_values)

    def _key(self, text: str) -> str:
        return text if self.case_sensitive else text.casefold()

    @cache  # noqa: B019 - codelists are few and live for the process
    def _index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        # submission values win over synonyms when a text is both (e.g. "U" in several lists)
        for term in self.terms:
            for text in (*term.synonyms, term.preferred_term):
                index.setdefault(self._key(text), term.submission_value)
        for term in self.terms:
            index[self._key(term.submission_value)] = term.submission_value
        return index


def _split_synonyms(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in text.split(";") if s.strip())


@cache
def _sdtm_codelists() -> dict[str, Codelist]:
    raw = resources.files("cdiscflow.standards").joinpath("data", *_SDTM_CT).read_bytes()
    text = gzip.decompress(raw).decode("utf-8")
    heads: dict[str, dict[str, str]] = {}
    terms: dict[str, list[Term]] = {}
    for row in csv.DictReader(io.StringIO(text), delimiter="\t"):
        parent = row["Codelist Code"]
        if not parent:
            heads[row["Code"]] = row
            continue
        terms.setdefault(parent, []).append(
            Term(
                code=row["Code"],
                submission_value=row["CDISC Submission Value"],
                synonyms=_split_synonyms(row["CDISC Synonym(s)"]),
                preferred_term=row["NCI Preferred Term"],
            )
        )
    return {
        code: Codelist(
            code=code,
            name=head["Codelist Name"],
            submission_value=head["CDISC Submission Value"],
            extensible=head["Codelist Extensible (Yes/No)"] == "Yes",
            terms=tuple(terms.get(code, ())),
        )
        for code, head in heads.items()
    }


@cache
def _by_short_name() -> dict[str, Codelist]:
    return {cl.submission_value: cl for cl in _sdtm_codelists().values()}


def codelist(code: str) -> Codelist:
    """A codelist by its NCI code (C66731) or short name (SEX). KeyError if CT has no such list."""
    found = find_codelist(code)
    if found is None:
        raise KeyError(f"SDTM CT has no codelist {code!r}")
    return found


def find_codelist(code: str) -> Codelist | None:
    """Like :func:`codelist` but None when absent."""
    return _sdtm_codelists().get(code) or _by_short_name().get(code)
