"""The CDISC pilot's ADaM by `cdiscflow adam` from the published pilot SDTM (written to XPT by
examples/cdiscpilot01/published_sdtm.py), compared variable by variable with the published
pilot ADaM (examples/cdiscpilot01/compare_adam.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdiscflow.cli import main
from cdiscflow.datasets_folder import read_folder

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples" / "cdiscpilot01"))
import compare_adam  # noqa: E402
import published_sdtm  # noqa: E402

SPEC = ROOT / "mappings" / "cdiscpilot01" / "adam"


@pytest.fixture(scope="module")
def pilot_sdtm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pilot") / "sdtm"
    published_sdtm.write_folder(out, "cdiscpilotsdtm")
    return out


def test_published_sdtm_is_written_as_published(pilot_sdtm: Path) -> None:
    names = sorted(p.name for p in pilot_sdtm.glob("*.xpt"))
    assert names == ["ae.xpt", "cm.xpt", "dm.xpt", "ds.xpt", "ex.xpt", "lbch.xpt", "lbhe.xpt",
                     "lbur.xpt", "mh.xpt", "qsco.xpt", "qsda.xpt", "qsgi.xpt", "qshi.xpt",
                     "qsmm.xpt", "qsni.xpt", "relrec.xpt", "sc.xpt", "se.xpt", "suppae.xpt",
                     "suppdm.xpt", "suppds.xpt", "supplbch.xpt", "supplbhe.xpt",
                     "supplbur.xpt", "sv.xpt", "ta.xpt", "te.xpt", "ti.xpt", "ts.xpt",
                     "tv.xpt", "vs.xpt"]
    dm = next(d for d in read_folder(pilot_sdtm) if d.name == "DM")
    frame, label, labels = published_sdtm.published("cdiscpilotsdtm", "dm")
    assert dm.label == label == "Demographics"
    assert dm.labels["RFSTDTC"] == labels["RFSTDTC"] == "Subject Reference Start Date/Time"
    assert len(dm.frame) == len(frame) == 306
    assert dm.frame["USUBJID"].tolist() == frame["USUBJID"].tolist()
    assert dm.frame["AGE"].tolist() == frame["AGE"].tolist()
    # missing text is "" in XPT
    assert (dm.frame["DTHDTC"] == "").sum() == frame["DTHDTC"].isna().sum() == 303


def test_adsl_agrees_with_the_published_adsl(pilot_sdtm: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["adam", str(pilot_sdtm), "--spec", str(SPEC), "--out",
                                       str(out), "--layout", "flat"])
    assert result.exit_code == 0, result.output
    (adsl,) = compare_adam.agreement(out / "adam")
    assert (adsl.dataset, adsl.records, adsl.published, adsl.paired) == ("ADSL", 254, 254, 254)
    assert {v: n for v, n in adsl.differing.items() if n} == {
        "TRTEDT": 6, "TRTDURD": 6, "HEIGHTBL": 204, "WEIGHTBL": 231, "VISNUMEN": 111}
    assert len(adsl.agreeing_variables()) == 38
    assert adsl.only_published == ["AVGDD", "CUMDOSE", "BMIBL", "BMIBLGR1", "DURDIS",
                                   "DURDSGR1"]
    assert adsl.only_ours == []


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
