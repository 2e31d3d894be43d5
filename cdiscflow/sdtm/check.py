"""Checking a study's mapping files before any raw data is read (only the raw files' header
lines): every domain's class and variables against SDTMIG and the SDTM model, every step and
source through its own module's check. The mistakes of a run are reported together (up to
MAX_SPEC_ERRORS in cdiscflow/errors.py), each naming file, line, domain and variable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cdiscflow.errors import SpecError, SpecErrors
from cdiscflow.expr import BOOL
from cdiscflow.raw import read_header
from cdiscflow.sdtm.checking import Check
from cdiscflow.sdtm.context import BuildContext
from cdiscflow.sdtm.domains import domain_variables, spec_error
from cdiscflow.sdtm.sources import SOURCES
from cdiscflow.sdtm.steps import kind_of
from cdiscflow.spec import LoadedDomain, VariableSpec, condition_expression
from cdiscflow.standards import (
    SDTM_MODEL_VERSION,
    SDTMIG_VERSION,
    VariableMeta,
    is_ig_domain,
    sdtm_dataset,
    sdtm_variables,
)


class _Collected:
    """Runs checks, keeping each mistake instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[SpecError] = []

    def __call__(self, check: Callable[[], Any]) -> Any:
        try:
            return check()
        except SpecError as exc:
            self.errors.extend(getattr(exc, "errors", [exc]))
            return None

    def raise_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise SpecErrors(self.errors)


def check_study(ctx: BuildContext) -> None:
    """Check every mapping of the study; SpecError (SpecErrors for several) names them all."""
    collect = _Collected()
    for work in ctx._work.values():
        ld = work.loaded
        ig = collect(lambda ld=ld: allowed_variables(ld))
        columns = collect(lambda ld=ld: columns_after_steps(ctx, ld))
        if ig is None or columns is None:
            continue  # the variables cannot be checked without the domain's columns
        defined: set[str] = set()
        for name, var in ld.spec.variables.items():
            check = Check(ctx, ld, set(columns) | defined, ("variables", name), name, var)
            collect(lambda check=check, ig=ig: check_variable(check, ig))
            defined.add(name)
        collect(lambda ld=ld, ig=ig, defined=defined: check_domain(ld, ig, defined))
    collect.raise_any()


def check_domain(ld: LoadedDomain, ig: dict[str, VariableMeta], defined: set[str]) -> None:
    """What a domain as a whole needs: its Req variables, sort keys and SUPP-- pointer."""
    written = {n for n, v in ld.spec.variables.items() if not (v.temp or v.supp)}
    missing = [v.name for v in ig.values() if v.core == "Req" and v.name not in written]
    if missing:
        raise spec_error(ld, f"required (Req) SDTMIG variables not mapped: "
                         f"{', '.join(missing)}", path=("variables",))
    for key in ld.spec.sort:
        if key not in defined:
            raise spec_error(ld, f"sort key {key} is not a mapped variable", path=("sort",))
    if ld.spec.supp_idvar and ld.spec.supp_idvar not in defined:
        raise spec_error(ld, f"supp_idvar {ld.spec.supp_idvar} is not mapped",
                         path=("supp_idvar",))
    has_supp = any(v.supp for v in ld.spec.variables.values())
    if has_supp and not ld.spec.supp_idvar and ld.spec.domain != "DM":
        raise spec_error(ld, "SUPP-- records of a domain with several records per subject "
                         "need supp_idvar (e.g. the --SEQ variable) to point at their parent "
                         "record", path=("variables",))


def _defined_by(domain: str) -> str:
    """Who defines the domain's variables, for messages: "an SDTMIG" or "an SDTM model"."""
    return "an SDTMIG" if is_ig_domain(domain) else f"an SDTM v{SDTM_MODEL_VERSION} model"


def allowed_variables(ld: LoadedDomain) -> dict[str, VariableMeta]:
    """The variables the domain may carry, once its class declaration is checked.

    An SDTMIG domain takes its class from the IG; a sponsor-defined one declares it (and every
    later reader of its metadata, define.xml and the datasets written, asks
    ``sponsor_domains``).
    """
    spec = ld.spec
    if is_ig_domain(spec.domain):
        for key, value in (("class", spec.class_), ("label", spec.label),
                           ("structure", spec.structure)):
            if value is not None:
                raise spec_error(
                    ld, f"{key}: {value!r} is only for sponsor-defined domains; "
                    f"{spec.domain} is an SDTMIG {SDTMIG_VERSION} domain (class "
                    f"{sdtm_dataset(spec.domain).cls})", path=(key,))
        return {v.name: v for v in sdtm_variables(spec.domain)}
    return {v.name: v for v in domain_variables(ld)}





def check_declaration(c: Check, ig: dict[str, VariableMeta]) -> None:
    """What a variable is allowed to be, before where its value comes from."""
    name, var, domain = c.name, c.var, c.ld.spec.domain
    if name not in ig and not (var.temp or var.supp):
        raise c.error(f"{name} is not {_defined_by(domain)} variable of {domain}; mark it "
                      f"supp: (SUPP{domain}) or temp:")
    if name in ig and var.type and var.type != ig[name].type and not var.temp:
        raise c.error(f"type {var.type} contradicts SDTMIG, where {name} is {ig[name].type}")
    if var.supp and len(name) > 8:
        raise c.error("a SUPP-- QNAM has at most 8 characters")
    if var.supp and len(var.supp.qlabel.encode()) > 40:
        raise c.error("a SUPP-- QLABEL has at most 40 characters")


def check_variable(c: Check, ig: dict[str, VariableMeta]) -> None:
    """A variable's declaration, its `where:` and its source, by the source's own check."""
    var: VariableSpec = c.var
    check_declaration(c, ig)
    if var.where is not None:
        c.expression(condition_expression(var.where), "where", want=BOOL)
    SOURCES[var.kind].check(c)


def columns_after_steps(ctx: BuildContext, ld: LoadedDomain) -> list[str]:
    """The columns a domain's variables may read: the source form's, as its steps leave them."""
    source = ld.spec.source
    cols = read_header(ctx.form_path(source), **ctx.read_options(source))
    for i, step in enumerate(ld.spec.steps):
        kind, spec = kind_of(step)
        cols = kind.columns(Check(ctx, ld, set(cols), ("steps", i)), spec, cols)
    return cols
