"""The engine is study-agnostic: no Python file under cdiscflow/ names a study (a new study is
mapping files, never Python)."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cdiscflow"
# the studies of this repository: the example, the paediatric SAA and the SR-aGVHD trials
STUDY_IDS = re.compile(r"NCT04014166|NCT02218437|CTR20221330", re.IGNORECASE)


def test_no_study_identifier_in_engine() -> None:
    hits = []
    for file in sorted(PACKAGE.rglob("*.py")):
        for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if STUDY_IDS.search(line):
                hits.append(f"{file.relative_to(PACKAGE.parent)}:{n}: {line.strip()}")
    assert not hits, "study identifiers in engine code:\n" + "\n".join(hits)


def test_the_check_finds_an_identifier() -> None:
    # guard against a pattern that can never match
    assert STUDY_IDS.search('EXAMPLE = "mappings/nct02218437"')
    assert not STUDY_IDS.search("NCT0401416")
