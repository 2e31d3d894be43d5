"""Where map_derive's time goes: CPU milliseconds per domain and step of one SDTM build.

    python -m benchmarks.steps WORKDIR [--lb-records N] [--repeat 3] [--top 40]
    python -m benchmarks.steps WORKDIR --against OTHER_CHECKOUT [--repeat 5]

WORKDIR keeps the synthetic study between runs (made with ``--lb-records`` records on the
first run, then reused), with the mapping files map_derive and its peer read. Each repeat is a
fresh process; the table gives each step's median CPU time: a domain's rows (``rows``: its raw
form through its steps), each variable, and finishing (``finish``). The total is the build's
own CPU and wall time, as map_derive measures them.

``--against`` compares this checkout with another one (a ``git worktree`` of the commit
before a change): builds of the two alternate, one fresh process each, so a busy machine
slows both alike, and the table gives both medians and their ratio per domain and step.
"""

from __future__ import annotations

import argparse
import json
import os
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


def _builds(code: Path, work: Path, repeat: int, other: Path | None = None
            ) -> dict[Path, list[dict]]:
    """``repeat`` fresh builds with the package of ``code`` (and of ``other``, alternating)."""
    runs: dict[Path, list[dict]] = {code: [], **({other: []} if other else {})}
    for _ in range(repeat):
        for tree in runs:
            env = {**os.environ, "PYTHONPATH": str(tree)}
            done = subprocess.run([sys.executable, "-m", "benchmarks.steps", str(work.resolve()),
                                   "--one"], capture_output=True, text=True, check=True,
                                  cwd=tree, env=env)
            runs[tree].append(json.loads(done.stdout.strip().splitlines()[-1]))
    return runs


def _medians(runs: list[dict]) -> dict[str, float]:
    """Median CPU seconds per step, per domain (``DM (all steps)``) and of the build."""
    keys = {k for r in runs for k in r["steps"]}
    out = {k: statistics.median(r["steps"].get(k, 0.0) for r in runs) for k in keys}
    for domain in {k.split()[0] for k in keys}:
        out[f"{domain} (all steps)"] = statistics.median(
            sum(v for k, v in r["steps"].items() if k.split()[0] == domain) for r in runs)
    out["build CPU"] = statistics.median(r["cpu"] for r in runs)
    out["build wall"] = statistics.median(r["wall"] for r in runs)
    return out


def _table(title: str, medians: list[dict[str, float]], names: list[str], top: int):
    from rich.table import Table

    table = Table(title=title)
    table.add_column("domain step")
    for name in names:
        table.add_column(f"{name} CPU ms", justify="right")
    if len(medians) == 2:
        table.add_column("ratio", justify="right")
    totals = [k for k in medians[0] if "(all steps)" in k or k.startswith("build ")]
    steps = sorted((k for k in medians[0] if k not in totals), key=lambda k: -medians[0][k])
    totals.sort(key=lambda k: (k.startswith("build "), -medians[0][k]))
    for key in steps[:top] + totals:
        values = [m.get(key, 0.0) for m in medians]
        label = f"[bold]{key}" if key in totals else key
        cells = [f"{v * 1000:.1f}" for v in values]
        if len(values) == 2:
            cells.append(f"{values[1] / values[0]:.3f}" if values[0] else "-")
        table.add_row(label, *cells)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.steps")
    parser.add_argument("work", type=Path)
    parser.add_argument("--lb-records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout of cdiscflow to compare with, build by build")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one_build(args.work)))
        return
    _prepare(args.work, args.lb_records)
    here = Path(__file__).resolve().parents[1]
    other = args.against.resolve() if args.against else None
    runs = _builds(here, args.work, args.repeat, other)
    from rich.console import Console

    if other is None:
        table = _table(f"CPU per step, median of {args.repeat} builds", [_medians(runs[here])],
                       ["this"], args.top)
    else:
        table = _table(f"CPU per step, median of {args.repeat} builds each, alternating "
                       f"(ratio: this / other)", [_medians(runs[other]), _medians(runs[here])],
                       ["other", "this"], args.top)
    Console(width=110).print(table)


if __name__ == "__main__":
    main()
