"""Checking an expression before any data is read: every name is a column at that point, every
function is on the list with the right number and types of arguments, patterns are valid RE2.
The result is the expression's type; a mistake raises ExprSyntaxError at its position."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc

from cdiscflow.expr.functions import FUNCTIONS
from cdiscflow.expr.syntax import (
    Binary,
    Call,
    Case,
    ExprSyntaxError,
    InList,
    IsMissing,
    Literal,
    Name,
    Node,
    Unary,
)
from cdiscflow.expr.values import ANY, BOOL, DATE, NUMBER, TEXT, accepts, common_type, literal

_ARITHMETIC = ("+", "-", "*", "/", "**")
_ORDER = ("<", "<=", ">", ">=")


def suggestion(name: str, known: list[str] | set[str] | Mapping[str, object]) -> str:
    """' (did you mean X?)' for the closest known name, or ''."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if k.upper() == name.upper()][:1]
    return f" (did you mean {close[0]}?)" if close else ""


class _Checker:
    def __init__(self, text: str, types: Mapping[str, str]) -> None:
        self.text = text
        self.types = types

    def fail(self, node: Node, message: str) -> ExprSyntaxError:
        return ExprSyntaxError(message, self.text, node.pos)

    def type(self, node: Node) -> str:
        if isinstance(node, Literal):
            return literal(node.value)[1]
        if isinstance(node, Name):
            if node.name not in self.types:
                raise self.fail(node, f"{node.name!r} is not a column here"
                                      f"{suggestion(node.name, self.types)}")
            return self.types[node.name]
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Unary):
            inner = self.type(node.operand)
            want = BOOL if node.op == "not" else NUMBER
            self.need(node.operand, inner, want, f"'{node.op}'")
            return want
        if isinstance(node, InList):
            kind = self.type(node.operand)
            for v in node.values:
                self.comparable(v, kind, literal(v.value)[1])
            return BOOL
        if isinstance(node, IsMissing):
            self.type(node.operand)
            return BOOL
        if isinstance(node, Case):
            results = []
            for cond, value in node.whens:
                self.need(cond, self.type(cond), BOOL, "'when'")
                results.append(self.type(value))
            if node.otherwise is not None:
                results.append(self.type(node.otherwise))
            kind = common_type(results)
            if kind is None:
                raise self.fail(node, f"the branches of case give different types "
                                      f"({', '.join(dict.fromkeys(results))})")
            return kind
        assert isinstance(node, Binary)
        return self.binary(node)

    def need(self, node: Node, actual: str, expected: str, where: str) -> None:
        if not accepts(expected, actual):
            hint = ""
            if expected == NUMBER and actual in (TEXT, DATE):
                hint = "; convert it with to_number(...)"
            elif expected in (TEXT, DATE) and actual == NUMBER:
                hint = "; convert it with to_text(...)"
            raise self.fail(node, f"{where} takes {expected}, got {actual}{hint}")

    def comparable(self, node: Node, left: str, right: str) -> None:
        if common_type([left, right]) is None:
            raise self.fail(node, f"cannot compare {left} with {right}; convert one side with "
                                  f"to_number(...) or to_text(...)")

    def binary(self, node: Binary) -> str:
        left, right = self.type(node.left), self.type(node.right)
        if node.op in ("and", "or"):
            self.need(node.left, left, BOOL, f"'{node.op}'")
            self.need(node.right, right, BOOL, f"'{node.op}'")
            return BOOL
        if node.op in _ARITHMETIC:
            self.need(node.left, left, NUMBER, f"'{node.op}'")
            self.need(node.right, right, NUMBER, f"'{node.op}'")
            return NUMBER
        if node.op == "||":
            return TEXT
        self.comparable(node, left, right)
        if node.op in _ORDER and BOOL in (left, right):
            raise self.fail(node, f"'{node.op}' does not order true and false")
        return BOOL

    def call(self, node: Call) -> str:
        fn = FUNCTIONS.get(node.function)
        if fn is None:
            raise self.fail(node, f"unknown function {node.function!r}"
                                  f"{suggestion(node.function, FUNCTIONS)}")
        n = len(node.args)
        most = None if fn.variadic else len(fn.params)
        if n < fn.least or (most is not None and n > most):
            want = (f"{fn.least} or more" if most is None else
                    f"{fn.least}" if fn.least == most else f"{fn.least} to {most}")
            raise self.fail(node, f"{fn.name} takes {want} argument(s), got {n}")
        types = [self.type(a) for a in node.args]
        same: list[str] = []
        for i, (arg, kind) in enumerate(zip(node.args, types, strict=True)):
            want = fn.params[min(i, len(fn.params) - 1)]
            if i in fn.literal or (fn.name in ("substr", "round") and i > 0):
                self.literal_arg(fn.name, arg, i)
            if want == "same":
                same.append(kind)
            else:
                self.need(arg, kind, want, f"{fn.name}'s argument {i + 1}")
        shared = common_type(same) if same else ANY
        if shared is None:
            raise self.fail(node, f"{fn.name}'s arguments have different types "
                                  f"({', '.join(dict.fromkeys(same))})")
        return shared if fn.returns == "same" else fn.returns

    def literal_arg(self, function: str, arg: Node, i: int) -> None:
        if not isinstance(arg, Literal) or arg.value is None:
            raise self.fail(arg, f"{function}'s argument {i + 1} must be a literal")
        if function in ("matches", "extract", "replace") and i == 1:
            check_regex(self.text, arg)


def check_regex(text: str, node: Literal) -> None:
    """A pattern must be valid for RE2 (linear-time matching: a spec's pattern can never make a
    run hang); extract's may hold at most one group."""
    pattern = str(node.value)
    try:
        groups = re.compile(pattern).groups
        pc.match_substring_regex(pa.array([""]), pattern=pattern)
    except (re.error, pa.ArrowInvalid) as exc:
        raise ExprSyntaxError(f"the pattern {pattern!r} is not a valid regular expression "
                              f"({exc})", text, node.pos) from None
    if groups > 1:
        raise ExprSyntaxError(f"the pattern {pattern!r} has {groups} groups; use one (its "
                              f"text is the value) or none (the whole match is)", text,
                              node.pos)


def check(text: str, tree: Node, types: Mapping[str, str]) -> str:
    """The type of ``tree`` given the columns' types; ExprSyntaxError for any mistake."""
    return _Checker(text, types).type(tree)
