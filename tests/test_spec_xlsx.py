"""`cdiscflow spec export` / `spec import`: the workbook, its round trip and its errors."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cdiscflow.cli import main
from cdiscflow.errors import SpecError
from cdiscflow.specload import load_study
from cdiscflow.specxlsx.export import export_workbook
from cdiscflow.specxlsx.importer import import_workbook

ROOT = Path(__file__).resolve().parent.parent
STUDIES = ["nct04014166", "nct02218437", "ctr20221330", "cdiscpilot01"]


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def _run(folder: Path, name: str, raw: Path, out: str) -> Path:
    cwd = os.getcwd()
    os.chdir(folder)  # the same relative STUDY_DIR in both runs: run.json names it
    try:
        # the pilot's ADaM spec is built from the published SDTM (cdiscflow adam), not from
        # the extracts' SDTM, which lack its SC, QS and SUPPDM sources
        adam = ["--no-adam"] if name == "cdiscpilot01" else []
        result = CliRunner().invoke(main, ["run", name, "--raw", str(raw), "--out", out, *adam])
    finally:
        os.chdir(cwd)
    assert result.exit_code in (0, 1), result.output  # the pilot's own VSBLFL errors: 1
    return folder / out


@pytest.mark.parametrize("name", STUDIES)
def test_export_import_round_trip_gives_byte_identical_outputs(name, tmp_path):
    original = ROOT / "mappings" / name
    study = load_study(original)
    raw = (original / study.spec.raw.dir).resolve()
    xlsx = tmp_path / "spec.xlsx"
    export_workbook(original, xlsx)
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(original, a / name)
    shutil.copytree(original, b / name)
    held = ["study.yaml", *(f"{d}.yaml" for d in study.spec.domains)]
    for file in held:  # the workbook alone makes these; adam/ stays
        (b / name / file).unlink()
    written, checked = import_workbook(xlsx, b / name)
    assert checked is None  # raw.dir is relative to mappings/: --raw gives it below
    assert sorted(p.name for p in written) == sorted(held)
    out_a, out_b = _run(a, name, raw, "out"), _run(b, name, raw, "out")
    files_a, files_b = _outputs(out_a), _outputs(out_b)
    assert sorted(files_a) == sorted(files_b)
    differing = [f for f in files_a if files_a[f] != files_b[f]]
    assert differing == []
    man_a = json.loads((out_a / "manifest.json").read_text())
    man_b = json.loads((out_b / "manifest.json").read_text())
    assert man_a["outputs"] == man_b["outputs"]
    assert man_a["inputs"]["raw"] == man_b["inputs"]["raw"]


EXAMPLE = ROOT / "mappings" / "nct04014166"


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "spec.xlsx"
    export_workbook(EXAMPLE, path)
    return path


def _rows(path: Path, sheet: str) -> list[tuple]:
    return list(load_workbook(path, read_only=True)[sheet].iter_rows(values_only=True))


def _line(path: Path, start: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, t in enumerate(lines, 1) if t.strip().startswith(start))


def test_workbook_sheets_and_cells(workbook):
    book = load_workbook(workbook, read_only=True)
    assert book.sheetnames == ["Study", "Datasets", "Variables", "ValueLevel", "Codelists",
                               "Methods", "Comments", "Tables"]
    study = _rows(workbook, "Study")
    assert study[:3] == [("Key", "Value"), ("study.studyid", "NCT04014166"),
                         ("study.title", "Human umbilical cord-derived mesenchymal stem cells "
                          "in refractory immune thrombocytopenia, a prospective single-arm "
                          "phase I trial")]
    assert ("raw.forms.labs.keys", "[SUBJID, VISIT, LBDAT, LBTIM]") in study
    variables = _rows(workbook, "Variables")
    header = variables[0]
    assert header[:5] == ("Order", "Dataset", "Variable", "Source Type", "Source")
    assert header[-6:] == ("Standard Label", "Standard Type", "Origin", "Source Form",
                           "Codelist", "Method")
    rows = {(r[1], r[2]): dict(zip(header, r, strict=True)) for r in variables[1:]}
    aeser = rows[("AE", "AESER")]
    assert (aeser["Order"], aeser["Source Type"], aeser["Source"]) == (
        18, "ct", "{field: AESER, codelist: NY}")  # the MedDRA hierarchy mapped above it
    assert (aeser["Standard Label"], aeser["Standard Type"], aeser["Origin"],
            aeser["Codelist"]) == ("Serious Event", "Char", "Collected", "NY")
    assert aeser["Source Form"].startswith("raw form adverse_events (adverse_events.csv), "
                                           "field AESER, coded to CT codelist NY")
    assert rows[("AE", "AETERM")]["required"] is True
    assert rows[("AE", "AEINFRR")]["supp"] == "{qlabel: Infusion-Related Reaction}"
    # the method text define.xml gives a reviewer (the package issue): words, not code
    assert rows[("AE", "AESTDY")]["Method"] == (
        "Study day of AESTDTC relative to DM.RFSTDTC: the number of days from DM.RFSTDTC, plus "
        "one when on or after it (no day 0); blank when either date is partial.")
    methods = _rows(workbook, "Methods")
    assert methods[0][0].startswith("Written from the mapping files")
    assert ("AE", "AESTDY", "study_day", "{dtc: AESTDTC, ref: DM.RFSTDTC}") in [
        r[:4] for r in methods[2:]]
    codelists = _rows(workbook, "Codelists")
    assert ("AE", "AEREL", "(sponsor values)", "Not related", "NOT RELATED") in codelists
    assert ("AE", "AEENRTPT", "(sponsor values)", "N", "null") in codelists
    comments = _rows(workbook, "Comments")
    assert ("ae", "variables.AEREL", "# causality is sponsor-defined (no CDISC codelist): the "
            "five-point scale of the CRF") in comments


def test_export_is_deterministic(workbook, tmp_path):
    again = tmp_path / "again.xlsx"
    export_workbook(EXAMPLE, again)
    assert again.read_bytes() == workbook.read_bytes()


def _edited(workbook: Path, tmp_path: Path, sheet: str, row: int, column: str, value) -> Path:
    book = load_workbook(workbook)
    ws = book[sheet]
    header = [c.value for c in ws[1]]
    ws.cell(row, header.index(column) + 1).value = value
    path = tmp_path / "edited.xlsx"
    book.save(path)
    return path


def _variable_row(workbook: Path, domain: str, name: str) -> int:
    rows = _rows(workbook, "Variables")
    return next(i for i, r in enumerate(rows, 1) if r[1] == domain and r[2] == name)


def test_an_edit_in_excel_comes_back_in_the_mapping_file(workbook, tmp_path):
    row = _variable_row(workbook, "AE", "AETERM")
    edited = _edited(workbook, tmp_path, "Variables", row, "Source",
                     "{field: AETERM, case: upper}")
    edited = _edited(edited, tmp_path, "Variables", row, "Source Type", "text")
    study = tmp_path / "study"
    assert import_workbook(edited, study)[1] is None
    ae = (study / "ae.yaml").read_text()
    assert "  AETERM: {text: {field: AETERM, case: upper}, required: true}\n" in ae
    assert "  # causality is sponsor-defined (no CDISC codelist): the five-point scale of the " \
           "CRF\n  AEREL:" in ae
    assert load_study(study).domain("AE").spec.variables["AETERM"].text.case == "upper"


def test_errors_name_sheet_row_and_column(workbook, tmp_path):
    row = _variable_row(workbook, "AE", "AESTDY")
    bad_yaml = _edited(workbook, tmp_path, "Variables", row, "Source", "{function: study_day,")
    with pytest.raises(SpecError) as exc:
        import_workbook(bad_yaml, tmp_path / "s1")
    assert f"sheet Variables, row {row}, column E (Source): not valid YAML" in str(exc.value)
    unknown = _edited(workbook, tmp_path, "Variables", row, "Source",
                      "{function: study_dai, dtc: AESTDTC, ref: DM.RFSTDTC}")
    # the study's raw.dir (../../examples/nct04014166/raw) as seen from the target folder: the
    # run's own spec check (derivations, raw headers) runs too
    (tmp_path / "examples").mkdir()
    os.symlink(ROOT / "examples" / "nct04014166", tmp_path / "examples" / "nct04014166")
    target = tmp_path / "mappings" / "s2"
    with pytest.raises(SpecError) as exc:
        import_workbook(unknown, target)
    assert f"sheet Variables, row {row}: " in str(exc.value)
    assert "unknown derivation 'study_dai'" in str(exc.value)
    assert not target.exists()  # nothing written
    extra = _edited(workbook, tmp_path, "Variables", row, "Dataset", "QQ")
    with pytest.raises(SpecError) as exc:
        import_workbook(extra, tmp_path / "s3")
    assert (f"sheet Variables, row {row}, column B (Dataset): dataset QQ has no row on the "
            f"Datasets sheet") in str(exc.value)
    yes = _edited(workbook, tmp_path, "Study", 2, "Value", "yes")
    with pytest.raises(SpecError) as exc:
        import_workbook(yes, tmp_path / "s4")
    assert "sheet Study, row 2, column B (Value): YAML reads 'yes' as True" in str(exc.value)


def test_a_key_this_version_does_not_know_is_carried_and_checked(workbook, tmp_path):
    book = load_workbook(workbook)
    ws = book["Variables"]
    ws.insert_cols(6)
    ws.cell(1, 6).value = "review_note"
    row = _variable_row(workbook, "AE", "AETERM")
    ws.cell(row, 6).value = "check spelling"
    path = tmp_path / "new-key.xlsx"
    book.save(path)
    with pytest.raises(SpecError) as exc:
        import_workbook(path, tmp_path / "s")
    # the new column became the key review_note of AETERM, which today's model refuses
    assert f"sheet Variables, row {row}: variables.AETERM.review_note: unknown key" in str(
        exc.value)


def test_spec_commands(workbook, tmp_path):
    runner = CliRunner()
    target = tmp_path / "cli.xlsx"
    result = runner.invoke(main, ["spec", "export", str(EXAMPLE), "--xlsx", str(target)])
    assert result.exit_code == 0, result.output
    # the example's study file holds its trial design (the package issue): more Study rows
    assert result.output.startswith(f"wrote {target} (rows: Study 60, Datasets 6, Variables ")
    back = runner.invoke(main, ["spec", "import", str(target), str(tmp_path / "s")])
    assert back.exit_code == 0, back.output
    assert back.output == (f"wrote 7 file(s) to {tmp_path / 's'}: study.yaml, dm.yaml, ex.yaml, "
                           f"ae.yaml, lb.yaml, cm.yaml, rs.yaml\nthe study's raw folder is not "
                           f"there: the spec files alone were checked\n")
    row = _variable_row(workbook, "AE", "AESTDY")
    bad = _edited(workbook, tmp_path, "Variables", row, "Source", "[")
    failed = runner.invoke(main, ["spec", "import", str(bad), str(tmp_path / "s5")])
    assert failed.exit_code == 2 and "sheet Variables, row" in failed.output
