"""An AE form with no rows is valid data (reliability issue, section 4): the example study with a
header-only adverse events form runs through ADaM, whose steps using AE and its SUPPAE
qualifier (AEDLT) see an empty dataset with its variables."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from cdiscflow.cli import main
from cdiscflow.xpt import read_xpt

REPO = Path(__file__).resolve().parent.parent


def test_an_ae_form_with_no_rows_runs_through_adam(tmp_path):
    study = tmp_path / "study"
    shutil.copytree(REPO / "mappings" / "nct04014166", study)
    shutil.copytree(REPO / "examples" / "nct04014166" / "raw", study / "raw")
    text = (study / "study.yaml").read_text()
    assert "  dir: ../../examples/nct04014166/raw\n" in text
    (study / "study.yaml").write_text(text.replace("  dir: ../../examples/nct04014166/raw\n",
                                                   "  dir: raw\n"))
    ae = study / "raw" / "adverse_events.csv"
    ae.write_text(ae.read_text().splitlines()[0] + "\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report" / "run.json").read_text())
    assert report["domains"]["AE"]["raw_records"] == 0
    assert report["domains"]["AE"]["records_out"] == 0
    adam = out / "m5" / "datasets" / "nct04014166" / "analysis" / "adam" / "datasets"
    adsl, _ = read_xpt(adam / "adsl.xpt")
    adae, _ = read_xpt(adam / "adae.xpt")
    assert len(adsl) == 18 and len(adae) == 0
    assert "AEDLT" in adae.columns  # the qualifier, as a variable with no values
    # DLT-evaluable: all four infusions or a DLT; with no AE every subject is judged by the
    # infusions alone (all had four in the example data)
    assert set(adsl["DLTEVLFL"]) == {"Y"}
