"""SDTMIG variable and dataset metadata."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache

from cdiscflow.standards._files import read_csv as _read_csv
from cdiscflow.standards.model import ModelVariable, class_variables, model_classes

SDTMIG_VERSION = "3.4"
_SDTMIG_DIR = "sdtmig-3.4"


@dataclass(frozen=True)
class VariableMeta:
    """One SDTMIG variable of one domain, as the IG describes it."""

    name: str
    label: str
    type: str  # "Char" or "Num"
    order: int
    core: str  # "Req", "Exp" or "Perm"
    role: str
    codelists: tuple[str, ...]


@cache
def _sdtm_variables() -> dict[str, tuple[VariableMeta, ...]]:
    by_domain: dict[str, list[VariableMeta]] = {}
    for row in _read_csv(_SDTMIG_DIR, "Variables.csv"):
        codes = tuple(c.strip() for c in row["CDISC CT Codelist Code(s)"].split(";") if c.strip())
        by_domain.setdefault(row["Dataset Name"], []).append(
            VariableMeta(
                name=row["Variable Name"],
                label=row["Variable Label"],
                type=row["Type"],
                order=int(row["Variable Order"]),
                core=row["Core"],
                role=row["Role"],
                codelists=codes,
            )
        )
    return {d: tuple(sorted(v, key=lambda m: m.order)) for d, v in by_domain.items()}


@cache
def _sdtm_datasets() -> dict[str, dict[str, str]]:
    return {r["Dataset Name"]: r for r in _read_csv(_SDTMIG_DIR, "Datasets.csv")}


@dataclass(frozen=True)
class DatasetMeta:
    """What the IG (or a sponsor's spec, for a sponsor-defined domain) says of a dataset."""

    name: str
    label: str
    cls: str  # "Findings", "Special-Purpose", ...
    structure: str


@dataclass(frozen=True)
class SponsorDomain:
    """A sponsor-defined domain: a two-letter code SDTMIG does not define, with its class."""

    code: str
    cls: str
    label: str
    structure: str


# SDTMIG 3.4 section 2.6: a sponsor-defined domain's code starts with one of these letters,
# which CDISC reserves so that no future standard domain collides with it
SPONSOR_FIRST_LETTERS = ("X", "Y", "Z")

# The sponsor-defined domains a study declares in its mapping files, passed to the lookups
# below by whoever holds the study (or read back from a package's define.xml): the metadata
# here is the same for every study and process, and never learns a study's domains as a side
# effect of building it.
SponsorDomains = Iterable[SponsorDomain]


def check_sponsor_domain(domain: SponsorDomain) -> None:
    """ValueError for a code SDTMIG defines, KeyError for a class the SDTM model lacks."""
    if domain.code in _sdtm_variables():
        raise ValueError(f"{domain.code} is an SDTMIG {SDTMIG_VERSION} domain")
    if domain.cls not in model_classes():
        raise KeyError(domain.cls)


def _sponsor(name: str, sponsor: SponsorDomains) -> SponsorDomain | None:
    return next((d for d in sponsor if d.code == name), None)


def is_ig_domain(domain: str) -> bool:
    """Whether SDTMIG defines the domain (SUPP-- counts, as SUPPQUAL)."""
    return _ig_name(domain) in _sdtm_variables()


def _ig_name(domain: str) -> str:
    # SUPPAE, SUPPDM, ... are all described by the IG's generic SUPPQUAL structure
    domain = domain.upper()
    return "SUPPQUAL" if domain.startswith("SUPP") else domain


def sdtm_variables(domain: str, sponsor: SponsorDomains = ()) -> tuple[VariableMeta, ...]:
    """The variables a domain may carry, in order. KeyError for a domain nobody defines
    (neither SDTMIG nor the study's ``sponsor`` domains).

    An SDTMIG domain of a general observation class: its IG table merged with the SDTM model
    variables of its class (``_merged``). A sponsor-defined domain: the model variables of its
    declared class. Any other IG domain: its IG table.
    """
    name = _ig_name(domain)
    if name in _sdtm_variables():
        return _ig_domain_variables(name)
    own = _sponsor(name, sponsor)
    if own is None:
        raise KeyError(f"SDTMIG {SDTMIG_VERSION} defines no domain {domain!r}")
    return _sponsor_variables(own.code, own.cls)


@cache
def _ig_domain_variables(name: str) -> tuple[VariableMeta, ...]:
    own = _sdtm_variables()[name]
    cls = _sdtm_datasets()[name]["Class"]
    if cls not in model_classes():
        return own
    return _merged(own, class_variables(name, cls))


def _merged(own: tuple[VariableMeta, ...], model: tuple[ModelVariable, ...]
            ) -> tuple[VariableMeta, ...]:
    """The IG table with the model variables it omits, renumbered.

    The IG table keeps its order. A model variable it omits goes immediately before the first
    IG variable (in IG order) that comes after it in model order, or at the end if none does:
    AEDTC (model: after EPOCH, before --STDTC) lands between EPOCH and AESTDTC. Such a
    variable is Perm, with the model's label, type and role and no codelist.
    """
    position = {m.name: i for i, m in enumerate(model)}
    names = {v.name for v in own}
    pending = [m for m in model if m.name not in names]
    merged: list[VariableMeta] = []
    for v in own:
        at = position.get(v.name)
        while at is not None and pending and position[pending[0].name] < at:
            merged.append(_from_model(pending.pop(0), "Perm"))
        merged.append(v)
    merged.extend(_from_model(m, "Perm") for m in pending)
    return tuple(replace(v, order=i + 1) for i, v in enumerate(merged))


def _from_model(m: ModelVariable, core: str) -> VariableMeta:
    return VariableMeta(m.name, m.label, m.type, 0, core, m.role, ())


@cache
def _sponsor_variables(code: str, cls: str) -> tuple[VariableMeta, ...]:
    cores = _class_cores(cls)
    return tuple(replace(_from_model(m, cores.get(m.generic, "Perm")), order=i + 1)
                 for i, m in enumerate(class_variables(code, cls)))


_STRENGTH = {"Perm": 0, "Exp": 1, "Req": 2}


@cache
def _class_cores(cls: str) -> dict[str, str]:
    """The core of each model variable in a sponsor domain of ``cls``.

    The SDTM model has no core; SDTMIG gives one per domain. A sponsor domain's variable takes
    the core most of the class's IG domains give it (a tie goes to the weaker core), so
    STUDYID, USUBJID, --SEQ and the topic variable are Req, as in every IG domain of the class.
    """
    votes: dict[str, Counter[str]] = {}
    for name, row in _sdtm_datasets().items():
        if row["Class"] != cls:
            continue
        for v in _sdtm_variables()[name]:
            generic = "--" + v.name[2:] if v.name.startswith(name) else v.name
            votes.setdefault(generic, Counter())[v.core] += 1
    return {g: max(c, key=lambda core: (c[core], -_STRENGTH.get(core, 0)))
            for g, c in votes.items()}


def sdtm_dataset(domain: str, sponsor: SponsorDomains = ()) -> DatasetMeta:
    """Label, class and structure of a domain (SUPP--: the IG's SUPPQUAL, relabelled)."""
    name = _ig_name(domain)
    if name in _sdtm_datasets():
        row = _sdtm_datasets()[name]
        return DatasetMeta(domain.upper(), sdtm_dataset_label(domain), row["Class"],
                           row["Structure"])
    own = _sponsor(name, sponsor)
    if own is None:
        raise KeyError(f"SDTMIG {SDTMIG_VERSION} defines no domain {domain!r}")
    return DatasetMeta(own.code, own.label, own.cls, own.structure)


def sdtm_dataset_label(domain: str, sponsor: SponsorDomains = ()) -> str:
    """The SDTMIG dataset label (for SUPP--, the SUPPQUAL label with the parent domain; for a
    sponsor-defined domain, the label its mapping file declares)."""
    domain = domain.upper()
    labels = _sdtm_datasets()
    if domain.startswith("SUPP"):
        # the IG's "Supplemental Qualifiers for [domain name]", with the 2-letter name so it fits 40
        return f"Supplemental Qualifiers for {domain[4:]}"
    if domain in labels:
        return labels[domain]["Dataset Label"]
    if (own := _sponsor(domain, sponsor)) is not None:
        return own.label
    raise KeyError(f"SDTMIG {SDTMIG_VERSION} defines no domain {domain!r}")
