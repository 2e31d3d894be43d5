"""A define.xml (Define-XML 2.0/2.1) read into what the validator compares with the data:
datasets with their variables in order, each variable's type, length, label, role and
codelist, codelists' values, value-level items with their where clauses, and the controlled
terminology versions named. Read with lxml; anything else in the file is ignored."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from cdiscflow.standards import SponsorDomain, is_ig_domain, model_classes

_ODM = "http://www.cdisc.org/ns/odm/v1.3"
_DEFS = ("http://www.cdisc.org/ns/def/v2.1", "http://www.cdisc.org/ns/def/v2.0")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class Condition:
    """One RangeCheck of a where clause: ``variable`` ``comparator`` ``values``."""

    variable: str
    comparator: str  # EQ, NE, IN, NOTIN, LT, LE, GT, GE
    values: tuple[str, ...]


@dataclass
class Variable:
    name: str
    data_type: str  # text, integer, float, date, datetime, ...
    length: int | None
    label: str
    codelist: str | None  # OID
    order: int | None = None
    role: str = ""


@dataclass
class ValueItem:
    """A value-level item: what ``variable`` holds on the records its where clause selects."""

    variable: Variable
    where: tuple[Condition, ...]
    where_oid: str


@dataclass
class DatasetDef:
    name: str
    label: str
    variables: list[Variable] = field(default_factory=list)
    value_lists: dict[str, list[ValueItem]] = field(default_factory=dict)  # by variable name


@dataclass
class CodeList:
    oid: str
    name: str
    values: frozenset[str]


@dataclass
class DefineDoc:
    path: str
    datasets: dict[str, DatasetDef]
    codelists: dict[str, CodeList]
    ct_versions: list[tuple[str, str]]  # (publishing set, version) of each CT standard


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _def_attr(el: etree._Element, name: str) -> str | None:
    for ns in _DEFS:
        value = el.get(f"{{{ns}}}{name}")
        if value is not None:
            return value
    return None


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and _local(c) == name]


def _description(el: etree._Element) -> str:
    for desc in _children(el, "Description"):
        texts = _children(desc, "TranslatedText")
        english = [t for t in texts if t.get(_XML_LANG) in (None, "en")] or texts
        if english:
            return (english[0].text or "").strip()
    return ""


def read_define(path: str | os.PathLike[str]) -> DefineDoc:
    """Parse a define.xml. Raises ``etree.XMLSyntaxError`` for a file that is not XML."""
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True,
                                                  huge_tree=True)).getroot()
    mdv = next(root.iter(f"{{{_ODM}}}MetaDataVersion"), None)
    if mdv is None:
        return DefineDoc(str(path), {}, {}, [])
    items: dict[str, Variable] = {}
    for el in mdv.iter(f"{{{_ODM}}}ItemDef"):
        ref = _children(el, "CodeListRef")
        length = el.get("Length")
        items[el.get("OID", "")] = Variable(
            name=el.get("Name", ""), data_type=el.get("DataType", ""),
            length=int(length) if length and length.isdigit() else None,
            label=_description(el), codelist=ref[0].get("CodeListOID") if ref else None)
    names_of = {oid: v.name for oid, v in items.items()}
    wheres: dict[str, tuple[Condition, ...]] = {}
    for el in mdv.iter():
        if isinstance(el.tag, str) and _local(el) == "WhereClauseDef":
            wheres[el.get("OID", "")] = tuple(
                Condition(names_of.get(_def_attr(rc, "ItemOID") or "", ""),
                          rc.get("Comparator", "EQ"),
                          tuple((cv.text or "").strip() for cv in _children(rc, "CheckValue")))
                for rc in _children(el, "RangeCheck"))
    value_lists: dict[str, list[ValueItem]] = {}
    for el in mdv.iter():
        if isinstance(el.tag, str) and _local(el) == "ValueListDef":
            entries = []
            for ref in _children(el, "ItemRef"):
                wref = next((c for c in ref if isinstance(c.tag, str)
                             and _local(c) == "WhereClauseRef"), None)
                woid = wref.get("WhereClauseOID", "") if wref is not None else ""
                item = items.get(ref.get("ItemOID", ""))
                if item is not None:
                    entries.append(ValueItem(item, wheres.get(woid, ()), woid))
            value_lists[el.get("OID", "")] = entries
    vl_of_item = {}
    for el in mdv.iter(f"{{{_ODM}}}ItemDef"):
        for child in el:
            if isinstance(child.tag, str) and _local(child) == "ValueListRef":
                vl_of_item[el.get("OID", "")] = child.get("ValueListOID", "")
    datasets = {}
    for g in mdv.iter(f"{{{_ODM}}}ItemGroupDef"):
        ds = DatasetDef(g.get("Name", "").upper(), _description(g))
        for ref in _children(g, "ItemRef"):
            oid = ref.get("ItemOID", "")
            item = items.get(oid)
            if item is None:
                continue
            order = ref.get("OrderNumber")
            var = Variable(item.name, item.data_type, item.length, item.label, item.codelist,
                           int(order) if order and order.isdigit() else None,
                           ref.get("Role") or "")
            ds.variables.append(var)
            if oid in vl_of_item:
                ds.value_lists[item.name] = value_lists.get(vl_of_item[oid], [])
        datasets[ds.name] = ds
    codelists = {}
    for el in mdv.iter(f"{{{_ODM}}}CodeList"):
        values = frozenset((i.get("CodedValue") or "").strip() for i in el
                           if isinstance(i.tag, str)
                           and _local(i) in ("EnumeratedItem", "CodeListItem"))
        codelists[el.get("OID", "")] = CodeList(el.get("OID", ""), el.get("Name", ""), values)
    datasets = _join_parts(datasets)
    ct = [(s.get("PublishingSet") or "", s.get("Version") or "")
          for s in mdv.iter() if isinstance(s.tag, str) and _local(s) == "Standard"
          and s.get("Type") == "CT"]
    return DefineDoc(str(path), datasets, codelists, ct)


def _join_parts(datasets: dict[str, DatasetDef]) -> dict[str, DatasetDef]:
    """A dataset split into files has one ItemGroupDef per part (LB1 "... (part 1 of 2)", LB2):
    one dataset LB here, as the folder reader joins its files, described by its first part."""
    from cdiscflow.datasets_folder import part_groups

    out = {}
    for name, parts in part_groups(datasets).items():
        first = datasets[parts[0]]
        if len(parts) > 1:
            label = re.sub(r" \(part \d+ of \d+\)$", "", first.label)
            first = DatasetDef(name, label, first.variables, first.value_lists)
        out[name] = first
    return out


def define_beside(path: str) -> Path | None:
    """The define.xml in the folder of a dataset file, if there is one."""
    if not path:
        return None
    candidate = Path(path).parent / "define.xml"
    return candidate if candidate.is_file() else None


def read_sponsor_domains(path: str | os.PathLike[str]) -> tuple[SponsorDomain, ...]:
    """The sponsor-defined domains a define.xml describes: each ItemGroupDef SDTMIG does not
    define whose def:Class is an SDTM observation class, with its label and structure."""
    root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True,
                                                  huge_tree=True)).getroot()
    classes = {c.upper(): c for c in model_classes()}
    found: dict[str, SponsorDomain] = {}
    for g in root.iter(f"{{{_ODM}}}ItemGroupDef"):
        # a dataset split into parts (XB1, XB2) names its domain in Domain
        code = (g.get("Domain") or g.get("Name") or "").upper()
        cls = next((c.get("Name") or "" for c in g
                    if isinstance(c.tag, str) and _local(c) == "Class"), "")
        if is_ig_domain(code) or cls not in classes or code in found:
            continue
        found[code] = SponsorDomain(code, classes[cls], _description(g),
                                    _def_attr(g, "Structure") or "")
    return tuple(found.values())
