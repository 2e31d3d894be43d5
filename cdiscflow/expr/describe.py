"""An expression in words, for a reviewer reading define.xml or the run report: the same
computation, said the way a method text says it (``round(WEIGHT / (HEIGHT / 100) ** 2, 1)`` is
"WEIGHT divided by (HEIGHT divided by 100) to the power 2, rounded to 1 decimal places")."""

from __future__ import annotations

from cdiscflow.expr.functions import FUNCTIONS
from cdiscflow.expr.syntax import (
    Binary,
    Call,
    Case,
    InList,
    IsMissing,
    Literal,
    Name,
    Node,
    Unary,
)

_OPS = {"+": "plus", "-": "minus", "*": "times", "/": "divided by", "**": "to the power",
        "||": "followed by", "=": "is", "!=": "is not", "<": "is less than",
        "<=": "is at most", ">": "is greater than", ">=": "is at least", "and": "and",
        "or": "or"}


def _literal(value: str | float | bool | None) -> str:
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return f"'{value}'"


def words(node: Node, top: bool = True) -> str:
    """``node`` in words; sub-expressions that combine several terms are bracketed."""
    if isinstance(node, Literal):
        return _literal(node.value)
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Call):
        fn = FUNCTIONS[node.function]
        args = [words(a, False) for a in node.args]
        text = fn.words
        if "{*}" in text:
            text = text.replace("{*}", ", ".join(args[:-1]) + " and " + args[-1]
                                if len(args) > 1 else args[0])
        for i in range(len(fn.params)):
            text = text.replace(f"{{{i}}}", args[i] if i < len(args) else "")
        if node.function == "round" and len(args) == 1:
            text = f"{args[0]} rounded to a whole number"
        if node.function == "substr" and len(args) == 2:
            text = f"{args[0]} from character {args[1]}"
        return text if top else f"({text})" if " " in text else text
    if isinstance(node, Unary):
        inner = words(node.operand, False)
        text = f"not {inner}" if node.op == "not" else f"minus {inner}"
        return text if top else f"({text})"
    if isinstance(node, InList):
        listed = ", ".join(_literal(v.value) for v in node.values)
        text = f"{words(node.operand, False)} is {'not ' if node.negated else ''}one of {listed}"
        return text if top else f"({text})"
    if isinstance(node, IsMissing):
        text = f"{words(node.operand, False)} is {'not ' if node.negated else ''}missing"
        return text if top else f"({text})"
    if isinstance(node, Case):
        parts = [f"{words(v, False)} when {words(c, False)}" for c, v in node.whens]
        if node.otherwise is not None:
            parts.append(f"otherwise {words(node.otherwise, False)}")
        else:
            parts.append("otherwise missing")
        text = "; ".join(parts)
        return text if top else f"({text})"
    assert isinstance(node, Binary)
    text = f"{words(node.left, False)} {_OPS[node.op]} {words(node.right, False)}"
    return text if top else f"({text})"
