"""Displays declared per study (``displays:`` in ``adam.yaml``): each entry one table or figure
of a kind found in ``kinds/`` (one module per kind, see ``base.Kind``), checked when the spec is
loaded, drawn from the ADaM datasets built, written as CSV/PNG/SVG beside one HTML page, and
described in the ADaM define.xml's analysis results metadata. See docs/adam-spec.md.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from cdiscflow.adam.spec import INDEX_FILE, AdamSpecError, LoadedAdam
from cdiscflow.define.arm import AnalysisDataset, AnalysisResult, ResultDisplay
from cdiscflow.report.displays import kinds
from cdiscflow.report.displays.base import DisplayBase, Kind
from cdiscflow.sdtm.registry import discover
from cdiscflow.yamlio import line_of, load_yaml

KINDS: dict[str, Kind] = discover("cdiscflow.report.displays.kinds", kinds.__path__, "DISPLAY")


def _fail(adam: LoadedAdam, message: str, loc: tuple[Any, ...]) -> AdamSpecError:
    index = adam.dir / INDEX_FILE
    _, lines = load_yaml(index)
    return AdamSpecError(message, file=str(index), line=line_of(lines, ("displays", *loc)))


def _parse(adam: LoadedAdam, i: int, raw: Any) -> DisplayBase:
    if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str):
        raise _fail(adam, f"displays.{i}: a display is a mapping with a `kind:` "
                    f"({', '.join(sorted(KINDS))})", (i,))
    name = raw.get("id", f"#{i}")
    kind = KINDS.get(raw["kind"])
    if kind is None:
        near = difflib.get_close_matches(raw["kind"], KINDS, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise _fail(adam, f"displays.{i} ({name}): kind: unknown display kind "
                    f"{raw['kind']!r}{hint}; known: {', '.join(sorted(KINDS))}", (i, "kind"))
    try:
        return kind.model.model_validate(raw)
    except ValidationError as exc:
        # a misspelled key is the mistake to name, not the required key it was meant to be
        errors = exc.errors()
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = tuple(err["loc"])
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        key = ".".join(map(str, loc))
        raise _fail(adam, f"displays.{i} ({name}): {key + ': ' if key else ''}{msg}",
                    (i, *loc)) from None


def _key_of(raw: Any, var: str) -> tuple[Any, ...]:
    """The key path of the entry that names ``var`` (a value, a list item, or inside a
    condition's text); () when none does."""
    if isinstance(raw, dict):
        items = list(raw.items())
    elif isinstance(raw, list):
        items = list(enumerate(raw))
    else:
        return ()
    for key, value in items:
        if value == var or (isinstance(value, str) and re.search(rf"\b{var}\b", value)):
            return (key,)
        inner = _key_of(value, var)
        if inner:
            return (key, *inner)
    return ()


def load_displays(adam: LoadedAdam) -> list[DisplayBase]:
    """The displays of ``adam.yaml``, each checked against its kind's keys and every variable
    it reads against the spec of the dataset it reads (before any data). AdamSpecError names
    the file, line, display and key."""
    specs = {d.spec.dataset: d.spec for d in adam.datasets if not d.spec.working}
    out: list[DisplayBase] = []
    for i, raw in enumerate(adam.index.displays):
        display = _parse(adam, i, raw)
        if any(d.id == display.id for d in out):
            raise _fail(adam, f"displays.{i} ({display.id}): id: used by an earlier display",
                        (i, "id"))
        for dataset, names in display.reads().items():
            spec = specs.get(dataset)
            if spec is None:
                raise _fail(adam, f"displays.{i} ({display.id}): dataset {dataset} is not "
                            f"built (and written) by this index: {', '.join(specs)}", (i,))
            for var in dict.fromkeys(names):
                if var not in spec.variables:
                    near = difflib.get_close_matches(var, spec.variables, n=1)
                    hint = f" (did you mean {near[0]}?)" if near else ""
                    key = _key_of(raw, var)
                    where = ".".join(map(str, key)) + ": " if key else ""
                    raise _fail(adam, f"displays.{i} ({display.id}): {where}no variable {var} "
                                f"in {dataset}{hint}", (i, *key))
        out.append(display)
    return out


def raw_entries(adam: LoadedAdam) -> list[dict[str, Any]]:
    return [dict(raw) for raw in adam.index.displays]


def result_displays(adam: LoadedAdam) -> list[ResultDisplay]:
    """The analysis results metadata of every display: its datasets with the population
    (and parameter) where clause, the analysis variables, the method in words and the spec
    entry as the programming code."""
    out = []
    for display, raw in zip(load_displays(adam), raw_entries(adam), strict=True):
        kind = KINDS[display.kind]
        param = display.parameter()
        used = [*display.analysed()] or ["ADSL"]
        datasets = tuple(AnalysisDataset(
            name=name, variables=tuple(display.analysed().get(name, [])),
            where=((display.population, "Y"),)
            + ((("PARAMCD", param[1]),) if param and param[0] == name else ()))
            for name in used)
        doc = kind.method(display)
        if display.footnotes:
            doc += " Footnotes: " + " ".join(display.footnotes)
        result = AnalysisResult(
            description=display.title, reason=display.reason, purpose=display.purpose,
            datasets=datasets, documentation=doc,
            code=yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=88),
            parameter=(param[0], "PARAMCD") if param else None)
        out.append(ResultDisplay(name=display.id, title=display.title, results=(result,)))
    return out


def write_displays(adam: LoadedAdam, datasets: dict[str, pd.DataFrame],
                   labels: dict[str, dict[str, str]], sdtm: dict[str, pd.DataFrame],
                   folder: Path) -> dict[str, str]:
    """Draw every display and write the files and page; returns name -> file (relative to
    ``folder``), for the run report."""
    from cdiscflow.report.displays.page import write_page

    return write_page(load_displays(adam), datasets, labels, sdtm, folder,
                      str(adam.dir / INDEX_FILE))
