"""The benchmark's synthetic study is valid input for the example study's mappings."""

from pathlib import Path

from benchmarks.synth import LB_PER_SUBJECT, generate
from cdiscflow.sdtm.engine import Engine
from cdiscflow.spec import load_study

STUDY = Path(__file__).resolve().parent.parent / "mappings" / "nct04014166"


def test_synthetic_study_converts_without_defects(tmp_path):
    n = generate(tmp_path / "raw", 3 * LB_PER_SUBJECT)
    assert n == 3
    engine = Engine(load_study(STUDY), tmp_path / "raw")
    results = engine.run()
    assert engine.defects.defects == []
    assert len(results["LB"].data) == 3 * LB_PER_SUBJECT
    assert len(results["EX"].data) == 12 and len(results["AE"].data) == 6
    assert all(r.recon.balanced for r in results.values())


def test_generation_is_deterministic(tmp_path):
    generate(tmp_path / "a", 2 * LB_PER_SUBJECT)
    generate(tmp_path / "b", 2 * LB_PER_SUBJECT)
    for f in sorted((tmp_path / "a").iterdir()):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes(), f.name


def test_tree_memory_counts_a_process_and_its_children():
    import os
    import subprocess
    import sys

    from benchmarks.stages import _pss_kb, _tree

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        tree = _tree(os.getpid())
        assert tree[0] == os.getpid() and child.pid in tree
        assert _pss_kb(os.getpid()) > 1000 and _pss_kb(child.pid) > 0
        assert _pss_kb(2**22 + 12345) == 0  # no such process
    finally:
        child.kill()
        child.wait()


def test_plain_pandas_peer_counts_the_checks_it_makes():
    import pandas as pd

    from benchmarks.peer_validate import plain_pandas_checks

    dm = pd.DataFrame({"STUDYID": ["S", "S"], "DOMAIN": ["DM", "DM"], "USUBJID": ["A", "B"],
                       "SEX": ["F", "X"]})  # X: not a SEX term
    lb = pd.DataFrame({
        "STUDYID": ["S"] * 4, "DOMAIN": ["LB"] * 4,
        "USUBJID": ["A", "A", "Z", "A"],  # Z: not in DM
        "LBSEQ": [1, 1, 2, 3],  # (A, 1) twice
        "LBTESTCD": ["PLAT", "PLAT", "NOTATEST", "PLAT"],  # not an LBTESTCD term
        "LBDTC": ["2021-03-10", "10/03/2021", "2021-03-10", ""],  # not ISO 8601
        "LBSTRESN": [5, 5, 5, "abc"],  # not a number
    })
    assert plain_pandas_checks({"DM": dm, "LB": lb}) == 6
