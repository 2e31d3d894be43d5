"""SUPP-- records: which values make one, their text and their order (USUBJID, IDVARVAL as
a number with missing last, the variables' order in the mapping; ties in record order)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cdiscflow.sdtm.finish import supplemental
from cdiscflow.spec import DomainSpec, LoadedDomain, SuppSpec, VariableSpec


def _loaded(supp_idvar: str | None) -> LoadedDomain:
    spec = DomainSpec(domain="AE", source="ae", supp_idvar=supp_idvar, variables={
        "USUBJID": VariableSpec(field="USUBJID"),
        "AESEQ": VariableSpec(field="AESEQ"),
        "XB": VariableSpec(field="XB", supp=SuppSpec(qlabel="Second", qorig="Derived",
                                                     qeval="SPONSOR")),
        "XA": VariableSpec(field="XA", type="Num", supp=SuppSpec(qlabel="First")),
    })
    return LoadedDomain(spec=spec, file=Path("ae.yaml"), lines={})


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "STUDYID": pd.Series(["S"] * 6, dtype="string"),
        "USUBJID": pd.Series(["P-2", "P-10", "P-2", "P-2", None, "P-2"], dtype="string"),
        # 10 after 2 (as numbers, not text); a missing one after every number
        "AESEQ": pd.array([10, 1, 2, None, 1, 2], dtype="Int64"),
        "XB": pd.Series(["b1", " ", "b3", "b4", "b5", "b6"], dtype="string"),
        "XA": pd.array([1.5, 2.0, None, 3.0, 4.0, 1e16], dtype="Float64"),
    })


def test_supp_records_in_order() -> None:
    supp = supplemental(_loaded("AESEQ"), _frame())
    assert list(supp.columns) == ["STUDYID", "RDOMAIN", "USUBJID", "IDVAR", "IDVARVAL",
                                  "QNAM", "QLABEL", "QVAL", "QORIG", "QEVAL"]
    assert (supp.dtypes == "string").all()
    got = supp[["USUBJID", "IDVARVAL", "QNAM", "QVAL", "QORIG", "QEVAL"]].astype(object)
    got = got.where(supp.notna(), None).values.tolist()
    assert got == [
        # XB before XA: the order of the mapping; row 2's and row 5's AESEQ tie (record order)
        ["P-10", "1", "XA", "2", "CRF", ""],  # XB blank (spaces only): no record
        ["P-2", "2", "XB", "b3", "Derived", "SPONSOR"],
        ["P-2", "2", "XB", "b6", "Derived", "SPONSOR"],
        ["P-2", "2", "XA", "1e+16", "CRF", ""],
        ["P-2", "10", "XB", "b1", "Derived", "SPONSOR"],
        ["P-2", "10", "XA", "1.5", "CRF", ""],
        ["P-2", None, "XB", "b4", "Derived", "SPONSOR"],
        ["P-2", None, "XA", "3", "CRF", ""],
        [None, "1", "XB", "b5", "Derived", "SPONSOR"],
        [None, "1", "XA", "4", "CRF", ""],
    ]
    assert set(supp["RDOMAIN"]) == {"AE"} and set(supp["IDVAR"]) == {"AESEQ"}
    assert supp.index.equals(pd.RangeIndex(10))


def test_supp_without_idvar_keeps_record_order() -> None:
    supp = supplemental(_loaded(None), _frame())
    assert set(supp["IDVAR"]) == {""} and set(supp["IDVARVAL"]) == {""}
    assert supp["QVAL"].tolist() == ["2", "b1", "b3", "b4", "b6", "1.5", "3", "1e+16", "b5",
                                     "4"]


def test_supp_with_no_values_is_empty() -> None:
    frame = _frame().assign(XB=pd.Series([None, "", " "] * 2, dtype="string"),
                            XA=pd.array([None] * 6, dtype="Float64"))
    supp = supplemental(_loaded("AESEQ"), frame)
    assert len(supp) == 0 and (supp.dtypes == "string").all()
    assert len(supp.columns) == 10


def test_supp_numbers_as_text() -> None:
    from cdiscflow.sdtm.finish import _numbers_text

    values = pd.Series([1.0, -0.0, 2.5, 1e15 - 1, 1e15, 1e16, 0.1 + 0.2, float("inf"), None,
                        2.5, 123456789012.25], dtype="Float64")
    got = _numbers_text(values)
    assert got.dtype == "string"
    assert [None if pd.isna(v) else v for v in got] == [
        "1", "0", "2.5", "999999999999999", "1e+15", "1e+16", "0.3", "inf", None, "2.5",
        "1.23456789e+11"]
    ints = _numbers_text(pd.Series([3, None, 10], dtype="Int64"))
    assert [None if pd.isna(v) else v for v in ints] == ["3", None, "10"]
