"""CDISC Controlled Terminology: codelists and the lookup of collected values."""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from cdiscflow.standards.ctcache import cached_table

_SDTM_CT = ("ct-2025-03", "SDTM_Terminology_2025-03-25.txt.gz")


def package_date() -> str:
    """The date CDISC published the CT package shipped here, as define.xml, TS and CORE name it.

    The package's CDISC-published files (ADaM, CDASH, Define-XML CT) carry the publication date
    in their names; the SDTM file's copy is named after its NCI EVS upload date (2025-03-25),
    which is not a package CORE or a reviewer knows (CORE reads ``sdtmct-2025-03-28``).
    """
    folder = resources.files("cdiscflow.standards").joinpath("data", _SDTM_CT[0])
    dates = {m.group(1) for f in folder.iterdir()
             if (m := re.fullmatch(r"(?:ADaM|CDASH|Define-XML)_CT_(\d{4}-\d{2}-\d{2})\.csv",
                                   f.name))}
    if len(dates) != 1:
        raise RuntimeError(f"the CT folder {_SDTM_CT[0]} holds no single package date: {dates}")
    return dates.pop()


@dataclass(frozen=True)
class Term:
    code: str | None  # None: a value SDTMIG prescribes that CT does not list (RACE MULTIPLE)
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

    @cached_property  # a frozen dataclass still has a __dict__ to cache in
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

    @cached_property
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


def _parse_release(raw: bytes) -> pa.Table:
    # the release is tab-separated without quoting: Arrow's reader parses it in C++
    return pacsv.read_csv(
        io.BytesIO(gzip.decompress(raw)),
        parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False),
        convert_options=pacsv.ConvertOptions(strings_can_be_null=False,
                                             column_types={c: pa.string() for c in _CT_COLUMNS}),
    )


@dataclass(frozen=True)
class _Package:
    """The CT release as one table, with where each codelist's head and terms are: a run
    uses a few dozen of its 1,100 codelists, so only those are made into objects."""

    table: pa.Table
    heads: dict[str, int]  # codelist code -> its head row
    short: dict[str, str]  # short name (SEX, UNIT) -> codelist code; a later list wins
    terms: dict[str, np.ndarray]  # codelist code -> its term rows, in file order


@cache
def _package() -> _Package:
    raw = resources.files("cdiscflow.standards").joinpath("data", *_SDTM_CT).read_bytes()
    table = cached_table(raw, _CT_COLUMNS, _parse_release)
    parent = table["Codelist Code"].combine_chunks().dictionary_encode()
    codes = parent.indices.to_numpy(zero_copy_only=False)
    names = parent.dictionary.to_pylist()
    order = np.argsort(codes, kind="stable")  # stable: each list's terms stay in file order
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(names)))])
    groups = {name: order[bounds[i]:bounds[i + 1]] for i, name in enumerate(names)}
    head_rows = groups.pop("", np.arange(0))
    head_codes = table["Code"].take(head_rows).to_pylist()
    head_values = table["CDISC Submission Value"].take(head_rows).to_pylist()
    return _Package(table, dict(zip(head_codes, head_rows.tolist(), strict=True)),
                    dict(zip(head_values, head_codes, strict=True)), groups)


@cache
def _codelist(code: str) -> Codelist:
    package = _package()
    head = package.table.slice(package.heads[code], 1).to_pylist()[0]
    rows = package.table.take(package.terms.get(code, np.arange(0))).to_pydict()
    terms = [Term(code=term_code, submission_value=rows["CDISC Submission Value"][i],
                  synonyms=_split_synonyms(rows["CDISC Synonym(s)"][i]),
                  preferred_term=rows["NCI Preferred Term"][i])
             for i, term_code in enumerate(rows["Code"])]
    terms += [Term(None, value, (), value) for parent, value in _prescribed_by_ig()
              if parent == code]
    return Codelist(code=code, name=head["Codelist Name"],
                    submission_value=head["CDISC Submission Value"],
                    extensible=head["Codelist Extensible (Yes/No)"] == "Yes",
                    terms=tuple(terms))


_PRESCRIBED = ("sdtmig-3.4", "PrescribedValues.csv")


@cache
def _prescribed_by_ig() -> list[tuple[str, str]]:
    """(codelist code, value) of the values SDTMIG prescribes for a CT-controlled variable
    though the codelist does not list them (RACE "MULTIPLE" in DM): terms of the list here."""
    import csv

    text = resources.files("cdiscflow.standards").joinpath("data", *_PRESCRIBED).read_text(
        encoding="utf-8")
    return [(row["Codelist Code"], row["Value"]) for row in csv.DictReader(io.StringIO(text))]


_CT_COLUMNS = ("Code", "Codelist Code", "Codelist Extensible (Yes/No)", "Codelist Name",
               "CDISC Submission Value", "CDISC Synonym(s)", "NCI Preferred Term")


def codelist(code: str) -> Codelist:
    """A codelist by its NCI code (C66731) or short name (SEX). KeyError if CT has no such list."""
    found = find_codelist(code)
    if found is None:
        raise KeyError(f"SDTM CT has no codelist {code!r}")
    return found


def codelist_names() -> list[str]:
    """Every codelist's short name (SEX, UNIT, ...), for suggesting one near a misspelt name."""
    return sorted(_package().short)


def find_codelist(code: str) -> Codelist | None:
    """Like :func:`codelist` but None when absent."""
    package = _package()
    if code in package.heads:
        return _codelist(code)
    by_name = package.short.get(code)
    return None if by_name is None else _codelist(by_name)
