"""Validation of SDTM and ADaM datasets: pandera schemas built from the standards metadata,
a catalogue of conformance rules, and reports for people (terminal, HTML) and CI (JSON, JUnit).

    result = validate_folder("out/sdtm")
    result.errors, result.warnings, result.findings  # findings: one row per finding
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from cdiscflow.forked import Forked
from cdiscflow.standards import SponsorDomain

# the rule modules beside rules.py register their rules when imported
from cdiscflow.validators import (  # noqa: F401
    findings,
    rules_adam,
    rules_define,
    rules_dm,
    rules_events,
    rules_values,
)
from cdiscflow.validators.catalogue import ERROR, RULES, WARNING, Rule
from cdiscflow.validators.data import Dataset, ValidationInputError, load_folder
from cdiscflow.validators.rules import Study, run_rules
from cdiscflow.validators.schema import build_schema, validate_schema

__all__ = [
    "RULES",
    "Dataset",
    "Rule",
    "ValidationInputError",
    "ValidationResult",
    "build_schema",
    "validate",
    "validate_folder",
    "validate_run",
]


@dataclass
class ValidationResult:
    """What one validation found. ``findings`` has the columns of ``findings.FIELDS``."""

    datasets: dict[str, int]  # dataset name -> records, in the order validated
    findings: pd.DataFrame
    source: str = ""

    @property
    def errors(self) -> int:
        return int((self.findings["severity"] == ERROR).sum())

    @property
    def warnings(self) -> int:
        return int((self.findings["severity"] == WARNING).sum())

    def failed(self, fail_on: str = ERROR) -> bool:
        """Whether the result fails a gate: on errors, or with ``fail_on='warning'`` on any."""
        return self.errors > 0 or (fail_on == WARNING and self.warnings > 0)

    def of_rule(self, rule_id: str) -> pd.DataFrame:
        return self.findings[self.findings["rule"] == rule_id].reset_index(drop=True)


# records (all datasets together) for which schemas and rules run in two processes: fewer are
# not worth a process; more would hold a large study's working data twice at once
_TWO_PROCESS_RECORDS = range(200_000, 3_000_001)


def validate(datasets: Iterable[Dataset], source: str = "", check_define: bool = True
             ) -> ValidationResult:
    """Validate datasets together (cross-dataset rules see all of them). With
    ``check_define``, datasets read from a folder holding a define.xml are checked against it."""
    by_name: dict[str, Dataset] = {}
    for ds in datasets:
        by_name[ds.name] = ds

    def schemas() -> list[pd.DataFrame]:
        return [validate_schema(ds) for ds in by_name.values()]

    # the schemas in a second process while this one runs the rules; findings are combined
    # in the same order either way (schemas first, then rules), so the result is the same
    records = sum(len(ds.frame) for ds in by_name.values())
    beside = Forked(schemas) if records in _TWO_PROCESS_RECORDS else None
    try:
        rules = run_rules(Study(by_name, check_define))
    except BaseException:
        if beside is not None:
            beside.cancel()
        raise
    parts = (beside.result() if beside is not None else schemas()) + rules
    return ValidationResult({n: len(d.frame) for n, d in by_name.items()},
                            findings.combine(parts), source)


def validate_folder(path: str | os.PathLike[str]) -> ValidationResult:
    """Validate every dataset in a folder (XPT, Dataset-JSON or SAS7BDAT, split parts joined).
    Raises ValidationInputError if it cannot be read."""
    return validate(load_folder(path), source=str(path))


def validate_run(folders: Iterable[str | os.PathLike[str]], report_dir: str | os.PathLike[str],
                 sponsor: tuple[SponsorDomain, ...] = ()) -> ValidationResult:
    """Validate the .xpt datasets a run wrote in ``folders`` (SDTM, ADaM: those that exist)
    together, and write ``validation.json``, ``.html`` and ``.xml`` (JUnit) to ``report_dir``.
    ``sponsor``: the study's sponsor-defined domains (its define.xml may not be written yet)."""
    from pathlib import Path

    from cdiscflow.datasets_folder import dataset_files
    from cdiscflow.validators.report import write_html, write_json, write_junit

    datasets: list[Dataset] = []
    sources = []
    for folder in folders:
        folder = Path(folder)
        if folder.is_dir() and dataset_files(folder):
            datasets += load_folder(folder, sponsor)
            # relative to the output root: the run writes in a staging folder first
            root = Path(report_dir).parent
            sources.append(folder.relative_to(root).as_posix() if folder.is_relative_to(root)
                           else str(folder))
    # define.xml is written beside the datasets while this runs, so whether it is there yet
    # depends on timing: it is left to `cdiscflow validate` and `check-package`, and a run's
    # findings do not depend on which process was quicker
    result = validate(datasets, source=", ".join(sources), check_define=False)
    report = Path(report_dir)
    write_json(result, report / "validation.json")
    write_html(result, report / "validation.html")
    write_junit(result, report / "validation.xml")
    return result
