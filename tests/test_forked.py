"""Work in a forked child: its result, a failed child redone here, a cancelled child stopped."""

from __future__ import annotations

import os
import time

import pytest

from cdiscflow import pipeline
from cdiscflow.forked import Forked
from tests.conftest import write_study


def test_result_is_computed_by_the_child():
    parent = os.getpid()
    job = Forked(lambda: (os.getpid(), {"rows": list(range(5))}))
    pid, payload = job.result()
    assert pid == job.pid and pid != parent
    assert payload == {"rows": [0, 1, 2, 3, 4]}


def test_a_failed_child_is_redone_here():
    parent = os.getpid()

    def work() -> str:
        if os.getpid() != parent:
            raise RuntimeError("only in the child")
        return "done here"
    assert Forked(work).result() == "done here"


def test_an_error_is_raised_as_itself():
    def work() -> None:
        raise ValueError("bad value in row 7")
    with pytest.raises(ValueError, match="bad value in row 7"):
        Forked(work).result()


def test_cancel_stops_the_child():
    job = Forked(lambda: time.sleep(60))
    start = time.monotonic()
    job.cancel()
    assert time.monotonic() - start < 10
    with pytest.raises(ProcessLookupError):
        os.kill(job.pid, 0)


def test_validation_beside_the_run_writes_what_validation_after_it_writes(tmp_path,
                                                                        monkeypatch):
    study = write_study(tmp_path / "mini")
    beside = pipeline.run_study(study, None, tmp_path / "beside")
    monkeypatch.setattr(pipeline, "BACKGROUND_VALIDATION_MAX_RECORDS", -1)
    after = pipeline.run_study(study, None, tmp_path / "after")
    assert beside.validation.findings.equals(after.validation.findings)
    for name in ("validation.json", "validation.html", "validation.xml", "run.json"):
        assert (tmp_path / "beside" / "report" / name).read_bytes() == \
            (tmp_path / "after" / "report" / name).read_bytes()
