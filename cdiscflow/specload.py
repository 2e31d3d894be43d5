"""Loading a study's spec files into the mapping language's model (``cdiscflow.spec``): the
study file and one mapping file per domain, each validated by pydantic with every mistake of
every file reported together (one per variable or key, the cause first, a did-you-mean for a
misspelt key), and tables read from CSV files inside the study folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from cdiscflow.errors import SpecError, SpecErrors
from cdiscflow.spec import DomainSpec, LoadedDomain, LoadedStudy, StudySpec, _Model
from cdiscflow.yamlio import Lines, line_of, load_yaml


def _validated(model: type[_Model], data: Any, file: Path, lines: Lines, domain: str | None
               ) -> Any:
    """The file's data as ``model``; a SpecError for each mistake (one per variable or
    top-level key: a union's alternatives do not each repeat it), all raised together."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # one mistake often fails several ways: a misspelt key is unknown and leaves a
        # required one missing; a mapping fails a union's text alternative. Name the cause:
        # the unknown key, then a wrong value, a missing key, and a wrong type last
        errors.sort(key=lambda e: (e["type"] != "extra_forbidden", e["type"] == "missing",
                                   e["type"].endswith("_type")))
        found: dict[tuple[Any, ...], SpecError] = {}
        for err in errors:
            loc = tuple(err["loc"])
            key = loc[:2] if loc and loc[0] == "variables" else loc[:1]
            if key not in found:
                found[key] = _spec_error_of(err, loc, file, lines, domain)
        mistakes = sorted(found.values(), key=lambda e: e.line or 0)
        raise (mistakes[0] if len(mistakes) == 1 else SpecErrors(mistakes)) from None


def _spec_error_of(err: Any, loc: tuple[Any, ...], file: Path, lines: Lines,
                   domain: str | None) -> SpecError:
    variable = loc[1] if len(loc) > 1 and loc[0] == "variables" else None
    where = ".".join(str(p) for p in loc) or "(top level)"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key" + _did_you_mean(str(loc[-1]) if loc else "")
    return SpecError(f"{where}: {msg}", file=str(file), domain=domain,
                     variable=variable if isinstance(variable, str) else None,
                     line=line_of(lines, loc))


def _keys() -> set[str]:
    """Every key the spec models know (field names and their aliases)."""
    known: set[str] = set()
    todo: list[type[BaseModel]] = [_Model]
    while todo:
        model = todo.pop()
        todo.extend(model.__subclasses__())
        for name, info in model.model_fields.items():
            known.add(info.alias or name)
    return known


def _did_you_mean(key: str) -> str:
    """' (did you mean field?)' for a misspelt key (``feild``), or ''."""
    from cdiscflow.expr import suggestion

    return suggestion(key, _keys() - {"model_config"})


STUDY_FILE = "study.yaml"


def _load_domain(name: str, dfile: Path) -> LoadedDomain:
    ddata, dlines = load_yaml(dfile)
    ddata = _table_files(ddata, dlines, dfile, dfile.parent)
    dspec = _validated(DomainSpec, ddata, dfile, dlines,
                       ddata.get("domain") if isinstance(ddata, dict) else None)
    if dspec.domain.lower() != name.lower():
        raise SpecError(f"file {name}.yaml declares domain {dspec.domain}; name the file "
                        f"after its domain", file=str(dfile), domain=dspec.domain,
                        line=line_of(dlines, ("domain",)))
    return LoadedDomain(spec=dspec, file=dfile, lines=dlines)


# a table file is study data, not a data set: bounded so a hostile spec cannot exhaust memory
MAX_TABLE_BYTES = 50_000_000


def _table_files(data: Any, lines: Lines, file: Path, study_dir: Path) -> Any:
    """The spec's ``tables:`` with each ``{file: x.csv}`` replaced by the file's rows (every
    value text, a blank cell missing); the file must lie inside the study folder."""
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict):
        return data
    tables = dict(data["tables"])
    for name, value in tables.items():
        if not (isinstance(value, dict) and set(value) == {"file"}):
            continue
        line = line_of(lines, ("tables", name))
        path = study_dir / str(value["file"])
        if not _inside(path, study_dir):
            raise SpecError(f"tables.{name}: file {value['file']!r} must be inside the study "
                            f"folder", file=str(file), line=line)
        tables[name] = _read_table(path, name, file, line)
    return {**data, "tables": tables}


def _read_table(path: Path, name: str, file: Path, line: int | None) -> list[dict[str, Any]]:
    import csv
    import io

    try:
        if path.stat().st_size > MAX_TABLE_BYTES:
            raise SpecError(f"tables.{name}: {path} is larger than {MAX_TABLE_BYTES} bytes",
                            file=str(file), line=line)
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"tables.{name}: cannot read {path} as UTF-8 text ({exc})",
                        file=str(file), line=line) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    for row in reader:
        if None in row or any(v is None for v in row.values()):
            raise SpecError(f"tables.{name}: {path} line {reader.line_num} has a different "
                            f"number of fields than its header", file=str(file), line=line)
        rows.append({k: (v if v.strip() else None) for k, v in row.items()})
    return rows


def load_study(study_dir: Path) -> LoadedStudy:
    """Load and check a study's spec files (study.yaml and each domain's mapping file)."""
    study_dir = Path(study_dir)
    file = study_dir / STUDY_FILE
    data, lines = load_yaml(file)
    data = _table_files(data, lines, file, study_dir)
    spec = _validated(StudySpec, data, file, lines, None)
    domains = []
    mistakes: list[SpecError] = []
    for name in spec.domains:
        dfile = study_dir / f"{name}.yaml"
        if not _inside(dfile, study_dir):
            raise SpecError(f"domain file {name!r} is outside the study folder", file=str(file))
        try:
            domains.append(_load_domain(name, dfile))
        except SpecError as exc:  # every domain file's mistakes are reported together
            mistakes.extend(getattr(exc, "errors", [exc]))
    if mistakes:
        raise mistakes[0] if len(mistakes) == 1 else SpecErrors(mistakes)
    domains = [_every_date_expanded(d, domains) for d in domains]
    # what the files say together (trial design, TS, the mappings against SDTMIG and the raw
    # headers) is checked once by cdiscflow.sdtm.checked.check_study_spec
    study = LoadedStudy(spec=spec, dir=study_dir, file=file, domains=domains, lines=lines)
    check_blank_crf(study)
    return study


# in a derivation's list of DOMAIN.VARIABLE sources: every date of every other domain
EVERY_DATE = "ALL.DTC"


def written_dates(ld: LoadedDomain) -> list[str]:
    """The domain's date variables as written: names ending in DTC, neither temporary nor
    supplemental (the SDTM timing variables --DTC, --STDTC, --ENDTC and DM's RF...DTC)."""
    return [name for name, var in ld.spec.variables.items()
            if name.endswith("DTC") and not var.temp and var.supp is None]


def _every_date_expanded(ld: LoadedDomain, domains: list[LoadedDomain]) -> LoadedDomain:
    """``ALL.DTC`` in a derivation parameter's list replaced by every date variable of every
    other domain, in the study's domain order (RFPENDTC, the last date of participation, is
    the latest date of all the subject's records). Expanded here, once, so that run order,
    checks and define.xml all see the concrete DOMAIN.VARIABLE names."""
    every = [f"{d.spec.domain}.{v}" for d in domains if d.spec.domain != ld.spec.domain
             for v in written_dates(d)]
    changed = {}
    for name, var in ld.spec.variables.items():
        extra = dict(var.derive.model_extra or {}) if var.derive is not None else {}
        params = {p: [x for ref in value for x in (every if ref == EVERY_DATE else [ref])]
                  for p, value in extra.items()
                  if isinstance(value, list) and EVERY_DATE in value}
        if params:
            derive = type(var.derive).model_validate({"function": var.derive.function,
                                                      **extra, **params})
            changed[name] = var.model_copy(update={"derive": derive})
    if not changed:
        return ld
    spec = ld.spec.model_copy(update={"variables": {**ld.spec.variables, **changed}})
    return ld.model_copy(update={"spec": spec})


def check_blank_crf(study: LoadedStudy) -> int:
    """The blank CRF's page count (0 without one). A file outside the study folder, missing or
    not a readable PDF, a ``forms:`` entry naming no raw form or a page beyond the last are
    spec errors naming the study file and line."""
    blank = study.spec.submission.blank_crf
    if blank is None:
        return 0
    path = study.dir / blank.file
    line = study.line("submission", "blank_crf", "file")
    try:
        path.resolve().relative_to(study.dir.resolve())
    except ValueError:
        raise SpecError(f"submission.blank_crf.file {blank.file!r} must be inside the study "
                        f"folder", file=str(study.file), line=line) from None
    count = _page_count(path, study, line)
    for form, pages in blank.forms.items():
        where = study.line("submission", "blank_crf", "forms", form)
        if form not in study.spec.raw.forms:
            raise SpecError(f"submission.blank_crf.forms: {form!r} is not a raw form of the "
                            f"study (raw.forms: {', '.join(study.spec.raw.forms)})",
                            file=str(study.file), line=where)
        beyond = [p for p in pages if p > count]
        if beyond:
            raise SpecError(f"submission.blank_crf.forms.{form}: page {beyond[0]} is beyond "
                            f"the last page of {blank.file} ({count} pages)",
                            file=str(study.file), line=where)
    return count


def _page_count(path: Path, study: LoadedStudy, line: int | None) -> int:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path), strict=False)
        count = len(reader.pages)
    except (OSError, PyPdfError, ValueError) as exc:
        raise SpecError(f"submission.blank_crf.file: cannot read {path} as PDF ({exc})",
                        file=str(study.file), line=line) from None
    if count == 0:
        raise SpecError(f"submission.blank_crf.file: {path} has no pages",
                        file=str(study.file), line=line)
    return count


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True
