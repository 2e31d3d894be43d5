"""End to end: `cdiscflow run` on the bundled example study, checked against its raw files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cdiscflow.cli import main
from cdiscflow.xpt import read_xpt

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "mappings" / "nct04014166"
RAW = ROOT / "examples" / "nct04014166" / "raw"
# the default layout: eCTD module 5 folders (docs/submission-package.md)
SDTM = Path("m5") / "datasets" / "nct04014166" / "tabulations" / "sdtm"


def raw(name: str) -> pd.DataFrame:
    return pd.read_csv(RAW / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    result = CliRunner().invoke(main, ["run", str(STUDY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def sdtm(out: Path, name: str) -> pd.DataFrame:
    frame, _ = read_xpt(out / SDTM / f"{name}.xpt")
    return frame


def test_every_domain_and_supp_is_written(out):
    files = sorted(p.name for p in (out / SDTM).iterdir())
    assert files == ["acrf.pdf", "ae.xpt", "cm.xpt", "define.html", "define.xml",
                     "define2-1.xsl", "dm.xpt",
                     "ex.xpt", "lb.xpt", "rs.xpt", "se.xpt", "suppae.xpt", "suppdm.xpt",
                     "suppex.xpt", "supprs.xpt", "sv.xpt", "ta.xpt", "te.xpt", "ti.xpt", "ts.xpt",
                     "tv.xpt"]


def test_dm_one_record_per_enrolled_subject(out):
    dm = sdtm(out, "dm")
    demo = raw("demographics.csv")
    assert len(dm) == 18
    assert list(dm["USUBJID"]) == [f"NCT04014166-01-{i:03d}" for i in range(1, 19)]
    assert (dm["SEX"] == "F").sum() == 15
    assert dm["AGE"].median() == 44 and dm["AGE"].min() == 30 and dm["AGE"].max() == 50
    assert dict(dm["ARMCD"].value_counts()) == {"ESC05": 3, "ESC10": 3, "ESC20": 6, "EXP20": 6}
    assert list(dm["ACTARMCD"]) == list(dm["ARMCD"])
    # RFSTDTC is each subject's first infusion, date and time, from the raw exposure form
    ex = raw("exposure.csv")
    first = ex[ex["INFNUM"] == "1"].set_index("SUBJID")
    expected = [f"{first.at[s, 'EXSTDAT']}T{first.at[s, 'EXSTTIM']}" for s in demo["SUBJID"]]
    assert list(dm["RFSTDTC"]) == expected
    assert list(dm["RFXSTDTC"]) == expected
    last = ex[ex["INFNUM"] == "4"].set_index("SUBJID")
    assert list(dm["RFXENDTC"]) == [f"{last.at[s, 'EXSTDAT']}T{last.at[s, 'EXENTIM']}"
                                    for s in demo["SUBJID"]]


def test_suppdm_carries_itp_history(out):
    supp = sdtm(out, "suppdm")
    base = raw("baseline.csv")
    dur = supp[supp["QNAM"] == "ITPDUR"]
    assert list(dur["QVAL"]) == list(base["ITPDUR"])
    assert (supp.loc[supp["QNAM"] == "PRSPLN", "QVAL"] == "Y").sum() == 10
    assert (supp.loc[supp["QNAM"] == "PRRTX", "QVAL"] == "Y").sum() == 13
    assert set(supp["IDVAR"]) == {""}


def test_ex_four_weekly_infusions_each(out):
    ex = sdtm(out, "ex")
    assert len(ex) == 72
    assert ex.groupby("USUBJID").size().eq(4).all()
    assert list(ex.groupby("USUBJID")["EXSEQ"].apply(list).iloc[0]) == [1, 2, 3, 4]
    assert (ex.loc[ex["EXSEQ"] == 1, "EXSTDY"] == 1).all()
    assert set(ex["EXDOSU"]) == {"10^6 cells/kg"}
    cells = sdtm(out, "suppex")
    cells = cells[cells["QNAM"] == "EXCELLS"]
    raw_ex = raw("exposure.csv")
    expected = (raw_ex["EXDOSE"].astype(float) * raw_ex["WEIGHT"].astype(float)).round(2)
    assert sorted(cells["QVAL"].astype(float)) == sorted(expected)


def test_ae_every_raw_event_mapped_with_seriousness(out):
    ae = sdtm(out, "ae")
    raw_ae = raw("adverse_events.csv")
    assert len(ae) == len(raw_ae)
    serious = sorted(ae.loc[ae["AESER"] == "Y", "USUBJID"].str[-3:].unique())
    assert serious == ["006", "007", "009", "014"]
    dlt = sdtm(out, "suppae")
    dlt = dlt[(dlt["QNAM"] == "AEDLT") & (dlt["QVAL"] == "Y")]
    assert list(dlt["USUBJID"]) == ["NCT04014166-01-007"]
    # partial dates stay partial, and get no study day
    partial = ae[ae["AESTDTC"].str.len() < 10]
    assert len(partial) >= 1 and partial["AESTDY"].isna().all()
    assert not (ae["AESTDY"] == 0).any()


def test_lb_one_record_per_collected_value(out):
    lb = sdtm(out, "lb")
    labs = raw("labs.csv")
    tests = ["PLT", "WBC", "HGB", "ALT", "AST", "TBIL", "URATE", "CREAT"]
    assert len(lb) == int((labs[tests] != "").sum().sum())
    assert set(lb["LBTESTCD"]) == {"PLAT", "WBC", "HGB", "ALT", "AST", "BILI", "URATE", "CREAT"}
    # one baseline per subject and test, on the Day 1 pre-infusion sample
    base = lb[lb["LBLOBXFL"] == "Y"]
    assert not base.duplicated(["USUBJID", "LBTESTCD"]).any()
    assert set(base["VISIT"]) == {"DAY 1"}
    assert (base["EPOCH"] == "SCREENING").all()
    # every unit ends up standard; g/dL haemoglobin is multiplied by 10
    assert set(lb["LBSTRESU"]) == {"10^9/L", "g/L", "U/L", "umol/L"}
    hgb_dl = lb[(lb["LBTESTCD"] == "HGB") & (lb["LBORRESU"] == "g/dL")]
    assert len(hgb_dl) > 0
    assert (hgb_dl["LBSTRESN"] - hgb_dl["LBORRES"].astype(float) * 10).abs().max() < 1e-9
    below = lb[lb["LBORRES"].str.startswith("<")]
    assert len(below) > 0 and below["LBSTRESN"].isna().all()
    assert (below["LBSTRESC"] == below["LBORRES"]).all() and (below["LBNRIND"] == "LOW").all()
    assert not (lb["LBDY"] == 0).any()


def test_lineage_points_at_the_raw_record(out):
    lin = pd.read_csv(out / "report" / "lineage" / "ae.csv", dtype=str)
    ae = sdtm(out, "ae")
    raw_ae = raw("adverse_events.csv")
    rows = lin["SOURCE_ROW"].astype(int) - 2  # line 2 is the first data row
    assert list(raw_ae.loc[rows, "AETERM"]) == list(ae["AETERM"])
    assert list(lin["AESEQ"].astype(int)) == list(ae["AESEQ"].astype(int))


def test_run_report_reconciles_every_domain(out):
    import json

    report = json.loads((out / "report" / "run.json").read_text())
    assert report["errors"] == 0
    for name, d in report["domains"].items():
        assert d["balanced"], name
        assert d["rejected"] == {}, name


def test_rerun_is_byte_identical(out, tmp_path):
    again = tmp_path / "again"
    result = CliRunner().invoke(main, ["run", str(STUDY), "--out", str(again)])
    assert result.exit_code == 0, result.output

    def digest(folder: Path) -> dict[str, str]:
        return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file()}

    assert digest(again) == digest(out)
