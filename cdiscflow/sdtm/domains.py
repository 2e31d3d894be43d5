"""What SDTM says of a mapping file's domain: its variables and, for a sponsor-defined domain,
the class, label and structure its file declares (SDTMIG 2.6). The study's own domains are
asked of the study, never registered process-wide, so any reader of a domain's metadata gets
the same answer whether or not an engine has run.
"""

from __future__ import annotations

from typing import Any

from cdiscflow.errors import SpecError
from cdiscflow.spec import LoadedDomain, LoadedStudy
from cdiscflow.standards import (
    SDTM_MODEL_VERSION,
    SDTMIG_VERSION,
    SPONSOR_FIRST_LETTERS,
    SponsorDomain,
    VariableMeta,
    is_ig_domain,
    model_classes,
    sdtm_variables,
)


def spec_error(ld: LoadedDomain, message: str, variable: str | None = None,
               path: tuple[Any, ...] = ()) -> SpecError:
    """A mistake in a mapping file, named by file, line, domain and variable."""
    return SpecError(message, file=str(ld.file), domain=ld.spec.domain, variable=variable,
                     line=ld.line(*path) if path else None)


def sponsor_domain(ld: LoadedDomain) -> SponsorDomain:
    spec = ld.spec
    code = spec.domain
    classes = ", ".join(model_classes())
    if code[0] not in SPONSOR_FIRST_LETTERS:
        raise spec_error(
            ld, f"{code} is not an SDTMIG {SDTMIG_VERSION} domain, and a sponsor-defined "
            f"domain code starts with {', '.join(SPONSOR_FIRST_LETTERS)} (SDTMIG 2.6)",
            path=("domain",))
    if spec.class_ is None:
        raise spec_error(
            ld, f"{code} is not an SDTMIG {SDTMIG_VERSION} domain: a sponsor-defined domain "
            f"declares class: (one of {classes}) and label:", path=("domain",))
    if spec.class_ not in model_classes():
        raise spec_error(
            ld, f"class: {spec.class_!r} is not an SDTM v{SDTM_MODEL_VERSION} observation "
            f"class (one of {classes})", path=("class",))
    if spec.label is None:
        raise spec_error(ld, f"sponsor-defined domain {code} needs label: (its dataset label)",
                         path=("domain",))
    if len(spec.label.encode()) > 40:
        raise spec_error(ld, "a dataset label has at most 40 characters", path=("label",))
    structure = spec.structure or f"One record per {spec.class_.lower()} record per subject"
    return SponsorDomain(code, spec.class_, spec.label, structure)


def domain_variables(ld: LoadedDomain) -> tuple[VariableMeta, ...]:
    """The variables a mapping file's domain may carry: SDTMIG's, or the model variables of a
    sponsor-defined domain's declared class."""
    if is_ig_domain(ld.spec.domain):
        return sdtm_variables(ld.spec.domain)
    return sdtm_variables(ld.spec.domain, [sponsor_domain(ld)])


def sponsor_domains(study: LoadedStudy) -> tuple[SponsorDomain, ...]:
    """The sponsor-defined domains a study's mapping files declare (checked: a SpecError
    names a mistake in one)."""
    return tuple(sponsor_domain(ld) for ld in study.domains if not is_ig_domain(ld.spec.domain))
