"""cdiscflow: raw clinical-trial CRF extracts to CDISC SDTM, ADaM and submission packages."""

__version__ = "0.1.0"
