"""The errors and defects cdiscflow reports: each names where (file, row, column) and what."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


class CdiscflowError(Exception):
    """Base of every error the CLI turns into a message and exit code 2."""


class SpecError(CdiscflowError):
    """A mapping or study file that cannot be used, named down to the key that is wrong."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        domain: str | None = None,
        variable: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.domain = domain
        self.variable = variable
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.domain:
            where.append(f"domain {self.domain}")
        if self.variable:
            where.append(f"variable {self.variable}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


# the most spec mistakes a run lists at once (the rest are counted)
MAX_SPEC_ERRORS = 50


class SpecErrors(SpecError):
    """Several spec mistakes at once: the first one's place, every one's message."""

    def __init__(self, errors: list[SpecError]) -> None:
        first = errors[0]
        self.errors = errors
        super().__init__(first.message, file=first.file, domain=first.domain,
                         variable=first.variable, line=first.line)

    def __str__(self) -> str:
        shown = self.errors[:MAX_SPEC_ERRORS]
        more = len(self.errors) - len(shown)
        lines = [f"{len(self.errors)} mistakes in the mapping files:"]
        lines += [f"  {SpecError.__str__(e)}" for e in shown]
        if more:
            lines.append(f"  ... and {more} more")
        return "\n".join(lines)


class RawDataError(CdiscflowError):
    """A raw file that cannot be read at all (missing, unreadable, no header)."""


@dataclass(frozen=True)
class Defect:
    """One problem in one raw value: reported, never silently dropped."""

    severity: str  # "error" or "warning"
    domain: str
    file: str
    row: int | None  # the record's __row: CSV line or worksheet row (header 1), else record
    column: str | None
    value: str | None
    message: str  # what was expected

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def __str__(self) -> str:
        where = self.file + (f":{self.row}" if self.row is not None else "")
        col = f" {self.column}" if self.column else ""
        val = f" value {self.value!r}" if self.value is not None else ""
        return f"{self.severity.upper()} [{self.domain}] {where}{col}{val}: {self.message}"


@dataclass
class DefectLog:
    """Collects defects across a run (never first-error-only)."""

    defects: list[Defect] = field(default_factory=list)

    def add(self, defect: Defect) -> None:
        self.defects.append(defect)

    def extend(self, defects: list[Defect]) -> None:
        self.defects.extend(defects)

    @property
    def errors(self) -> list[Defect]:
        return [d for d in self.defects if d.severity == "error"]

    @property
    def warnings(self) -> list[Defect]:
        return [d for d in self.defects if d.severity == "warning"]
