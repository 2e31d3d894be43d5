"""The CDISC pilot's ADaM (ADSL, ADAE, ADVS, ADTTE) by `cdiscflow adam` from the published pilot
SDTM (written to XPT by examples/cdiscpilot01/published_sdtm.py), compared variable by variable
with the published pilot ADaM (examples/cdiscpilot01/compare_adam.py); and the same ADaM from
that SDTM split into parts."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cdiscflow.cli import main
from cdiscflow.datasets_folder import read_folder
from cdiscflow.xpt import read_xpt, write_xpt_parts, xpt_file_size

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples" / "cdiscpilot01"))
import compare_adam  # noqa: E402
import published_sdtm  # noqa: E402

SPEC = ROOT / "mappings" / "cdiscpilot01" / "adam"
# the SDTM datasets the pilot's ADaM specs read (the rest of the pilot SDTM is not needed)
READ = ("dm", "suppdm", "ex", "ae", "suppae", "ds", "vs", "sv", "mh", "sc", "qsmm")
# published variables per dataset: every one is derived and agrees on every paired record
VARIABLES = {"ADSL": 49, "ADAE": 55, "ADVS": 35, "ADTTE": 26}
RECORDS = {"ADSL": 254, "ADAE": 1191, "ADVS": 32139, "ADTTE": 254}


def _adam(sdtm: Path, out: Path) -> None:
    result = CliRunner().invoke(main, ["adam", str(sdtm), "--spec", str(SPEC), "--out",
                                       str(out), "--layout", "flat"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def pilot_sdtm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pilot") / "sdtm"
    published_sdtm.write_folder(out, "pilot", only=READ)
    return out


@pytest.fixture(scope="module")
def pilot_adam(pilot_sdtm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pilot") / "out"
    _adam(pilot_sdtm, out)
    return out


def test_published_sdtm_is_written_as_published(pilot_sdtm: Path) -> None:
    names = sorted(p.name for p in pilot_sdtm.glob("*.xpt"))
    assert names == sorted(f"{n}.xpt" for n in READ)
    dm = next(d for d in read_folder(pilot_sdtm) if d.name == "DM")
    frame, label, labels = published_sdtm.published("pharmaversesdtm", "dm")
    assert dm.label == label == "Demography"  # pharmaversesdtm's dataset label
    assert dm.labels["RFSTDTC"] == labels["RFSTDTC"] == "Subject Reference Start Date/Time"
    assert len(dm.frame) == len(frame) == 306
    assert dm.frame["USUBJID"].tolist() == frame["USUBJID"].tolist()
    assert dm.frame["AGE"].tolist() == frame["AGE"].tolist()
    # missing text is "" in XPT
    assert (dm.frame["DTHDTC"] == "").sum() == frame["DTHDTC"].isna().sum() == 303


def test_pilot_source_is_pharmaverse_completed_with_the_original_submission() -> None:
    sources = published_sdtm.pilot_sources()
    assert ("pharmaversesdtm", "ae") in sources and ("cdiscpilotsdtm", "ae") not in sources
    assert ("cdiscpilotsdtm", "sc") in sources and ("cdiscpilotsdtm", "qsmm") in sources
    # LB and its supplement come from pharmaversesdtm only (cdiscpilotsdtm splits LB by
    # category: LBCH, LBHE, LBUR, of the same domain)
    assert not any(c == "cdiscpilotsdtm" and n.startswith(("lb", "supplb")) for c, n in sources)


def test_every_published_variable_agrees(pilot_adam: Path) -> None:
    results = compare_adam.agreement(pilot_adam / "adam")
    assert [r.dataset for r in results] == ["ADSL", "ADAE", "ADVS", "ADTTE"]
    for r in results:
        assert (r.records, r.published, r.paired) == (RECORDS[r.dataset],) * 3, r.dataset
        assert {v: n for v, n in r.differing.items() if n} == {}, r.dataset
        assert len(r.agreeing_variables()) == VARIABLES[r.dataset], r.dataset
        assert (r.only_published, r.only_ours) == ([], []), r.dataset
    # the working dataset of doses is used by ADSL but not written
    assert sorted(p.name for p in (pilot_adam / "adam").glob("*.xpt")) == [
        "adae.xpt", "adsl.xpt", "adtte.xpt", "advs.xpt"]


def test_split_sdtm_gives_the_same_pilot_adam(pilot_sdtm: Path, pilot_adam: Path,
                                              tmp_path: Path) -> None:
    parts = tmp_path / "split"
    parts.mkdir()
    for d in read_folder(pilot_sdtm, formats=("xpt",)):
        if d.name in ("AE", "VS", "SUPPDM"):  # each in two parts: ae1.xpt, ae2.xpt, ...
            limit = xpt_file_size(-(-len(d.frame) // 2), d.variables)
            write_xpt_parts(d.frame, parts, dataset=d.name, label=d.label,
                            variables=d.variables, created=dt.datetime(2024, 1, 1),
                            max_bytes=limit)
        else:
            shutil.copy(pilot_sdtm / f"{d.name.lower()}.xpt", parts)
    names = sorted(p.name for p in parts.glob("*.xpt"))
    assert {"ae1.xpt", "ae2.xpt", "vs1.xpt", "vs2.xpt", "suppdm1.xpt", "suppdm2.xpt"} <= \
        set(names)
    assert not {"ae.xpt", "vs.xpt", "suppdm.xpt"} & set(names)
    _adam(parts, tmp_path / "out")
    for name in ("adsl.xpt", "adae.xpt", "advs.xpt", "adtte.xpt"):
        assert (tmp_path / "out" / "adam" / name).read_bytes() == (
            pilot_adam / "adam" / name).read_bytes()


def test_sdtm_without_optional_datasets_reads_them_empty(pilot_sdtm: Path, pilot_adam: Path,
                                                         tmp_path: Path) -> None:
    # adam.yaml lists SC and QSMM as optional: without them ADSL is still built, EDUCLVL and
    # MMSETOT missing, everything else as from the whole SDTM, and the run names what it lacked
    lacking = tmp_path / "sdtm"
    lacking.mkdir()
    for f in pilot_sdtm.glob("*.xpt"):
        if f.name not in ("sc.xpt", "qsmm.xpt"):
            shutil.copy(f, lacking)
    result = CliRunner().invoke(main, ["adam", str(lacking), "--spec", str(SPEC), "--out",
                                       str(tmp_path / "out"), "--layout", "flat"])
    assert result.exit_code == 0, result.output
    assert "read as empty, not in the SDTM (adam.yaml optional:): SC, QSMM\n" in result.output
    report = json.loads((tmp_path / "out" / "report" / "run.json").read_text())
    assert report["adam"]["optional_inputs_missing"] == ["SC", "QSMM"]
    adsl, _ = read_xpt(tmp_path / "out" / "adam" / "adsl.xpt")
    whole, _ = read_xpt(pilot_adam / "adam" / "adsl.xpt")
    assert adsl["EDUCLVL"].isna().all() and adsl["MMSETOT"].isna().all()
    assert whole["EDUCLVL"].notna().sum() == 254
    pd.testing.assert_frame_equal(adsl.drop(columns=["EDUCLVL", "MMSETOT"]),
                                  whole.drop(columns=["EDUCLVL", "MMSETOT"]))


def test_the_comparison_finds_a_difference() -> None:
    import pandas as pd

    ours = pd.DataFrame({"USUBJID": ["A", "B", "C"], "X": ["1", "", "z"],
                         "N": [1.0, 2.0, float("nan")]})
    theirs = pd.DataFrame({"USUBJID": ["C", "A", "B", "D"], "X": ["z", "1.0", None, "q"],
                           "N": [None, 1.0, 2.0000001, 4.0]})
    r = compare_adam.compare("ADSL", ours, theirs)
    assert (r.records, r.published, r.paired) == (3, 4, 3)
    # "1" and "1.0" are the same number; 2.0 and 2.0000001 are not
    assert r.differing == {"USUBJID": 0, "X": 0, "N": 1}
    theirs["EXTRA"] = 1.0
    assert compare_adam.variable_table([compare_adam.compare("ADSL", ours, theirs)]) == (
        "| dataset | variable | agree / total |\n| --- | --- | --- |\n"
        "| ADSL | USUBJID | 3 / 3 |\n| ADSL | X | 3 / 3 |\n| ADSL | N | 2 / 3 |\n"
        "| ADSL | EXTRA | not derived |")
