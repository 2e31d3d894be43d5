"""Evaluating a checked expression on whole columns with Arrow compute kernels.

The blank rule, stated once (docs/mapping-language.md, "Missing values in conditions"):

* arithmetic and functions: a missing argument gives a missing result (except ``coalesce``,
  ``if_else``, ``concat``, ``min``/``max``, ``is_missing`` and ``is_numeric``, which are
  about missing values);
* ``=`` and ``in``: a missing value equals nothing; ``!=`` and ``not in``: a missing value
  differs from every value (as in SAS: a blank AESER is "not Y"), and two missing values do
  not differ;
* ``<``, ``<=``, ``>``, ``>=``: false when either side is missing (a missing value has no
  order, unlike SAS, where it sorts first);
* a condition whose value is missing does not hold (the record is not selected).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
from cdiscflow.expr.values import (
    ANY,
    BOOL,
    NUMBER,
    TEXT,
    Context,
    Value,
    as_array,
    cast,
    common_type,
    finite,
    literal,
    missing,
)

_ARITH = {"+": pc.add, "-": pc.subtract, "*": pc.multiply}
_ORDER = {"<": pc.less, "<=": pc.less_equal, ">": pc.greater, ">=": pc.greater_equal}


def evaluate(node: Node, ctx: Context) -> tuple[Value, str]:
    """The value of ``node`` over every row of ``ctx.frame`` and its type."""
    if isinstance(node, Literal):
        return literal(node.value)
    if isinstance(node, Name):
        kind = ctx.types.get(node.name, TEXT)
        return ctx.column(node.name), kind
    if isinstance(node, Call) and node.function == "if_else":
        return _if_else(node, ctx)
    if isinstance(node, Call):
        fn = FUNCTIONS[node.function]
        values, types = zip(*(evaluate(a, ctx) for a in node.args), strict=True) \
            if node.args else ((), ())
        same = [t for i, t in enumerate(types)
                if fn.params[min(i, len(fn.params) - 1)] == "same"]
        kind = (common_type(same) or TEXT) if fn.returns == "same" else fn.returns
        return fn.run(list(values), list(types), ctx), kind
    if isinstance(node, Unary):
        value, _ = evaluate(node.operand, ctx)
        if node.op == "not":
            return pc.invert(pc.fill_null(value, False)), BOOL
        return pc.negate(value), NUMBER
    if isinstance(node, InList):
        value, kind = evaluate(node.operand, ctx)
        found = _is_in(value, kind, node.values, ctx)
        return (pc.invert(found) if node.negated else found), BOOL
    if isinstance(node, IsMissing):
        value, _ = evaluate(node.operand, ctx)
        absent = missing(value)
        return (pc.invert(absent) if node.negated else absent), BOOL
    if isinstance(node, Case):
        return _case(node, ctx)
    assert isinstance(node, Binary)
    return _binary(node, ctx)


def _binary(node: Binary, ctx: Context) -> tuple[Value, str]:
    left, lkind = evaluate(node.left, ctx)
    right, rkind = evaluate(node.right, ctx)
    op = node.op
    if op == "and":
        return pc.and_kleene(left, right), BOOL
    if op == "or":
        return pc.or_kleene(left, right), BOOL
    if op in _ARITH:
        return finite(_ARITH[op](cast(left, NUMBER), cast(right, NUMBER))), NUMBER
    if op == "/":
        return finite(pc.divide(cast(left, NUMBER), cast(right, NUMBER))), NUMBER
    if op == "**":
        return finite(pc.power(cast(left, NUMBER), cast(right, NUMBER))), NUMBER
    if op == "||":
        return FUNCTIONS["concat"].run([left, right], [lkind, rkind], ctx), TEXT
    left, right = _aligned(left, lkind, right, rkind, ctx)
    if op == "=":
        return pc.fill_null(pc.equal(left, right), False), BOOL
    if op == "!=":
        known_left, known_right = pc.is_valid(left), pc.is_valid(right)
        both = pc.and_(known_left, known_right)
        differ = pc.fill_null(pc.not_equal(left, right), False)
        return pc.if_else(both, differ, pc.xor(known_left, known_right)), BOOL
    return pc.fill_null(_ORDER[op](left, right), False), BOOL


def _aligned(left: Value, lkind: str, right: Value, rkind: str, ctx: Context
             ) -> tuple[Value, Value]:
    """Both sides of a comparison as one Arrow type (text and dates compare as text). A spec
    checked on load never compares a number with text; a column whose type only the data
    tells (ADaM) is compared as text then, the number written as SDTM writes it."""
    kind = common_type([lkind, rkind])
    if kind is None:
        to_text = FUNCTIONS["to_text"].run
        return (to_text([left], [lkind], ctx), to_text([right], [rkind], ctx))
    if kind == ANY:
        kind = TEXT
    return cast(left, kind), cast(right, kind)


def _is_in(value: Value, kind: str, values: tuple[Literal, ...], ctx: Context) -> Value:
    target = kind if kind != ANY else TEXT
    items = [literal(v.value)[0] for v in values]
    if target == NUMBER:
        choices = pa.array([i.as_py() for i in items], type=pa.float64())
    else:
        choices = pa.array([None if i.as_py() is None else str(i.as_py()) for i in items],
                           type=pa.large_string())
    data = as_array(cast(value, target), ctx.rows)
    return pc.fill_null(pc.is_in(data, value_set=choices, skip_nulls=True), False)


def _held(cond: Value, ctx: Context) -> np.ndarray:
    """Where a condition holds, as a numpy mask over the rows."""
    return as_array(pc.fill_null(cond, False), ctx.rows).to_numpy(zero_copy_only=False)


def _only_on(node: Node, ctx: Context, rows: np.ndarray) -> tuple[Value, str]:
    """``node``'s value, keeping the problems found in it (text that is no number) only on
    ``rows``: the rows whose value it gives. So ``if_else(VISIT = 'BASELINE', 0,
    to_number(VISIT))`` does not fault the text of the baseline visit, whose value is 0."""
    start = len(ctx.problems)
    out = evaluate(node, ctx)
    kept = []
    for problem in ctx.problems[start:]:
        problem.rows = problem.rows & rows
        if problem.rows.any():
            kept.append(problem)
    ctx.problems[start:] = kept
    return out


def _if_else(node: Call, ctx: Context) -> tuple[Value, str]:
    cond, _ = evaluate(node.args[0], ctx)
    held = _held(cond, ctx)
    yes, ykind = _only_on(node.args[1], ctx, held)
    no, nkind = _only_on(node.args[2], ctx, ~held)
    kind = common_type([ykind, nkind]) or TEXT
    return FUNCTIONS["if_else"].run([cond, yes, no], [BOOL, ykind, nkind], ctx), kind


def _case(node: Case, ctx: Context) -> tuple[Value, str]:
    # each branch's problems count only on the rows it decides (the first condition holding)
    decided = np.zeros(ctx.rows, dtype=bool)
    branches = []
    for c, v in node.whens:
        cond, _ = _only_on(c, ctx, ~decided)
        held = _held(cond, ctx) & ~decided
        branches.append((cond, _only_on(v, ctx, held)))
        decided |= held
    otherwise = _only_on(node.otherwise, ctx, ~decided) if node.otherwise is not None else None
    kinds = [k for _, (_, k) in branches] + ([otherwise[1]] if otherwise else [])
    kind = common_type(kinds) or TEXT
    kind = TEXT if kind == ANY else kind
    result = cast(otherwise[0], kind) if otherwise else cast(literal(None)[0], kind)
    # the first condition that holds wins: build from the last branch backwards
    for cond, (value, _) in reversed(branches):
        result = pc.if_else(pc.fill_null(cond, False), cast(value, kind), result)
    return result, kind
