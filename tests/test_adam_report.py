"""The report's pieces on small inline ADaM tables: cell formats, reporting groups, the AE
table by worst grade, the response table, and figures that are byte-identical across
processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pandas as pd

from cdiscflow.adam.spec import ReportSpec
from cdiscflow.report import tables

SPEC = ReportSpec.model_validate({
    "title": "T", "group": "GRP", "group_order": "GRPN",
    "totals": {"Part A": {"var": "PART", "eq": "A"}, "Overall": None},
    "demographics": ["AGE", "SEX"], "response_params": ["RSP"], "summary_params": ["DUR"],
    "summary_among": "RSP", "subject_flags": {"Rescue": "RESCFL"},
    "ae_flags": {"Any TEAE": "TRTEMFL"},
    "plot_param": "P", "swimmer_param": "RSPV", "swimmer_response_codes": ["CR"],
})
ADSL = pd.DataFrame({
    "USUBJID": ["S1", "S2", "S3", "S4"], "SUBJID": ["1", "2", "3", "4"],
    "GRP": ["high", "low", "low", "high"], "GRPN": [2.0, 1.0, 1.0, 2.0],
    "PART": ["A", "A", "B", "B"], "SAFFL": ["Y", "Y", "Y", "N"],
    "AGE": [30.0, 41.0, 52.0, 60.0], "SEX": ["F", "M", "F", "F"],
    "RESCFL": ["Y", "N", "N", "Y"],
})


def test_cell_formats() -> None:
    assert tables.n_pct(8, 18) == "8/18 (44.4%)"
    assert tables.n_pct(0, 0) == "0/0"
    assert tables.median_range([27, 7, 27]) == "27 (7-27)"
    assert tables.median_range([3.0, 6.0]) == "4.5 (3-6)"
    assert tables.median_range([float("nan")]) == "-"


def test_groups_in_order_with_totals_and_population() -> None:
    # S4 is outside the population (SAFFL N) and is counted nowhere
    assert tables.groups(ADSL, SPEC) == {"low": ["S2", "S3"], "high": ["S1"],
                                         "Part A": ["S1", "S2"], "Overall": ["S1", "S2", "S3"]}


def test_demographics_table() -> None:
    table = tables.demographics(ADSL, SPEC, {"AGE": "Age", "SEX": "Sex"})
    assert table.columns.tolist() == ["", "low", "high", "Part A", "Overall"]
    assert table.values.tolist() == [
        ["N", "2", "1", "2", "3"],
        ["Age, median (range)", "46.5 (41-52)", "30 (30-30)", "35.5 (30-41)", "41 (30-52)"],
        ["Sex", "", "", "", ""],
        ["  F", "1/2 (50.0%)", "1/1 (100.0%)", "1/2 (50.0%)", "2/3 (66.7%)"],
        ["  M", "1/2 (50.0%)", "0/1 (0.0%)", "1/2 (50.0%)", "1/3 (33.3%)"],
    ]


def test_ae_tables_count_subjects_once_at_worst_grade() -> None:
    adae = pd.DataFrame({
        "USUBJID": ["S1", "S1", "S2", "S3", "S3"],
        "AEDECOD": ["Fatigue", "Fatigue", "Fatigue", "Nausea", "Fatigue"],
        "ATOXGR": ["1", "3", "1", "2", "1"],
        "TRTEMFL": ["Y", "Y", "Y", "Y", None],
    })
    by_grade = tables.ae_by_term_grade(ADSL, adae, SPEC)
    assert by_grade.values.tolist() == [
        ["Fatigue", "1/3 (33.3%)", "0/3 (0.0%)", "1/3 (33.3%)", "2/3 (66.7%)"],
        ["Nausea", "0/3 (0.0%)", "1/3 (33.3%)", "0/3 (0.0%)", "1/3 (33.3%)"],
    ]
    summary = tables.ae_summary(ADSL, adae, SPEC)
    assert summary.values.tolist() == [["Any TEAE", "2/2 (100.0%)", "1/1 (100.0%)",
                                        "2/2 (100.0%)", "3/3 (100.0%)"]]


def test_response_table() -> None:
    adrs = pd.DataFrame({
        "USUBJID": ["S1", "S2", "S3", "S1", "S2", "S3"],
        "PARAMCD": ["RSP"] * 3 + ["DUR"] * 3,
        "PARAM": ["Responder"] * 3 + ["Duration (weeks)"] * 3,
        "AVALC": ["Y", "Y", "N", None, None, None],
        "AVAL": [1.0, 1.0, 0.0, 6.0, 3.0, 0.0],
    })
    table = tables.response(ADSL, adrs, SPEC)
    assert table.values.tolist() == [
        ["Responder", "1/2 (50.0%)", "1/1 (100.0%)", "2/2 (100.0%)", "2/3 (66.7%)"],
        # S3 is not a responder: its 0 weeks are not summarised
        ["Duration (weeks): median (range) [Responder]", "3 (3-3)", "6 (6-6)", "4.5 (3-6)",
         "4.5 (3-6)"],
        ["Rescue", "0/2 (0.0%)", "1/1 (100.0%)", "1/2 (50.0%)", "1/3 (33.3%)"],
    ]


FIGURE_SCRIPT = textwrap.dedent("""
    import sys
    import pandas as pd
    from cdiscflow.adam.spec import ReportSpec
    from cdiscflow.report import figures, tables
    spec = ReportSpec.model_validate({
        "title": "T", "group": "GRP", "group_order": "GRPN", "plot_param": "P",
        "swimmer_param": "R", "swimmer_response_codes": ["CR"]})
    adsl = pd.DataFrame({"USUBJID": ["S1", "S2"], "SUBJID": ["1", "2"], "GRP": ["a", "b"],
                         "GRPN": [1.0, 2.0], "SAFFL": ["Y", "Y"], "TRTSDT": [0.0, 0.0]})
    adrs = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S1"], "PARAMCD": ["P", "P", "P", "R"],
                         "PARAM": ["Count"] * 3 + ["Resp"], "AVAL": [10.0, 30.0, 12.0, None],
                         "AVALU": ["U"] * 4, "AVALC": [None, None, None, "CR"],
                         "AVISIT": ["D1", "W1", "D1", "W1"], "AVISITN": [1.0, 2.0, 1.0, 2.0],
                         "ADY": [1.0, 8.0, 1.0, 8.0]})
    groups = tables.groups(adsl, spec)
    cm = pd.DataFrame({"USUBJID": ["S2"], "DOMAIN": ["CM"], "CMSTDTC": ["1960-01-03"],
                       "CMENDTC": [None]})
    out = b""
    for fig in (figures.mean_over_time(adsl, adrs, spec, groups),
                figures.swimmer(adsl, adrs, spec, groups, {"Rescue": cm})):
        png, svg = figures.render(fig)
        out += png + svg
    sys.stdout.buffer.write(out)
""")


def test_figures_are_byte_identical_across_processes() -> None:
    runs = [subprocess.run([sys.executable, "-c", FIGURE_SCRIPT], check=True,
                           capture_output=True).stdout for _ in range(2)]
    assert runs[0] == runs[1]
    assert runs[0].startswith(b"\x89PNG") and b"<svg" in runs[0]
    assert b"<dc:date>" not in runs[0] and b"Matplotlib v" not in runs[0]


def test_swimmer_with_an_interval_kind_nobody_has() -> None:
    """A study where no subject had rescue therapy still gets its swimmer plot."""
    from cdiscflow.adam.spec import ReportSpec
    from cdiscflow.report import figures, tables

    spec = ReportSpec.model_validate({
        "title": "T", "group": "GRP", "group_order": "GRPN", "plot_param": "P",
        "swimmer_param": "R", "swimmer_response_codes": ["CR"]})
    adsl = pd.DataFrame({"USUBJID": ["S1"], "SUBJID": ["1"], "GRP": ["a"], "GRPN": [1.0],
                         "SAFFL": ["Y"], "TRTSDT": [0.0]})
    adrs = pd.DataFrame({"USUBJID": ["S1"], "PARAMCD": ["R"], "PARAM": ["Resp"],
                         "AVAL": [None], "AVALU": ["U"], "AVALC": ["CR"], "AVISIT": ["W1"],
                         "AVISITN": [2.0], "ADY": [8.0]})
    none = pd.DataFrame({"USUBJID": pd.Series([], dtype=str), "DOMAIN": pd.Series([], dtype=str),
                         "CMSTDTC": pd.Series([], dtype=str), "CMENDTC": pd.Series([], dtype=str)})
    fig = figures.swimmer(adsl, adrs, spec, tables.groups(adsl, spec), {"Rescue": none})
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "Rescue" not in labels and "CR" in labels


def test_swimmer_left_out_above_the_declared_number_of_subjects(tmp_path) -> None:
    from cdiscflow.adam.spec import ReportSpec
    from cdiscflow.report import write_report

    base = {"title": "T", "group": "GRP", "group_order": "GRPN", "plot_param": "P",
            "swimmer_param": "R", "swimmer_response_codes": ["CR"]}
    adsl = pd.DataFrame({"USUBJID": ["S1", "S2"], "SUBJID": ["1", "2"], "GRP": ["a", "a"],
                         "GRPN": [1.0, 1.0], "SAFFL": ["Y", "Y"], "TRTSDT": [0.0, 0.0]})
    adrs = pd.DataFrame({"USUBJID": ["S1", "S1", "S2"], "PARAMCD": ["P", "R", "P"],
                         "PARAM": ["Count", "Resp", "Count"], "AVAL": [10.0, None, 12.0],
                         "AVALU": ["U"] * 3, "AVALC": [None, "CR", None],
                         "AVISIT": ["D1", "W1", "D1"], "AVISITN": [1.0, 2.0, 1.0],
                         "ADY": [1.0, 8.0, 1.0]})
    adae = pd.DataFrame({c: pd.Series([], dtype=str)
                         for c in ("USUBJID", "AEDECOD", "ATOXGR", "TRTEMFL")})
    for cap, drawn in ((2, True), (1, False)):
        folder = tmp_path / f"cap{cap}"
        folder.mkdir()
        spec = ReportSpec.model_validate({**base, "swimmer_max_subjects": cap})
        written = write_report(adsl, adae, adrs, {}, spec, {}, folder)
        assert ("swimmer.png" in written) is drawn
        assert (folder / "swimmer.svg").exists() is drawn
        page = (folder / "adam-report.html").read_text()
        assert ("Not drawn: 2 subjects, more than the 1 lanes" in page) is not drawn
