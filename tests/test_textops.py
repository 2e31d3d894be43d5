"""The vectorised text helpers keep every value on its own row, whatever the index."""

import numpy as np
import pandas as pd
import pytest

from cdiscflow.codes import factorize, per_distinct
from cdiscflow.textops import (
    coerce_numbers,
    extract,
    format_numbers,
    is_in,
    lookup,
    map_text,
    parse_timestamps,
    to_number,
)

INDEX = pd.Index([7, 3, 11, 5])


def vals(s):
    return [None if pd.isna(v) else v for v in s]


def test_map_text_by_position_on_any_index():
    s = pd.Series(["a", "b", None, "c"], index=INDEX, dtype="string")
    out = map_text(s, {"a": "A", "b": None, "c": 3})
    assert list(out.index) == list(INDEX)
    assert vals(out) == ["A", None, None, "3"]


def test_format_numbers_on_any_index():
    s = pd.Series([2.01, None, 11.970000000000001, 2.01], index=INDEX, dtype="Float64")
    assert vals(format_numbers(s)) == ["2.01", None, "11.97", "2.01"]
    assert vals(format_numbers(s, ".2f")) == ["2.01", None, "11.97", "2.01"]


def test_extract_groups_and_non_matches():
    s = pd.Series(["<5", "12.5", None, "x"], index=INDEX, dtype="string")
    out = extract(s, r"^(?P<op><|>)?(?P<num>\d+(?:\.\d+)?)$")
    assert list(out.index) == list(INDEX)
    assert vals(out["op"]) == ["<", None, None, None]
    assert vals(out["num"]) == ["5", "12.5", None, None]


def test_numbers_and_timestamps():
    s = pd.Series(["1.5", None, "2", "1e3"], index=INDEX, dtype="string")
    assert vals(to_number(s)) == [1.5, None, 2.0, 1000.0]
    assert vals(coerce_numbers(pd.Series(["1", "x", None, "2.5"], index=INDEX))) == [
        1.0, None, None, 2.5]
    ts = parse_timestamps(pd.Series(["2021-03-04", None, "bad", "2021-03-05"], index=INDEX),
                          "%Y-%m-%d")
    assert [None if pd.isna(v) else str(v.date()) for v in ts] == [
        "2021-03-04", None, None, "2021-03-05"]


def test_per_distinct_matches_the_direct_result_on_large_input():
    rng = np.random.default_rng(3)
    s = pd.Series(rng.choice(["1", "2", "<5", None], 5000), dtype="string",
                  index=pd.RangeIndex(10, 5010))
    via = per_distinct(lambda x: pd.to_numeric(x.astype(object), errors="coerce"), s)
    expected = pd.to_numeric(s.astype(object), errors="coerce")
    assert list(via.index) == list(s.index)
    assert via.fillna(-1).tolist() == expected.fillna(-1).tolist()


def test_factorize_several_columns():
    a = pd.Series(["x", "y", None, "x"], dtype="string")
    b = pd.Series(["1", "1", "2", "1"], dtype="string")
    codes, distinct = factorize(a, b)
    assert codes[0] == codes[3] and len(set(codes)) == 3
    assert vals(distinct[0]) == ["x", "y", None]


def test_lookup_by_unique_key():
    keys = pd.Series(["s2", "s1", "s9", None], index=INDEX, dtype="string")
    out = lookup(keys, pd.Series(["s1", "s2"], dtype="string"),
                 pd.Series(["2021-01-01", "2021-02-02"], dtype="string"))
    assert list(out.index) == list(INDEX)
    assert vals(out) == ["2021-02-02", "2021-01-01", None, None]


def test_factorize_one_column_numbers_values_in_order_of_first_appearance():
    s = pd.Series(["b", None, "a", "b", None, "c"], dtype="string")
    codes, distinct = factorize(s)
    assert codes.tolist() == [0, 1, 2, 0, 1, 3]
    assert vals(distinct[0]) == ["b", None, "a", "c"]
    floats = pd.Series([2.5, np.nan, 2.5, 1.0])
    codes, distinct = factorize(floats)
    assert codes.tolist() == [0, 1, 0, 2]


def test_is_in_like_isin_missing_only_where_a_candidate_is_missing():
    s = pd.Series(["a", None, "c", "b"], index=INDEX, dtype="string")
    out = is_in(s, pd.Series(["b", "a", "a"], dtype="string"))
    assert list(out.index) == list(INDEX) and out.tolist() == [True, False, False, True]
    assert is_in(s, pd.Series(["c", None], dtype="string")).tolist() == [False, True, True,
                                                                          False]
    assert is_in(s, pd.Series([], dtype="string")).tolist() == [False] * 4


def test_factorisation_remembered_while_the_column_lives():
    import gc

    from cdiscflow import codes as coding

    frame = pd.DataFrame({"a": pd.array(["x", "y", None, "x", "y"], dtype="string"),
                          "b": pd.array(["p", "p", "q", "q", "p"], dtype="string")})
    codes, distinct = factorize(frame["a"])
    assert list(codes) == [0, 1, 2, 0, 1]
    assert vals(distinct[0]) == ["x", "y", None]
    data = frame["a"].array._pa_array
    # a shallow copy, a renamed or re-typed column share the Arrow data: the same entry
    copied = frame.copy(deep=False)
    copied["c"] = 1
    assert coding._FACTORISED.get([copied["a"].astype("string").rename("z").array._pa_array]
                                   ).codes.tolist() == [0, 1, 2, 0, 1]
    codes2, distinct2 = factorize(frame["a"], frame["b"])
    assert list(codes2) == [0, 1, 2, 3, 1]
    assert [vals(distinct2[i]) for i in (0, 1)] == [["x", "y", None, "x"], ["p", "p", "q", "q"]]
    # remembered codes are read-only: no caller can change them for the next
    with np.testing.assert_raises(ValueError):
        coding._FACTORISED.get([data]).codes[0] = 5
    # new values are new Arrow data: computed afresh, never the old codes
    frame["a"] = pd.array(["y", "y", "x", "x", None], dtype="string")
    codes3, distinct3 = factorize(frame["a"])
    assert list(codes3) == [0, 0, 1, 1, 2] and vals(distinct3[0]) == ["y", "x", None]
    # the entry goes with its data
    before = len(coding._FACTORISED._entries)
    del data, copied, frame
    gc.collect()
    assert len(coding._FACTORISED._entries) < before


def test_spread_results_carry_their_codes():
    from cdiscflow import codes as coding

    keys = pd.Series(["b", "a", "b", "c", "a", "b"] * 200, dtype="string")
    out = per_distinct(lambda k: k.map({"a": "X", "b": "Y", "c": "X"}).astype("string"), keys)
    assert vals(out[:6]) == ["Y", "X", "Y", "X", "X", "Y"]
    # numbered through the three keys' results, in order of first appearance, as hashing
    # the 1,200 values would number them
    codes, distinct = factorize(out)
    assert list(codes[:6]) == [0, 1, 0, 1, 1, 0] and vals(distinct[0]) == ["Y", "X"]
    assert coding._FACTORISED.get([out.array._pa_array]).size == 2
    fresh = pd.Series(list(out), dtype="string")
    assert list(factorize(fresh)[0]) == list(codes)
    # a result frame's text columns carry theirs too (a lookup's value beside its flag)
    both = per_distinct(lambda k: pd.DataFrame({
        "value": k.map({"a": "X", "b": "Y", "c": "X"}).astype("string"), "found": k != "c"}),
        keys)
    assert coding._FACTORISED.get([both["value"].array._pa_array]).size == 2
    assert list(factorize(both["value"])[0][:6]) == [0, 1, 0, 1, 1, 0]


def test_records_and_subject_merge_per_distinct_pair():
    from cdiscflow.sdtm.sources.derive import _records

    class Ctx:
        def domain_frame(self, dom):
            return {"LB": pd.DataFrame({
                "USUBJID": pd.array(["S1", "S1", "S2", "S1", "S2"], dtype="string"),
                "LBDTC": pd.array(["2021-01-02", "2021-01-02", None, "2021-01-03", None],
                                  dtype="string")})}[dom]

    rec = _records(Ctx(), ["LB.LBDTC"])
    assert [vals(rec[c]) for c in ("USUBJID", "VALUE")] == [
        ["S1", "S2", "S1"], ["2021-01-02", None, "2021-01-03"]]


def test_sort_ranks_order_as_the_values_sort():
    from cdiscflow.codes import sort_ranks

    text = pd.Series(["b", None, "a", "é", "b", "B"], dtype="string")
    assert list(sort_ranks(text)) == [2, 4, 1, 3, 2, 0]  # code point order, missing last
    nums = pd.Series([2.5, np.nan, -1.0, 2.5], dtype="float64")
    assert list(sort_ranks(nums)) == [1, 2, 0, 1]
    ints = pd.Series([3, None, 1], dtype="Int64")
    assert list(sort_ranks(ints)) == [1, 2, 0]
    # the records sorted by their ranks are the records sorted by value (stable)
    frame = pd.DataFrame({"k": text, "n": pd.Series([1.0, 2, 3, 4, 0, 6])})
    expected = frame.sort_values(["k", "n"], kind="stable", na_position="last").index
    assert list(np.lexsort([sort_ranks(frame["n"]), sort_ranks(frame["k"])])) == list(expected)


def test_stable_order_is_sort_values_order():
    from cdiscflow.codes import stable_order

    frame = pd.DataFrame({
        "U": pd.array(["B", "A", None, "A", "B", "A"], dtype="string"),
        "D": pd.array(["2021-01-02", "2021-01-01", "2021-01-01", None, "2021-01-02",
                       "2021-01-01"], dtype="string"),
        "N": pd.array([2.0, None, 1.0, 3.0, 1.0, None], dtype="Float64"),
    }, index=[9, 8, 7, 6, 5, 4])
    for keys in (["U"], ["U", "D"], ["U", "D", "N"], ["N", "U"]):
        expected = frame.sort_values(keys, kind="stable").index
        assert list(frame.index[stable_order([frame[k] for k in keys])]) == list(expected)
    assert list(stable_order([frame["U"], frame["D"]])) == [1, 5, 3, 0, 4, 2]
    # whole numbers (a --SEQ, a line number) ordered by their own values: negative, missing
    # last, far apart, plain numpy or nullable
    frame["S"] = pd.array([3, None, -2, 3, 7, 1], dtype="Int64")
    frame["L"] = np.array([10**12, 5, 5, -(10**12), 0, 5], dtype=np.int64)
    frame["F"] = pd.array([2.0, None, -1.0, 2.0, 12.0, 0.0], dtype="Float64")  # a Num --SEQ
    frame["X"] = np.array([0.5, np.nan, -1.0, 2.0, np.inf, 0.0])  # fractions: ranked
    for keys in (["S"], ["U", "S"], ["S", "L"], ["L", "U"], ["L"], ["F"], ["F", "S"], ["X"]):
        expected = frame.sort_values(keys, kind="stable").index
        assert list(frame.index[stable_order([frame[k] for k in keys])]) == list(expected)
    assert list(stable_order([frame["S"]])) == [2, 5, 0, 3, 4, 1]
    assert list(stable_order([frame["F"]])) == [2, 5, 0, 3, 4, 1]
    # four whole-number keys whose ranges multiply past 2**62: sorted key after key instead
    wide = pd.DataFrame({k: np.array(v, dtype=np.int64) for k, v in {
        "A": [60000, 0, 60000, 0, 0, 60000], "B": [0, 60000, 0, 0, 60000, 0],
        "C": [60000, 60000, 0, 0, 0, 60000], "E": [1, 0, 0, 60000, 0, 0]}.items()})
    assert list(stable_order([wide[k] for k in "ABCE"])) == [3, 4, 1, 2, 5, 0]
    assert list(wide.sort_values(list("ABCE"), kind="stable").index) == [3, 4, 1, 2, 5, 0]


def test_several_columns_numbered_in_order_of_first_appearance():
    # few combinations (the table path) and many (hashing) give pd.factorize's numbering;
    # a column with one value (all missing) tells no rows apart
    a = pd.Series(["s2", "s1", "s2", "s1", "s3", "s2"], dtype="string")
    b = pd.Series(["T", "T", "U", "T", None, "T"], dtype="string")
    blank = pd.Series([None] * 6, dtype="string")
    codes, distinct = factorize(a, blank, b)
    assert codes.tolist() == [0, 1, 2, 1, 3, 0]
    assert vals(distinct[0]) == ["s2", "s1", "s2", "s3"]
    assert vals(distinct[2]) == ["T", "T", "U", None]
    assert factorize(a, blank)[0].tolist() == [0, 1, 0, 1, 2, 0]
    assert factorize(blank, blank)[0].tolist() == [0] * 6
    rng = np.random.default_rng(5)
    for n_values in (3, 400):  # 9 combinations of 2,000 rows, then 160,000
        x = pd.Series(rng.integers(0, n_values, 2000).astype(str), dtype="string")
        y = pd.Series(rng.integers(0, n_values, 2000).astype(str), dtype="string")
        expected, _ = pd.factorize(x.astype(object) + "|" + y.astype(object))
        assert factorize(x, y)[0].tolist() == expected.tolist()


def test_spread_keeps_names_types_and_the_index():
    from cdiscflow.codes import take

    codes = np.array([1, 0, 1, 2], dtype=np.int32)
    text = pd.Series(["a", None, "c"], dtype="string", name="T")
    out = take(text, codes, INDEX)
    assert out.name == "T" and out.dtype == text.dtype and list(out.index) == list(INDEX)
    assert vals(out) == [None, "a", None, "c"]
    numbers = take(pd.Series([1.5, np.nan, 3.0], name="N"), codes, INDEX)
    assert numbers.name == "N" and numbers.dtype == np.float64
    assert numbers.fillna(-1).tolist() == [-1, 1.5, -1, 3.0]
    frame = take(pd.DataFrame({"T": text, "F": [True, False, True]}), codes, INDEX)
    assert list(frame.columns) == ["T", "F"] and list(frame.index) == list(INDEX)
    assert frame["F"].tolist() == [False, True, False, True]
    assert vals(frame["T"]) == [None, "a", None, "c"]
    for nullable, given, expected in (
            ("Float64", [1.5, None, 3.0], [None, 1.5, None, 3.0]),
            ("Int64", [1, None, 3], [None, 1, None, 3]),
            ("boolean", [True, None, False], [None, True, None, False])):
        out = take(pd.Series(given, dtype=nullable, name="V"), codes, INDEX)
        assert str(out.dtype) == nullable and out.name == "V"
        assert list(out.index) == list(INDEX) and vals(out) == expected
    # pandas' default text type (NaN for missing: a raw form's file name column) is kept
    default = pd.Series(["a.csv", None, "c.csv"], dtype="str", name="F")
    out = take(default, codes, INDEX)
    assert out.dtype == default.dtype and out.name == "F"
    assert out.isna().tolist() == [True, False, True, False]
    assert out.dropna().tolist() == ["a.csv", "c.csv"]


def test_stacked_identifiers_carry_their_codes_only_when_every_record_stays():
    from cdiscflow import codes as coding
    from cdiscflow.sdtm.steps.stack import _repeated

    subject = pd.Series(["S2", "S1", "S2", None], dtype="string", name="USUBJID")
    rows = np.array([0, 0, 1, 2, 2, 3])  # each raw record repeated for its kept groups
    index = pd.RangeIndex(6)
    out = _repeated(subject, rows, index, coding.Codes.of(rows))
    assert out.name == "USUBJID" and vals(out) == ["S2", "S2", "S1", "S2", "S2", None]
    assert coding._FACTORISED.get([out.array._pa_array]) is not None
    codes, distinct = factorize(out)
    assert codes.tolist() == [0, 0, 1, 0, 0, 2] and vals(distinct[0]) == ["S2", "S1", None]
    # a record with no group left (row 1) could leave a code out of first-appearance order
    partial = _repeated(subject, np.array([0, 2, 3]), pd.RangeIndex(3), None)
    assert vals(partial) == ["S2", "S2", None]
    assert coding._FACTORISED.get([partial.array._pa_array]) is None


def test_spread_values_numbers_in_order_of_first_appearance():
    from cdiscflow import codes as coding

    names = pd.Series(["PLT", "WBC", "HGB"], dtype="string")
    out = coding.spread_values(names, np.array([2, 0, 2, 1, 0]), INDEX.append(pd.Index([9])))
    assert vals(out) == ["HGB", "PLT", "HGB", "WBC", "PLT"] and list(out.index) == [7, 3, 11, 5, 9]
    assert coding._FACTORISED.get([out.array._pa_array]) is not None
    codes, distinct = factorize(out)
    assert codes.tolist() == [0, 1, 0, 2, 1] and vals(distinct[0]) == ["HGB", "PLT", "WBC"]
    empty = coding.spread_values(names, np.array([], dtype=np.int64), pd.RangeIndex(0))
    assert len(empty) == 0 and empty.dtype == names.dtype


def test_columns_through_one_root_are_combined_on_its_codes():
    # a stacked domain: 4 raw records, each repeated for its tests; the subject and the date
    # map the records, so their combinations are numbered per record and then spread
    from cdiscflow import codes as coding

    rows = np.array([0, 0, 0, 1, 1, 2, 2, 2, 3])
    records = coding.Codes.of(rows)
    subject = coding.Codes.through(records, np.array([0, 1, 0, 1]), 2)
    date = coding.Codes.through(records, np.array([0, 0, 1, 1]), 2)
    combined = coding._combine_codes([(subject.codes, 2), (date.codes, 2)], len(rows))
    frame = pd.DataFrame({"U": pd.array(list("AAABBAAAB"), dtype="string"),
                          "D": pd.array(list("xxxxxyyyy"), dtype="string")})
    for col, known in (("U", subject), ("D", date)):
        coding._FACTORISED.put([frame[col].array._pa_array], known)
    codes, distinct = factorize(frame["U"], frame["D"])
    assert codes.tolist() == combined.tolist() == [0, 0, 0, 1, 1, 2, 2, 2, 3]
    known = coding._FACTORISED.get([frame["U"].array._pa_array, frame["D"].array._pa_array])
    assert known.root is records and known.per_root.tolist() == [0, 1, 2, 3]
    assert [vals(distinct[i]) for i in (0, 1)] == [["A", "B", "A", "B"], ["x", "x", "y", "y"]]
    # a result spread from those distinct rows maps the records too
    out = coding.spread(pd.Series(["p", "q", "p", "p"], dtype="string"), known, frame.index)
    again = coding._FACTORISED.get([out.array._pa_array])
    assert again.root is records and again.codes.tolist() == [0, 0, 0, 1, 1, 0, 0, 0, 0]
    assert factorize(out, frame["U"])[0].tolist() == [0, 0, 0, 1, 1, 0, 0, 0, 2]


def test_coded_text_is_made_only_when_its_values_are_needed():
    import pickle

    import pyarrow as pa

    from cdiscflow.codedtext import CodedText, settled

    distinct = pa.array(["HGB", None, "PLT"], type=pa.large_string())
    at = np.array([2, 0, 1, 0, 2, 2])
    plain = pd.Series(["PLT", "HGB", None, "HGB", "PLT", "PLT"], dtype="string")
    coded = pd.Series(CodedText.of(distinct, at), copy=False)
    # answered from the codes: missing values, comparisons with one value, a reordering
    assert coded.isna().tolist() == plain.isna().tolist()
    assert (coded == "PLT").tolist() == (plain == "PLT").tolist()
    assert (coded != "PLT").tolist() == [False, True, pd.NA, True, False, False]
    assert coded.array.pending() is not None
    taken = coded.iloc[[5, 1, 2]]
    assert isinstance(taken.array, CodedText) and taken.array.pending() is not None
    # the text is made once, for the column and its copies, when values are asked for
    copy = coded.copy()
    assert coded.tolist() == plain.tolist() and coded.array.pending() is None
    assert copy.array.pending() is None and copy.equals(plain)
    assert taken.tolist() == ["PLT", "HGB", pd.NA]
    # rows that are not there (a reindex) are missing
    again = pd.Series(CodedText.of(distinct, at), copy=False).reindex([4, 9, 1])
    assert again.array.pending() is not None and again.tolist() == ["PLT", pd.NA, "HGB"]
    # a finished frame and a pickled column hold plain text
    done = settled(pd.DataFrame({"TEST": pd.Series(CodedText.of(distinct, at), copy=False)}))
    assert type(done["TEST"].array) is pd.arrays.ArrowStringArray
    back = pickle.loads(pickle.dumps(pd.Series(CodedText.of(distinct, at), copy=False)))
    assert type(back.array) is pd.arrays.ArrowStringArray and back.equals(plain)
    # given as codes through a root (three records, two rows each), the rows' codes are
    # made only when the text is
    from cdiscflow.codes import Codes

    records = Codes.of(np.array([0, 0, 1, 1, 2, 2], dtype=np.int32))
    values = pa.array(["PLT", None], type=pa.large_string())
    lazy = pd.Series(CodedText.through(values, Codes.through(records, np.array([0, 1, 0]), 2)),
                     copy=False)
    assert len(lazy) == 6 and lazy.isna().tolist() == [False, False, True, True, False, False]
    assert lazy.array.pending()._at is None
    assert lazy.tolist() == ["PLT", "PLT", pd.NA, pd.NA, "PLT", "PLT"]


def test_nullable_numbers_numbered_as_pandas_numbers_them():
    from cdiscflow.codes import _number_codes

    cases = [
        pd.array([3.0, None, 1.0, 3.0, None, 2.0], dtype="Float64"),
        pd.array([None, 3.0, -0.0, 0.0, 3.0], dtype="Float64"),  # -0.0 equals 0.0
        pd.array([5, None, 2, 5, None], dtype="Int64"),
        pd.array([None, 2**63 - 1, -(2**63), 7], dtype="Int64"),  # no integer to spare
        pd.array([None, None], dtype="Int64"),
        np.array([2.5, np.nan, 2.5]),
    ]
    for values in cases:
        codes, size = _number_codes(pd.Series(values))
        expected, uniques = pd.factorize(pd.Series(values), use_na_sentinel=False)
        assert list(codes) == list(expected) and size == len(uniques)
    assert list(_number_codes(pd.Series(cases[0]))[0]) == [0, 1, 2, 0, 1, 3]


def test_holds_per_distinct_is_a_mask_with_unknown_as_false():
    from cdiscflow.codes import holds_per_distinct

    def starts_high(values: pd.Series) -> pd.Series:
        # a nullable answer: unknown (NA) for a missing value
        return values.str.startswith("H")

    small = pd.Series(pd.array(["HIGH", "LOW", None, "HIGH"], dtype="string"))
    assert holds_per_distinct(starts_high, small).tolist() == [True, False, False, True]
    # 1,200 rows: worked out on the three distinct values, indexed back by the rows' codes
    large = pd.Series(pd.array(["LOW", None, "HIGH"] * 400, dtype="string"),
                      index=range(100, 1300))
    mask = holds_per_distinct(starts_high, large)
    assert mask.dtype == bool and len(mask) == 1200
    assert mask[:6].tolist() == [False, False, True, False, False, True]
    assert int(mask.sum()) == 400


def test_numbers_through_remembers_their_codes_across_shallow_copies():
    from cdiscflow.codes import factorised, factorize, numbers_through

    # 1,200 rows of four texts, two of them the same number: the column read as numbers
    # is numbered through the texts' codes (no hash of the rows), equal numbers sharing one
    text = pd.Series(pd.array(["1.5", "1.50", None, "7"] * 300, dtype="string"))
    known, distinct = factorised(text)
    numbers = pd.to_numeric(distinct[0].astype(object), errors="coerce").to_numpy(float)
    col = numbers_through(known, numbers, text.index)
    assert col.dtype == "Float64"
    assert [None if pd.isna(v) else v for v in col[:4]] == [1.5, 1.5, None, 7.0]
    frame = pd.DataFrame({"N": col}).copy(deep=False)  # a view of the same arrays
    codes, uniques = factorize(frame["N"])
    assert codes[:5].tolist() == [0, 0, 1, 2, 0]
    assert [None if pd.isna(v) else v for v in uniques[0]] == [1.5, None, 7.0]
    # the same answer as hashing the values themselves, also for a slice (another array)
    tail = frame["N"].iloc[2:6]
    assert factorize(tail)[0].tolist() == [0, 1, 2, 2]
    # the values stand for those codes: written only after pandas' copy
    with pytest.raises(ValueError):
        col.array._data[0] = 2.0
    frame.loc[0, "N"] = 2.0
    assert factorize(frame["N"])[0][:5].tolist() == [0, 1, 2, 3, 1]
