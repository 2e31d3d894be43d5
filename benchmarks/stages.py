"""One benchmark stage, run in a fresh process so its peak memory is its own.

``python -m benchmarks.stages STAGE WORKDIR`` prints one JSON object: the seconds the measured
work took (imports and setup excluded) and the process's peak resident memory.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

STUDY = Path(__file__).resolve().parent.parent / "mappings" / "nct04014166"


def _lb_frame(work: Path):  # noqa: ANN202 - a DataFrame
    import pandas as pd

    return pd.read_parquet(work / "lb.parquet", dtype_backend="pyarrow").astype(
        {c: "string" for c in ("STUDYID", "DOMAIN", "USUBJID")})


def _prepare(work: Path) -> Callable[[], object]:
    """Setup for each stage; returns the measured work."""
    stage = sys.argv[1]
    raw = work / "raw"
    if stage == "read_raw":
        from cdiscflow.raw import read_form

        return lambda: read_form(raw / "labs.csv")
    if stage == "read_raw_peer":
        import pandas as pd

        return lambda: pd.read_csv(raw / "labs.csv", dtype=str, keep_default_na=False)
    if stage in ("map_derive", "map_derive_peer", "end_to_end_inproc"):
        # map_derive_peer runs this same code with ``cdiscflow`` imported from the previous
        # release (benchmarks/peer_release.py puts it first on the path): the same harness,
        # study and raw data, only the engine differs
        from cdiscflow.sdtm.engine import Engine

        try:
            from cdiscflow.specload import load_study
        except ImportError:  # the previous release (the peer) loads specs in cdiscflow.spec
            from cdiscflow.spec import load_study

        # map_derive and its peer read the study both engines know (peer_release.extract_study)
        pinned = work / "map_derive_study" / "mappings" / "nct04014166"
        study = load_study(pinned if stage != "end_to_end_inproc" and pinned.is_dir()
                           else STUDY)
        if stage == "end_to_end_inproc":
            return lambda: Engine(study, raw).run()
        out = work / f"{stage}_out"

        def build() -> None:
            results = Engine(study, raw).run()
            _AFTER.append(lambda: save_results(results, out))
        return build
    if stage == "xpt_write":
        from benchmarks.lbmeta import lb_variables
        from cdiscflow.xpt import write_xpt

        frame = _lb_frame(work)
        variables = lb_variables(frame)
        import datetime as dt

        return lambda: write_xpt(frame, work / "lb_ours.xpt", dataset="LB", label="Laboratory",
                                 variables=variables, created=dt.datetime(2024, 1, 1))
    if stage == "xpt_write_peer":
        import pyreadstat

        frame = _lb_frame(work)
        return lambda: pyreadstat.write_xport(frame, str(work / "lb_peer.xpt"),
                                              file_format_version=5, table_name="LB")
    if stage == "xpt_read":
        from cdiscflow.xpt import read_xpt

        return lambda: read_xpt(work / "lb_ours.xpt")
    if stage == "xpt_read_peer":
        import pyreadstat

        return lambda: pyreadstat.read_xport(str(work / "lb_ours.xpt"))
    if stage == "validate":
        from cdiscflow.validators import validate
        from cdiscflow.validators.data import load_folder

        # reading the XPT files is the xpt_read stage: here only schemas and rules count
        datasets = load_folder(work / "validate")
        return lambda: validate(datasets)
    if stage == "validate_before":
        # the same validation with only the rules that existed before issue 18 (those of
        # validators/rules.py; the schemas did not change): today's time, measured beside the
        # new rules' in one benchmark run
        from cdiscflow.validators import rules as before
        from cdiscflow.validators import validate
        from cdiscflow.validators.data import load_folder

        before.RULE_FUNCTIONS[:] = [(ids, fn) for ids, fn in before.RULE_FUNCTIONS
                                    if fn.__module__ == before.__name__]
        datasets = load_folder(work / "validate")
        return lambda: validate(datasets)
    if stage == "validate_pilot":
        from cdiscflow.validators import validate
        from cdiscflow.validators.data import load_folder

        datasets = load_folder(work / "pilot")
        return lambda: validate(datasets)
    if stage == "validate_pilot_peer":
        return _core(work / "pilot", work / "core-report")
    if stage == "validate_peer":
        from benchmarks.peer_validate import plain_pandas_checks
        from cdiscflow.validators.data import load_folder

        frames = {ds.name: ds.frame for ds in load_folder(work / "validate")}
        return lambda: plain_pandas_checks(frames)
    if stage in ("end_to_end", "full_run", "full_run_whole"):
        # end_to_end: raw -> SDTM -> define.xml -> validated (`--no-adam`); full_run adds ADaM
        # and the report, by default in subject chunks (at least one per CPU); full_run_whole
        # builds SDTM in one piece, in one process: its output must equal full_run's byte for
        # byte
        out = work / f"{stage}_out"
        cmd = [str(Path(sys.executable).parent / "cdiscflow"), "run", str(STUDY), "--raw",
               str(raw), "--out", str(out)]
        if stage == "end_to_end":
            cmd += ["--no-adam"]
        if stage == "full_run_whole":
            cmd += ["--chunk-records", "0", "--workers", "1"]

        def run() -> None:
            shutil.rmtree(out, ignore_errors=True)
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
            sampler = _TreeMemory(proc.pid)
            sampler.start()
            stdout, stderr = proc.communicate()
            sampler.stop()
            _TREE_PEAK_MB.append(sampler.peak_mb)
            # the synthetic study is clean: anything but 0 is a failure (a crash exits 1 too)
            if proc.returncode != 0:
                raise SystemExit(f"cdiscflow run failed:\n{stdout}\n{stderr}")
        return run
    raise SystemExit(f"unknown stage {stage}")


def core_command() -> list[str] | None:
    """CDISC CORE offline (the kit beside the repository, or $CDISCFLOW_CORE) when it and a
    Python 3.12 for it are present; None otherwise."""
    import glob
    import os

    kit = Path(os.environ.get("CDISCFLOW_CORE") or
               Path(__file__).resolve().parents[2] / "shared" / "core-kit" / "core")
    py312 = shutil.which("python3.12") or next(iter(sorted(glob.glob(
        os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")))), None)
    if not kit.is_file() or py312 is None:
        return None
    return [str(kit), str(Path(py312).parent)]


def _core(folder: Path, report: Path) -> Callable[[], object]:
    import os

    found = core_command()
    if found is None:
        raise SystemExit("CDISC CORE or Python 3.12 not found")
    kit, py_dir = found
    # the real interpreter first on PATH: a pyenv shim for a version not selected fails
    env = {**os.environ, "PATH": py_dir + os.pathsep + os.environ.get("PATH", "")}

    def run() -> None:
        proc = subprocess.Popen([kit, str(folder), str(report)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
        sampler = _TreeMemory(proc.pid)
        sampler.start()
        stdout, stderr = proc.communicate()
        sampler.stop()
        _TREE_PEAK_MB.append(sampler.peak_mb)
        if proc.returncode != 0:
            raise SystemExit(f"CORE failed:\n{stdout}\n{stderr}")
    return run


# the largest memory of a run's whole process tree (worker processes included)
_TREE_PEAK_MB: list[float] = []


class _TreeMemory(threading.Thread):
    """Samples the proportional set size (PSS) summed over a process and its descendants:
    pages forked workers share with their parent are counted once, not once per process."""

    def __init__(self, root: int, every_s: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.root, self.every_s, self.peak_mb = root, every_s, 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.every_s):
            self.peak_mb = max(self.peak_mb, sum(_pss_kb(p) for p in _tree(self.root)) / 1024)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# work done after the clock stopped (saving a stage's output to compare it with its peer's)
_AFTER: list[Callable[[], None]] = []


def save_results(results: dict, out: Path) -> None:
    """The SDTM frames a map_derive run built (data, SUPP--, lineage, run report counts), as
    Parquet and JSON under ``out``, once: the run and its peer must have built the same."""
    if out.exists():
        return
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    counts = {}
    for name, result in results.items():
        result.data.to_parquet(tmp / f"{name}.parquet")
        result.lineage.to_parquet(tmp / f"{name}.lineage.parquet")
        if result.supp is not None:
            result.supp.to_parquet(tmp / f"{name}.supp.parquet")
        counts[name] = {"recon": result.recon.as_dict(), "labels": result.labels}
    (tmp / "counts.json").write_text(json.dumps(counts, indent=1, sort_keys=True))
    tmp.rename(out)


def main() -> None:
    work = Path(sys.argv[2])
    job = _prepare(work)
    cpu, start = time.process_time(), time.perf_counter()
    job()
    seconds = time.perf_counter() - start
    # CPU seconds of the process (all its threads): on a machine shared with other jobs a
    # steadier figure than the wall clock, which waits for a core
    cpu_seconds = time.process_time() - cpu
    peak = max(_TREE_PEAK_MB) if _TREE_PEAK_MB else max(_own_peak_mb(), _children_peak_mb())
    for after in _AFTER:
        after()
    import cdiscflow

    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss_mb": peak,
                      "cdiscflow": str(Path(cdiscflow.__file__).parent)}))


def _own_peak_mb() -> float:
    # VmHWM starts afresh with this process's image; ru_maxrss may carry the parent's over exec
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


if __name__ == "__main__":
    main()
