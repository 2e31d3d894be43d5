"""What a construct's check is given: the mapping, the variable (or step) being checked, the
columns that exist at that point, and the means to name a mistake by file, line, domain and
variable. Every source kind and step checks itself through this one object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdiscflow.errors import Defect, SpecError
from cdiscflow.expr import ANY, DATE, NUMBER, TEXT, Expression, ExprSyntaxError, suggestion
from cdiscflow.sdtm.context import BuildContext
from cdiscflow.sdtm.domains import domain_variables, spec_error
from cdiscflow.spec import NULL, LoadedDomain, VariableSpec
from cdiscflow.standards import find_codelist


def column_types(ctx: BuildContext, ld: LoadedDomain, available: set[str]) -> dict[str, str]:
    """The expression type of each column a variable may read: raw fields are text;
    variables (of this domain, or joined from another) have their SDTM type."""
    joined = {c: j.domain for s in ld.spec.steps if (j := s.join) is not None and j.domain
              for c in j.columns}
    types = {}
    for col in available:
        owner = ld if col in ld.spec.variables else (
            ctx._work[joined[col]].loaded if col in joined else None)
        if owner is None:
            types[col] = TEXT
            continue
        kind = ctx.type_of(owner, col, owner.spec.variables[col])
        types[col] = NUMBER if kind == "Num" else DATE if col.endswith("DTC") else TEXT
    return types


@dataclass
class Check:
    """One variable (``name``/``var``) or step of a mapping file, being checked."""

    ctx: BuildContext
    ld: LoadedDomain
    available: set[str]
    path: tuple[Any, ...]
    name: str | None = None
    var: VariableSpec | None = None

    def error(self, message: str) -> SpecError:
        return spec_error(self.ld, message, self.name, self.path)

    def warn(self, message: str) -> None:
        """An allowed but unusual choice: a warning naming the mapping file and line."""
        self.ctx.spec_warnings.append(Defect(
            "warning", self.ld.spec.domain, self.ld.file.name, self.ld.line(*self.path),
            self.name, None, f"{self.name}: {message}" if self.name else message))

    def need(self, col: str, what: str) -> None:
        """A column the construct reads must exist at this point."""
        if col not in self.available:
            raise self.error(f"{what} {col!r} is neither a raw column nor a variable defined "
                             f"above{suggestion(col, self.available)}")

    def expression(self, expr: Expression, what: str, want: str | None = None) -> str:
        """The type of an expression of this mapping; a mistake names its position."""
        try:
            got = expr.check(column_types(self.ctx, self.ld, self.available))
        except ExprSyntaxError as exc:
            raise self.error(f"{what}: {exc}") from None
        if want is not None and got not in (want, ANY):
            raise self.error(f"{what}: {expr.text!r} gives {got}, not a condition")
        return got

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        return self.ctx.tables(self.ld)

    def check_term(self, value: Any, what: str) -> None:
        """A literal the mapping assigns to a variable whose SDTMIG codelist is not
        extensible must be one of its terms (a typo in a constant is caught before the run)."""
        lists = [cl for code in _ig_codelists(self.ld, self.name or "")
                 if (cl := find_codelist(code)) is not None]
        if value is NULL or value is None or not lists or any(cl.extensible for cl in lists):
            return
        text = str(value)
        terms = set().union(*(cl.submission_values for cl in lists))
        if text not in terms:
            names = " or ".join(f"{cl.submission_value} ({cl.code})" for cl in lists)
            raise self.error(f"{what} {text!r} is not a term of the non-extensible codelist "
                             f"{names}{suggestion(text, terms)}")


def _ig_codelists(ld: LoadedDomain, name: str) -> tuple[str, ...]:
    for meta in domain_variables(ld):
        if meta.name == name:
            return meta.codelists
    return ()
