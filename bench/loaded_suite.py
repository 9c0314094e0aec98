"""Run the test suite several times with every core kept busy, to find flaky tests.

    python -m bench.loaded_suite --runs 5 -- -m e2e -q

Starts one bounded busy-loop process per core (each stops by itself after
--burn seconds, and is killed when the runs end), runs pytest --runs times
with the arguments after `--`, and prints each run's outcome, the failed test
ids, and how many consecutive runs passed. Not collected by pytest (bench/).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections import Counter

BURN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"
FAILED = re.compile(r"^(?:FAILED|ERROR) (.+)$", re.MULTILINE)


def burners(count: int, seconds: float) -> list[subprocess.Popen[bytes]]:
    """Busy-loops that end on their own after `seconds` even if we are killed."""
    code = BURN.format(seconds=seconds)
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(count)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--burn", type=float, default=3600.0, help="busy-loop time limit (s)")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args(argv)
    loops = burners(args.cores, args.burn)
    failures: Counter[str] = Counter()
    streak = best = 0
    try:
        for n in range(1, args.runs + 1):
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rfE",
                 *args.pytest_args],
                capture_output=True, text=True, check=False,
            )
            failed = FAILED.findall(done.stdout)
            failures.update(line.split(" ", 1)[0] for line in failed)
            streak = streak + 1 if done.returncode == 0 else 0
            best = max(best, streak)
            tail = done.stdout.strip().splitlines()[-1:] or ["(no output)"]
            took = time.monotonic() - started
            print(f"run {n}: exit {done.returncode} in {took:.0f}s: {tail[0]}", flush=True)
            for line in failed:
                print(f"    {line[:300]}", flush=True)
            if done.returncode not in (0, 1):
                print(done.stdout[-3000:], done.stderr[-3000:], sep="\n", flush=True)
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    print(f"consecutive passing runs at the end: {streak}; longest streak: {best}")
    for test_id, count in failures.most_common():
        print(f"{count}x {test_id}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
