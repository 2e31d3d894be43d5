"""The benchmark's synthetic study is valid input for the example study's mappings."""

from pathlib import Path

from benchmarks.synth import LB_PER_SUBJECT, generate
from cdiscflow.sdtm.engine import Engine
from cdiscflow.specload import load_study

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


def test_map_derive_output_saved_and_compared_with_the_peers(tmp_path):
    """The map_derive peer's proof of same data: each saved frame and count compared."""
    from benchmarks.peer_release import same_outputs
    from benchmarks.stages import save_results

    generate(tmp_path / "raw", 2 * LB_PER_SUBJECT)
    results = Engine(load_study(STUDY), tmp_path / "raw").run()
    save_results(results, tmp_path / "a")
    save_results(results, tmp_path / "b")
    assert sorted(p.name for p in (tmp_path / "a").iterdir())[:4] == [
        "AE.lineage.parquet", "AE.parquet", "AE.supp.parquet", "CM.lineage.parquet"]
    assert same_outputs(tmp_path / "a", tmp_path / "b") == []
    lb = results["LB"].data.copy()
    lb.loc[5, "LBSTRESN"] = 1.5
    lb.to_parquet(tmp_path / "b" / "LB.parquet")
    (tmp_path / "b" / "counts.json").write_text("{}")
    found = same_outputs(tmp_path / "a", tmp_path / "b")
    assert [f.split(":")[0] for f in found] == ["LB.parquet", "counts.json"]


def test_previous_release_extracted_from_history(tmp_path):
    import subprocess

    import pytest

    from benchmarks.peer_release import PEER_COMMIT, REPO, extract_release

    if subprocess.run(["git", "-C", str(REPO), "cat-file", "-e", PEER_COMMIT],
                      capture_output=True).returncode != 0:
        pytest.skip("no git history here")
    assert extract_release(tmp_path, PEER_COMMIT) == tmp_path
    engine = (tmp_path / "cdiscflow" / "sdtm" / "engine.py").read_text()
    # before issue 15 the engine was one class that interpreted every source kind
    assert "def _check_variable(" in engine and not (tmp_path / "cdiscflow" / "sdtm" /
                                                     "sources").exists()
    assert extract_release(tmp_path / "x", "0" * 40) is None
    assert not (tmp_path / "x").exists()
