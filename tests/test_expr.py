"""The expression language (cdiscflow/expr): parsing, checking with positions, and values on
whole columns, with the one blank rule."""

from __future__ import annotations

import pandas as pd
import pytest

from cdiscflow.expr import DATE, NUMBER, TEXT, Expression, ExprSyntaxError

FRAME = pd.DataFrame({
    "WEIGHTBL": pd.Series([70.0, None, 80.5, 2.675], dtype="Float64"),
    "HEIGHTBL": pd.Series([175.0, 160.0, 0.0, 100.0], dtype="Float64"),
    "DOS": pd.Series(["10", "abc", None, " 2.5 "], dtype="string"),
    "MODIFY": pd.Series(["A", "B", None, None], dtype="string"),
    "MDRAW": pd.Series(["A", "C", "x", None], dtype="string"),
    "AESTDTC": pd.Series(["2023-04-14", "2023-04", "2023-04-20T08:36", None], dtype="string"),
    "RFSTDTC": pd.Series(["2023-04-10"] * 4, dtype="string"),
})
TYPES = {"WEIGHTBL": NUMBER, "HEIGHTBL": NUMBER, "DOS": TEXT, "MODIFY": TEXT, "MDRAW": TEXT,
         "AESTDTC": DATE, "RFSTDTC": DATE}


def values(text: str) -> list:
    expr = Expression.parse(text)
    expr.check(TYPES)
    out, _, _ = expr.evaluate(FRAME)
    return [None if pd.isna(v) else v for v in out]


@pytest.mark.parametrize("text, expected", [
    ("round(WEIGHTBL / (HEIGHTBL / 100) ** 2, 1)", [22.9, None, None, 2.7]),
    ("WEIGHTBL * 2 - 1", [139.0, None, 160.0, 4.35]),
    ("round(WEIGHTBL, 2)", [70.0, None, 80.5, 2.68]),  # halves away from zero, as SAS
    ("round(-2.5)", [-3.0] * 4),
    ("floor(WEIGHTBL) + ceil(0.2) + abs(-1)", [72.0, None, 82.0, 4.0]),
    ("min(WEIGHTBL, HEIGHTBL)", [70.0, 160.0, 0.0, 2.675]),  # missing skipped, as SAS MIN
    ("max(WEIGHTBL, 100)", [100.0, 100.0, 100.0, 100.0]),
    ("WEIGHTBL / HEIGHTBL", [0.4, None, None, 0.02675]),  # x / 0 is missing
    ("to_number(DOS)", [10.0, None, None, 2.5]),
    ("length(MDRAW)", [1.0, 1.0, 1.0, None]),
    ("year(AESTDTC) * 100 + month(AESTDTC)", [202304.0, 202304.0, 202304.0, None]),
    ("day(AESTDTC)", [14.0, None, 20.0, None]),
    ("days_between(RFSTDTC, AESTDTC) + 1", [5.0, None, 11.0, None]),  # partial: no day count
])
def test_numbers(text, expected):
    got = values(text)
    assert [None if v is None else round(v, 10) for v in got] == expected


@pytest.mark.parametrize("text, expected", [
    ("upper(MDRAW) || '-' || lower('Q')", ["A-q", "C-q", "X-q", "-q"]),
    ("concat(MODIFY, '/', DOS)", ["A/10", "B/abc", "/", "/ 2.5 "]),
    ("trim(DOS)", ["10", "abc", None, "2.5"]),
    ("substr(AESTDTC, 1, 7)", ["2023-04", "2023-04", "2023-04", None]),
    ("substr(AESTDTC, 12)", [None, None, "08:36", None]),
    ("coalesce(MODIFY, MDRAW, 'none')", ["A", "B", "x", "none"]),
    ("if_else(MODIFY = 'A', 'yes', 'no')", ["yes", "no", "no", "no"]),
    ("case when MODIFY = 'A' then 'a' when MODIFY is missing then 'blank' else 'other' end",
     ["a", "other", "blank", "blank"]),
    ("case when MODIFY = 'A' then 'a' end", ["a", None, None, None]),
    ("extract(AESTDTC, 'T(\\d\\d)')", [None, None, "08", None]),
    ("extract(AESTDTC, '^\\d{4}')", ["2023", "2023", "2023", None]),
    ("replace(AESTDTC, '-', '')", ["20230414", "202304", "20230420T08:36", None]),
    ("to_text(WEIGHTBL)", ["70", None, "80.5", "2.675"]),
    ("date(AESTDTC)", ["2023-04-14", "2023-04", "2023-04-20", None]),
    ("add_days(AESTDTC, 30)", ["2023-05-14", None, "2023-05-20", None]),
])
def test_text_and_dates(text, expected):
    assert values(text) == expected


@pytest.mark.parametrize("text, expected", [
    # the one blank rule: = never matches a blank, != keeps it, order comparisons drop it
    ("MODIFY = 'A'", [True, False, False, False]),
    ("MODIFY != 'A'", [False, True, True, True]),
    ("MODIFY != MDRAW", [False, True, True, False]),  # two blanks do not differ
    ("MODIFY in ('A', 'B')", [True, True, False, False]),
    ("MODIFY not in ('A')", [False, True, True, True]),
    ("WEIGHTBL > 75", [False, False, True, False]),
    ("WEIGHTBL <= 75", [True, False, False, True]),
    ("not (WEIGHTBL > 75)", [True, True, False, True]),
    ("MODIFY is missing", [False, False, True, True]),
    ("MODIFY is not null", [True, True, False, False]),
    ("is_missing(DOS) or is_numeric(DOS)", [True, False, True, True]),
    ("contains(MDRAW, 'x') or starts_with(AESTDTC, '2023-04-1')", [True, False, True, False]),
    ("matches(AESTDTC, '^\\d{4}-\\d{2}-\\d{2}$')", [True, False, False, False]),
    ("AESTDTC >= '2023-04-14' and AESTDTC < '2023-04-30'", [True, False, True, False]),
    ("WEIGHTBL in (70, 80.5)", [True, False, True, False]),
    ("TRUE and not false", [True] * 4),
])
def test_conditions(text, expected):
    expr = Expression.parse(text)
    expr.check(TYPES)
    assert expr.mask(FRAME).tolist() == expected


def test_to_number_reports_the_rows_that_are_not_numbers():
    _, kind, problems = Expression.parse("to_number(DOS) + 1").evaluate(FRAME)
    assert kind == NUMBER
    assert [(p.rows.tolist(), p.message) for p in problems] == \
        [([False, True, False, False], "expected a number")]


@pytest.mark.parametrize("text, message, position", [
    ("round(WEIGHTBL, 'x')", "round's argument 2 takes number, got text", 17),
    ("WEIGHTBL + DOS", "'+' takes number, got text; convert it with to_number(...)", 12),
    ("WEIGHTB > 1", "'WEIGHTB' is not a column here (did you mean WEIGHTBL?)", 1),
    ("uper(DOS)", "unknown function 'uper' (did you mean upper?)", 1),
    ("DOS = 1", "cannot compare text with number", 5),
    ("(1 + ", "expected a value, name or '(', found 'the end of the expression'", 6),
    ("round()", "round takes 1 to 2 argument(s), got 0", 1),
    ("matches(DOS, '(a')", "the pattern '(a' is not a valid regular expression", 14),
    ("extract(DOS, '(a)(b)')", "has 2 groups", 14),
    ("matches(DOS, '(?<=a)b')", "not a valid regular expression", 14),  # RE2: no lookbehind
    ("matches(DOS, MDRAW)", "matches's argument 2 must be a literal", 14),
    ("case when DOS then 1 end", "'when' takes bool, got text", 11),
    ("case when DOS = 'a' then 1 else 'x' end", "the branches of case give different types", 1),
    ("DOS.__class__", "'DOS.__class__' is not a column here", 1),
    ("__import__('os')", "unknown function '__import__'", 1),
    ("DOS[0]", "unexpected character '['", 4),
    ("DOS = 'a'; x", "unexpected character ';'", 10),
    ("not WEIGHTBL", "'not' takes bool, got number", 5),
])
def test_mistakes_name_the_position(text, message, position):
    with pytest.raises(ExprSyntaxError) as err:
        Expression.parse(text).check(TYPES)
    assert message in err.value.message
    assert err.value.position + 1 == position


def test_sizes_are_bounded():
    with pytest.raises(ExprSyntaxError, match="longer than 4000 characters"):
        Expression.parse("1 + " * 1001 + "1")
    with pytest.raises(ExprSyntaxError, match="nests more than 60 levels"):
        Expression.parse("(" * 61 + "1" + ")" * 61)
    with pytest.raises(ExprSyntaxError, match="more than 1000 parts"):
        Expression.parse("+".join(["1"] * 600))


def test_names_and_words():
    expr = Expression.parse("round(WEIGHTBL / (HEIGHTBL / 100) ** 2, 1)")
    assert expr.names == ["WEIGHTBL", "HEIGHTBL"]
    assert expr.words() == ("(WEIGHTBL divided by ((HEIGHTBL divided by 100) to the power 2)) "
                            "rounded to 1 decimal places")
    assert Expression.parse("X != 'Y' and `odd name` in (1, 2)").words() == \
        "(X is not 'Y') and (odd name is one of 1, 2)"


def test_keywords_are_case_insensitive_and_quotes_double():
    expr = Expression.parse("MODIFY IS NOT MISSING AND MDRAW <> 'it''s'")
    assert expr.mask(FRAME).tolist() == [True, True, False, False]


def test_a_frame_with_no_rows_gives_no_values():
    empty = FRAME.iloc[:0]
    out, kind, problems = Expression.parse("upper(MDRAW) || 'x'").evaluate(empty)
    assert (len(out), kind, problems) == (0, TEXT, [])


@pytest.mark.parametrize("text, expected, bad_rows", [
    # DOS "abc" (row 2) is not a number, but only the rows a branch decides are its concern
    ("if_else(DOS = 'abc', 0, to_number(DOS))", [10.0, 0.0, None, 2.5], None),
    ("if_else(DOS = '10', 0, to_number(DOS))", [0.0, None, None, 2.5],
     [False, True, False, False]),
    ("case when DOS = 'abc' then -1 when to_number(DOS) > 5 then 1 else to_number(DOS) end",
     [1.0, -1.0, None, 2.5], None),
    # a later condition is evaluated only where no earlier one held
    ("case when DOS = '10' then 1 when to_number(DOS) > 5 then 2 end", [1.0, None, None, None],
     [False, True, False, False]),
])
def test_a_branch_faults_only_the_rows_it_decides(text, expected, bad_rows):
    out, _, problems = Expression.parse(text).evaluate(FRAME)
    assert [None if pd.isna(v) else v for v in out] == expected
    assert [p.rows.tolist() for p in problems] == ([bad_rows] if bad_rows else [])
