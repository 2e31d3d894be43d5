"""Safe YAML loading that remembers the line of every key, so spec errors can name it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cdiscflow.errors import SpecError

Lines = dict[tuple[Any, ...], int]

# a spec is a few kB; these bounds stop a hostile or broken file long before it costs memory
# or time: a document's size, the values it expands to through aliases (a "billion laughs" of
# nested aliases is a few kB of text), and how deeply it nests
MAX_SPEC_BYTES = 2_000_000
MAX_VALUES = 100_000
MAX_DEPTH = 200


class _Budget:
    """Values built so far, and the nodes on the path being built (an alias of its own
    ancestor would never end)."""

    def __init__(self) -> None:
        self.values = 0
        self.path: set[int] = set()


_SAFE_TAGS = {f"tag:yaml.org,2002:{t}" for t in
              ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}


def _build(node: yaml.Node, path: tuple[Any, ...], lines: Lines, file: str,
           budget: _Budget) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    budget.values += 1
    if budget.values > MAX_VALUES:
        raise SpecError(f"not valid YAML: expands to more than {MAX_VALUES:,} values (aliases "
                        f"repeating aliases?); a spec is refused beyond that",
                        file=file, line=node.start_mark.line + 1)
    if len(path) > MAX_DEPTH:
        raise SpecError(f"not valid YAML: nested more than {MAX_DEPTH} levels deep", file=file,
                        line=node.start_mark.line + 1)
    if id(node) in budget.path:
        raise SpecError("not valid YAML: an alias refers to a value that contains it (it would "
                        "never end)", file=file, line=node.start_mark.line + 1)
    if node.tag not in _SAFE_TAGS:
        # a spec is data: a tag asking for an object (or anything beyond plain types) is refused
        raise SpecError(f"not valid YAML: tag {node.tag!r} is not allowed in a spec", file=file,
                        line=node.start_mark.line + 1)
    if isinstance(node, yaml.CollectionNode):
        budget.path.add(id(node))
        try:
            return _build_collection(node, path, lines, file, budget)
        finally:
            budget.path.discard(id(node))
    _check_plain_scalar(node, file)
    # scalars through the safe constructor: plain types only, never a Python object
    return yaml.SafeLoader("").construct_object(node, deep=True)


def _build_collection(node: yaml.CollectionNode, path: tuple[Any, ...], lines: Lines,
                      file: str, budget: _Budget) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise SpecError("a key must be plain text", file=file,
                                line=key_node.start_mark.line + 1)
            # keys are always text as written: YAML 1.1 would read `on:` or `No:` as booleans
            key = key_node.value
            if key in out:
                raise SpecError(f"key {key!r} appears twice", file=file,
                                line=key_node.start_mark.line + 1)
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, (*path, key), lines, file, budget)
        return out
    return [_build(v, (*path, i), lines, file, budget) for i, v in enumerate(node.value)]


_BOOL_WORDS = {"true", "false"}


def _check_plain_scalar(node: yaml.Node, file: str) -> None:
    """Refuse the YAML 1.1 readings that silently change a value a data programmer typed."""
    if not isinstance(node, yaml.ScalarNode) or node.style is not None:
        return  # quoted text is always text
    text = node.value
    line = node.start_mark.line + 1
    if node.tag == "tag:yaml.org,2002:bool" and text.lower() not in _BOOL_WORDS:
        raise SpecError(f"YAML reads {text!r} as {text.lower() in ('yes', 'on', 'y')}; write "
                        f"'{text}' in quotes for the text, or true/false for a yes/no",
                        file=file, line=line)
    digits = text.lstrip("+-")
    if node.tag == "tag:yaml.org,2002:int" and (
            (len(digits) > 1 and digits.startswith("0")) or "_" in digits or ":" in digits):
        raise SpecError(f"YAML reads {text!r} as a number in another base or form; write "
                        f"'{text}' in quotes", file=file, line=line)


def load_yaml(path: Path) -> tuple[Any, Lines]:
    """Parse a YAML file with the safe loader; returns the data and the line of each key path."""
    file = str(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise SpecError("not a regular file", file=file)
        if size > MAX_SPEC_BYTES:
            raise SpecError(f"{size:,} bytes: larger than a spec may be ({MAX_SPEC_BYTES:,} "
                            f"bytes)", file=file)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("file not found", file=file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read: {exc}", file=file) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:  # PyYAML's parser recurses once per level of nesting
        raise SpecError(f"not valid YAML: nested more than {MAX_DEPTH} levels deep",
                        file=file) from None
    except yaml.YAMLError as exc:
        line, message = syntax_error_line(exc, text)
        raise SpecError(f"not valid YAML: {message}", file=file, line=line) from None
    if node is None:
        raise SpecError("file is empty", file=file)
    lines: Lines = {}
    try:
        return _build(node, (), lines, file, _Budget()), lines
    except yaml.YAMLError as exc:
        raise SpecError(f"not valid YAML: {exc}", file=file) from None


# where PyYAML notices a mistake is often the line after it: an unclosed bracket is found at the
# next key, an unclosed quote at the end of the file; these contexts point back at the mistake
_OPENED_CONTEXTS = ("while scanning a quoted scalar", "while scanning a simple key")


def syntax_error_line(exc: yaml.YAMLError, text: str) -> tuple[int | None, str]:
    """The 1-based line of a YAML syntax error where the mistake is, and the message."""
    problem = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    what = getattr(exc, "problem", None) or str(exc)
    context_text = getattr(exc, "context", None) or ""
    if problem is None:
        return None, what
    line = problem.line + 1
    if context is not None and context_text in _OPENED_CONTEXTS:
        return context.line + 1, f"{what} ({context_text.removeprefix('while ')} started here)"
    if context is not None and context_text.startswith("while parsing a flow"):
        opened = context.line + 1
        lines = text.splitlines()
        # the bracket should have been closed on the last line with content before the problem
        last = next((n for n in range(line - 1, opened - 1, -1) if n <= len(lines)
                     and lines[n - 1].strip() and not lines[n - 1].strip().startswith("#")),
                    line)
        kind = context_text.removeprefix("while parsing a ")
        where = (f"the {kind} opened on line {opened} is not closed" if last != line
                 else f"in a {kind}")
        return last, f"{what} ({where})"
    return line, what


def parse_yaml_text(text: str, where: str) -> Any:
    """One YAML value written as text (a spreadsheet cell), read with the same rules as a spec
    file; raises SpecError naming ``where``."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:  # the same bounds as a spec file's
        raise SpecError(f"not valid YAML: nested more than {MAX_DEPTH} levels deep",
                        file=where) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", file=where
                        ) from None
    if node is None:
        return None
    return _build(node, (), {}, where, _Budget())


def line_of(lines: Lines, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest key path that is known for a validation error location."""
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())
