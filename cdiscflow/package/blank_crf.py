"""A study's own blank CRF in acrf.pdf: its pages first, the generated annotation pages after
them (cdiscflow/package/acrf.py), one bookmarked PDF (pypdf).

The study file names the PDF (``submission.blank_crf.file``, inside the study folder) and may
say which of its pages show each raw form (``forms:``): those pages are then bookmarked under
the form and added to the define.xml page references of the variables the form feeds, so a
reviewer lands on the sponsor's CRF page and on its annotations.
"""

from __future__ import annotations

import io
from pathlib import Path

from cdiscflow.spec import LoadedStudy


def blank_crf_path(study: LoadedStudy) -> Path | None:
    blank = study.spec.submission.blank_crf
    return None if blank is None else study.dir / blank.file


def merged(blank: Path, annotated: bytes, title: str,
           forms: dict[str, int], form_blank_pages: dict[str, list[int]],
           domains: dict[str, int]) -> bytes:
    """The blank CRF's pages then the annotation pages, as one PDF with bookmarks: "Blank
    CRF" (its first page; each form of ``form_blank_pages`` at its first page there),
    "Forms" (``forms``: form -> first annotation page, physical) and "Domains" (label ->
    first page). Equal inputs give equal bytes (pypdf's file identifier is a checksum of
    the content)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(str(blank)).pages:
        writer.add_page(page)
    for page in PdfReader(io.BytesIO(annotated)).pages:
        writer.add_page(page)
    writer.add_metadata({"/Title": title, "/Author": "cdiscflow",
                         "/Subject": "the study's blank CRF and its SDTM annotations"})
    top = writer.add_outline_item("Blank CRF", 0)
    for form, pages in form_blank_pages.items():
        writer.add_outline_item(form, pages[0] - 1, parent=top)
    if forms:
        parent = writer.add_outline_item("Forms", min(forms.values()) - 1)
        for form, page in forms.items():
            writer.add_outline_item(form, page - 1, parent=parent)
    if domains:
        parent = writer.add_outline_item("Domains", min(domains.values()) - 1)
        for label, page in domains.items():
            writer.add_outline_item(label, page - 1, parent=parent)
    writer.page_mode = "/UseOutlines"
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
