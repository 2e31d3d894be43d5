"""The XPT v5 writer's package features: special missing values, exact file sizes, splitting a
dataset into numbered parts by record order, and lengths fixed before writing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cdiscflow.xpt import (
    SpecialMissing,
    XptError,
    XptVariable,
    read_special_missing,
    read_xpt,
    resolve_lengths,
    write_xpt,
    write_xpt_parts,
    xpt_file_size,
)

CREATED = dt.datetime(2024, 3, 2)
VARS = [XptVariable("USUBJID", "Unique Subject Identifier", "Char"),
        XptVariable("AVAL", "Analysis Value", "Num"),
        XptVariable("ADT", "Analysis Date", "Num", format="DATE9.")]


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": [f"S-{i:03d}" for i in range(n)],
                         "AVAL": [i * 0.5 for i in range(n)],
                         "ADT": [float(21000 + i) for i in range(n)]})


def test_special_missing_values_are_tagged_in_the_bytes(tmp_path: Path) -> None:
    frame = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"],
                          "AVAL": pd.Series([1.5, SpecialMissing("A"), None, SpecialMissing("_")],
                                            dtype=object),
                          "ADT": [SpecialMissing("Z"), 1.0, 2.0, 3.0]})
    frame["ADT"] = frame["ADT"].astype(object)
    path = tmp_path / "sm.xpt"
    write_xpt(frame, path, dataset="SM", label="Special", variables=VARS, created=CREATED)
    assert read_special_missing(path) == {"AVAL": {1: "A", 3: "_"}, "ADT": {0: "Z"}}
    data, _ = read_xpt(path)  # pyreadstat reads every missing number as NaN
    assert data["AVAL"].isna().tolist() == [False, True, True, True]
    assert data["ADT"].isna().tolist() == [True, False, False, False]
    raw = path.read_bytes()
    row = 1 + 8 + 8  # USUBJID is 1 byte wide
    start = len(raw) - 80  # 4 rows x 17 bytes = 68 bytes of data, padded to one record
    assert raw[start + 1 * row + 1: start + 1 * row + 9] == b"A" + bytes(7)  # .A in AVAL row 1
    assert raw[start + 2 * row + 1: start + 2 * row + 9] == b"." + bytes(7)  # plain missing
    assert raw[start + 0 * row + 9: start + 0 * row + 17] == b"Z" + bytes(7)  # .Z in ADT row 0


@pytest.mark.parametrize("code", ["a", "AA", "1", "."])
def test_special_missing_codes_are_a_to_z_or_underscore(code: str) -> None:
    with pytest.raises(ValueError, match="special missing"):
        SpecialMissing(code)


@pytest.mark.parametrize("n", [0, 1, 4, 5, 97])
def test_file_size_is_known_before_writing(tmp_path: Path, n: int) -> None:
    frame = _frame(n)
    fixed = resolve_lengths(frame, dataset="T", label="t", variables=VARS)
    assert [v.length for v in fixed] == [5 if n else 1, 8, 8]
    path = tmp_path / "t.xpt"
    write_xpt(frame, path, dataset="T", label="t", variables=fixed, created=CREATED)
    assert path.stat().st_size == xpt_file_size(n, fixed)


def test_a_dataset_within_the_limit_is_one_file(tmp_path: Path) -> None:
    parts = write_xpt_parts(_frame(10), tmp_path, dataset="ADLB", label="Lab", variables=VARS,
                            created=CREATED, max_bytes=5_000_000_000)
    assert [(p.path.name, p.member, p.first, p.stop) for p in parts] == [("adlb.xpt", "ADLB",
                                                                           0, 10)]


def test_split_by_record_order_into_numbered_parts(tmp_path: Path) -> None:
    frame = _frame(100)
    # headers take 9 * 80 + 3 namestrs (420 -> 480) = 1200 bytes; a row is 5 + 8 + 8 = 21
    # bytes, so 1600 bytes leave 400 bytes = 5 records of 80 = 19 rows per part
    parts = write_xpt_parts(frame, tmp_path, dataset="ADLB", label="Lab", variables=VARS,
                            created=CREATED, max_bytes=1600)
    assert [(p.path.name, p.member, p.first, p.stop) for p in parts] == [
        ("adlb1.xpt", "ADLB1", 0, 19), ("adlb2.xpt", "ADLB2", 19, 38),
        ("adlb3.xpt", "ADLB3", 38, 57), ("adlb4.xpt", "ADLB4", 57, 76),
        ("adlb5.xpt", "ADLB5", 76, 95), ("adlb6.xpt", "ADLB6", 95, 100)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"adlb{i}.xpt" for i in range(1, 7)]
    back = []
    for p in parts:
        assert p.path.stat().st_size <= 1600
        data, meta = read_xpt(p.path)
        assert meta["dataset"] == p.member and meta["label"] == "Lab"
        assert meta["lengths"] == {"USUBJID": 5, "AVAL": 8, "ADT": 8}  # the whole dataset's
        assert meta["formats"]["ADT"] == "DATE9."
        back.append(data)
    whole = pd.concat(back, ignore_index=True)
    assert whole["USUBJID"].tolist() == frame["USUBJID"].tolist()
    assert np.array_equal(whole["AVAL"].to_numpy(), frame["AVAL"].to_numpy())
    assert np.array_equal(whole["ADT"].to_numpy(), frame["ADT"].to_numpy())


def test_split_parts_are_byte_identical_across_runs(tmp_path: Path) -> None:
    for run in ("a", "b"):
        write_xpt_parts(_frame(50), tmp_path / run, dataset="ADLB", label="Lab",
                        variables=VARS, created=CREATED, max_bytes=1600)
    for a in sorted((tmp_path / "a").iterdir()):
        assert a.read_bytes() == (tmp_path / "b" / a.name).read_bytes()


def test_limit_too_small_for_one_record(tmp_path: Path) -> None:
    with pytest.raises(XptError, match="not even one record fits") as err:
        write_xpt_parts(_frame(3), tmp_path, dataset="ADLB", label="Lab", variables=VARS,
                        created=CREATED, max_bytes=1200)
    assert err.value.dataset == "ADLB"
    assert list(tmp_path.iterdir()) == []


def test_part_names_must_fit_in_8_bytes(tmp_path: Path) -> None:
    with pytest.raises(XptError, match="numbered part name would exceed 8 bytes"):
        write_xpt_parts(_frame(100), tmp_path, dataset="SUPPLBXX", label="Lab",
                        variables=VARS, created=CREATED, max_bytes=1600)


def test_a_bad_value_is_refused_before_any_part_is_written(tmp_path: Path) -> None:
    frame = _frame(100)
    frame.loc[77, "USUBJID"] = "S-07é"
    with pytest.raises(XptError, match="not ASCII") as err:
        write_xpt_parts(frame, tmp_path, dataset="ADLB", label="Lab", variables=VARS,
                        created=CREATED, max_bytes=1600)
    assert (err.value.variable, err.value.row, err.value.value) == ("USUBJID", 77, "S-07é")
    assert list(tmp_path.iterdir()) == []


def test_spec_length_longer_value_names_dataset_variable_row_value(tmp_path: Path) -> None:
    spec = [XptVariable("USUBJID", "Unique Subject Identifier", "Char", length=4), *VARS[1:]]
    with pytest.raises(XptError) as err:
        resolve_lengths(_frame(3), dataset="ADSL", label="Subject", variables=spec)
    assert str(err.value) == "ADSL.USUBJID row 0: value is longer than length 4 (value 'S-000')"


def test_spec_length_pads_shorter_values(tmp_path: Path) -> None:
    spec = [XptVariable("USUBJID", "Unique Subject Identifier", "Char", length=20), *VARS[1:]]
    write_xpt(_frame(2), tmp_path / "x.xpt", dataset="X", label="x", variables=spec,
              created=CREATED)
    _, meta = pyreadstat.read_xport(str(tmp_path / "x.xpt"), metadataonly=True)
    assert meta.variable_storage_width["USUBJID"] == 20
