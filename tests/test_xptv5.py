"""The vectorised XPT v5 byte writer against pyreadstat, the reference implementation."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdiscflow.xptv5 import Column, header_bytes, ibm_doubles, write_observations

STAMP = b"01JAN24:00:00:00"
STAMP_OFFSETS = (144, 160, 464, 480)  # library and member created/modified


def ours(df: pd.DataFrame, lengths: dict[str, int], formats: dict[str, str],
         labels: dict[str, str]) -> bytes:
    cols = []
    for c in df.columns:
        is_char = not pd.api.types.is_float_dtype(df[c])
        values = (df[c].fillna("").to_numpy(dtype=object) if is_char
                  else df[c].to_numpy(dtype=float, na_value=np.nan))
        cols.append(Column(c, labels.get(c, ""), is_char, lengths.get(c, 8), formats.get(c),
                           values))
    buf = io.BytesIO()
    buf.write(header_bytes("DS", "A dataset", cols, STAMP))
    write_observations(buf, cols, len(df), slice_bytes=7 * 103)  # many slices, odd size
    return buf.getvalue()


def theirs(df: pd.DataFrame, formats: dict[str, str], labels: dict[str, str],
           tmp: Path) -> bytes:
    path = tmp / "ref.xpt"
    pyreadstat.write_xport(df, str(path), file_format_version=5, table_name="DS",
                           file_label="A dataset",
                           column_labels=[labels.get(c, "") for c in df.columns],
                           variable_format={k: v.rstrip(".") for k, v in formats.items()})
    data = bytearray(path.read_bytes())
    for at in STAMP_OFFSETS:
        data[at:at + 16] = STAMP
    return bytes(data)


def test_byte_identical_to_pyreadstat(tmp_path):
    rng = np.random.default_rng(7)
    n = 50
    df = pd.DataFrame({
        "USUBJID": rng.choice(["S-01-001", "S-01-002", ""], n).astype(object),
        "LBSTRESN": rng.normal(size=n) * 10.0 ** rng.integers(-40, 40, n),
        "ADT": rng.integers(-3000, 30000, n).astype(float),
        "ZERO": np.where(rng.random(n) < 0.3, np.nan, 0.0),
        "NEG": -rng.random(n),
        "TXT": rng.choice(["a" * 200, "b", "c c "], n).astype(object),
    })
    formats = {"ADT": "DATE9.", "LBSTRESN": "8.2", "USUBJID": "$CHAR8."}
    labels = {"USUBJID": "Unique Subject Identifier", "ADT": "Analysis Date"}
    lengths = {"USUBJID": 8, "TXT": 200}
    assert ours(df, lengths, formats, labels) == theirs(df, formats, labels, tmp_path)


@settings(max_examples=40)
@given(st.lists(st.floats(allow_infinity=False, min_value=-1e70,
                          max_value=1e70).filter(lambda v: v == 0 or abs(v) > 1e-70),
                min_size=1, max_size=30))
def test_any_number_writes_as_pyreadstat_writes_it(tmp_path_factory, values):
    df = pd.DataFrame({"X": np.array(values, dtype=float)})
    tmp = tmp_path_factory.mktemp("n")
    assert ours(df, {}, {}, {}) == theirs(df, {}, {}, tmp)


@pytest.mark.parametrize("value,expected", [
    (1.0, "4110000000000000"),
    (-2.5, "c128000000000000"),
    (0.0, "0000000000000000"),
    (-0.0, "0000000000000000"),
    (np.nan, "2e00000000000000"),
    (0.1, "401999999999999a"),
    (100.0, "4264000000000000"),
])
def test_ibm_double_bits(value, expected):
    assert ibm_doubles(np.array([value])).tobytes().hex() == expected


def test_special_missing_values_store_their_letter():
    out = ibm_doubles(np.array([np.nan, np.nan, 3.0]), {0: "A", 1: "_"})
    assert out.tobytes().hex() == "41" + "00" * 7 + "5f" + "00" * 7 + "4130000000000000"


def test_observations_pad_to_whole_records():
    cols = [Column("A", "", True, 3, None, np.array(["x", "yz"], dtype=object))]
    buf = io.BytesIO()
    assert write_observations(buf, cols, 2) == 80
    assert buf.getvalue() == b"x  yz " + b" " * 74


def test_write_xpt_vectorised_equals_pyreadstat_reference(tmp_path):
    """The production writer and the reference writer give the same bytes, edge cases included
    (special missing values, formats, 200-byte values, empty text, zero rows)."""
    import datetime as dt

    from cdiscflow.xpt import SpecialMissing, XptVariable, write_xpt

    frames = {
        "full": pd.DataFrame({
            "USUBJID": ["S-1", "", "S-3" * 60, "S-4"],
            "AVAL": pd.array([1.5, None, -0.0, 1e-30], dtype="Float64"),
            "ADT": [22000.0, 22001.0, np.nan, 0.0],
            "CODE": pd.Series([SpecialMissing("A"), 2.0, SpecialMissing("_"), np.nan],
                              dtype=object),
        }),
        "empty": pd.DataFrame({"USUBJID": pd.Series([], dtype="string"),
                               "AVAL": pd.Series([], dtype="float64"),
                               "ADT": pd.Series([], dtype="float64"),
                               "CODE": pd.Series([], dtype="float64")}),
    }
    variables = [XptVariable("USUBJID", "Unique Subject Identifier", "Char"),
                 XptVariable("AVAL", "Analysis Value", "Num", format="8.2"),
                 XptVariable("ADT", "Analysis Date", "Num", format="DATE9."),
                 XptVariable("CODE", "Coded", "Num")]
    for name, frame in frames.items():
        paths = {}
        for writer in ("vectorised", "pyreadstat"):
            paths[writer] = tmp_path / f"{name}-{writer}.xpt"
            write_xpt(frame, paths[writer], dataset="ADX", label="Test", variables=variables,
                      created=dt.datetime(2024, 3, 2), writer=writer)
        assert paths["vectorised"].read_bytes() == paths["pyreadstat"].read_bytes(), name


def _same_as_reference(path: Path) -> None:
    from cdiscflow.xpt import read_xpt

    ours, ours_meta = read_xpt(path)
    ref, ref_meta = read_xpt(path, reader="pyreadstat")
    assert list(ours.columns) == list(ref.columns)
    for key in ("dataset", "label", "rows", "variable_labels", "types", "lengths", "formats"):
        assert ours_meta[key] == ref_meta[key], key
    for col in ours.columns:
        if ours_meta["types"][col] == "Char":
            assert ours[col].tolist() == ref[col].tolist(), col
        else:
            np.testing.assert_array_equal(ours[col].to_numpy(dtype=float),
                                          ref[col].to_numpy(dtype=float))


@settings(max_examples=30)
@given(st.lists(st.tuples(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126),
                                  max_size=12),
                          st.floats(allow_infinity=False, min_value=-1e60, max_value=1e60)
                          .filter(lambda v: v == 0 or abs(v) > 1e-60)),
                min_size=0, max_size=25))
def test_vectorised_reader_reads_what_pyreadstat_reads(tmp_path_factory, rows):
    import datetime as dt

    from cdiscflow.xpt import XptVariable, write_xpt

    frame = pd.DataFrame({"TXT": [r[0].rstrip(" ") or "x" for r in rows],
                          "NUM": [r[1] for r in rows]}).astype({"TXT": object, "NUM": float})
    path = tmp_path_factory.mktemp("r") / "ds.xpt"
    write_xpt(frame, path, dataset="DS", label="A dataset",
              variables=[XptVariable("TXT", "Text", "Char"),
                         XptVariable("NUM", "Number", "Num", format="8.2")],
              created=dt.datetime(2024, 1, 1))
    _same_as_reference(path)


def test_vectorised_reader_on_special_missing_and_dates(tmp_path):
    import datetime as dt

    from cdiscflow.xpt import SpecialMissing, XptVariable, read_xpt, write_xpt

    frame = pd.DataFrame({"ADT": [22000.0, np.nan, 0.0],
                          "CODE": pd.Series([SpecialMissing("B"), 1.0, np.nan], dtype=object),
                          "USUBJID": ["A", "", "C C"]})
    path = tmp_path / "adx.xpt"
    write_xpt(frame, path, dataset="ADX", label="X",
              variables=[XptVariable("ADT", "Analysis Date", "Num", format="DATE9."),
                         XptVariable("CODE", "Code", "Num"),
                         XptVariable("USUBJID", "Subject", "Char", length=10)],
              created=dt.datetime(2024, 1, 1))
    _same_as_reference(path)
    frame_back, meta = read_xpt(path)
    assert meta["formats"]["ADT"] == "DATE9." and meta["lengths"]["USUBJID"] == 10
    assert frame_back["USUBJID"].tolist() == ["A", "", "C C"]
    assert np.isnan(frame_back["CODE"][0]) and frame_back["CODE"][1] == 1.0


def test_non_v5_transport_files_fall_back_to_the_general_reader(tmp_path):
    from cdiscflow.xpt import read_xpt

    df = pd.DataFrame({"A": ["x"], "B": [1.0]})
    pyreadstat.write_xport(df, str(tmp_path / "v8.xpt"), file_format_version=8, table_name="V8")
    frame, meta = read_xpt(tmp_path / "v8.xpt")
    assert meta["dataset"] == "V8" and frame["A"].tolist() == ["x"]


def _mixed_frame(n: int) -> pd.DataFrame:
    """Every kind of column the writer takes, with missing values and trailing blanks."""
    import pyarrow as pa

    from cdiscflow.xpt import SpecialMissing

    rng = np.random.default_rng(11)
    words = np.array(["", "a", "bb ", "  lead", "x" * 30, "tail   "], dtype=object)
    text = words[rng.integers(0, len(words), n)]
    chunked = pa.chunked_array([pa.array(text[:n // 3].tolist(), type=pa.large_string()),
                                pa.array(text[n // 3:].tolist(), type=pa.large_string())])
    objects = text.copy()
    objects[::7] = None
    objects[3::11] = np.nan
    codes = pd.Series(rng.normal(size=n), dtype=object)
    codes[5] = SpecialMissing("C")
    codes[n - 2] = SpecialMissing("_")
    return pd.DataFrame({
        "ARROW": pd.Series(pd.arrays.ArrowStringArray(chunked), dtype="string"),
        "OBJ": pd.Series(objects, dtype=object),
        "INT": pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(-50, 50, n)),
                        dtype="Int64"),
        "FLT": pd.array(np.where(rng.random(n) < 0.2, None, rng.normal(size=n)),
                        dtype="Float64"),
        "NP": rng.normal(size=n) * 1e5,
        "CODE": codes,
        "LAST": ["end"] * n,
    })


def test_a_write_in_many_slices_equals_one_in_a_single_slice(tmp_path, monkeypatch):
    import datetime as dt

    from cdiscflow import xptv5
    from cdiscflow.xpt import XptVariable, write_xpt

    frame = _mixed_frame(257)
    variables = [XptVariable(c, c.title(), "Char" if c in ("ARROW", "OBJ", "LAST") else "Num")
                 for c in frame.columns]
    files = {}
    for name, size in (("one", 2**30), ("rows", 1), ("odd", 7 * 59)):
        monkeypatch.setattr(xptv5, "SLICE_BYTES", size)
        files[name] = tmp_path / f"{name}.xpt"
        write_xpt(frame, files[name], dataset="DS", label="Slices", variables=variables,
                  created=dt.datetime(2024, 1, 1))
    reference = tmp_path / "ref.xpt"
    write_xpt(frame, reference, dataset="DS", label="Slices", variables=variables,
              created=dt.datetime(2024, 1, 1), writer="pyreadstat")
    one = files["one"].read_bytes()
    assert one == reference.read_bytes()
    assert files["rows"].read_bytes() == one and files["odd"].read_bytes() == one


def test_object_text_missing_values_are_written_as_empty_text(tmp_path):
    import datetime as dt

    from cdiscflow.xpt import XptError, XptVariable, read_xpt, write_xpt

    variables = [XptVariable("A", "A", "Char"), XptVariable("B", "B", "Num")]
    frame = pd.DataFrame({"A": pd.Series(["x", None, np.nan, pd.NA, pd.NaT, "y "],
                                         dtype=object), "B": 1.0})
    write_xpt(frame, tmp_path / "a.xpt", dataset="DS", label="L", variables=variables,
              created=dt.datetime(2024, 1, 1))
    back, meta = read_xpt(tmp_path / "a.xpt")
    assert back["A"].tolist() == ["x", "", "", "", "", "y"] and meta["lengths"]["A"] == 1
    for bad, row in ((b"x", 1), (3, 2)):
        values = pd.Series(["x", None, "z"], dtype=object)
        values[row] = bad
        with pytest.raises(XptError, match="not a string") as err:
            write_xpt(pd.DataFrame({"A": values, "B": 1.0}), tmp_path / "b.xpt", dataset="DS",
                      label="L", variables=variables, created=dt.datetime(2024, 1, 1))
        assert err.value.row == row


def test_significant_text_cuts_trailing_blanks_and_fills_missing():
    import pyarrow as pa

    from cdiscflow.xptv5 import ends_in_blank, significant_text

    text = pa.array(["a ", None, "", " b", "c  "], type=pa.large_string())
    assert ends_in_blank(pa.array(["a ", "", " b"])).tolist() == [True, False, False]
    assert significant_text(text).to_pylist() == ["a", "", "", " b", "c"]
    assert significant_text(text[3:4]).to_pylist() == [" b"]
    assert significant_text(np.array(["x ", "y"], dtype=object)).to_pylist() == ["x", "y"]
    assert significant_text(pa.array([None, None])).to_pylist() == ["", ""]


def test_reader_finds_the_data_end_before_any_amount_of_padding():
    from cdiscflow.xptv5 import _data_rows

    width = 3
    rows = np.full((500, width), 0x20, dtype=np.uint8)
    rows[:130, 0] = ord("x")
    rows[260, 2] = ord("y")  # a record with a value only in its last byte
    body = np.concatenate([rows.reshape(-1), np.full(2, 0x20, dtype=np.uint8)])
    assert _data_rows(body, width) == 261
    assert _data_rows(np.full(300, 0x20, dtype=np.uint8), width) == 0


def test_reader_decodes_utf8_text_and_refuses_other_bytes(tmp_path):
    import datetime as dt

    from cdiscflow.xpt import XptError, XptVariable, read_xpt, write_xpt

    path = tmp_path / "u.xpt"
    write_xpt(pd.DataFrame({"A": ["xx", "ab"]}), path, dataset="DS", label="L",
              variables=[XptVariable("A", "A", "Char")], created=dt.datetime(2024, 1, 1))
    data = bytearray(path.read_bytes())
    at = data.index(b"xxab")
    data[at:at + 2] = "é".encode()
    path.write_bytes(bytes(data))
    assert read_xpt(path)[0]["A"].tolist() == ["é", "ab"]
    data[at:at + 2] = b"\xff "
    path.write_bytes(bytes(data))
    with pytest.raises(XptError, match="UTF8"):
        read_xpt(path)
