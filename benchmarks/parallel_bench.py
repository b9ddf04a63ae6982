"""Parallel replications through the command line: ``twin run`` with ``--jobs 1`` and
``--jobs N``, alternating, best of ``--repeat``.

    python benchmarks/parallel_bench.py                       # 8 x the baseline year
    python benchmarks/parallel_bench.py --days 60 --repeat 1  # a quick look
    python benchmarks/parallel_bench.py --old /tmp/old-twin   # also an older checkout

Each timing is the wall-clock time of the whole command (start-up, replications,
KPIs, result files and report), as a user sees it. With ``--old PATH`` the same
commands run on the twin source tree at PATH too (its package on ``PYTHONPATH``),
interleaved with this one, so both see the same machine load.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(source: Path, days: int, replications: int, jobs: int, out: Path) -> float:
    """Seconds of one ``twin run`` of the baseline on the source tree ``source``."""
    command = [sys.executable, "-m", "twin", "run", str(ROOT / "scenarios" / "baseline.yaml"),
               "--set", f"run.horizon_days={days}", "--replications", str(replications),
               "--jobs", str(jobs), "--out", str(out), "--force"]
    env = {**os.environ, "PYTHONPATH": str(source)}
    started = time.perf_counter()
    subprocess.run(command, cwd=source, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--old", type=Path, default=None,
                        help="another twin source tree to time the same way")
    args = parser.parse_args()
    trees = {"this": ROOT, **({"old": args.old.resolve()} if args.old else {})}
    best: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            for label, tree in trees.items():
                for jobs in (1, args.jobs):
                    seconds = timed(tree, args.days, args.replications, jobs,
                                    Path(tmp) / f"{label}-{jobs}")
                    key = (label, jobs)
                    best[key] = min(best.get(key, float("inf")), seconds)
                    print(f"{label} --jobs {jobs}: {seconds:.1f} s", flush=True)
    print(f"\nbest of {args.repeat}, {args.replications} replications of {args.days} days:")
    for label in trees:
        one, many = best[(label, 1)], best[(label, args.jobs)]
        print(f"{label}: --jobs 1 {one:.1f} s, --jobs {args.jobs} {many:.1f} s, "
              f"speed-up {one / many:.2f}x")


if __name__ == "__main__":
    main()
