"""A YAML syntax error in a spec file names the line where the mistake is, not the line after
where PyYAML noticed it."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdiscflow.errors import SpecError
from cdiscflow.yamlio import load_yaml

CASES = [
    # an unclosed flow mapping is noticed at the next key (line 4)
    ("domain: AE\nvariables:\n  AETERM: {field: AETERM\n  AEDECOD: {field: AEDECOD}\n", 3,
     "not valid YAML: expected ',' or '}', but got ':' (the flow mapping opened on line 3 is "
     "not closed)"),
    # ... or at the end of the file
    ("domain: AE\nvariables:\n  AETERM: {field: AETERM\n", 3,
     "not valid YAML: expected ',' or '}', but got '<stream end>' (the flow mapping opened on "
     "line 3 is not closed)"),
    # an unclosed list before a blank line and a comment
    ("domain: AE\nsort: [USUBJID, AESEQ\n\n# why\nsource: x\n", 2,
     "not valid YAML: expected ',' or ']', but got '?' (the flow sequence opened on line 2 is "
     "not closed)"),
    # an unclosed quote is noticed at the end of the file
    ("domain: AE\nlabel: 'abc\nsource: x\n", 2,
     "not valid YAML: found unexpected end of stream (scanning a quoted scalar started here)"),
    # a key without its colon is noticed on the next line
    ("domain: AE\nvariables\n  AETERM: {field: AETERM}\n", 2,
     "not valid YAML: could not find expected ':' (scanning a simple key started here)"),
    # PyYAML's own line is right for these
    ("domain: AE\nlabel: a: b\n", 2, "not valid YAML: mapping values are not allowed here"),
    ("domain: AE\nvariables:\n  AETERM: {field: AETERM}\n AEDECOD: {field: AEDECOD}\n", 4,
     "not valid YAML: expected <block end>, but found '<block mapping start>'"),
]


@pytest.mark.parametrize(("text", "line", "message"), CASES)
def test_syntax_error_names_the_line_of_the_mistake(tmp_path: Path, text, line, message):
    path = tmp_path / "ae.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as exc:
        load_yaml(path)
    assert (exc.value.line, exc.value.message) == (line, message)
    assert str(exc.value) == f"{path}:{line}: {message}"
