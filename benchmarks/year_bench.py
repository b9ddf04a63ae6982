"""A million-order year: the realistic baseline scaled up, through ``twin.simulate``.

    python benchmarks/year_bench.py                   # 365 days, about 1,000,000 issues
    python benchmarks/year_bench.py --days 91         # a quarter year first
    python benchmarks/year_bench.py --profile 25      # and the 25 costliest functions

``scenarios/baseline.yaml`` (rotas, non-case work, work orders with callbacks,
oversight and repeat requests, disputes, events, working-time limits: every
mechanism it has stays on) scaled to a district with each person's load the
file's: the same streets cut into ``--grids`` times as many grids (default 5x2:
280 grids of 2 x 4 intersections instead of 28 of 10 x 8), ``--scale`` times the
residents per grid and ``--staff`` times each grid's own staff (grid workers,
property staff), and ``--staff`` times the grid factor for the district-wide units,
the centre and the shared duty roster (default 5, 5: 50 times the file's demand,
about 2,740 issues a day, and 50 times its people). The run happens in a child
process, so its peak RSS (``ru_maxrss``) is its own; the map is built before the
timer starts. Prints one JSON line: issues, wall time of ``simulate`` [s],
issues/s, peak RSS [MB], RSS before ``simulate`` [MB], and two checks that the
queues are stable: the open issues at the end of every 30 days (``--every``) and the busy share
(travel and on site over on-duty time) of each kind of staff.
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


def _scale_staff(block: dict[str, Any], scale: int, district: int) -> None:
    """Multiply a block's staff counts by ``scale`` (per grid) or ``district`` (one
    pool for the community, including a shared duty roster)."""
    per_grid = block.get("per_grid") is True or type(block.get("per_grid")) is int
    own = scale if per_grid else district
    if type(block.get("per_grid")) is int:
        block["per_grid"] *= scale
    elif type(block.get("staff")) is int:
        block["staff"] *= own
    rota = block.get("rota") or {}
    duty = rota.get("duty") or {}
    shared = per_grid and not duty.get("shared", False)
    for turn in duty.values():
        if isinstance(turn, dict) and type(turn.get("staff")) is int:
            turn["staff"] *= scale if shared else district


def scaled_scenario(scale: int, staff: int, grids: tuple[int, int], days: float,
                    directory: Path) -> Path:
    """Write the baseline with its lattice cut into ``grids`` (rows, cols) times as many
    blocks, ``scale`` times the residents per grid and ``staff`` times each grid's own
    staff (times the number of grids for district-wide staff); return its path."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    times = grids[0] * grids[1]
    data["name"] = f"baseline_x{scale * times}"
    blocks = data["grids"]["blocks"]
    data["grids"]["blocks"] = [blocks[0] * grids[0], blocks[1] * grids[1]]
    data["grids"]["residents"] *= scale
    district = staff * times
    _scale_staff(data["workforce"], staff, district)
    for unit in data["work_orders"]["units"]:
        _scale_staff(unit, staff, district)
    _scale_staff(data["work_orders"]["centre"], staff, district)
    data["run"]["horizon_days"] = days
    data["run"]["warmup_days"] = min(data["run"]["warmup_days"], days / 4)
    path = directory / f"baseline_x{scale * times}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def stability(records: Any, days: float, every: float) -> dict[str, Any]:
    """Open issues (an order: until closed) at the end of every ``every`` days, and each
    kind's busy share (travel and on site over on-duty time, non-case work and time off
    left out)."""
    import numpy as np

    issues = records.issues
    reported = issues["t_reported"].to_numpy()
    resolved = issues["t_resolved"].to_numpy()
    if len(records.orders):  # a work order is done when it is closed
        closed = records.orders.set_index("issue_id")["t_closed"]
        closed = closed[~closed.index.duplicated()]
        ids = closed.index.to_numpy()
        resolved = resolved.copy()
        resolved[ids] = closed.to_numpy()
    ends = np.arange(every, days + 1e-9, every) * 1440.0
    open_at = [int(((reported <= t) & ~(resolved <= t)).sum()) for t in ends]
    act = records.activity
    span = act["t_end"] - act["t_start"]
    state = act["state"].astype(str)
    busy = span.where(state.isin(["travel", "on_site"]), 0.0)
    duty = span.where(~state.isin(["off_shift", "noncase"]), 0.0)
    frame = {"busy": busy.groupby(act["kind"], observed=True).sum(),
             "duty": duty.groupby(act["kind"], observed=True).sum()}
    share = {str(k): round(float(frame["busy"][k] / frame["duty"][k]), 3)
             for k in frame["duty"].index if frame["duty"][k] > 0}
    return {f"open_every_{every:g}_days": open_at, "busy_share": share}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child(path: Path, profile: int, every: float) -> None:
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
    out.update(stability(records, scenario.run.horizon_days, every))
    if prof is not None:
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(profile)
        sys.stderr.write(text.getvalue())
    sys.stdout.write(json.dumps(out) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=365.0)
    parser.add_argument("--scale", type=int, default=5, help="times the residents per grid")
    parser.add_argument("--staff", type=int, default=5,
                        help="times each grid's own staff (district-wide: times the grids too)")
    parser.add_argument("--grids", default="5x2", metavar="RxC",
                        help="times the grids' rows and columns (the lattice, 40 x 56, "
                             "stays; 28 grids become 4R x 7C)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the N functions with the most own time (cProfile)")
    parser.add_argument("--every", type=float, default=30.0, metavar="DAYS",
                        help="count the open issues at the end of every DAYS days")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.profile, args.every)
        return
    with tempfile.TemporaryDirectory() as tmp:
        rows, cols = (int(x) for x in args.grids.lower().split("x"))
        path = scaled_scenario(args.scale, args.staff, (rows, cols), args.days, Path(tmp))
        proc = subprocess.run([sys.executable, __file__, "--child", str(path),
                               "--profile", str(args.profile), "--every", str(args.every)],
                              check=True,
                              stdout=subprocess.PIPE, text=True)
    sys.stdout.write(proc.stdout)


if __name__ == "__main__":
    main()
