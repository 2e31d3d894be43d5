"""The ADaM spec model: unknown keys and bad references are refused, and the error names the
file, line, dataset and variable; labels come from ADaMIG/SDTMIG or the spec."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from cdiscflow.adam.engine import build_adam, build_dataset
from cdiscflow.adam.metadata import adam_variable, standard_label
from cdiscflow.adam.spec import AdamSpecError, load_adam, load_dataset
from cdiscflow.errors import SpecError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_ADAM = ROOT / "mappings" / "nct04014166" / "adam"

ADSL = textwrap.dedent("""\
    dataset: ADSL
    label: Subject-Level Analysis Dataset
    structure: ADSL
    source: {dataset: DM}
    key: [USUBJID]
    steps:
      - derive_vars_dt: {new_vars_prefix: RFIC, dtc: RFICDTC, flag_imputation: false}
      - derive_var_merged_exist_flag:
          dataset_add: EX
          new_var: SAFFL
          condition: {var: EXDOSE, gt: 0}
    variables:
      STUDYID:
      USUBJID:
      SAFFL:
      RFICDT:
      AGE:
    """)

SDTM = {
    "DM": pd.DataFrame({"STUDYID": ["S"] * 2, "USUBJID": ["S-2", "S-1"], "AGE": [30.0, 41.0],
                        "RFICDTC": ["2021-03-01", "2021-03-05"]}),
    "EX": pd.DataFrame({"USUBJID": ["S-1"], "EXDOSE": [1.0]}),
}


def write(tmp_path: Path, text: str, name: str = "adsl.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_small_adsl_builds_in_ig_order(tmp_path: Path) -> None:
    loaded = load_dataset(write(tmp_path, ADSL))
    ds = build_dataset(loaded, SDTM, {})
    # ADaMIG order (AGE before SAFFL before RFICDT), sorted by the key
    assert list(ds.data.columns) == ["STUDYID", "USUBJID", "AGE", "SAFFL", "RFICDT"]
    assert ds.data["USUBJID"].tolist() == ["S-1", "S-2"]
    assert ds.data["SAFFL"].tolist() == ["Y", "N"]
    assert ds.data["RFICDT"].tolist() == [22344.0, 22340.0]
    by_name = {v.name: v for v in ds.variables}
    assert by_name["RFICDT"].format == "DATE9."
    assert by_name["RFICDT"].label == "Date of Informed Consent"
    assert by_name["SAFFL"].label == "Safety Population Flag"


def test_unknown_key_in_a_step_names_file_line_and_dataset(tmp_path: Path) -> None:
    path = write(tmp_path, ADSL.replace("new_var: SAFFL", "new_var: SAFFL\n      newvar: X"))
    with pytest.raises(SpecError) as info:
        load_dataset(path)
    message = str(info.value)
    assert f"{path}:11," in message
    assert "dataset ADSL" in message and "unknown key" in message
    assert "steps.1.derive_var_merged_exist_flag.newvar" in message


def test_unknown_derivation_and_top_level_key(tmp_path: Path) -> None:
    path = write(tmp_path, ADSL.replace("derive_vars_dt:", "derive_vars_date:"))
    with pytest.raises(AdamSpecError, match="unknown derivation 'derive_vars_date'"):
        load_dataset(path)
    path = write(tmp_path, ADSL + "colour: blue\n")
    with pytest.raises(AdamSpecError, match="colour: unknown key"):
        load_dataset(path)


def test_sponsor_variable_needs_a_label(tmp_path: Path) -> None:
    text = ADSL.replace("  AGE:\n", "  AGE:\n  MYFL:\n").replace(
        "new_var: SAFFL", "new_var: MYFL", 1).replace("  SAFFL:\n", "")
    loaded = load_dataset(write(tmp_path, text))
    with pytest.raises(AdamSpecError) as info:
        build_dataset(loaded, SDTM, {})
    assert "variable MYFL" in str(info.value) and "give it a label" in str(info.value)
    assert "dataset ADSL" in str(info.value)


def test_variable_no_step_derives(tmp_path: Path) -> None:
    loaded = load_dataset(write(tmp_path, ADSL + "  TRTSDT:\n"))
    with pytest.raises(AdamSpecError, match=r"no step derives \['TRTSDT'\]") as info:
        build_dataset(loaded, SDTM, {})
    assert info.value.variable == "TRTSDT"


def test_missing_input_variable_names_the_step(tmp_path: Path) -> None:
    loaded = load_dataset(write(tmp_path, ADSL.replace("dtc: RFICDTC", "dtc: RFICDTX")))
    with pytest.raises(AdamSpecError, match=r"steps.0 \(derive_vars_dt\): no variable 'RFICDTX'"):
        build_dataset(loaded, SDTM, {})


def test_unknown_dataset_and_criteria(tmp_path: Path) -> None:
    loaded = load_dataset(write(tmp_path, ADSL.replace("dataset_add: EX", "dataset_add: XX")))
    with pytest.raises(AdamSpecError, match="no dataset 'XX'"):
        build_dataset(loaded, SDTM, {})
    text = ADSL.replace("steps:\n", "steps:\n  - derive_param_response: {criteria: nope, "
                        "source: {var: PARAMCD, eq: X}, set_values_to: {PARAMCD: R}}\n")
    with pytest.raises(AdamSpecError, match="no criteria named 'nope'"):
        load_dataset(write(tmp_path, text))


def test_index_names_files_after_datasets(tmp_path: Path) -> None:
    study = tmp_path / "study"
    (study / "adam").mkdir(parents=True)
    write(study / "adam", "datasets: [adsl]\n", "adam.yaml")
    write(study / "adam", ADSL.replace("dataset: ADSL", "dataset: ADSX"), "adsl.yaml")
    with pytest.raises(AdamSpecError, match="declares dataset ADSX"):
        load_adam(study)
    write(study / "adam", ADSL, "adsl.yaml")
    adam = load_adam(study)
    assert adam is not None and list(build_adam(adam, SDTM)) == ["ADSL"]
    assert load_adam(tmp_path / "nowhere") is None


def test_example_spec_loads() -> None:
    """The example study's ADaM specs load (every step and rule set validates)."""
    with_study = EXAMPLE_ADAM.parent
    adam = load_adam(with_study)
    assert adam is not None
    assert [d.spec.dataset for d in adam.datasets] == ["ADSL", "ADAE", "ADRS"]
    adrs = adam.datasets[2].spec
    crit = adrs.criteria["platelet_response"]
    assert [c.code for c in crit.categories] == ["CR", "R"]
    assert crit.not_evaluable_windows["RESCFL"][0].days_after_end == 14


def test_example_spec_copy_with_a_typo_is_refused(tmp_path: Path) -> None:
    study = tmp_path / "study"
    shutil.copytree(EXAMPLE_ADAM, study / "adam")
    path = study / "adam" / "adrs.yaml"
    path.write_text(path.read_text().replace("days_after_end: 14", "days_after: 14"))
    with pytest.raises(AdamSpecError) as info:
        load_adam(study)
    assert "criteria.platelet_response.not_evaluable_windows.RESCFL.0.days_after" in \
        str(info.value)
    assert "dataset ADRS" in str(info.value)


def test_adamig_placeholders_resolve() -> None:
    trt = adam_variable("ADSL", "TRT02AN")
    assert trt is not None and trt.label == "Actual Treatment for Period 02 (N)"
    assert adam_variable("BDS", "ANL03FL").label == "Analysis Flag 03"  # type: ignore[union-attr]
    assert adam_variable("ADSL", "XYZ") is None
    assert standard_label("OCCDS", "AETERM", "AE") == ("Reported Term for the Adverse Event",
                                                        "Char")
    assert standard_label("BDS", "TRTSDT", None) == ("Date of First Exposure to Treatment",
                                                      "Num")


def test_no_study_is_written_into_the_adam_code() -> None:
    """The ADaM and report code is generic: no study identifier, no study-specific branch."""
    study_ids = [p.name.upper() for p in (ROOT / "mappings").iterdir() if p.is_dir()]
    assert study_ids
    for folder in ("adam", "report"):
        for path in (ROOT / "cdiscflow" / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8").upper()
            for sid in study_ids:
                assert sid not in text, (path, sid)


def test_key_variables_must_be_kept(tmp_path: Path) -> None:
    with pytest.raises(AdamSpecError, match=r"key variables \['ASEQ'\] are not listed"):
        load_dataset(write(tmp_path, ADSL.replace("key: [USUBJID]", "key: [USUBJID, ASEQ]")))
