"""The expression language's syntax: text -> syntax tree, by a small recursive-descent parser.

An expression is data: it is parsed into the nodes below and nothing else. There is no
attribute access, no indexing, no import and no ``eval``; a name is a column, a call names a
function of the documented list (``cdiscflow/expr/functions.py``). The grammar, loosest first::

    expr     := or
    or       := and ("or" and)*
    and      := not ("and" not)*
    not      := "not" not | compare
    compare  := concat (("=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=") concat
                | "not"? "in" "(" literal ("," literal)* ")"
                | "is" "not"? ("null" | "missing"))?
    concat   := sum ("||" sum)*
    sum      := product (("+" | "-") product)*
    product  := unary (("*" | "/") unary)*
    unary    := "-" unary | power
    power    := atom ("**" unary)?
    atom     := number | 'text' | "text" | name | `odd name` | name "(" args ")"
                | "(" expr ")" | "case" ("when" expr "then" expr)+ ("else" expr)? "end"
                | "true" | "false" | "null"

Keywords are case-insensitive; names keep their case. Sizes are bounded (length, nesting,
nodes) so a hostile spec cannot exhaust memory or the stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LENGTH = 4000  # characters of one expression
MAX_DEPTH = 60  # nesting of brackets, calls and operators
MAX_NODES = 1000

KEYWORDS = {"and", "or", "not", "in", "is", "null", "missing", "case", "when", "then", "else",
            "end", "true", "false"}


class ExprSyntaxError(ValueError):
    """A mistake in an expression, at a position (0-based offset into its text)."""

    def __init__(self, message: str, text: str, position: int) -> None:
        self.message = message
        self.text = text
        self.position = position
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.message} at position {self.position + 1} of {self.text!r}"


# ---- nodes -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Literal(Node):
    value: str | float | bool | None  # None: null (a missing value)


@dataclass(frozen=True)
class Name(Node):
    name: str


@dataclass(frozen=True)
class Call(Node):
    function: str  # lower case
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-" or "not"
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str  # + - * / ** || = != < <= > >= and or
    left: Node
    right: Node


@dataclass(frozen=True)
class InList(Node):
    operand: Node
    values: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True)
class IsMissing(Node):
    operand: Node
    negated: bool


@dataclass(frozen=True)
class Case(Node):
    whens: tuple[tuple[Node, Node], ...]
    otherwise: Node | None


def walk(node: Node):
    """Every node of a tree, parents before children."""
    yield node
    if isinstance(node, Call):
        for a in node.args:
            yield from walk(a)
    elif isinstance(node, Unary):
        yield from walk(node.operand)
    elif isinstance(node, Binary):
        yield from walk(node.left)
        yield from walk(node.right)
    elif isinstance(node, InList | IsMissing):
        yield from walk(node.operand)
    elif isinstance(node, Case):
        for cond, value in node.whens:
            yield from walk(cond)
            yield from walk(value)
        if node.otherwise is not None:
            yield from walk(node.otherwise)


def names(node: Node) -> list[str]:
    """The column names an expression reads, in order of first use."""
    return list(dict.fromkeys(n.name for n in walk(node) if isinstance(n, Name)))


# ---- tokens ------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<text>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<quoted>`[^`]*`)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
  | (?P<op>\*\*|\|\||==|!=|<>|<=|>=|[-+*/=<>(),])
""", re.VERBOSE)


@dataclass(frozen=True)
class _Token:
    kind: str  # number, text, name, keyword, op, end
    value: str
    pos: int


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if m is None:
            raise ExprSyntaxError(f"unexpected character {text[i]!r}", text, i)
        kind = m.lastgroup or ""
        value = m.group()
        if kind == "name" and value.lower() in KEYWORDS:
            out.append(_Token("keyword", value.lower(), i))
        elif kind == "quoted":
            if len(value) == 2:
                raise ExprSyntaxError("empty quoted name", text, i)
            out.append(_Token("name", value[1:-1], i))
        elif kind == "text":
            quote = value[0]
            out.append(_Token("text", value[1:-1].replace(quote * 2, quote), i))
        elif kind != "space":
            out.append(_Token(kind, value, i))
        i = m.end()
    out.append(_Token("end", "", len(text)))
    return out


# ---- parser ------------------------------------------------------------------------------------

_COMPARE = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">",
            ">=": ">="}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.depth = 0
        self.nodes = 0

    # -- helpers
    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def error(self, message: str, tok: _Token | None = None) -> ExprSyntaxError:
        t = tok or self.tok
        return ExprSyntaxError(message, self.text, t.pos)

    def take(self, kind: str, value: str | None = None) -> _Token | None:
        t = self.tok
        if t.kind == kind and (value is None or t.value == value):
            self.i += 1
            return t
        return None

    def expect(self, kind: str, value: str, what: str) -> _Token:
        t = self.take(kind, value)
        if t is None:
            found = self.tok.value or "the end"
            raise self.error(f"expected {what}, found {found!r}")
        return t

    def node(self, node: Node) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.error(f"the expression is too large (more than {MAX_NODES} parts)")
        return node

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"the expression nests more than {MAX_DEPTH} levels deep")

    # -- grammar
    def parse(self) -> Node:
        tree = self.expr()
        if self.tok.kind != "end":
            raise self.error(f"unexpected {self.tok.value!r}")
        return tree

    def expr(self) -> Node:
        self.deeper()
        try:
            return self.binary_chain("or", self.and_)
        finally:
            self.depth -= 1

    def binary_chain(self, keyword: str, operand) -> Node:
        left = operand()
        while (t := self.take("keyword", keyword)) is not None:
            left = self.node(Binary(t.pos, keyword, left, operand()))
        return left

    def and_(self) -> Node:
        return self.binary_chain("and", self.not_)

    def not_(self) -> Node:
        t = self.take("keyword", "not")
        if t is not None:
            self.deeper()
            try:
                return self.node(Unary(t.pos, "not", self.not_()))
            finally:
                self.depth -= 1
        return self.compare()

    def compare(self) -> Node:
        left = self.concat()
        t = self.tok
        if t.kind == "op" and t.value in _COMPARE:
            self.i += 1
            return self.node(Binary(t.pos, _COMPARE[t.value], left, self.concat()))
        negated = False
        if t.kind == "keyword" and t.value == "not" and self.tokens[self.i + 1].value == "in":
            self.i += 1
            negated = True
        if self.take("keyword", "in") is not None:
            self.expect("op", "(", "'(' after in")
            values = [self.literal()]
            while self.take("op", ",") is not None:
                values.append(self.literal())
            self.expect("op", ")", "')' closing the in list")
            return self.node(InList(t.pos, left, tuple(values), negated))
        if self.take("keyword", "is") is not None:
            neg = self.take("keyword", "not") is not None
            if self.take("keyword", "null") is None and self.take("keyword", "missing") is None:
                raise self.error("expected null or missing after is")
            return self.node(IsMissing(t.pos, left, neg))
        return left

    def literal(self) -> Literal:
        t = self.tok
        sign = 1.0
        if t.kind == "op" and t.value == "-":
            self.i += 1
            sign = -1.0
            t = self.tok
            if t.kind != "number":
                raise self.error("expected a number after '-' in the in list")
        if t.kind == "number":
            self.i += 1
            return Literal(t.pos, sign * float(t.value))
        if t.kind == "text":
            self.i += 1
            return Literal(t.pos, t.value)
        raise self.error("an in list holds literals (numbers or quoted text)")

    def concat(self) -> Node:
        left = self.sum()
        while (t := self.take("op", "||")) is not None:
            left = self.node(Binary(t.pos, "||", left, self.sum()))
        return left

    def sum(self) -> Node:
        left = self.product()
        while self.tok.kind == "op" and self.tok.value in ("+", "-"):
            t = self.tok
            self.i += 1
            left = self.node(Binary(t.pos, t.value, left, self.product()))
        return left

    def product(self) -> Node:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.value in ("*", "/"):
            t = self.tok
            self.i += 1
            left = self.node(Binary(t.pos, t.value, left, self.unary()))
        return left

    def unary(self) -> Node:
        t = self.take("op", "-")
        if t is not None:
            self.deeper()
            try:
                operand = self.unary()
            finally:
                self.depth -= 1
            if isinstance(operand, Literal) and isinstance(operand.value, float):
                return self.node(Literal(t.pos, -operand.value))
            return self.node(Unary(t.pos, "-", operand))
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        t = self.take("op", "**")
        if t is not None:
            self.deeper()
            try:
                return self.node(Binary(t.pos, "**", base, self.unary()))
            finally:
                self.depth -= 1
        return base

    def atom(self) -> Node:
        t = self.tok
        if t.kind == "number":
            self.i += 1
            return self.node(Literal(t.pos, float(t.value)))
        if t.kind == "text":
            self.i += 1
            return self.node(Literal(t.pos, t.value))
        if t.kind == "keyword" and t.value in ("true", "false", "null"):
            self.i += 1
            return self.node(Literal(t.pos, None if t.value == "null" else t.value == "true"))
        if t.kind == "keyword" and t.value == "case":
            return self.case()
        if t.kind == "name":
            self.i += 1
            if self.take("op", "(") is not None:
                return self.call(t)
            return self.node(Name(t.pos, t.value))
        if self.take("op", "(") is not None:
            inner = self.expr()
            self.expect("op", ")", "')'")
            return inner
        found = t.value or "the end of the expression"
        raise self.error(f"expected a value, name or '(', found {found!r}")

    def call(self, name: _Token) -> Node:
        if "." in name.value:
            raise self.error(f"{name.value!r} is not a function name", name)
        self.deeper()
        try:
            args: list[Node] = []
            if self.take("op", ")") is None:
                args.append(self.expr())
                while self.take("op", ",") is not None:
                    args.append(self.expr())
                self.expect("op", ")", f"',' or ')' in the call of {name.value}")
        finally:
            self.depth -= 1
        return self.node(Call(name.pos, name.value.lower(), tuple(args)))

    def case(self) -> Node:
        start = self.expect("keyword", "case", "case")
        whens: list[tuple[Node, Node]] = []
        while self.take("keyword", "when") is not None:
            cond = self.expr()
            self.expect("keyword", "then", "then")
            whens.append((cond, self.expr()))
        if not whens:
            raise self.error("case needs at least one 'when ... then ...'")
        otherwise = self.expr() if self.take("keyword", "else") is not None else None
        self.expect("keyword", "end", "end closing case")
        return self.node(Case(start.pos, tuple(whens), otherwise))


def parse(text: str) -> Node:
    """The syntax tree of an expression; ExprSyntaxError names the position of a mistake."""
    if not isinstance(text, str):
        raise ExprSyntaxError("an expression is text", str(text), 0)
    if len(text) > MAX_LENGTH:
        raise ExprSyntaxError(f"the expression is longer than {MAX_LENGTH} characters",
                              text[:40] + "...", MAX_LENGTH)
    if not text.strip():
        raise ExprSyntaxError("the expression is empty", text, 0)
    return _Parser(text).parse()
