"""SDTMIG variable and dataset metadata."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

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


def _read_csv(folder: str, name: str) -> list[dict[str, str]]:
    path = resources.files("cdiscflow.standards").joinpath("data", folder, name)
    # utf-8-sig: the CDISC Library export starts Datasets.csv with a byte-order mark
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


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
def _sdtm_datasets() -> dict[str, str]:
    return {r["Dataset Name"]: r["Dataset Label"] for r in _read_csv(_SDTMIG_DIR, "Datasets.csv")}


def _ig_name(domain: str) -> str:
    # SUPPAE, SUPPDM, ... are all described by the IG's generic SUPPQUAL structure
    domain = domain.upper()
    return "SUPPQUAL" if domain.startswith("SUPP") else domain


# Timing variables of the SDTM general observation classes that any Findings, Events or
# Interventions domain may carry though its IG table does not list them (e.g. VISITNUM in EX).
_VISIT_TIMING = ("VISITNUM", "VISIT", "VISITDY")


@cache
def sdtm_variables(domain: str) -> tuple[VariableMeta, ...]:
    """The domain's SDTMIG variables in IG order. KeyError for a domain the IG does not define.

    For a general-observation-class domain whose IG table omits the visit timing variables,
    they are added (Perm) where the class puts them: before TAETORD/EPOCH.
    """
    name = _ig_name(domain)
    variables = _sdtm_variables()
    if name not in variables:
        raise KeyError(f"SDTMIG {SDTMIG_VERSION} defines no domain {domain!r}")
    own = variables[name]
    names = [v.name for v in own]
    if not any(n in ("TAETORD", "EPOCH") for n in names):
        return own
    template = {v.name: v for v in variables["LB"] if v.name in _VISIT_TIMING}
    extra = [template[n] for n in _VISIT_TIMING if n not in names]
    if not extra:
        return own
    at = next(i for i, n in enumerate(names) if n in ("TAETORD", "EPOCH"))
    merged = [*own[:at], *(VariableMeta(v.name, v.label, v.type, 0, "Perm", v.role, v.codelists)
                           for v in extra), *own[at:]]
    return tuple(VariableMeta(v.name, v.label, v.type, i + 1, v.core, v.role, v.codelists)
                 for i, v in enumerate(merged))


def sdtm_dataset_label(domain: str) -> str:
    """The SDTMIG dataset label (for SUPP--, the SUPPQUAL label with the parent domain)."""
    domain = domain.upper()
    labels = _sdtm_datasets()
    if domain.startswith("SUPP"):
        # the IG's "Supplemental Qualifiers for [domain name]", with the 2-letter name so it fits 40
        return f"Supplemental Qualifiers for {domain[4:]}"
    if domain not in labels:
        raise KeyError(f"SDTMIG {SDTMIG_VERSION} defines no domain {domain!r}")
    return labels[domain]
