"""Analysis results metadata (Define-XML 2.1 with the ARM v1.0 extension): one
``arm:ResultDisplay`` per display a study declares, each with its ``arm:AnalysisResult``: the
analysis datasets with their where clause (the population flag, and the parameter analysed)
and analysis variables, the method in words (``arm:Documentation``) and the display's spec
entry as ``arm:ProgrammingCode``.

The model is plain data: whoever declares displays fills it (``cdiscflow.report.displays``);
this module only writes it. The where clauses are ``def:WhereClauseDef`` elements, written with
the value-level ones (the schema's order), hence :func:`where_clauses` apart from
:func:`result_displays`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from cdiscflow.define.model import Dataset, dataset_oid, item_oid

# the ODM and Define-XML namespaces (cdiscflow.define.xml imports this module, not back)
ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"

ARM_NS = "http://www.cdisc.org/ns/arm/v1.0"
CODE_CONTEXT = "cdiscflow displays spec (docs/adam-spec.md), YAML"


@dataclass(frozen=True)
class AnalysisDataset:
    name: str  # the ADaM dataset
    variables: tuple[str, ...]  # its analysis variables (those the define lists are kept)
    where: tuple[tuple[str, str], ...] = ()  # (variable, value) pairs, all EQ


@dataclass(frozen=True)
class AnalysisResult:
    description: str
    reason: str  # Define-XML CT "Analysis Reason" (C117744)
    purpose: str  # Define-XML CT "Analysis Purpose" (C117745)
    datasets: tuple[AnalysisDataset, ...]
    documentation: str
    code: str
    parameter: tuple[str, str] | None = None  # (dataset, variable), e.g. (ADTTE, PARAMCD)


@dataclass(frozen=True)
class ResultDisplay:
    name: str  # the display's id: OIDs RD.<name>, AR.<name>
    title: str
    results: tuple[AnalysisResult, ...] = field(default_factory=tuple)


def _o(tag: str) -> str:
    return f"{{{ODM_NS}}}{tag}"


def _d(tag: str) -> str:
    return f"{{{DEF_NS}}}{tag}"


def _arm(tag: str) -> str:
    return f"{{{ARM_NS}}}{tag}"


def _where_oid(display: str, number: int, dataset: str) -> str:
    return f"WC.ARM.{display}.{number}.{dataset}"


def _items(datasets: list[Dataset]) -> dict[str, tuple[str, set[str]]]:
    """Dataset name -> (ItemGroupDef OID of its first part, its variables)."""
    out = {}
    for ds in datasets:
        first = ds.name if len(ds.files) <= 1 else ds.files[0].rsplit(".", 1)[0].upper()
        out[ds.name] = (dataset_oid(first), {i.name for i in ds.items})
    return out


def _checks(ds: AnalysisDataset, known: dict[str, tuple[str, set[str]]]
            ) -> list[tuple[str, str]]:
    """(ItemOID, value) of each where condition: on the dataset's own variable, else on
    ADSL's (a population flag an OCCDS dataset does not carry); unknown ones are left out."""
    out = []
    for var, value in ds.where:
        for name in (ds.name, "ADSL"):
            if name in known and var in known[name][1]:
                out.append((item_oid(name, var), value))
                break
    return out


def where_clauses(mdv: etree._Element, displays: list[ResultDisplay],
                  datasets: list[Dataset]) -> None:
    """The ``def:WhereClauseDef`` of every analysis dataset with a where clause."""
    known = _items(datasets)
    for rd in displays:
        for number, result in enumerate(rd.results, start=1):
            for ds in result.datasets:
                checks = _checks(ds, known)
                if ds.name not in known or not checks:
                    continue
                wc = etree.SubElement(mdv, _d("WhereClauseDef"),
                                      OID=_where_oid(rd.name, number, ds.name))
                for oid, value in checks:
                    rc = etree.SubElement(wc, _o("RangeCheck"), Comparator="EQ",
                                          SoftHard="Soft")
                    rc.set(_d("ItemOID"), oid)
                    etree.SubElement(rc, _o("CheckValue")).text = value


def result_displays(mdv: etree._Element, displays: list[ResultDisplay],
                    datasets: list[Dataset],
                    text: Callable[[etree._Element, str, str], etree._Element]) -> None:
    """``arm:AnalysisResultDisplays``, the last child of MetaDataVersion. ``text`` writes a
    Description with its TranslatedText (the writer's helper)."""
    if not displays:
        return
    known = _items(datasets)
    root = etree.SubElement(mdv, _arm("AnalysisResultDisplays"))
    for rd in displays:
        el = etree.SubElement(root, _arm("ResultDisplay"), OID=f"RD.{rd.name}", Name=rd.name)
        text(el, _o("Description"), rd.title)
        for number, result in enumerate(rd.results, start=1):
            ar = etree.SubElement(el, _arm("AnalysisResult"), OID=f"AR.{rd.name}.{number}")
            if result.parameter is not None:
                ds, var = result.parameter
                if ds in known and var in known[ds][1]:
                    ar.set("ParameterOID", item_oid(ds, var))
            ar.set("AnalysisReason", result.reason)
            ar.set("AnalysisPurpose", result.purpose)
            text(ar, _o("Description"), result.description)
            group = etree.SubElement(ar, _arm("AnalysisDatasets"))
            for ds in result.datasets:
                if ds.name not in known:
                    continue
                oid, variables = known[ds.name]
                ads = etree.SubElement(group, _arm("AnalysisDataset"), ItemGroupOID=oid)
                if _checks(ds, known):
                    etree.SubElement(ads, _d("WhereClauseRef"),
                                     WhereClauseOID=_where_oid(rd.name, number, ds.name))
                for var in ds.variables:
                    if var in variables:
                        etree.SubElement(ads, _arm("AnalysisVariable"),
                                         ItemOID=item_oid(ds.name, var))
            doc = etree.SubElement(ar, _arm("Documentation"))
            text(doc, _o("Description"), result.documentation)
            code = etree.SubElement(ar, _arm("ProgrammingCode"), Context=CODE_CONTEXT)
            etree.SubElement(code, _arm("Code")).text = result.code
