"""A million-order year: the realistic baseline scaled up, through ``twin.simulate``.

    python benchmarks/year_bench.py                   # 365 days, about 1,000,000 issues
    python benchmarks/year_bench.py --days 91         # a quarter year first
    python benchmarks/year_bench.py --profile 25      # and the 25 costliest functions

``scenarios/baseline.yaml`` (28 grids, rotas, non-case work, work orders with
callbacks, oversight and repeat requests, disputes, events, working-time limits:
every mechanism it has stays on) with ``--scale`` times the residents per grid
and ``--scale`` times every staff count, so each person's load is the file's
(the default, 50, gives about 2,740 issues a day). The run happens in a child
process, so its peak RSS (``ru_maxrss``) is its own; the map is built before the
timer starts. Prints one JSON line: issues, wall time of ``simulate`` [s],
issues/s, peak RSS [MB], RSS before ``simulate`` [MB].
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def _scale_staff(block: dict[str, Any], scale: int) -> None:
    """Multiply a block's staff counts (its own, its duty's) by ``scale``."""
    for key in ("staff", "per_grid"):
        if type(block.get(key)) is int:
            block[key] *= scale
    rota = block.get("rota") or {}
    duty = rota.get("duty") or {}
    for turn in duty.values():
        if isinstance(turn, dict) and type(turn.get("staff")) is int:
            turn["staff"] *= scale


def scaled_scenario(scale: int, staff: int, days: float, directory: Path) -> Path:
    """Write the baseline with ``scale`` times the residents and ``staff`` times every
    staff count; return its path."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["name"] = f"baseline_x{scale}"
    data["grids"]["residents"] *= scale
    _scale_staff(data["workforce"], staff)
    for unit in data["work_orders"]["units"]:
        _scale_staff(unit, staff)
    _scale_staff(data["work_orders"]["centre"], staff)
    data["run"]["horizon_days"] = days
    data["run"]["warmup_days"] = min(data["run"]["warmup_days"], days / 4)
    path = directory / f"baseline_x{scale}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child(path: Path, profile: int) -> None:
    """Build the map, run one replication, print the figures as JSON."""
    import twin
    from twin.geography import build_community
    from twin.model import simulate

    scenario = twin.load_scenario(path)
    community = build_community(scenario)
    before = _rss_mb()
    prof = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if prof is not None:
        prof.enable()
    records = simulate(scenario, 0, community)
    if prof is not None:
        prof.disable()
    wall = time.perf_counter() - started
    out = {"issues": records.n_events, "simulate_s": round(wall, 2),
           "issues_per_s": round(records.n_events / wall),
           "peak_rss_mb": round(_rss_mb()), "rss_before_mb": round(before),
           "activity_rows": len(records.activity), "complaints": len(records.complaints)}
    if prof is not None:
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(profile)
        sys.stderr.write(text.getvalue())
    sys.stdout.write(json.dumps(out) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--scale", type=int, default=50)
    parser.add_argument("--staff", type=int, default=20,
                        help="times every staff count (the file's people are far from busy)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the N functions with the most own time (cProfile)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.profile)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = scaled_scenario(args.scale, args.staff, args.days, Path(tmp))
        proc = subprocess.run([sys.executable, __file__, "--child", str(path),
                               "--profile", str(args.profile)], check=True,
                              stdout=subprocess.PIPE, text=True)
    sys.stdout.write(proc.stdout)


if __name__ == "__main__":
    main()
