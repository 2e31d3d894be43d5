"""The previous release's SDTM engine as the peer of ``map_derive``.

Issue 15 restructured the engine (one module per source and step kind) and then made it
faster; its proof is a run of the engine as it was before, on the same study in the same
benchmark run. The release is the package at ``PEER_COMMIT`` (the last commit before the
issue's engine work), extracted from this repository's history with ``git archive``; its stage
runs with that copy first on the import path, everything else (harness, study, raw data) the
same.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
PEER_COMMIT = "1e2b474"  # define.xml: a variable's where condition in its origin or method
# the example study's mapping files as both engines read them: those of the last measurement
# (benchmarks/RESULTS.md); later ones use constructs the previous release does not know
# (``expr:`` sources, ``trial_design``, TS null flavours), which it refuses on load
STUDY_COMMIT = "085b0d8"
STUDY_PATH = "mappings/nct04014166"


def extract_release(into: Path, commit: str = PEER_COMMIT, path: str = "cdiscflow"
                    ) -> Path | None:
    """``path`` (the package) as of ``commit`` in ``into``; None (and nothing written) where
    git or the commit is not available (a copy of the code without its history)."""
    try:
        done = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", commit,
                               path], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def extract_study(work: Path) -> Path | None:
    """The study map_derive and its peer both build (``STUDY_PATH`` as of ``STUDY_COMMIT``),
    in ``work/map_derive_study``; None where git or the commit is not available."""
    into = work / "map_derive_study"
    if extract_release(into, STUDY_COMMIT, STUDY_PATH) is None:
        return None
    return into / STUDY_PATH


def same_outputs(ours: Path, peer: Path) -> list[str]:
    """What differs between two saved map_derive outputs (benchmarks.stages.save_results):
    every frame compared value for value with its column names and types, and the run
    report's counts; an empty list when they are the same data."""
    differences = []
    names_ours = sorted(p.name for p in ours.iterdir())
    names_peer = sorted(p.name for p in peer.iterdir())
    if names_ours != names_peer:
        return [f"files differ: {names_ours} / {names_peer}"]
    for name in names_ours:
        if name.endswith(".json"):
            if (ours / name).read_text() != (peer / name).read_text():
                differences.append(name)
            continue
        a, b = pd.read_parquet(ours / name), pd.read_parquet(peer / name)
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        except AssertionError as exc:
            differences.append(f"{name}: {str(exc).splitlines()[0]}")
    return differences
