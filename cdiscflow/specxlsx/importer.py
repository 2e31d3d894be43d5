"""``cdiscflow spec import SPEC.xlsx STUDY_DIR``: a workbook back to the study file and mapping
files.

The files are built from the editable sheets, checked as ``cdiscflow run`` checks them (in a
scratch folder, so a workbook with a mistake leaves the study as it was), then written. Every
error names the sheet, row and column of the cell it comes from. Other files of the study
(the ADaM spec files in ``adam/``) are left as they are.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from cdiscflow.atomic import write_text_atomic
from cdiscflow.errors import SpecError
from cdiscflow.specxlsx import workbook as wb
from cdiscflow.specxlsx.cells import ABSENT, from_cell
from cdiscflow.specxlsx.yamlout import Path_, render

Origin = tuple[str, int]  # sheet, row


class _Sheet:
    """One editable sheet: its header and its non-empty rows, with positions for errors."""

    def __init__(self, book: Any, title: str, source: Path, required: tuple[str, ...]) -> None:
        self.title = title
        self.source = source
        if title not in book.sheetnames:
            raise SpecError(f"sheet {title} is missing", file=str(source))
        ws = book[title]
        rows = list(ws.iter_rows(values_only=True))
        self.header = [str(h).strip() if h is not None else "" for h in (rows[0] if rows else [])]
        for i, name in enumerate(required):
            if i >= len(self.header) or self.header[i] != name:
                raise SpecError(f"sheet {title}, row 1, column {get_column_letter(i + 1)}: "
                                f"expected the header {name!r}", file=str(source))
        self.rows = [(n, list(r) + [None] * (len(self.header) - len(r)))
                     for n, r in enumerate(rows[1:], start=2)
                     if any(v is not None and str(v).strip() for v in r)]

    def where(self, row: int, col: int) -> str:
        return (f"sheet {self.title}, row {row}, column {get_column_letter(col + 1)} "
                f"({self.header[col]})")

    def error(self, row: int, col: int, message: str) -> SpecError:
        return SpecError(f"{self.where(row, col)}: {message}", file=str(self.source))

    def value(self, row: int, values: list[Any], col: int) -> Any:
        return from_cell(values[col], self.where(row, col), str(self.source))

    def text(self, row: int, values: list[Any], col: int) -> str:
        value = values[col]
        if value is None or not str(value).strip():
            raise self.error(row, col, "a value is needed")
        return str(value).strip()

    def keys(self, row: int, values: list[Any], first: int, skip: tuple[str, ...] = ()
             ) -> dict[str, Any]:
        """The spec keys of a row: every column from ``first`` with a value."""
        out: dict[str, Any] = {}
        for col in range(first, len(self.header)):
            name = self.header[col]
            if not name or name in skip:
                continue
            value = self.value(row, values, col)
            if value is not ABSENT:
                out[name] = value
        return out


def read_files(source: Path) -> tuple[dict[str, dict[str, Any]], dict[str, list], dict]:
    """The spec files a workbook describes: file stem ("study" for study.yaml) -> data, with
    the comments per file and the sheet and row each key path came from."""
    from openpyxl import load_workbook

    from cdiscflow.spec import DomainSpec

    try:
        book = load_workbook(source, read_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise SpecError(f"cannot be read as an Excel workbook: {exc}", file=str(source)) from None
    origins: dict[tuple[str, Path_], Origin] = {}
    study_sheet = _Sheet(book, wb.STUDY, source, wb.STUDY_COLUMNS)
    pairs = []
    for row, values in study_sheet.rows:
        key = study_sheet.text(row, values, 0)
        value = study_sheet.value(row, values, 1)
        if value is not ABSENT:
            pairs.append((key, value))
            origins[(wb.STUDY_SCOPE, wb.text_path(key))] = (wb.STUDY, row)
            origins.setdefault((wb.STUDY_SCOPE, wb.text_path(key)[:1]), (wb.STUDY, row))
    try:
        study = wb.unflatten(pairs)
    except ValueError as exc:
        raise SpecError(f"sheet {wb.STUDY}: {exc}", file=str(source)) from None

    ds_sheet = _Sheet(book, wb.DATASETS, source, wb.DATASET_FIXED)
    domains: dict[str, dict[str, Any]] = {}
    stem_of: dict[str, str] = {}
    for row, values in ds_sheet.rows:
        stem = ds_sheet.text(row, values, 0)
        if stem in domains or stem == wb.STUDY_SCOPE or "/" in stem or "\\" in stem:
            raise ds_sheet.error(row, 0, f"file {stem!r} is repeated or not a plain name")
        domains[stem] = ds_sheet.keys(row, values, 1)
        origins[(stem, ())] = (wb.DATASETS, row)
        stem_of[str(domains[stem].get("domain", stem)).upper()] = stem

    variables = _variables(book, source, stem_of, origins)
    tables = _tables(book, source, set(domains), origins)
    comments = _comments(book, source, set(domains))
    study = _with_tables(study, tables.pop(wb.STUDY_SCOPE, None), after="domains")
    files = {wb.STUDY_SCOPE: study}
    order = wb.model_keys(DomainSpec)
    for stem, data in domains.items():
        full = {**data, "tables": tables.get(stem), "variables": variables.get(stem, {})}
        files[stem] = {k: full[k] for k in order if full.get(k) is not None}
        files[stem].update({k: v for k, v in data.items() if k not in order})
    return files, comments, origins


def _with_tables(data: dict[str, Any], tables: dict[str, Any] | None, after: str
                 ) -> dict[str, Any]:
    if tables is None:
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[key] = value
        if key == after:
            out["tables"] = tables
    out.setdefault("tables", tables)
    return out


def _variables(book: Any, source: Path, stem_of: dict[str, str],
               origins: dict[tuple[str, Path_], Origin]) -> dict[str, dict[str, Any]]:
    sheet = _Sheet(book, wb.VARIABLES, source, wb.VARIABLE_FIXED)
    rows: dict[str, list[tuple[Any, int, str, dict[str, Any]]]] = {}
    for row, values in sheet.rows:
        order = sheet.value(row, values, 0)
        if order is not ABSENT and not isinstance(order, int):
            raise sheet.error(row, 0, f"expected a whole number, not {values[0]!r}")
        domain = sheet.text(row, values, 1).upper()
        if domain not in stem_of:
            raise sheet.error(row, 1, f"dataset {domain} has no row on the Datasets sheet")
        name = sheet.text(row, values, 2)
        kind = sheet.text(row, values, 3)
        spec = {kind: sheet.value(row, values, 4)}
        if spec[kind] is ABSENT:
            raise sheet.error(row, 4, f"the {kind} source is empty")
        spec.update(sheet.keys(row, values, 5, skip=wb.READ_ONLY_COLUMNS))
        stem = stem_of[domain]
        if any(n == name for _, _, n, _ in rows.get(stem, [])):
            raise sheet.error(row, 2, f"variable {name} of {domain} appears twice")
        rows.setdefault(stem, []).append((order if order is not ABSENT else 0, row, name, spec))
        origins[(stem, ("variables", name))] = (wb.VARIABLES, row)
    return {stem: {name: spec for _, _, name, spec in sorted(items, key=lambda r: (r[0], r[1]))}
            for stem, items in rows.items()}


def _tables(book: Any, source: Path, stems: set[str],
            origins: dict[tuple[str, Path_], Origin]) -> dict[str, dict[str, list]]:
    if wb.TABLES not in book.sheetnames:
        return {}
    sheet = _Sheet(book, wb.TABLES, source, wb.TABLE_FIXED)
    out: dict[str, dict[str, list]] = {}
    for row, values in sheet.rows:
        scope = sheet.text(row, values, 0)
        if scope != wb.STUDY_SCOPE and scope not in stems:
            raise sheet.error(row, 0, f"{scope!r} is neither {wb.STUDY_SCOPE!r} nor a File of "
                              f"the Datasets sheet")
        name = sheet.text(row, values, 1)
        rows = out.setdefault(scope, {}).setdefault(name, [])
        origins.setdefault((scope, ("tables", name)), (wb.TABLES, row))
        if values[2] is None:
            continue  # a table declared without rows
        rows.append(sheet.keys(row, values, 3))
        origins[(scope, ("tables", name, len(rows) - 1))] = (wb.TABLES, row)
    return out


def _comments(book: Any, source: Path, stems: set[str]) -> dict[str, list]:
    if wb.COMMENTS not in book.sheetnames:
        return {}
    sheet = _Sheet(book, wb.COMMENTS, source, wb.COMMENT_COLUMNS)
    out: dict[str, list] = {}
    for row, values in sheet.rows:
        file = sheet.text(row, values, 0)
        if file != wb.STUDY_SCOPE and file not in stems:
            raise sheet.error(row, 0, f"{file!r} is not a file of the workbook")
        text = sheet.text(row, values, 2)
        comment = text if text.startswith("#") else f"# {text}"
        out.setdefault(file, []).append((wb.text_path(str(values[1] or "(end)")), comment))
    return out


def _file_name(stem: str) -> str:
    return "study.yaml" if stem == wb.STUDY_SCOPE else f"{stem}.yaml"


def import_workbook(source: Path, study_dir: Path) -> tuple[list[Path], Path | None]:
    """Write the study file and mapping files ``source`` describes into ``study_dir``; returns
    the files written and the raw folder whose headers the spec was checked against (None when
    the study's raw folder is not there: the files alone were checked). Raises SpecError
    (sheet, row, column) and writes nothing on a mistake."""
    from cdiscflow.specload import load_study

    source, study_dir = Path(source), Path(study_dir)
    files, comments, origins = read_files(source)
    texts: dict[str, str] = {}
    line_paths: dict[str, list[Path_]] = {}
    for stem, data in files.items():
        texts[stem], line_paths[stem] = render(data, comments.get(stem, []))
    with tempfile.TemporaryDirectory() as scratch:
        for stem, text in texts.items():
            (Path(scratch) / _file_name(stem)).write_text(text, encoding="utf-8")
        try:
            checked = load_study(Path(scratch))
            # the run's own spec check (IG, CT, derivations, raw headers) when the study's raw
            # folder is there to read the headers from
            # normalised: the study folder itself may not exist yet
            raw: Path | None = Path(os.path.normpath(study_dir / checked.spec.raw.dir))
            if raw is not None and raw.is_dir():
                from cdiscflow.sdtm.engine import Engine

                Engine(checked, raw).check()
            else:
                raw = None
        except SpecError as exc:
            raise _located(exc, source, Path(scratch), line_paths, origins) from None
    written = []
    for stem, text in texts.items():
        write_text_atomic(study_dir / _file_name(stem), text)
        written.append(study_dir / _file_name(stem))
    return written, raw


def _located(exc: SpecError, source: Path, scratch: Path, line_paths: dict[str, list[Path_]],
             origins: dict[tuple[str, Path_], Origin]) -> SpecError:
    """A spec error of a generated file, told as the sheet and row it came from."""
    stem = Path(exc.file or "").stem if exc.file else ""
    stem = wb.STUDY_SCOPE if stem == "study" else stem
    paths = line_paths.get(stem, [])
    path: Path_ = paths[exc.line - 1] if exc.line and exc.line <= len(paths) else ()
    for n in range(len(path), -1, -1):
        if (stem, path[:n]) in origins:
            sheet, row = origins[(stem, path[:n])]
            return SpecError(f"sheet {sheet}, row {row}: {exc.message}", file=str(source),
                             domain=exc.domain, variable=exc.variable)
    return SpecError(f"{_file_name(stem)}: {exc.message}", file=str(source), domain=exc.domain,
                     variable=exc.variable)
