"""km_estimates: Kaplan-Meier estimates by group at time points from an ADTTE-like table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cdiscflow.adam.conditions import WhereKeys
from cdiscflow.adam.derivations import DerivationError
from cdiscflow.adam.km_table import km_estimates, write_km_estimates

TTE = pd.DataFrame({
    "USUBJID": list("ABCDEFG"),
    "PARAMCD": ["OS"] * 7,
    "TRTP": ["X", "X", "X", "X", "Y", "Y", "Y"],
    "TRTPN": [2, 2, 2, 2, 1, 1, 1],
    "FL": ["Y", "Y", "Y", "Y", "Y", "Y", "N"],
    # X: events at 2 and 5, censored at 3 and 9; Y: event at 4, censored at 6 (G excluded)
    "AVAL": [2.0, 3.0, 5.0, 9.0, 4.0, 6.0, 1.0],
    "CNSR": [0, 1, 0, 1, 0, 1, 0],
})


def test_estimates_by_group_in_declared_order() -> None:
    est, tables = km_estimates(TTE, ["OS"], "TRTP", [1, 5], group_order="TRTPN",
                               where=WhereKeys.model_validate({"var": "FL", "eq": "Y"}))
    assert est["GROUP"].tolist() == ["Y", "Y", "X", "X"]
    assert est[["N", "EVENTS", "CENSORED"]].iloc[0].tolist() == [2, 1, 1]
    # X: S(5) = 3/4 * 1/2 (at 5, two at risk after the censoring at 3)
    x5 = est[(est["GROUP"] == "X") & (est["TIME"] == 5)].iloc[0]
    assert x5["SURVIVAL"] == pytest.approx(3 / 8)
    assert x5["STDERR"] == pytest.approx(3 / 8 * (1 / (4 * 3) + 1 / (2 * 1)) ** 0.5)
    y1 = est[(est["GROUP"] == "Y") & (est["TIME"] == 1)].iloc[0]
    assert (y1["SURVIVAL"], y1["STDERR"]) == (1.0, 0.0)
    assert tables[tables["GROUP"] == "X"]["time"].tolist() == [2, 3, 5, 9]


def test_default_order_missing_param_and_writing(tmp_path: Path) -> None:
    est, tables = km_estimates(TTE, ["OS"], "TRTP", [10])
    assert est["GROUP"].tolist() == ["X", "Y"]
    assert est.loc[1, "SURVIVAL"] == pytest.approx(2 / 3 * 1 / 2)  # with G: events at 1 and 4
    with pytest.raises(DerivationError, match="PFS"):
        km_estimates(TTE, ["PFS"], "TRTP", [1])
    files = write_km_estimates(est, tables, tmp_path / "report")
    text = files["km_estimates"].read_text(encoding="utf-8")
    assert text.splitlines()[0] == "PARAMCD,GROUP,N,EVENTS,CENSORED,TIME,SURVIVAL,STDERR"
    assert "OS,Y,3,2,1,10.000000,0.333333," in text
