"""The workbook's layout: its sheets, their columns, and which of them ``spec import`` reads.

Editable sheets (read back): Study (the study file, one key per row), Datasets (one mapping
file per row), Variables (one variable per row), Tables (the lookup tables of the study and
mapping files, one table row per row) and Comments (the ``#`` comments of the files). Their
columns past the fixed ones are the spec's own keys, so a key the mapping language gains later
becomes a column without changes here.

Reference sheets (written for reviewers, never read back): ValueLevel, Codelists, Methods;
and on Variables the columns in READ_ONLY_COLUMNS (what define.xml will say).
"""

from __future__ import annotations

from typing import Any

STUDY, DATASETS, VARIABLES, TABLES, COMMENTS = (
    "Study", "Datasets", "Variables", "Tables", "Comments")
VALUE_LEVEL, CODELISTS, METHODS = "ValueLevel", "Codelists", "Methods"
SHEET_ORDER = (STUDY, DATASETS, VARIABLES, VALUE_LEVEL, CODELISTS, METHODS, COMMENTS, TABLES)
REFERENCE_SHEETS = (VALUE_LEVEL, CODELISTS, METHODS)

STUDY_COLUMNS = ("Key", "Value")
DATASET_FIXED = ("File",)
VARIABLE_FIXED = ("Order", "Dataset", "Variable", "Source Type", "Source")
TABLE_FIXED = ("Scope", "Table", "Row")
COMMENT_COLUMNS = ("File", "Key", "Comment")
READ_ONLY_COLUMNS = ("Standard Label", "Standard Type", "Origin", "Source Form", "Codelist",
                     "Method")
VALUE_LEVEL_COLUMNS = ("Dataset", "Variable", "Value", "Where", "Source")
CODELIST_COLUMNS = ("Dataset", "Variable", "Codelist", "Collected Value", "Submission Value")
METHOD_COLUMNS = ("Dataset", "Variable", "Function", "Parameters", "Description")
REFERENCE_NOTE = ("Written from the mapping files for reviewers; `cdiscflow spec import` does "
                  "not read this sheet (edit the Variables sheet).")

STUDY_SCOPE = "study"  # the Scope of a table of the study file (others: the mapping file)


def ordered_keys(model_keys: list[str], rows: list[dict[str, Any]], skip: set[str]) -> list[str]:
    """The spec keys used by ``rows``: the model's order first, then any other in order of
    appearance (a key this version does not know still gets a column and comes back)."""
    used: dict[str, None] = {}
    for row in rows:
        used.update(dict.fromkeys(k for k in row if k not in skip))
    return [k for k in model_keys if k in used] + [k for k in used if k not in model_keys]


def model_keys(model: Any) -> list[str]:
    """A pydantic model's keys as a spec file spells them (aliases: ``class``, ``in``)."""
    return [f.alias or name for name, f in model.model_fields.items()]


def flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested mappings to dotted keys (``study.studyid``); anything else is a leaf. A mapping
    with a key that holds a dot, or an empty one, stays one leaf so the dots stay unambiguous."""
    out: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if (isinstance(value, dict) and value
                and all(isinstance(k, str) and "." not in k and k for k in value)):
            out.extend(flatten(value, f"{name}."))
        else:
            out.append((name, value))
    return out


def unflatten(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"key {key!r}: {part!r} already has a value")
        if parts[-1] in node:
            raise ValueError(f"key {key!r} appears twice")
        node[parts[-1]] = value
    return out


def path_text(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path)


def text_path(text: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in text.split("."))
