"""The annotated CRF (acrf.pdf), generated from what the study declares: one page or more per
raw form listing its fields, each annotated with the SDTM domain and variable it feeds (read off
the mapping files, so the annotations cannot drift from the data), "NOT SUBMITTED" where a field
feeds nothing.

The PDF follows the SDTM annotation conventions reviewers know: a domain's annotations in one
colour per form, the domain named at the top of the page, SUPP-- qualifiers as
``QNAM in SUPPxx``; it is bookmarked by form and by domain. ``write_acrf`` returns the pages
each (domain, variable) is annotated on, for the define.xml page references.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from cdiscflow.atomic import write_bytes_atomic
from cdiscflow.package.blank_crf import blank_crf_path, merged
from cdiscflow.raw import read_header
from cdiscflow.sdtm.derivations import REGISTRY
from cdiscflow.sdtm.domains import sponsor_domains
from cdiscflow.spec import LoadedDomain, LoadedStudy, VariableSpec, expression
from cdiscflow.specload import check_blank_crf
from cdiscflow.standards import sdtm_dataset_label

ACRF_FILE = "acrf.pdf"
NOT_SUBMITTED = "NOT SUBMITTED"
# the usual annotation colours, one per domain in the order it appears on a form
_PALETTE = ("#BFFFFF", "#FFFF96", "#96FF96", "#FFBE9B", "#D7BFFF", "#FFC8DC")
_GREY = "#DDDDDD"


@dataclass(frozen=True)
class Annotation:
    domain: str  # the SDTM domain the field feeds (SUPP-- qualifiers: their parent's)
    variable: str  # the variable (for a SUPP-- qualifier: its QNAM)
    text: str  # what the page shows ("LBORRES when TEST = PLT", "AEDLT in SUPPAE")


@dataclass
class CrfPages:
    """Where the acrf.pdf annotates each variable: (domain, variable) -> physical pages."""

    file: str = ACRF_FILE
    pages: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    form_first: dict[str, int] = field(default_factory=dict)  # form -> its first page
    domain_first: dict[str, int] = field(default_factory=dict)  # domain -> first page annotating it

    def of(self, domain: str, variable: str) -> tuple[int, ...]:
        return tuple(self.pages.get((domain, variable), ()))


def _used_columns(var: VariableSpec) -> list[str]:
    """The working columns a collected variable's value comes from."""
    if var.field is not None:
        return [var.field]
    if var.ct is not None:
        return [var.ct.field]
    if var.map is not None:
        return [var.map.field]
    if var.date is not None:
        return [var.date.date] + ([var.date.time] if var.date.time else [])
    if var.text is not None:
        return list(var.text.columns())
    if var.lookup is not None:
        return list(var.lookup.match.values())
    if var.expr is not None:
        return expression(var.expr).names
    if var.derive is not None:
        # the derivation's column parameters: a raw field among them feeds the variable
        params = var.derive.model_extra or {}
        spec = REGISTRY[var.derive.function]
        return [str(v) for k, v in params.items()
                if k in spec.params and spec.params[k].kind == "column" and "." not in str(v)]
    return []


def domain_annotations(ld: LoadedDomain, headers: dict[str, list[str]]
                       ) -> dict[tuple[str, str], list[Annotation]]:
    """(form, field) -> what the field feeds in this mapping file's domain."""
    spec = ld.spec
    domain = spec.domain
    # where each working column comes from: (form, field, stacked group or None)
    origin: dict[str, list[tuple[str, str, str | None]]] = {
        c: [(spec.source, c, None)] for c in headers.get(spec.source, [])}
    out: dict[tuple[str, str], list[Annotation]] = {}
    stack_key = None
    for step in spec.steps:
        if step.join is not None:
            j = step.join
            for c in j.columns:
                origin[c] = [(j.form, c, None)] if j.form else []
            if j.domain:
                # the source's key fields are what finds the joined domain's values
                for key in j.pairs:
                    for name in (n for n in j.columns if n in spec.variables):
                        out.setdefault((spec.source, key), []).append(Annotation(
                            domain, name, f"{name} (matched on {j.domain}.{j.pairs[key]})"))
        elif step.stack is not None:
            stack_key = step.stack.key
            # the key (the test) is told by which group of fields a record came from: the
            # group's first field (the result) stands for it
            raw_groups = {g: step.stack.raw_columns(g) for g in step.stack.groups}
            origin[stack_key] = [(spec.source, next(iter(columns.values())), group)
                                 for group, columns in raw_groups.items() if columns]
            for group, columns in raw_groups.items():
                for new, raw in columns.items():
                    origin.setdefault(new, [])
                    origin[new] = [o for o in origin[new] if o[2] is not None]
                    origin[new].append((spec.source, raw, group))
    def sources(column: str, depth: int = 0) -> list[tuple[str, str, str | None]]:
        # a column that is another variable of the mapping (LBTEST from LBTESTCD) comes from
        # that variable's own sources
        if column in origin or depth > 3 or column not in spec.variables:
            return origin.get(column, [])
        return [o for c in _used_columns(spec.variables[column]) for o in sources(c, depth + 1)]

    for name, var in spec.variables.items():
        if var.temp:
            continue
        for column in _used_columns(var):
            # a derivation is annotated on the raw fields it reads itself, not on those of
            # the variables it derives from (EPOCH is no annotation of AESTDAT)
            found = origin.get(column, []) if var.derive is not None else sources(column)
            for form, raw, group in found:
                text = f"{name} in SUPP{domain}" if var.supp is not None else name
                if var.kind == "lookup":
                    text += f" (by the {var.lookup.table} table)"
                elif var.kind == "derive":
                    text += " (derived)"
                if group is not None:
                    text += f" when {stack_key} = {group}"
                out.setdefault((form, raw), []).append(Annotation(domain, name, text))
    return out


def annotations(study: LoadedStudy, headers: dict[str, list[str]]
                ) -> dict[str, list[tuple[str, list[Annotation]]]]:
    """Per raw form (in the study file's order), its fields in file order with what each
    feeds (an empty list: not submitted)."""
    found: dict[tuple[str, str], list[Annotation]] = {}
    for ld in study.domains:
        for key, notes in domain_annotations(ld, headers).items():
            bucket = found.setdefault(key, [])
            bucket.extend(n for n in notes if n not in bucket)
    return {form: [(f, found.get((form, f), [])) for f in headers[form]]
            for form in study.spec.raw.forms if form in headers}


def raw_headers(study: LoadedStudy, raw_dir: Path) -> dict[str, list[str]]:
    raw = study.spec.raw
    return {name: read_header(raw_dir / form.file, raw.encoding_of(name),
                              fmt=form.file_format, sheet=form.sheet)
            for name, form in raw.forms.items()}


# --------------------------------------------------------------------------- the PDF


_LEFT, _NOTES_X, _RIGHT_MARGIN = 40.0, 200.0, 40.0
_FIRST_ROW_Y, _BOTTOM_Y = A4[1] - 136.0, 60.0


def _lines(notes: list[Annotation]) -> list[list[tuple[str, str | None]]]:
    """A field's annotation boxes laid out on lines: (text, domain or None) per box."""
    boxes = [(a.text, a.domain) for a in notes] or [(NOT_SUBMITTED, None)]
    lines: list[list[tuple[str, str | None]]] = [[]]
    x = _NOTES_X
    for text, domain in boxes:
        w = stringWidth(text, "Helvetica", 8) + 8
        if lines[-1] and x + w > A4[0] - _RIGHT_MARGIN:  # a busy field wraps
            lines.append([])
            x = _NOTES_X
        lines[-1].append((text, domain))
        x += w + 4
    return lines


def _chunks(rows: list[tuple[str, list[Annotation]]]
            ) -> Iterable[list[tuple[str, list[list[tuple[str, str | None]]]]]]:
    """The form's rows laid out, split into pages by the height they take."""
    page: list[tuple[str, list[list[tuple[str, str | None]]]]] = []
    y = _FIRST_ROW_Y
    for name, notes in rows:
        lines = _lines(notes)
        height = 22 + 16 * (len(lines) - 1)
        if page and y - height < _BOTTOM_Y:
            yield page
            page, y = [], _FIRST_ROW_Y
        page.append((name, lines))
        y -= height
    yield page


def acrf_bytes(study: LoadedStudy, headers: dict[str, list[str]], blank_pages: int = 0
               ) -> tuple[bytes, CrfPages]:
    """The annotated CRF as PDF bytes (identical for equal inputs) and its page map.

    With a blank CRF of ``blank_pages`` pages (``write_acrf`` puts it first), the annotation
    pages are numbered after it, and a variable's pages include the blank CRF pages the study
    file gives for the forms it is annotated on (``submission.blank_crf.forms``).
    """
    blank = study.spec.submission.blank_crf
    form_blank = dict(blank.forms) if blank is not None else {}
    studyid = study.spec.study.studyid
    sponsor = sponsor_domains(study)  # a sponsor-defined domain's label is the study's own
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    pdf.setTitle(f"{studyid} annotated CRF")
    pdf.setAuthor("cdiscflow")
    pdf.setSubject("SDTM annotations of the study's raw forms")
    pages = CrfPages()
    forms: list[str] = []
    domains_seen: list[str] = []
    number = blank_pages
    # reportlab names an outline entry by its destination key: every entry gets its own key
    for form, rows in annotations(study, headers).items():
        domains = list(dict.fromkeys(a.domain for _, notes in rows for a in notes))
        by_field = dict(rows)
        colour = {d: _PALETTE[i % len(_PALETTE)] for i, d in enumerate(domains)}
        labels = {d: sdtm_dataset_label(d, sponsor) for d in domains}
        for part, chunk in enumerate(_chunks(rows)):
            number += 1
            if number == blank_pages + 1:
                pdf.bookmarkPage("FORMS")
            if part == 0:
                pdf.bookmarkPage(f"F.{form}")
                forms.append(form)
                pages.form_first[form] = number
            _page(pdf, studyid, form, study.spec.raw.forms[form].file, part, labels, colour,
                  chunk, number, form_blank.get(form, []))
            for name, _ in chunk:
                for a in by_field[name]:
                    found = pages.pages.setdefault((a.domain, a.variable), [])
                    for page in [*form_blank.get(form, []), number]:
                        if page not in found:
                            found.append(page)
                    if a.domain not in domains_seen:
                        if not domains_seen:
                            pdf.bookmarkPage("DOMAINS")
                        pdf.bookmarkPage(f"D.{a.domain}")
                        domains_seen.append(a.domain)
                        pages.domain_first[a.domain] = number
            pdf.showPage()
    if forms:
        pdf.addOutlineEntry("Forms", "FORMS", level=0)
        for form in forms:
            pdf.addOutlineEntry(form, f"F.{form}", level=1)
    if domains_seen:
        pdf.addOutlineEntry("Domains", "DOMAINS", level=0)
        for domain in sorted(domains_seen):
            pdf.addOutlineEntry(f"{domain} ({sdtm_dataset_label(domain, sponsor)})", f"D.{domain}",
                                level=1)
    pdf.showOutline()
    pdf.save()
    pages.pages = {k: sorted(v) for k, v in pages.pages.items()}
    return buffer.getvalue(), pages


def _page(pdf: canvas.Canvas, studyid: str, form: str, file: str, part: int,
          labels: dict[str, str], colour: dict[str, str], rows: list[tuple[str, list]],
          number: int, blank_pages: list[int]) -> None:
    width, height = A4
    pdf.setFont("Helvetica", 8)
    pdf.drawString(40, height - 30, f"{studyid} annotated CRF")
    pdf.drawRightString(width - 40, 30, f"page {number}")
    pdf.setFont("Helvetica-Bold", 13)
    pdf.drawString(40, height - 55, f"Form {form}{' (continued)' if part else ''}")
    pdf.setFont("Helvetica", 9)
    shown = (f", blank CRF page{'s' if len(blank_pages) > 1 else ''} "
             f"{', '.join(map(str, blank_pages))}" if blank_pages else "")
    pdf.drawString(40, height - 70, f"raw file {file}{shown}")
    # the domains this form feeds, each in its colour (the top-of-page domain boxes)
    x = 40.0
    for d, name in labels.items():
        label = f"{d} = {name}"
        w = pdf.stringWidth(label, "Helvetica-Bold", 9) + 10
        _box(pdf, x, height - 95, w, label, colour[d], bold=True)
        x += w + 6
    y = height - 130
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(40, y, "CRF field")
    pdf.drawString(200, y, "SDTM annotation")
    y -= 6
    pdf.line(40, y, width - 40, y)
    for name, lines in rows:
        y -= 22
        pdf.setFont("Helvetica", 9)
        pdf.drawString(_LEFT, y + 4, name)
        for i, line in enumerate(lines):
            if i:
                y -= 16
            x = _NOTES_X
            for text, domain in line:
                w = pdf.stringWidth(text, "Helvetica", 8) + 8
                _box(pdf, x, y, w, text, colour[domain] if domain else _GREY)
                x += w + 4


def _box(pdf: canvas.Canvas, x: float, y: float, w: float, text: str, fill: str,
         bold: bool = False) -> None:
    pdf.setFillColor(colors.HexColor(fill))
    pdf.setStrokeColor(colors.black)
    pdf.rect(x, y, w, 14, stroke=1, fill=1)
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica-Bold" if bold else "Helvetica", 9 if bold else 8)
    pdf.drawString(x + 4, y + 4, text)


def write_acrf(study: LoadedStudy, raw_dir: Path, folder: Path) -> CrfPages:
    """Write ``folder/acrf.pdf`` (atomically) and return where each variable is annotated:
    the generated annotation pages, after the study's own blank CRF when it names one."""
    blank = blank_crf_path(study)
    count = check_blank_crf(study)
    data, pages = acrf_bytes(study, raw_headers(study, raw_dir), count)
    if blank is not None:
        data = merged(blank, data, f"{study.spec.study.studyid} annotated CRF",
                      pages.form_first, dict(study.spec.submission.blank_crf.forms),
                      {f"{d} ({sdtm_dataset_label(d)})": pages.domain_first[d]
                       for d in sorted(pages.domain_first)})
    write_bytes_atomic(folder / ACRF_FILE, data)
    return pages
