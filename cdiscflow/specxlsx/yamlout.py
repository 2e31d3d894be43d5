"""Writing a study file or mapping file from its data, in the house style, with its comments.

Top-level mappings are blocks; each variable, form, step or table row is one line of YAML
flow (``AETERM: {field: AETERM, required: true}``). The full-line ``#`` comments of the file
a workbook was exported from come back before the key they stood before (the workbook's
Comments sheet), so the reasons written in a mapping file survive a trip through Excel.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cdiscflow.specxlsx.cells import flow
from cdiscflow.yamlio import Lines

Path_ = tuple[Any, ...]
END: Path_ = ("(end)",)
# the dict children of these top-level keys are blocks too (raw.forms, trial_design.SV)
_BLOCK_CHILDREN = {"raw", "trial_design", "tables"}
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _key(key: Any) -> str:
    text = flow(str(key))
    # a key YAML would read as another type is quoted by flow(); a plain one stays plain
    return text if not _PLAIN_KEY.match(str(key)) else str(key)


def _is_rows(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def layout(data: dict[str, Any]) -> list[tuple[Path_, str]]:
    """The lines of a spec file, each with the key path it writes."""
    out: list[tuple[Path_, str]] = []
    for key, value in data.items():
        path: Path_ = (key,)
        if isinstance(value, dict) and value:
            out.append((path, f"{_key(key)}:"))
            for child, sub in value.items():
                out.extend(_child(path + (child,), child, sub, key in _BLOCK_CHILDREN))
        elif _is_rows(value):
            out.append((path, f"{_key(key)}:"))
            out.extend((path + (i,), f"  - {flow(row)}") for i, row in enumerate(value))
        else:
            out.append((path, f"{_key(key)}: {flow(value)}"))
    return out


def _child(path: Path_, key: Any, value: Any, blocks: bool) -> list[tuple[Path_, str]]:
    if blocks and isinstance(value, dict) and value:
        lines = [(path, f"  {_key(key)}:")]
        lines += [(path + (k,), f"    {_key(k)}: {flow(v)}") for k, v in value.items()]
        return lines
    if blocks and _is_rows(value):
        return [(path, f"  {_key(key)}:"),
                *((path + (i,), f"    - {flow(row)}") for i, row in enumerate(value))]
    return [(path, f"  {_key(key)}: {flow(value)}")]


def emittable(data: dict[str, Any]) -> set[Path_]:
    return {p for p, _ in layout(data)}


def clamp(path: Path_, emitted: set[Path_]) -> Path_:
    """The deepest key path of ``path`` (itself or an ancestor) that has a line of its own."""
    for n in range(len(path), 0, -1):
        if path[:n] in emitted:
            return path[:n]
    return END


def render(data: dict[str, Any], comments: list[tuple[Path_, str]]) -> tuple[str, list[Path_]]:
    """The file's text and, per line (0-based), the key path it belongs to."""
    lines = layout(data)
    emitted = {p for p, _ in lines}
    before: dict[Path_, list[str]] = {}
    for path, text in comments:
        before.setdefault(clamp(tuple(path), emitted), []).append(text)
    text_lines: list[str] = []
    paths: list[Path_] = []
    for path, line in lines:
        indent = line[:len(line) - len(line.lstrip())]
        for comment in before.pop(path, []):
            text_lines.append(f"{indent}{comment}")
            paths.append(path)
        text_lines.append(line)
        paths.append(path)
    for comment in [c for rest in before.values() for c in rest]:  # END, or keys now gone
        text_lines.append(comment)
        paths.append(END)
    return "\n".join(text_lines) + "\n", paths


def file_comments(path: Path, lines: Lines, data: dict[str, Any]) -> list[tuple[Path_, str]]:
    """The full-line comments of a spec file, each with the key path of the first key after
    it (clamped to a path the writer gives a line of its own)."""
    key_lines: dict[int, Path_] = {}
    for p, line in lines.items():
        if p and (line not in key_lines or len(p) < len(key_lines[line])):
            key_lines[line] = p
    emitted = emittable(data)
    out: list[tuple[Path_, str]] = []
    pending: list[str] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = text.strip()
        if stripped.startswith("#"):
            pending.append(stripped)
        elif number in key_lines and pending:
            out += [(clamp(key_lines[number], emitted), c) for c in pending]
            pending = []
    out += [(END, c) for c in pending]
    return out
