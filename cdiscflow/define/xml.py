"""Define-XML 2.1 from the metadata model, and the checks a reviewer's tools would run on it.

Element order inside MetaDataVersion follows the Define-XML 2.1 schema: def:Standards,
def:ValueListDef, def:WhereClauseDef, ItemGroupDef, ItemDef, CodeList, MethodDef,
def:CommentDef. Everything is generated; output is byte-identical for equal inputs (the
creation time is the study file's fixed date, never the wall clock).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from lxml import etree

from cdiscflow.define import arm
from cdiscflow.define.model import (
    ACRF_LEAF,
    Dataset,
    Define,
    Item,
    dataset_oid,
    item_oid,
    leaf_id,
    value_item_oid,
    value_list_oid,
    where_oid,
)

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NSMAP = {None: ODM_NS, "def": DEF_NS, "xlink": XLINK_NS}


def _o(tag: str) -> str:
    return f"{{{ODM_NS}}}{tag}"


def _d(tag: str) -> str:
    return f"{{{DEF_NS}}}{tag}"


def _text(parent: etree._Element, tag: str, text: str) -> etree._Element:
    """<tag><TranslatedText xml:lang="en">text</TranslatedText></tag>."""
    el = etree.SubElement(parent, tag)
    tt = etree.SubElement(el, _o("TranslatedText"))
    tt.set(f"{{{XML_NS}}}lang", "en")
    tt.text = text
    return el


class _Comments:
    """def:CommentDef elements, numbered in order of first use."""

    def __init__(self) -> None:
        self.texts: dict[str, str] = {}

    def oid(self, text: str) -> str:
        if text not in self.texts:
            self.texts[text] = f"COM.{len(self.texts) + 1:03d}"
        return self.texts[text]


def build_define(define: Define) -> etree._Element:
    # the ARM namespace is declared only where there are analysis results to describe
    nsmap = NSMAP if not define.result_displays else {**NSMAP, "arm": arm.ARM_NS}
    root = etree.Element(_o("ODM"), nsmap=nsmap)
    stamp = define.created.isoformat(timespec="seconds")
    root.set("FileType", "Snapshot")
    root.set("FileOID", f"DEFINE.{define.mdv_oid}")
    root.set("ODMVersion", "1.3.2")
    root.set("CreationDateTime", stamp)
    root.set("AsOfDateTime", stamp)
    root.set("Originator", "cdiscflow")
    root.set("SourceSystem", "cdiscflow")
    root.set(_d("Context"), "Submission")
    study = etree.SubElement(root, _o("Study"), OID=define.study_oid)
    gv = etree.SubElement(study, _o("GlobalVariables"))
    etree.SubElement(gv, _o("StudyName")).text = define.study_name
    etree.SubElement(gv, _o("StudyDescription")).text = define.description
    etree.SubElement(gv, _o("ProtocolName")).text = define.protocol
    mdv = etree.SubElement(study, _o("MetaDataVersion"), OID=define.mdv_oid,
                           Name=define.mdv_name)
    mdv.set(_d("DefineVersion"), "2.1.0")
    standards = etree.SubElement(mdv, _d("Standards"))
    for s in define.standards:
        el = etree.SubElement(standards, _d("Standard"), OID=s.oid, Name=s.name, Type=s.type)
        if s.publishing_set:
            el.set("PublishingSet", s.publishing_set)
        el.set("Version", s.version)
        el.set("Status", "Final")
    if define.annotated_crf:
        crf = etree.SubElement(mdv, _d("AnnotatedCRF"))
        etree.SubElement(crf, _d("DocumentRef"), leafID=ACRF_LEAF)
    comments = _Comments()
    _value_lists(mdv, define, comments)
    arm.where_clauses(mdv, define.result_displays, define.datasets)
    for ds in define.datasets:
        _item_group(mdv, ds, comments)
    for ds in define.datasets:
        for item in ds.items:
            _item_def(mdv, ds, item, comments)
            for v in item.values:
                el = etree.SubElement(mdv, _o("ItemDef"),
                                      OID=value_item_oid(ds.name, item.name, v.where_value),
                                      Name=item.name, DataType=v.data_type)
                if v.length is not None:
                    el.set("Length", str(v.length))
                if v.significant_digits is not None:
                    el.set("SignificantDigits", str(v.significant_digits))
                el.set("SASFieldName", item.name)
                _text(el, _o("Description"),
                      v.label or f"{item.label} where {v.where_var} = {v.where_value}")
                _origin(el, v.origin)
    for cl in define.codelists():
        el = etree.SubElement(mdv, _o("CodeList"), OID=cl.oid, Name=cl.name,
                              DataType=cl.data_type)
        if cl.standard:
            el.set(_d("StandardOID"), cl.standard)
        for i, term in enumerate(cl.terms, start=1):
            t = etree.SubElement(el, _o("CodeListItem" if cl.decoded else "EnumeratedItem"),
                                 CodedValue=term.value, OrderNumber=str(i))
            if cl.decoded:
                _text(t, _o("Decode"), term.decode or term.value)
            if term.code is None and cl.standard:
                # a value added to an extensible CT codelist
                t.set(_d("ExtendedValue"), "Yes")
            elif term.code is not None:
                etree.SubElement(t, _o("Alias"), Context="nci:ExtCodeID", Name=term.code)
        if cl.code:
            etree.SubElement(el, _o("Alias"), Context="nci:ExtCodeID", Name=cl.code)
    for m in define.methods():
        el = etree.SubElement(mdv, _o("MethodDef"), OID=m.oid, Name=m.name, Type=m.type)
        _text(el, _o("Description"), m.description)
        if m.expression:
            # the exact computation, in the language it was written in (Define-XML 2.1 5.3.8)
            formal = etree.SubElement(el, _o("FormalExpression"),
                                      Context=m.expression_context or EXPRESSION_CONTEXT)
            formal.text = m.expression
    for text, oid in comments.texts.items():
        el = etree.SubElement(mdv, _d("CommentDef"), OID=oid)
        _text(el, _o("Description"), text)
    if define.annotated_crf:
        leaf = etree.SubElement(mdv, _d("leaf"), ID=ACRF_LEAF)
        leaf.set(f"{{{XLINK_NS}}}href", define.annotated_crf)
        etree.SubElement(leaf, _d("title")).text = "Annotated Case Report Form"
    arm.result_displays(mdv, define.result_displays, define.datasets, _text)
    return root


EXPRESSION_CONTEXT = "cdiscflow expression language (docs/mapping-language.md)"


def _value_lists(mdv: etree._Element, define: Define, comments: _Comments) -> None:
    wheres = []
    for ds in define.datasets:
        for item in ds.items:
            if not item.values:
                continue
            vl = etree.SubElement(mdv, _d("ValueListDef"), OID=value_list_oid(ds.name, item.name))
            for i, v in enumerate(item.values, start=1):
                ref = etree.SubElement(vl, _o("ItemRef"),
                                       ItemOID=value_item_oid(ds.name, item.name, v.where_value),
                                       OrderNumber=str(i), Mandatory="No")
                if v.method is not None:
                    ref.set("MethodOID", v.method.oid)
                etree.SubElement(ref, _d("WhereClauseRef"),
                                 WhereClauseOID=where_oid(ds.name, v.where_var, v.where_value))
                wheres.append((ds.name, v.where_var, v.where_value))
    for ds_name, var, value in dict.fromkeys(wheres):
        wc = etree.SubElement(mdv, _d("WhereClauseDef"), OID=where_oid(ds_name, var, value))
        rc = etree.SubElement(wc, _o("RangeCheck"), Comparator="EQ", SoftHard="Soft")
        rc.set(_d("ItemOID"), item_oid(ds_name, var))
        etree.SubElement(rc, _o("CheckValue")).text = value


def part_names(ds: Dataset) -> list[str]:
    """The dataset name of each file: the dataset's own, or LB1, LB2, ... for a split one."""
    if len(ds.files) == 1:
        return [ds.name]
    return [f.rsplit(".", 1)[0].upper() for f in ds.files]


def _item_group(mdv: etree._Element, ds: Dataset, comments: _Comments) -> None:
    """One ItemGroupDef per file. A dataset split into parts gets one per part (Define-XML
    allows one def:leaf per ItemGroupDef), all pointing at the same ItemDefs, with a comment
    saying how the parts make up the whole."""
    names = part_names(ds)
    for number, (name, file) in enumerate(zip(names, ds.files, strict=True), start=1):
        el = etree.SubElement(mdv, _o("ItemGroupDef"), OID=dataset_oid(name))
        if ds.domain:
            el.set("Domain", ds.domain)
        el.set("Name", name)
        el.set("SASDatasetName", name)
        el.set("Repeating", "Yes" if ds.repeating else "No")
        el.set("IsReferenceData", "Yes" if ds.reference_data else "No")
        el.set("Purpose", ds.purpose)
        el.set(_d("Structure"), ds.structure)
        el.set(_d("StandardOID"), ds.standard)
        el.set(_d("ArchiveLocationID"), leaf_id(file))
        if ds.comment:
            el.set(_d("CommentOID"), comments.oid(ds.comment))
        label = ds.label if len(names) == 1 else f"{ds.label} (part {number} of {len(names)})"
        _text(el, _o("Description"), label)
        for i, item in enumerate(ds.items, start=1):
            ref = etree.SubElement(el, _o("ItemRef"), ItemOID=item_oid(ds.name, item.name),
                                   OrderNumber=str(i),
                                   Mandatory="Yes" if item.mandatory else "No")
            if item.name in ds.keys:
                ref.set("KeySequence", str(ds.keys.index(item.name) + 1))
            if item.method is not None:
                ref.set("MethodOID", item.method.oid)
            if item.role:
                ref.set("Role", item.role)
        if ds.domain_description:
            etree.SubElement(el, _o("Alias"), Context="DomainDescription",
                             Name=ds.domain_description)
        cls = etree.SubElement(el, _d("Class"), Name=ds.class_name)
        if ds.subclass:
            etree.SubElement(cls, _d("SubClass"), Name=ds.subclass)
        leaf = etree.SubElement(el, _d("leaf"), ID=leaf_id(file))
        leaf.set(f"{{{XLINK_NS}}}href", file)
        etree.SubElement(leaf, _d("title")).text = file


def _item_def(mdv: etree._Element, ds: Dataset, item: Item, comments: _Comments) -> None:
    el = etree.SubElement(mdv, _o("ItemDef"), OID=item_oid(ds.name, item.name), Name=item.name,
                          DataType=item.data_type)
    if item.display_length is not None:
        el.set("Length", str(item.display_length))
    if item.significant_digits is not None:
        el.set("SignificantDigits", str(item.significant_digits))
    el.set("SASFieldName", item.name)
    if item.display_format:
        el.set(_d("DisplayFormat"), item.display_format)
    if item.comment:
        el.set(_d("CommentOID"), comments.oid(item.comment))
    _text(el, _o("Description"), item.label)
    if item.codelist is not None:
        etree.SubElement(el, _o("CodeListRef"), CodeListOID=item.codelist.oid)
    _origin(el, item.origin)
    if item.values:
        etree.SubElement(el, _d("ValueListRef"), ValueListOID=value_list_oid(ds.name, item.name))


def _origin(parent: etree._Element, origin) -> None:
    el = etree.SubElement(parent, _d("Origin"), Type=origin.type)
    if origin.source:
        el.set("Source", origin.source)
    if origin.description:
        _text(el, _o("Description"), origin.description)
    if origin.pages:
        ref = etree.SubElement(el, _d("DocumentRef"), leafID=ACRF_LEAF)
        etree.SubElement(ref, _d("PDFPageRef"), PageRefs=" ".join(map(str, origin.pages)),
                         Type="PhysicalRef")


STYLESHEET_FILE = "define2-1.xsl"


def stylesheet_text() -> str:
    """cdiscflow's own XSL stylesheet, written beside every define.xml so a browser shows it."""
    return resources.files("cdiscflow.define").joinpath(STYLESHEET_FILE).read_text("utf-8")


def define_bytes(define: Define) -> bytes:
    root = build_define(define)
    # a browser opening define.xml renders it through the stylesheet beside it
    root.addprevious(etree.ProcessingInstruction(
        "xml-stylesheet", f'type="text/xsl" href="{STYLESHEET_FILE}"'))
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8",
                          pretty_print=True)


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class DefineProblem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


# (element, attribute naming the OID it refers to, element defining that OID)
_REFERENCES = [
    (_o("ItemRef"), "ItemOID", _o("ItemDef")),
    (_o("ItemRef"), "MethodOID", _o("MethodDef")),
    (_o("CodeListRef"), "CodeListOID", _o("CodeList")),
    (_d("ValueListRef"), "ValueListOID", _d("ValueListDef")),
    (_d("WhereClauseRef"), "WhereClauseOID", _d("WhereClauseDef")),
    (_o("RangeCheck"), _d("ItemOID"), _o("ItemDef")),
    (_o("ItemGroupDef"), _d("StandardOID"), _d("Standard")),
    (_o("CodeList"), _d("StandardOID"), _d("Standard")),
    (_o("ItemGroupDef"), _d("CommentOID"), _d("CommentDef")),
    (_o("ItemDef"), _d("CommentOID"), _d("CommentDef")),
    (_o("ItemGroupDef"), _d("ArchiveLocationID"), _d("leaf")),
    (_d("DocumentRef"), "leafID", _d("leaf")),
    (f"{{{arm.ARM_NS}}}AnalysisDataset", "ItemGroupOID", _o("ItemGroupDef")),
    (f"{{{arm.ARM_NS}}}AnalysisVariable", "ItemOID", _o("ItemDef")),
    (f"{{{arm.ARM_NS}}}AnalysisResult", "ParameterOID", _o("ItemDef")),
]


def check_define(path: Path) -> list[DefineProblem]:
    """Problems with a define.xml: not well-formed, an OID defined twice or referenced but not
    defined, a dataset without a leaf, or a leaf whose file is not beside the define.xml."""
    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        return [DefineProblem(str(path), f"not well-formed XML: {exc}")]
    root = tree.getroot()
    problems: list[DefineProblem] = []
    if root.tag != _o("ODM"):
        return [DefineProblem(str(path), f"root element is {root.tag}, not ODM")]
    mdv = root.find(f"{_o('Study')}/{_o('MetaDataVersion')}")
    if mdv is None or mdv.get(_d("DefineVersion")) != "2.1.0":
        problems.append(DefineProblem(str(path), "no MetaDataVersion with def:DefineVersion "
                                      "2.1.0"))
        return problems
    defined: dict[str, set[str]] = {}
    for el in root.iter():
        key = "ID" if el.tag == _d("leaf") else "OID"
        oid = el.get(key)
        if oid is None or el.tag in (_o("Study"), _o("MetaDataVersion")):
            continue
        bucket = defined.setdefault(el.tag, set())
        if oid in bucket:
            problems.append(DefineProblem(oid, f"{etree.QName(el).localname} defined twice"))
        bucket.add(oid)
    for tag, attr, target in _REFERENCES:
        for el in root.iter(tag):
            ref = el.get(attr)
            if ref is not None and ref not in defined.get(target, set()):
                owner = next((a for a in el.iterancestors() if a.get("OID")), el)
                name = el.get("OID") or owner.get("OID") or etree.QName(el).localname
                problems.append(DefineProblem(
                    name, f"{etree.QName(attr).localname} {ref} refers to no "
                    f"{etree.QName(target).localname}"))
    for leaf in mdv.findall(_d("leaf")):
        # documents (the annotated CRF) are files beside define.xml too
        href = leaf.get(f"{{{XLINK_NS}}}href", "")
        if not href or not (path.parent / href).is_file():
            problems.append(DefineProblem(leaf.get("ID", "?"),
                                          f"document {href!r} is not a file beside define.xml"))
    for group in mdv.iter(_o("ItemGroupDef")):
        leaves = group.findall(_d("leaf"))
        if len(leaves) != 1:
            problems.append(DefineProblem(group.get("OID", "?"),
                                          f"dataset has {len(leaves)} def:leaf, not one"))
        for leaf in leaves:
            href = leaf.get(f"{{{XLINK_NS}}}href", "")
            if not href or not (path.parent / href).is_file():
                problems.append(DefineProblem(group.get("OID", "?"),
                                              f"leaf {href!r} is not a file beside define.xml"))
    return problems
