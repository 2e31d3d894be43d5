"""Define-XML DataType, Length and SignificantDigits of numeric columns."""

import numpy as np
import pandas as pd
import pytest

from cdiscflow.define.model import _iso_type, numeric_shape
from cdiscflow.define.sdtm import distinct_by


@pytest.mark.parametrize("values,expected", [
    ([1.0, 22.0, -333.0, np.nan], ("integer", 3, None)),
    ([], ("integer", 1, None)),
    ([np.nan], ("integer", 1, None)),
    ([12.5, 3.25, 100.0], ("float", 5, 2)),  # 100 gives 3 whole digits, 3.25 two decimals
    ([0.001, 7.0], ("float", 4, 3)),
    ([22000.0] * 1000 + [22001.0], ("integer", 5, None)),
])
def test_numeric_shape(values, expected):
    assert numeric_shape(pd.Series(values, dtype="float64")) == expected


def _repr_shape(values: list[float]) -> tuple[int, int]:
    """(whole, decimals) read from each value's repr(), the definition numeric_shape follows."""
    whole, decimals = 1, 0
    for v in values:
        text = repr(abs(v))
        if "e" in text:
            mantissa, exponent = text.split("e")
            whole = max(whole, len(mantissa.replace(".", "").lstrip("0") or "0"))
            decimals = max(decimals, max(0, -int(exponent)))
            continue
        head, _, tail = text.partition(".")
        whole = max(whole, len(head.lstrip("0") or "0"))
        decimals = max(decimals, len(tail.rstrip("0")))
    return whole, decimals


@pytest.mark.parametrize("values,expected", [
    ([1e-05, 0.5], ("float", 6, 5)),  # repr 1e-05: exponent notation below 1e-4
    ([0.0001, 2.5], ("float", 5, 4)),  # 0.0001 is still written out
    ([1.5e-07], ("float", 9, 7)),  # the mantissa's 2 digits count as whole, 7 decimals
    ([1.0000000000000002e+16, 0.5], ("float", 18, 1)),  # 17 mantissa digits
    ([9999999999999998.0, 0.25], ("float", 18, 2)),  # below 1e16: 16 whole digits
    ([0.30000000000000004], ("float", 18, 17)),
    ([-0.001, 12.5], ("float", 5, 3)),
    ([np.inf, 0.5], ("float", 4, 1)),  # repr 'inf': three characters
    ([0.0, 0.1], ("float", 2, 1)),
    ([5e-324, 1.0], ("float", 325, 324)),
])
def test_numeric_shape_follows_repr(values, expected):
    assert numeric_shape(pd.Series(values, dtype="float64")) == expected


def test_numeric_shape_agrees_with_repr_on_random_floats():
    rng = np.random.default_rng(7)
    values = np.concatenate([
        rng.normal(0, 1, 2000) * 10.0 ** rng.integers(-12, 20, 2000),
        np.round(rng.uniform(0, 500, 2000), rng.integers(0, 4)),
        rng.uniform(0, 1, 500) / rng.uniform(1, 1000, 500),
    ])
    for chunk in np.array_split(values, 50):
        data_type, length, digits = numeric_shape(pd.Series(chunk))
        whole, decimals = _repr_shape([float(v) for v in chunk])
        assert (data_type, length, digits) == ("float", whole + decimals, decimals)


def test_value_level_pairs_are_grouped_by_key():
    keys = pd.Series(["HGB", "WBC", None, "HGB", "", "WBC"], dtype="str")
    values = pd.Series([131.0, 8.7, 5.0, np.nan, 2.0, 8.7])
    found = distinct_by(pd.factorize(keys), values)
    assert list(found) == ["", "HGB", "WBC"]  # sorted; a missing key is left out
    assert found[""].tolist() == [2.0]
    assert found["HGB"].tolist() == [131.0, pytest.approx(np.nan, nan_ok=True)]
    assert found["WBC"].tolist() == [8.7]
    assert distinct_by(pd.factorize(keys[:0]), values[:0]) == {}


@pytest.mark.parametrize("values,expected", [
    (["2021-03-10", "2021-03-10", None, ""], "date"),
    (["2021-03-10T09:30", "2021-03-11T10:00:05"], "datetime"),
    (["2021-03", "2021"], "partialDate"),
    (["2021-03-10", "2021-03-10T09"], "partialDatetime"),
    ([None, ""], "date"),
])
def test_iso_type(values, expected):
    assert _iso_type(pd.Series(values, dtype="str")) == expected
