"""Checks of a define.xml's content a reviewer's tools (the Define-XML 2.1 Schematron, CDISC
CORE) make, beyond well-formedness and resolved references (``check_define``):

- SDTM: every ItemRef has a Role (CORE CG0010); a SUPP-- ItemGroupDef has an Alias
  DomainDescription; with an annotated CRF, every Collected origin (but a SUPP-- QVAL as a
  whole, described per QNAM) points to its pages;
- every Derived variable (and value-level item) has a MethodDef with a description;
- every CT standard's version is a package date (YYYY-MM-DD) CORE knows the form of;
- the document starts with an xml-stylesheet instruction naming a file beside it;
- each dataset's KeySequence numbers its keys 1, 2, ... once each;
- an SDTM define.xml names its annotated CRF (def:AnnotatedCRF), whose leaf is a file beside
  it.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from cdiscflow.define.xml import DEF_NS, ODM_NS, DefineProblem

_NS = {"odm": ODM_NS, "def": DEF_NS}


def conformance_problems(path: Path) -> list[DefineProblem]:
    """What a reviewer's checks would find in ``path`` (a define.xml), in document order."""
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    problems: list[DefineProblem] = []
    pi = tree.getroot().getprevious()
    href = re.search(r'href="([^"]+)"', pi.text or "") if isinstance(
        pi, etree._ProcessingInstruction) and pi.target == "xml-stylesheet" else None
    if href is None or not (path.parent / href.group(1)).is_file():
        problems.append(DefineProblem(str(path), "no xml-stylesheet naming a stylesheet beside "
                                      "define.xml"))
    for std in tree.xpath("//def:Standard[@Type='CT']", namespaces=_NS):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", std.get("Version", "")):
            problems.append(DefineProblem(std.get("OID", "?"), "CT version is not a package "
                                          "date"))
    sdtm = bool(tree.xpath("//def:Standard[@Type='IG' and @Name='SDTMIG']", namespaces=_NS))
    items = {i.get("OID"): i for i in tree.xpath("//odm:ItemDef", namespaces=_NS)}
    methods = {m.get("OID"): m for m in tree.xpath("//odm:MethodDef", namespaces=_NS)}
    crf = bool(tree.xpath("//def:AnnotatedCRF", namespaces=_NS))
    for ref in tree.xpath("//odm:ItemRef", namespaces=_NS):
        oid = ref.get("ItemOID")
        item = items.get(oid)
        if item is None:
            continue  # check_define reports the dangling reference
        in_group = etree.QName(ref.getparent()).localname == "ItemGroupDef"
        if sdtm and in_group and not ref.get("Role"):
            problems.append(DefineProblem(oid, "ItemRef has no Role"))
        origin = item.find(f"{{{DEF_NS}}}Origin")
        kind = origin.get("Type") if origin is not None else None
        if kind == "Derived":
            method = methods.get(ref.get("MethodOID", ""))
            text = method.findtext(f"{{{ODM_NS}}}Description/{{{ODM_NS}}}TranslatedText") \
                if method is not None else None
            if not text:
                problems.append(DefineProblem(oid, "Derived but no MethodDef describes it"))
        if sdtm and crf and kind == "Collected" and not oid.endswith(".QVAL") and \
                not origin.xpath("def:DocumentRef/def:PDFPageRef", namespaces=_NS):
            problems.append(DefineProblem(oid, "Collected but no annotated CRF page"))
    for group in tree.xpath("//odm:ItemGroupDef", namespaces=_NS):
        keys = sorted(int(k) for k in group.xpath("odm:ItemRef/@KeySequence", namespaces=_NS))
        if keys != list(range(1, len(keys) + 1)):
            problems.append(DefineProblem(group.get("OID", "?"), f"KeySequence is "
                                          f"{keys}, not 1 to {len(keys)} once each"))
    problems += _annotated_crf(tree, path, sdtm)
    for group in tree.xpath("//odm:ItemGroupDef[starts-with(@Name, 'SUPP')]", namespaces=_NS):
        if not group.xpath("odm:Alias[@Context='DomainDescription']", namespaces=_NS):
            problems.append(DefineProblem(group.get("OID", "?"), "SUPP-- dataset without an "
                                          "Alias DomainDescription"))
    return problems


def _annotated_crf(tree: etree._ElementTree, path: Path, sdtm: bool) -> list[DefineProblem]:
    """An SDTM define.xml names its annotated CRF, and the CRF's leaf is a file beside it."""
    refs = tree.xpath("//def:AnnotatedCRF/def:DocumentRef/@leafID", namespaces=_NS)
    if sdtm and not refs:
        return [DefineProblem(str(path), "no def:AnnotatedCRF names the annotated CRF")]
    problems = []
    for leaf_id in refs:
        hrefs = tree.xpath("//def:leaf[@ID=$id]/@xlink:href", id=leaf_id,
                           namespaces={**_NS, "xlink": "http://www.w3.org/1999/xlink"})
        if not hrefs or not (path.parent / hrefs[0]).is_file():
            problems.append(DefineProblem(leaf_id, "the annotated CRF's leaf is no file "
                                          "beside define.xml"))
    return problems
