"""CDISC standards metadata (SDTMIG, ADaMIG, Controlled Terminology) loaded from the data files
shipped in ``cdiscflow/standards/data`` (see the README there for versions and provenance)."""

from cdiscflow.standards.ct import Codelist, Term, codelist, find_codelist
from cdiscflow.standards.ig import (
    SDTMIG_VERSION,
    VariableMeta,
    sdtm_dataset_label,
    sdtm_variables,
)

CT_VERSION = "2025-03-25"

__all__ = [
    "CT_VERSION",
    "SDTMIG_VERSION",
    "Codelist",
    "Term",
    "VariableMeta",
    "codelist",
    "find_codelist",
    "sdtm_dataset_label",
    "sdtm_variables",
]
