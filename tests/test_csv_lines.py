"""A CSV record's line is the physical line a reviewer finds in the file (reliability issue,
section 2): quoted line breaks, form feeds and U+2028 inside values do not shift later records;
control characters in values are defects with file, line and column; a file without a final
line break is a warning naming its last line; a value too long to read names its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MINI_RAW, write_study

from cdiscflow.cli import main
from cdiscflow.csvlines import record_lines
from cdiscflow.errors import RawDataError
from cdiscflow.raw import SOURCE_ROW, raw_defects, read_form

HEADER = "SUBJID,AESPID,AETERM,AESTDAT,AESER,KEEP\n"


def _form(tmp_path: Path, text: str):
    path = tmp_path / "ae.csv"
    path.write_bytes(text.encode("utf-8"))
    return read_form(path)


def _defects(frame) -> list[tuple[int, str, str, str | None, str | None, str]]:
    return [(line, d.severity, d.file, d.column, d.value, d.message)
            for line, d in raw_defects(frame)]


def test_quoted_line_breaks_and_empty_lines_keep_physical_line_numbers(tmp_path):
    frame = _form(tmp_path, HEADER + '001,1,"head\r\nache",12-MAR-2021,N,Y\n\n'
                  "001,2,nau\fsea,12-MAR-2021,N,Y\n"
                  '002,1,"ra\n\nsh",13-MAR-2021,N,Y\n'
                  "002,2,co\u2028ugh,14-MAR-2021,N,Y\n"
                  "002,3,fever,15-MAR-2021,N,Y\n")
    assert frame[SOURCE_ROW].tolist() == [2, 5, 6, 9, 10]
    assert frame["AETERM"].tolist() == ["head\r\nache", "nau\fsea", "ra\n\nsh", "co\u2028ugh",
                                        "fever"]
    expected = "in the value: a value is one line of text"
    assert _defects(frame) == [
        (2, "error", "ae.csv", "AETERM", "head\r\nache",
         f"control character U+000D (carriage return) {expected}"),
        (5, "error", "ae.csv", "AETERM", "nau\fsea",
         f"control character U+000C (form feed) {expected}"),
        (6, "error", "ae.csv", "AETERM", "ra\n\nsh",
         f"control character U+000A (line feed) {expected}"),
        (9, "error", "ae.csv", "AETERM", "co\u2028ugh",
         f"control character U+2028 (line separator) {expected}"),
    ]


def test_a_form_feed_alone_is_not_a_line_break(tmp_path):
    # str.splitlines() counts \f, \x1c-\x1e, \x85 and U+2028 as line ends; a CSV parser does not
    text = HEADER + "001,1,a\x1cb,12-MAR-2021,N,Y\n\n001,2,c\x85d,12-MAR-2021,N,Y\n"
    assert record_lines(text, 2).tolist() == [2, 4]
    assert _form(tmp_path, text)[SOURCE_ROW].tolist() == [2, 4]


def test_a_clean_file_has_no_defects(tmp_path):
    frame = _form(tmp_path, HEADER + '001,1,"headache, mild",12-MAR-2021,N,Y\n')
    assert frame[SOURCE_ROW].tolist() == [2]
    assert _defects(frame) == []


def test_a_file_without_a_final_line_break_warns_naming_its_last_line(tmp_path):
    frame = _form(tmp_path, HEADER + "001,1,headache,12-MAR-2021,N,Y\n"
                  '001,2,"nau\nsea",12-MAR-2021,N,Y\n001,3,rash,12-MAR-2021,N,Y')
    assert frame[SOURCE_ROW].tolist() == [2, 3, 5]
    assert _defects(frame)[-1] == (
        5, "warning", "ae.csv", None, None,
        "the file does not end with a line break: its last line (5) may have been cut short; "
        "check it is complete")


def test_a_ragged_row_after_a_quoted_line_break_names_its_physical_line(tmp_path):
    with pytest.raises(RawDataError) as caught:
        _form(tmp_path, HEADER + '001,1,"head\nache",12-MAR-2021,N,Y\n001,2,rash\n')
    assert str(caught.value) == (f"{tmp_path / 'ae.csv'}: expected 6 fields per row (the "
                                 f"header's): line 4 has 3 fields")


def test_a_ten_megabyte_field_names_its_file_line_and_column(tmp_path):
    with pytest.raises(RawDataError) as caught:
        _form(tmp_path, HEADER + "001,1,headache,12-MAR-2021,N,Y\n\n"
              "001,2," + "x" * 10_000_000 + ",12-MAR-2021,N,Y\n")
    assert str(caught.value) == (
        f"{tmp_path / 'ae.csv'}:4: column AETERM holds a value of 10,000,000 characters; a raw "
        f"value may be at most 1,048,576 (an unclosed quote, or not a CRF extract?)")


def test_a_ten_megabyte_header_names_its_file_and_line(tmp_path):
    with pytest.raises(RawDataError) as caught:
        _form(tmp_path, "SUBJID," + "A" * 10_000_000 + "\n001,x\n")
    assert str(caught.value).startswith(f"{tmp_path / 'ae.csv'}:1: the header row cannot be "
                                        f"read as CSV: field larger than field limit")


def test_lineage_and_defects_of_a_run_name_the_physical_lines(tmp_path):
    raw = dict(MINI_RAW)
    raw["adverse_events.csv"] = (HEADER + '001,1,"head\nache",12-MAR-2021,N,Y\n'
                                 "001,2,nausea,12-MAR-2021,N,Y\n"
                                 "002,1,rash,13-MAR-2021,N,Y\n")
    study = write_study(tmp_path / "s", raw=raw)
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(out), "--no-adam"])
    assert result.exit_code == 3  # data defects: everything written, defects listed
    lineage = (out / "report" / "lineage" / "ae.csv").read_text().splitlines()
    assert [line.split(",")[-1] for line in lineage[1:]] == ["2", "4", "5"]
    defects = (out / "report" / "defects.csv").read_text()
    assert ("error,-,adverse_events.csv,2,AETERM,\"head\nache\",control character U+000A "
            "(line feed) in the value: a value is one line of text") in defects


@pytest.mark.parametrize("text, expected", [
    # every value quoted (as EDC exports write them), no line break in any: one line each
    ('"SUBJID","AETERM"\n"001","headache"\n"002","rash"\n', [2, 3]),
    ('"SUBJID","AETERM"\r\n"001","head""ache"\r\n\r\n"002",""\r\n', [2, 4]),
    ('"SUBJID","AETERM"\n\n"001","a"\n\n\n"002","b"', [3, 6]),
    ('"SUBJID","AETERM"\n"001","a"\n"002","b"', [2, 3]),  # no final line break
    # a quoted value spanning lines, with or without empty lines around
    ('"SUBJID","AETERM"\n"001","a\nb"\n"002","c"\n', [2, 4]),
    ('"SUBJID","AETERM"\n"001","a\n\nb"\n\n"002","c"\n', [2, 6]),
    ('SUBJID,AETERM\n001,x"y\n002,"c\rd"\n', [2, 3]),
])
def test_quoted_files_numbered_as_the_csv_parser_reads_them(text, expected):
    from cdiscflow.csvlines import _quoted_record_lines

    assert record_lines(text, len(expected)).tolist() == expected
    assert _quoted_record_lines(text, len(expected)).tolist() == expected


@pytest.mark.parametrize("text, one_line_each, expected", [
    ('"A","B"\r\n"1","x y"\n', True, True),
    ("A,B\n1,x\ty\n", True, False),  # a tab
    ("A,B\n1,x\x7fy\n", True, False),  # DEL
    ("A,B\n1,x\x00y\n", True, False),  # NUL
    ("A,B\n1,caf\u00e9\n", True, False),  # not ASCII: left to the full check
    ('A,B\n1,"x\ny"\n', False, False),  # a value holding a line break
    ("A,B\n", True, True),
])
def test_a_file_free_of_control_characters_is_told_at_once(text, one_line_each, expected):
    from cdiscflow.csvlines import free_of_controls

    assert free_of_controls(text, one_line_each) is expected


def test_control_characters_found_in_a_fully_quoted_file(tmp_path):
    frame = _form(tmp_path, '"SUBJID","AESPID","AETERM","AESTDAT","AESER","KEEP"\n'
                  '"001","1","head\tache","12-MAR-2021","N","Y"\n'
                  '"001","2","rash","12-MAR-2021","N","Y"\n'
                  '"001","3","co\x7fugh","12-MAR-2021","N","Y"\n')
    assert frame[SOURCE_ROW].tolist() == [2, 3, 4]
    assert [(line, d.column, d.value) for line, d in raw_defects(frame)] == [
        (2, "AETERM", "head\tache"), (4, "AETERM", "co\x7fugh")]


def test_values_trimmed_only_where_a_space_can_stand_at_their_edge(tmp_path):
    from cdiscflow.raw import _spaces_at_value_edges, read_form

    assert not _spaces_at_value_edges(b'A,B\n"Day 1",x y\n')
    for text in (b'A,B\n"Day 1", x\n', b'A,B\n"Day 1 ",x\n', b'A,B\nx ,y\n', b'A,B\nx,y \n',
                 b' A,B\nx,y\n', b'A,B\nx,y ', b'A,B\n" x",y\n'):
        assert _spaces_at_value_edges(text), text
    path = tmp_path / "f.csv"
    path.write_bytes(b'A,B,C\n"Day 1",  ,x\n" y ",,"z"\n')
    frame = read_form(path)
    assert [list(frame[c].astype(object).where(frame[c].notna(), None)) for c in "ABC"] == [
        ["Day 1", "y"], [None, None], ["x", "z"]]
    path.write_bytes(b'A,B\n"Day 1",""\nx,y z\n')
    frame = read_form(path)
    assert list(frame["A"]) == ["Day 1", "x"] and frame["B"].isna().tolist() == [True, False]
