"""A spec file is bounded on load (reliability issue, sections 2 and 4): nested aliases, an
alias of its own container, deep nesting and a huge document are each one named spec error,
quickly, never a hang, a RecursionError or gigabytes of memory."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from conftest import write_study

from cdiscflow.cli import main
from cdiscflow.errors import SpecError
from cdiscflow.yamlio import MAX_SPEC_BYTES, load_yaml

# each level repeats the previous nine times: 9**9 values from a 700-byte file
BOMB = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9)
                  + "]\n" for i in range(8)))


def _error(tmp_path, text: str) -> tuple[str, float]:
    path = tmp_path / "study.yaml"
    path.write_text(text)
    start = time.monotonic()
    with pytest.raises(SpecError) as caught:
        load_yaml(path)
    return str(caught.value).replace(f"{tmp_path}/", ""), time.monotonic() - start


def test_nested_aliases_are_bounded(tmp_path):
    message, seconds = _error(tmp_path, BOMB)
    assert message == ("study.yaml:1: not valid YAML: expands to more than 100,000 values "
                       "(aliases repeating aliases?); a spec is refused beyond that")
    assert seconds < 10


def test_an_alias_inside_its_own_value_is_refused(tmp_path):
    message, _ = _error(tmp_path, "study:\n  a: &x\n    b: *x\n")
    assert message == ("study.yaml:2: not valid YAML: an alias refers to a value that "
                       "contains it (it would never end)")


def test_50000_nested_brackets_are_refused(tmp_path):
    message, _ = _error(tmp_path, "a: " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert message == "study.yaml: not valid YAML: nested more than 200 levels deep"


def test_nesting_beyond_the_bound_that_parses_is_refused(tmp_path):
    message, _ = _error(tmp_path, "a: " + "[" * 300 + "]" * 300 + "\n")
    assert message == "study.yaml:1: not valid YAML: nested more than 200 levels deep"


def test_a_huge_document_is_refused_before_it_is_read(tmp_path):
    message, _ = _error(tmp_path, "a: " + "x" * MAX_SPEC_BYTES + "\n")
    assert message == ("study.yaml: 2,000,004 bytes: larger than a spec may be (2,000,000 "
                       "bytes)")


def test_a_spec_that_is_not_a_regular_file_is_refused(tmp_path):
    (tmp_path / "study.yaml").mkdir()
    with pytest.raises(SpecError, match="study.yaml: not a regular file"):
        load_yaml(tmp_path / "study.yaml")


@pytest.mark.parametrize("text, said", [
    (BOMB, "expands to more than 100,000 values"),
    ("a: &x [*x]\n", "an alias refers to a value that contains it"),
    ("a: " + "[" * 50_000 + "]" * 50_000 + "\n", "nested more than 200 levels deep"),
])
def test_the_command_says_it_in_one_line_with_exit_2(tmp_path, text, said):
    study = write_study(tmp_path / "s")
    (study / "study.yaml").write_text(text)
    result = CliRunner().invoke(main, ["run", str(study), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert said in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_a_spreadsheet_cell_has_the_same_bounds(tmp_path):
    from cdiscflow.yamlio import parse_yaml_text

    assert parse_yaml_text("{field: AETERM}", "Variables!C4") == {"field": "AETERM"}
    with pytest.raises(SpecError) as caught:
        parse_yaml_text("&x [*x]", "Variables!C5")
    assert str(caught.value) == ("Variables!C5:1: not valid YAML: an alias refers to a value "
                                 "that contains it (it would never end)")
    with pytest.raises(SpecError) as caught:
        parse_yaml_text("[" * 50_000 + "]" * 50_000, "Variables!C6")
    assert str(caught.value) == "Variables!C6: not valid YAML: nested more than 200 levels deep"
