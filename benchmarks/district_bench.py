"""The district case: `twin validate` and a short run of scenarios/district.yaml.

    python benchmarks/district_bench.py                 # 3 days, validate + run
    python benchmarks/district_bench.py --days 7 --profile 25

* validate: ``twin validate`` in a child process (wall time; peak memory of the
  child from ``resource.getrusage(RUSAGE_CHILDREN)``), with the same horizon.
* run: in a child process, the map is built (timed apart), then one
  ``twin.simulate`` of the district for ``--days`` days (timed). Orders/s is
  issues reported per second of the simulate call; peak memory is the child's
  maximum resident set, map included.
* ``--profile N`` runs the simulate call under cProfile and prints the N
  functions with the largest own time and the N largest cumulative ones.

Timings on a shared machine are noisy: compare runs interleaved, best of several.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DISTRICT = ROOT / "scenarios" / "district.yaml"
TWIN = [sys.executable, "-m", "twin"]


def _overrides(days: float) -> dict[str, float | int]:
    return {"run.horizon_days": days, "run.warmup_days": min(1.0, days / 4),
            "run.replications": 1}


def time_validate(days: float) -> dict[str, float]:
    """Wall time [s] and peak memory [MB] of `twin validate` in a child process."""
    sets = [a for k, v in _overrides(days).items() for a in ("--set", f"{k}={v}")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run([*TWIN, "validate", str(DISTRICT), *sets], capture_output=True,
                          text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"twin validate failed:\n{done.stdout}{done.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest of any child so far [kB]
    return {"validate_s": wall, "validate_peak_mb": max(peak, before) / 1024}


def run_child(days: float, profile: int) -> dict[str, float]:
    """Build the map and simulate once, here (called in a child process)."""
    import cProfile
    import pstats

    import twin
    from twin.geography import build_community

    scenario = twin.load_scenario(DISTRICT, overrides=_overrides(days))
    start = time.perf_counter()
    community = build_community(scenario)
    built = time.perf_counter() - start
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    records = twin.simulate(scenario, 0, community=community)
    if profiler is not None:
        profiler.disable()
    wall = time.perf_counter() - start
    if profiler is not None:
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("tottime").print_stats(profile)
        stats.sort_stats("cumulative").print_stats(profile)
    issues = int(records.n_events)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"days": days, "map_s": built, "simulate_s": wall, "issues": issues,
            "orders_per_s": issues / wall, "run_peak_mb": peak,
            "searches": community.travel.searches}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=3.0, help="horizon [days]")
    parser.add_argument("--profile", type=int, default=0, help="print N profile rows")
    parser.add_argument("--skip-validate", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.stdout.write(json.dumps(run_child(args.days, args.profile)) + "\n")
        return
    out: dict[str, float] = {}
    if not args.skip_validate:
        out.update(time_validate(args.days))
    done = subprocess.run([sys.executable, __file__, "--child", "--days", str(args.days),
                           "--profile", str(args.profile)], stdout=subprocess.PIPE, text=True,
                          check=True)
    out.update(json.loads(done.stdout.strip().splitlines()[-1]))
    for key, value in out.items():
        sys.stdout.write(f"{key:>18}: {value:,.2f}\n")


if __name__ == "__main__":
    main()
