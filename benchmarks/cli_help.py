"""``python -m benchmarks.cli_help [--repeat R] [--limit S]``: how long the command line takes to
answer ``--help`` and shell completion, each in a fresh process as a shell would start it.

Prints the median wall time of each and exits 1 when one is above the limit (default 0.5 s):
this is the help-time check of issue 19, kept out of the unit tests because a shared machine's
timings are not a test (tests/test_cli_loop.py checks the cause instead: no heavy import).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

# what a user's shell runs: the help pages and a bash completion of the command names and of
# run's options (click's completion protocol)
CASES = {
    "cdiscflow --help": (["--help"], {}),
    "cdiscflow run --help": (["run", "--help"], {}),
    "cdiscflow trace --help": (["trace", "--help"], {}),
    "complete `cdiscflow `": ([], {"_CDISCFLOW_COMPLETE": "bash_complete",
                                  "COMP_WORDS": "cdiscflow ", "COMP_CWORD": "1"}),
    "complete `cdiscflow run --`": ([], {"_CDISCFLOW_COMPLETE": "bash_complete",
                                        "COMP_WORDS": "cdiscflow run --", "COMP_CWORD": "2"}),
}


def _time(args: list[str], env: dict[str, str]) -> float:
    # the console script is `cdiscflow = cdiscflow.cli:main`; calling main() the same way keeps
    # the measurement independent of where the script was installed
    code = "import sys; from cdiscflow.cli import main; sys.argv[0] = 'cdiscflow'; main()"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env={**os.environ, **env})
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"{args or env}: exit {done.returncode}\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=float, default=0.5, help="seconds")
    opts = parser.parse_args()
    slow = []
    for name, (args, env) in CASES.items():
        median = statistics.median(_time(args, env) for _ in range(opts.repeat))
        print(f"{name:32} median {median:.3f} s over {opts.repeat} runs")
        if median > opts.limit:
            slow.append(name)
    if slow:
        raise SystemExit(f"above {opts.limit} s: {', '.join(slow)}")
    print(f"all under {opts.limit} s")


if __name__ == "__main__":
    main()
