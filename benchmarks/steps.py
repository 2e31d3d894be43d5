"""Where map_derive's time goes: CPU milliseconds per domain and step of one SDTM build.

    python -m benchmarks.steps WORKDIR [--lb-records N] [--repeat 3] [--top 40]

WORKDIR keeps the synthetic study between runs (made with ``--lb-records`` records on the
first run, then reused), with the mapping files map_derive and its peer read. Each repeat is a
fresh process; the table gives each step's median CPU time: a domain's rows (``rows``: its raw
form through its steps), each variable, and finishing (``finish``). The total is the build's
own CPU and wall time, as map_derive measures them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path


def _one_build(work: Path) -> dict:
    """One build in this process, timed per step (monkeypatched timers around the engine's
    three kinds of step; the engine itself is unchanged)."""
    from cdiscflow.sdtm import engine
    from cdiscflow.specload import load_study

    times: dict[str, float] = {}

    def timed(key: str, call, *args):  # noqa: ANN001, ANN202 - a pass-through timer
        start = time.process_time()
        out = call(*args)
        times[key] = times.get(key, 0.0) + time.process_time() - start
        return out

    variable, start_rows, finish = (engine.Engine._variable, engine.Engine._start,
                                    engine.finish_domain)
    engine.Engine._variable = lambda self, ld, frame, name: timed(
        f"{ld.spec.domain} {name}", variable, self, ld, frame, name)
    engine.Engine._start = lambda self, ld: timed(f"{ld.spec.domain} rows", start_rows,
                                                  self, ld)
    engine.finish_domain = lambda work_: timed(f"{work_.loaded.spec.domain} finish", finish,
                                               work_)
    pinned = work / "map_derive_study" / "mappings" / "nct04014166"
    study = load_study(pinned)
    wall, cpu = time.perf_counter(), time.process_time()
    engine.Engine(study, work / "raw").run()
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
            "steps": times}


def _prepare(work: Path, lb_records: int) -> None:
    from benchmarks.peer_release import extract_study
    from benchmarks.synth import generate

    if not (work / "raw" / "labs.csv").exists():
        generate(work / "raw", lb_records)
    if not (work / "map_derive_study").is_dir() and extract_study(work) is None:
        raise SystemExit("git or the pinned study's commit not found")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.steps")
    parser.add_argument("work", type=Path)
    parser.add_argument("--lb-records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one_build(args.work)))
        return
    _prepare(args.work, args.lb_records)
    runs = []
    for _ in range(args.repeat):
        done = subprocess.run([sys.executable, "-m", "benchmarks.steps", str(args.work),
                               "--one"], capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    steps = {k: statistics.median(r["steps"].get(k, 0.0) for r in runs)
             for k in runs[0]["steps"]}
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"CPU per step, median of {len(runs)} builds")
    table.add_column("domain step")
    table.add_column("CPU ms", justify="right")
    for key, seconds in sorted(steps.items(), key=lambda kv: -kv[1])[:args.top]:
        table.add_row(key, f"{seconds * 1000:.1f}")
    by_domain: dict[str, float] = {}
    for key, seconds in steps.items():
        by_domain[key.split()[0]] = by_domain.get(key.split()[0], 0.0) + seconds
    for domain, seconds in sorted(by_domain.items(), key=lambda kv: -kv[1]):
        table.add_row(f"[bold]{domain} (all steps)", f"{seconds * 1000:.1f}")
    table.add_row("[bold]build CPU", f"{statistics.median(r['cpu'] for r in runs) * 1000:.1f}")
    table.add_row("[bold]build wall", f"{statistics.median(r['wall'] for r in runs) * 1000:.1f}")
    Console(width=100).print(table)


if __name__ == "__main__":
    main()
