"""The one folder reader (cdiscflow/datasets_folder.py): XPT, Dataset-JSON and SAS7BDAT, split
parts joined into one dataset for every consumer (ADaM input, validation, define.xml)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdiscflow.adam.engine import read_sdtm
from cdiscflow.datasets_folder import DatasetFolderError, group_parts, read_folder
from cdiscflow.output import Layout, read_datasets, write_adam_package
from cdiscflow.validators.data import load_folder
from tests.test_adam_package import _datasets, _study

DATA = Path(__file__).parent / "data"


@pytest.fixture()
def split_folder(tmp_path: Path) -> Path:
    """ADSL and ADLB split into two XPT parts each (2 records per file), ADAE whole, each
    file with its Dataset-JSON twin."""
    layout = Layout(tmp_path / "out", "XYZ-1", "flat")
    write_adam_package(_study(max_bytes=1520), layout, _datasets(), {}, ("xpt", "json"))
    return layout.adam_dir


def test_split_parts_are_one_dataset(split_folder: Path) -> None:
    found = {d.name: d for d in read_folder(split_folder)}
    assert sorted(found) == ["ADAE", "ADLB", "ADSL"]
    adsl = found["ADSL"]
    assert adsl.format == "xpt"
    assert adsl.files == [("adsl1.xpt", 0, 2), ("adsl2.xpt", 2, 3)]
    assert adsl.frame["USUBJID"].tolist() == ["XYZ-1-001", "XYZ-1-002", "XYZ-1-003"]
    assert adsl.frame["AGE"].tolist() == [34.0, 51.0, 47.0]
    assert adsl.label == "Subject-Level Analysis Dataset"
    assert adsl.formats["TRTSDT"] == "DATE9."
    assert found["ADLB"].frame["PARAMCD"].tolist() == ["PLAT", "PLAT", "PLAT", "HGB"]
    assert found["ADAE"].files == [("adae.xpt", 0, 1)]


def test_dataset_json_reads_as_the_xpt(split_folder: Path, tmp_path: Path) -> None:
    xpt = {d.name: d for d in read_folder(split_folder)}
    only_json = tmp_path / "json"
    only_json.mkdir()
    for p in split_folder.glob("*.json"):
        shutil.copy(p, only_json / p.name)
    found = {d.name: d for d in read_folder(only_json)}
    assert sorted(found) == ["ADAE", "ADLB", "ADSL"]
    assert found["ADSL"].format == "json"
    assert found["ADSL"].files == [("adsl1.json", 0, 2), ("adsl2.json", 2, 3)]
    for name, d in found.items():
        assert list(d.frame.columns) == list(xpt[name].frame.columns)
        pd.testing.assert_frame_equal(d.frame, xpt[name].frame, check_dtype=False)
    # dates and datetimes come back as the SAS numbers the XPT holds
    assert found["ADSL"].frame["TRTSDT"].tolist()[:2] == [21900.0, 21905.0]
    assert found["ADSL"].frame["TRTSDTM"].tolist()[0] == 21900 * 86400.0 + 36000
    assert np.isnan(found["ADSL"].frame["TRTSDT"].iloc[2])
    assert [v.type for v in found["ADSL"].variables] == ["Char", "Char", "Num", "Num", "Num"]


def test_sas7bdat_in_a_folder(tmp_path: Path) -> None:
    shutil.copy(DATA / "typed.sas7bdat", tmp_path / "vs.sas7bdat")
    (d,) = read_folder(tmp_path)
    # the file names the dataset (haven writes the member name DATASET into every file)
    assert d.name == "VS" and d.format == "sas7bdat"
    assert d.frame["SUBJID"].tolist() == ["001", "002", "003"]
    assert d.frame["NOTE"].tolist() == ["a", "", "  padded"]  # leading blanks are data
    assert d.frame["VISDT"].tolist()[0] == 19725.0
    assert d.formats["VISDT"] == "DATE."
    assert d.lengths["NOTE"] == 9


def test_a_name_ending_in_a_digit_alone_is_not_a_part() -> None:
    groups = group_parts({Path("qs1.xpt"): "QS1", Path("lb1.xpt"): "LB1",
                          Path("lb2.xpt"): "LB2", Path("lb10.xpt"): "LB10",
                          Path("lb3.xpt"): "LB3"})
    assert groups == {"LB": [Path("lb1.xpt"), Path("lb2.xpt"), Path("lb3.xpt"),
                             Path("lb10.xpt")], "QS1": [Path("qs1.xpt")]}


def test_every_consumer_sees_one_dataset(split_folder: Path) -> None:
    # validation
    datasets = {d.name: d for d in load_folder(split_folder)}
    assert sorted(datasets) == ["ADAE", "ADLB", "ADSL"]
    assert len(datasets["ADSL"].frame) == 3
    assert datasets["ADSL"].path == str(split_folder / "adsl1.xpt")
    # define.xml (XPT only: the JSON twins are not described again)
    assert [(w.name, len(w.frame)) for w in read_datasets(split_folder)] == [
        ("ADAE", 1), ("ADLB", 4), ("ADSL", 3)]
    # ADaM's input
    assert {k: len(v) for k, v in read_sdtm(split_folder).items()} == {
        "ADAE": 1, "ADLB": 4, "ADSL": 3}


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "dm.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(DatasetFolderError, match=r"dm\.json: not Dataset-JSON"):
        read_folder(tmp_path)


def test_other_json_is_not_a_dataset(split_folder: Path) -> None:
    (split_folder / "manifest.json").write_text('{"outputs": {}}', encoding="utf-8")
    assert [d.name for d in read_folder(split_folder)] == ["ADAE", "ADLB", "ADSL"]


def test_define_xml_parts_are_the_dataset_validation_sees(split_folder: Path,
                                                           tmp_path: Path) -> None:
    from cdiscflow.validators import validate_folder

    only_xpt = tmp_path / "xpt"
    shutil.copytree(split_folder, only_xpt, ignore=shutil.ignore_patterns("*.json"))
    result = validate_folder(only_xpt)
    assert result.datasets == {"ADAE": 1, "ADLB": 4, "ADSL": 3}
    define = result.findings[result.findings["rule"].str.startswith("CF.DEFINE")]
    # define.xml's ADSL1/ADSL2 ItemGroupDefs are the dataset ADSL: nothing missing either way
    assert define[["rule", "dataset", "message"]].values.tolist() == []
    # and a dataset define.xml describes but the folder lacks is still found
    (only_xpt / "adae.xpt").unlink()
    result = validate_folder(only_xpt)
    define = result.findings[result.findings["rule"] == "CF.DEFINE_DATASET"]
    assert define[["dataset", "message"]].values.tolist() == [
        ["ADAE", "ADAE is in define.xml but not in the folder"]]
