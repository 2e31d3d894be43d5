"""CDISC standards metadata (SDTMIG, the SDTM model, ADaMIG, Controlled Terminology) loaded from
the data files shipped in ``cdiscflow/standards/data`` (see the README there for versions and
provenance)."""

from cdiscflow.standards.ct import (
    Codelist,
    Term,
    codelist,
    codelist_names,
    find_codelist,
    package_date,
)
from cdiscflow.standards.ig import (
    SDTMIG_VERSION,
    SPONSOR_FIRST_LETTERS,
    DatasetMeta,
    SponsorDomain,
    SponsorDomains,
    VariableMeta,
    check_sponsor_domain,
    is_ig_domain,
    sdtm_dataset,
    sdtm_dataset_label,
    sdtm_variables,
)
from cdiscflow.standards.model import SDTM_MODEL_VERSION, model_classes

# the CT package as CDISC published it (2025-03-28), read from the shipped files' names
CT_VERSION = package_date()

__all__ = [
    "CT_VERSION",
    "SDTMIG_VERSION",
    "SDTM_MODEL_VERSION",
    "SPONSOR_FIRST_LETTERS",
    "Codelist",
    "DatasetMeta",
    "SponsorDomain",
    "SponsorDomains",
    "Term",
    "VariableMeta",
    "codelist",
    "codelist_names",
    "find_codelist",
    "is_ig_domain",
    "model_classes",
    "check_sponsor_domain",
    "sdtm_dataset",
    "sdtm_dataset_label",
    "sdtm_variables",
]
