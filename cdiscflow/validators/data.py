"""The datasets under validation: a frame plus what its file says about it (labels, lengths,
formats), and whether it is SDTM or ADaM, decided by its name."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cdiscflow.errors import CdiscflowError
from cdiscflow.standards import SponsorDomain, VariableMeta, sdtm_variables


class ValidationInputError(CdiscflowError):
    """The datasets to validate could not be read (exit code 2)."""


@dataclass
class Dataset:
    """One dataset to validate.

    ``name`` is the dataset name (``LB``, ``LBCH`` for a split LB, ``SUPPAE``, ``ADSL``);
    ``labels``, ``lengths`` and ``formats`` map variable names to what the file stores (empty
    for a frame that did not come from a file: the checks that need them are skipped).
    """

    name: str
    frame: pd.DataFrame
    label: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    lengths: dict[str, int] = field(default_factory=dict)
    formats: dict[str, str | None] = field(default_factory=dict)
    path: str = ""
    # the study's sponsor-defined domains (its mapping files', or its define.xml's): SDTMIG
    # does not know them, so their class comes with the datasets
    sponsor: tuple[SponsorDomain, ...] = ()

    def __post_init__(self) -> None:
        self.name = self.name.upper()
        self.frame = arrow_strings(self.frame)
        self._factorized: dict[str, tuple[np.ndarray, object]] = {}

    def factorized(self, column: str) -> tuple[np.ndarray, object]:
        """``pd.factorize`` of a column, computed once: many checks look at the same column,
        and factorizing a million strings is the costly step."""
        found = self._factorized.get(column)
        if found is None:
            found = self._factorized[column] = pd.factorize(self.frame[column])
        return found

    def submitted(self, column: str) -> bool:
        """Whether the dataset holds a value of ``column`` on some record: a variable written
        empty throughout (an Expected variable SDTMIG asks for that was never collected) is
        as good as absent for the checks that report an uncollected variable once."""
        if column not in self.frame.columns:
            return False
        _, uniques = self.factorized(column)
        return any(not pd.isna(u) and str(u).strip() != "" for u in uniques)

    @property
    def is_adam(self) -> bool:
        # no SDTM domain abbreviation starts with AD; every ADaM dataset name does
        return self.name.startswith("AD") and len(self.name) > 2

    @property
    def is_supp(self) -> bool:
        return self.name.startswith("SUPP")

    @property
    def domain(self) -> str | None:
        """The domain describing an SDTM dataset (an SDTMIG one, or a sponsor-defined one the run's
        mapping files declared), or None if there is none.

        A split dataset (LBCH, QSGI) is described by its DOMAIN value's domain."""
        if self.is_adam:
            return None
        if self.is_supp:
            return self.name
        if _ig_knows(self.name, self.sponsor):
            return self.name
        if "DOMAIN" in self.frame.columns and len(self.frame):
            dom = str(self.frame["DOMAIN"].iloc[0]).strip().upper()
            if dom and self.name.startswith(dom) and _ig_knows(dom, self.sponsor):
                return dom
        return None

    def standard_variables(self) -> tuple[VariableMeta, ...]:
        """The variables its domain may carry (none for ADaM or an unknown domain)."""
        if self.domain is None:
            return ()
        return sdtm_variables(self.domain, self.sponsor)


def _ig_knows(domain: str, sponsor: tuple[SponsorDomain, ...]) -> bool:
    try:
        sdtm_variables(domain, sponsor)
    except KeyError:
        return False
    return True


def arrow_strings(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every all-text object column as a pyarrow-backed string column.

    Vectorised string checks on pyarrow strings are several times faster than on Python objects.
    A column mixing text with numbers is left alone so the type check can report it.
    """
    out = frame
    for col in frame.columns:
        s = frame[col]
        if s.dtype == object:
            present = s.dropna()
            if len(present) and not all(isinstance(v, str) for v in present):
                continue
            if out is frame:
                out = frame.copy()
            out[col] = s.astype(pd.StringDtype("pyarrow", na_value=float("nan")))
    return out


def load_folder(path: str | os.PathLike[str], sponsor: tuple[SponsorDomain, ...] | None = None
                ) -> list[Dataset]:
    """Every dataset in ``path`` (XPT, Dataset-JSON or SAS7BDAT; a dataset split into numbered
    parts lb1.xpt, lb2.xpt is one dataset LB), or the one file ``path``, in name order.
    ``sponsor``: the study's sponsor-defined domains; when not given, those the folder's
    define.xml describes.

    Raises ValidationInputError when the path does not exist, holds no dataset, or a file
    cannot be read.
    """
    # imported here: the reader pulls in pyreadstat
    from cdiscflow.datasets_folder import (
        DatasetFolderError,
        dataset_files,
        read_dataset_file,
        read_folder,
    )

    root = Path(path)
    if not root.exists():
        raise ValidationInputError(f"{root}: no such file or folder")
    if root.is_dir() and not dataset_files(root):
        raise ValidationInputError(f"{root}: no .xpt, .json or .sas7bdat datasets found")
    try:
        found = [read_dataset_file(root)] if root.is_file() else read_folder(root)
    except DatasetFolderError as exc:
        raise ValidationInputError(str(exc)) from exc
    if sponsor is None:
        sponsor = _described_sponsor_domains(root if root.is_dir() else root.parent)
    return [Dataset(name=d.name, frame=d.frame, label=d.label, labels=d.labels,
                    lengths=d.lengths, formats=d.formats,
                    path=str(d.paths[0]),  # a split dataset: its first part
                    sponsor=sponsor)
            for d in found]


def _described_sponsor_domains(folder: Path) -> tuple[SponsorDomain, ...]:
    """The sponsor-defined domains a package's define.xml describes (a dataset whose name
    SDTMIG does not define, of an SDTM observation class); none without a readable one."""
    from lxml import etree

    from cdiscflow.validators.define_doc import read_sponsor_domains

    define = folder / "define.xml"
    if not define.is_file():
        return ()
    try:
        return read_sponsor_domains(define)
    except (etree.XMLSyntaxError, OSError):
        return ()  # a broken define.xml is check-package's finding, not the datasets'

