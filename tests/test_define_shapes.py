"""Define-XML DataType, Length and SignificantDigits of numeric columns."""

import numpy as np
import pandas as pd
import pytest

from cdiscflow.define.model import numeric_shape


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
