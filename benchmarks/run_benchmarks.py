"""Throughput and memory benchmarks of twin against minimal hand-written SimPy models.

Run from the project root (``--quick``: a tenth of the sizes; ``--profile N``: cProfile).

Cases (see benchmarks/README.md):

(a) M/M/c - scenarios/validation/mmc.yaml scaled (c workers, rate c/2 times the
    file's) through ``twin.simulate`` against one SimPy process per customer
    requesting a ``simpy.Resource``.
(b) spatial - a 50 x 50 lattice, nearest idle worker anywhere, 50 and 1,000
    workers, against a minimal dispatcher: long-lived worker processes, FIFO
    backlog, float32 travel-time matrix, numpy masked argmin.
(c) memory - peak RSS of a one-million-issue twin run, DataFrames included, in a child.

Throughput: issues reported per wall-clock second, best of ``--repeat`` runs. Map building
(Dijkstra, the travel matrix) is excluded from both sides and reported separately.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import numpy as np
import simpy
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

import twin
from twin.demand import generate_arrivals
from twin.geography import Community, build_community
from twin.model import MINUTES_PER_DAY
from twin.rng import Streams
from twin.staffing import build_staffing
from twin.theory import mmc_wait

sys.path.insert(0, str(Path(__file__).resolve().parent))
from disputes_bench import case_disputes  # noqa: E402
from orders_bench import case_orders  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MMC_YAML = ROOT / "scenarios" / "validation" / "mmc.yaml"

# (a) M/M/c: the file's rho = 5/h * 20 min / 2 = 0.833, kept while scaling c.
MMC_BASE_RATE = 5.0  # per hour, for c = 2
MMC_SERVICE = 20.0  # min
MMC_C = 20

# (b) spatial: 50 x 50 lattice, 100 m blocks, 80 m/min.
LATTICE = 50
BLOCK = 100.0
SPEED = 80.0
SPATIAL_SERVICE = 60.0  # mean on-site time [min], exponential
# (workers, grid blocks, arrivals per hour over the whole map) - rates set for
# about 73 % and 80 % of worker time busy (travel + on site).
SPATIAL_CASES: tuple[tuple[int, tuple[int, int], float], ...] = (
    (50, (5, 10), 28.5),
    (1000, (10, 10), 760.0),
)

MEMORY_ISSUES = 1_000_000


# ============================================================== helpers
def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls of ``fn`` and the last result."""
    best, out = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def built_map(scenario: twin.Scenario) -> Community:
    """The community with a small map's travel matrix built (else: at its first use)."""
    community = build_community(scenario)
    _ = community.travel.matrix
    return community


def mmc_scenario(c: int, horizon_days: float) -> twin.Scenario:
    """mmc.yaml with c workers and lambda scaled to keep the utilisation."""
    return twin.load_scenario(MMC_YAML, overrides={
        "workforce.per_grid": c,
        "demand.categories.0.rate_per_hour": MMC_BASE_RATE * c / 2,
        "demand.categories.0.service.mean": MMC_SERVICE,
        "run.horizon_days": horizon_days,
        "run.warmup_days": min(5.0, horizon_days / 4),
    })


def spatial_scenario(workers: int, blocks: tuple[int, int], rate_total: float,
                     horizon_days: float) -> twin.Scenario:
    """A 50 x 50 lattice, workers spread over grid centres, nearest idle dispatch."""
    n_grids = blocks[0] * blocks[1]
    return twin.load_scenario(MMC_YAML, overrides={
        "name": f"spatial-{workers}",
        "map.rows": LATTICE,
        "map.cols": LATTICE,
        "map.block_length": BLOCK,
        "map.speed": SPEED,
        "grids.blocks": list(blocks),
        "workforce.per_grid": workers // n_grids,
        "workforce.return_to_base": False,
        "dispatch.policy": "nearest_idle",
        "demand.categories.0.rate_per_hour": rate_total / n_grids,
        "demand.categories.0.service.mean": SPATIAL_SERVICE,
        "run.horizon_days": horizon_days,
        "run.warmup_days": min(1.0, horizon_days / 4),
    })


# ============================================================ (a) minimal M/M/c
def minimal_mmc(lam: float, mean_service: float, c: int, horizon: float, seed: int
                ) -> tuple[int, float]:
    """One SimPy process per customer on a Resource. Returns (issues, mean wait)."""
    rng = np.random.default_rng(seed)
    n = int(rng.poisson(lam * horizon))
    t = np.sort(rng.random(n) * horizon).tolist()
    s = rng.exponential(mean_service, n).tolist()
    env = simpy.Environment()
    servers = simpy.Resource(env, capacity=c)
    start = [math.nan] * n
    end = [math.nan] * n

    def customer(i: int) -> Generator[simpy.Event, Any, None]:
        with servers.request() as req:
            yield req
            start[i] = env.now
            yield env.timeout(s[i])
            end[i] = env.now

    def source() -> Generator[simpy.Event, Any, None]:
        for i, ti in enumerate(t):
            yield env.timeout(ti - env.now)
            env.process(customer(i))

    env.process(source())
    env.run(until=horizon)
    wait = np.asarray(start) - np.asarray(t)
    return n, float(np.nanmean(wait))


def twin_wait_mean(issues: Any) -> float:
    return float((issues["t_on_site"] - issues["t_reported"]).mean())


def case_mmc(quick: bool, repeat: int) -> list[dict[str, Any]]:
    days = 20.0 if quick else 200.0
    scenario = mmc_scenario(MMC_C, days)
    community = built_map(scenario)
    horizon = days * MINUTES_PER_DAY
    lam = MMC_BASE_RATE * MMC_C / 2 / 60.0
    t_twin, rec = best_of(repeat, lambda: twin.simulate(scenario, 0, community=community))
    t_min, (n_min, w_min) = best_of(
        repeat, lambda: minimal_mmc(lam, MMC_SERVICE, MMC_C, horizon, 1))
    n_twin = rec.n_events
    theory = mmc_wait(lam, MMC_SERVICE, MMC_C)
    return [{
        "case": f"(a) M/M/c c={MMC_C}, rho=0.83, {days:g} d",
        "issues": n_twin, "twin_s": t_twin, "twin_rate": n_twin / t_twin,
        "min_issues": n_min, "min_s": t_min, "min_rate": n_min / t_min,
        "note": (f"Wq twin {twin_wait_mean(rec.issues):.2f}, minimal {w_min:.2f}, "
                 f"Erlang C {theory:.2f} min"),
    }]


# ========================================================== (b) minimal spatial
def lattice_travel_matrix(rows: int, cols: int, block: float, speed: float) -> np.ndarray:
    """All-pairs travel times [min] on a lattice, float32."""
    idx = np.arange(rows * cols).reshape(rows, cols)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    n = rows * cols
    adj = coo_matrix((np.full(len(a), block), (a, b)), shape=(n, n)).tocsr()
    return (dijkstra(adj, directed=False) / speed).astype(np.float32)


def draw_spatial(rate_per_min: float, mean_service: float, n_nodes: int, horizon: float,
                 seed: int) -> tuple[list[float], list[int], list[float]]:
    """Poisson arrivals, uniform nodes, exponential service."""
    rng = np.random.default_rng(seed)
    n = int(rng.poisson(rate_per_min * horizon))
    t = np.sort(rng.random(n) * horizon)
    node = rng.integers(0, n_nodes, n)
    service = rng.exponential(mean_service, n)
    return t.tolist(), node.tolist(), service.tolist()


def minimal_spatial(travel: np.ndarray, bases: np.ndarray, t: list[float], node: list[int],
                    service: list[float], horizon: float) -> dict[str, Any]:
    """Nearest idle worker, long-lived workers, FIFO backlog, masked argmin."""
    env = simpy.Environment()
    n, w = len(t), len(bases)
    pos = np.asarray(bases, dtype=np.int64).copy()
    idle = np.zeros(w, dtype=bool)
    wake: list[simpy.Event | None] = [None] * w
    backlog: deque[int] = deque()
    on_site = [math.nan] * n
    resolved = [math.nan] * n
    busy = [0.0]
    inf = np.float32(np.inf)

    def worker(k: int) -> Generator[simpy.Event, Any, None]:
        here = int(bases[k])
        while True:
            if backlog:
                i = backlog.popleft()
            else:
                pos[k] = here
                idle[k] = True
                ev = env.event()
                wake[k] = ev
                i = yield ev
            dest = node[i]
            tt = float(travel[here, dest])
            if tt > 0:
                yield env.timeout(tt)
            on_site[i] = env.now
            yield env.timeout(service[i])
            resolved[i] = env.now
            busy[0] += tt + service[i]
            here = dest

    def source() -> Generator[simpy.Event, Any, None]:
        for i, ti in enumerate(t):
            yield env.timeout(ti - env.now)
            if idle.any():
                k = int(np.argmin(np.where(idle, travel[node[i]][pos], inf)))
                idle[k] = False
                ev = wake[k]
                wake[k] = None
                assert ev is not None
                ev.succeed(i)
            else:
                backlog.append(i)

    for k in range(w):
        env.process(worker(k))
    env.process(source())
    env.run(until=horizon)
    response = np.asarray(on_site) - np.asarray(t)
    return {"n": n, "response": float(np.nanmean(response)),
            "resolved": int(np.isfinite(resolved).sum()),
            "busy": busy[0] / (w * horizon)}


def busy_share(activity: Any, workers: int, horizon: float) -> float:
    act = activity[activity["state"].isin(["travel", "on_site"])]
    return float((act["t_end"] - act["t_start"]).sum()) / (workers * horizon)


def cross_check(scenario: twin.Scenario, community: Community, travel: np.ndarray
                ) -> tuple[float, float]:
    """Both models on the twin's own arrivals: mean response twin vs minimal."""
    horizon = scenario.run.horizon_days * MINUTES_PER_DAY
    arr = generate_arrivals(scenario, community, Streams(scenario.run.seed, 0), horizon)
    bases = build_staffing(scenario, community).base
    mine = minimal_spatial(travel, bases, arr.t.tolist(), arr.node.tolist(),
                           arr.service.tolist(), horizon)
    rec = twin.simulate(scenario, 0, community=community)
    return twin_wait_mean(rec.issues), mine["response"]


def case_spatial(quick: bool, repeat: int) -> list[dict[str, Any]]:
    rows = []
    t0 = time.perf_counter()
    travel = lattice_travel_matrix(LATTICE, LATTICE, BLOCK, SPEED)
    t_matrix = time.perf_counter() - t0
    for workers, blocks, rate in SPATIAL_CASES:
        # About 120k issues (12k quick) per case.
        days = (120_000 if not quick else 12_000) / (rate * 24)
        scenario = spatial_scenario(workers, blocks, rate, days)
        t0 = time.perf_counter()
        community = built_map(scenario)
        t_build = time.perf_counter() - t0
        horizon = days * MINUTES_PER_DAY
        bases = build_staffing(scenario, community).base
        t_twin, rec = best_of(repeat, lambda s=scenario, c=community:
                              twin.simulate(s, 0, community=c))
        t_min, mine = best_of(repeat, lambda b=bases, r=rate, h=horizon: minimal_spatial(
            travel, b, *draw_spatial(r / 60, SPATIAL_SERVICE, LATTICE * LATTICE, h, 1), h))
        util = busy_share(rec.activity, workers, horizon)
        check = ""
        if workers == SPATIAL_CASES[0][0]:
            small = spatial_scenario(workers, blocks, rate, min(days, 5.0))
            a, b = cross_check(small, community, travel)
            check = f"; same arrivals: response twin {a:.3f} vs minimal {b:.3f} min"
        rows.append({
            "case": f"(b) lattice 50x50, {workers} workers, {days:.3g} d",
            "issues": rec.n_events, "twin_s": t_twin, "twin_rate": rec.n_events / t_twin,
            "min_issues": mine["n"], "min_s": t_min, "min_rate": mine["n"] / t_min,
            "note": (f"busy twin {util:.0%}, minimal {mine['busy']:.0%}; response twin "
                     f"{twin_wait_mean(rec.issues):.1f}, minimal {mine['response']:.1f} min"
                     f"; map build twin {t_build:.2f} s, minimal {t_matrix:.2f} s" + check),
        })
    return rows


# ================================================================ (c) memory
def memory_child(n_issues: int) -> None:
    """Run in a child process: one twin run of about ``n_issues`` issues; print JSON."""
    workers, blocks, rate = SPATIAL_CASES[1]
    days = n_issues / (rate * 24)
    scenario = spatial_scenario(workers, blocks, rate, days)
    community = built_map(scenario)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    rec = twin.simulate(scenario, 0, community=community)
    seconds = time.perf_counter() - t0
    print(json.dumps({"issues": rec.n_events, "activity_rows": len(rec.activity),
                      "seconds": seconds, "rss_before_kb": before,
                      "frames_mb": (rec.issues.memory_usage(deep=True).sum()
                                    + rec.activity.memory_usage(deep=True).sum()) / 2**20}))


def case_memory(quick: bool) -> dict[str, Any]:
    n = MEMORY_ISSUES // 10 if quick else MEMORY_ISSUES
    proc = subprocess.run([sys.executable, __file__, "--memory-child", str(n)],
                          capture_output=True, text=True, check=True)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["peak_mb"] = peak_kb / 1024
    out["before_mb"] = out["rss_before_kb"] / 1024
    return out


# ================================================================== main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (about 1 minute)")
    parser.add_argument("--repeat", type=int, default=3, help="timings per case (best kept)")
    parser.add_argument("--skip-memory", action="store_true", help="leave out case (c)")
    parser.add_argument("--skip-orders", action="store_true", help="leave out case (d)")
    parser.add_argument("--skip-disputes", action="store_true", help="leave out case (e)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="instead of "
                        "timing: the N costliest functions of twin in (a) and (b)")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return
    if args.profile:  # one twin run per case of (a) and (b), under cProfile
        scale = 0.1 if args.quick else 1.0
        for scenario in [mmc_scenario(MMC_C, 200.0 * scale)] + [spatial_scenario(
                w, b, r, scale * 120_000 / (r * 24)) for w, b, r in SPATIAL_CASES]:
            community, prof = built_map(scenario), cProfile.Profile()
            rec = prof.runcall(twin.simulate, scenario, 0, community=community)
            stats = pstats.Stats(prof, stream=sys.stdout)
            calls = stats.total_calls / rec.n_events  # type: ignore[attr-defined]
            print(f"{scenario.name}: {rec.n_events:,d} issues, {calls:.1f} calls each")
            stats.sort_stats("tottime").print_stats(args.profile)
        return

    # The child runs first, so that RUSAGE_CHILDREN holds only its peak.
    mem = None if args.skip_memory else case_memory(args.quick)
    rows = case_mmc(args.quick, args.repeat) + case_spatial(args.quick, args.repeat)
    if not args.skip_orders:
        with tempfile.TemporaryDirectory() as tmp:
            rows += case_orders(args.quick, args.repeat, best_of, Path(tmp))
    if not args.skip_disputes:
        with tempfile.TemporaryDirectory() as tmp:
            rows += case_disputes(args.quick, args.repeat, best_of, Path(tmp))

    print(f"twin benchmarks ({'quick' if args.quick else 'full'}, best of {args.repeat}; "
          "issues per wall-clock second, map building excluded)")
    head = f"{'case':<42} {'issues':>9} {'twin/s':>9} {'minimal/s':>10} {'ratio':>6}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['case']:<42} {r['issues']:>9,d} {r['twin_rate']:>9,.0f} "
              f"{r['min_rate']:>10,.0f} {r['twin_rate'] / r['min_rate']:>6.2f}")
    print()
    for r in rows:
        print(f"  {r['case']}: {r['note']}")
    if mem is not None:
        print()
        print(f"(c) memory, one twin run of {mem['issues']:,d} issues "
              f"({mem['activity_rows']:,d} activity rows), lattice 50x50, 1000 workers:")
        print(f"  peak RSS {mem['peak_mb']:,.0f} MB (after imports and map: "
              f"{mem['before_mb']:,.0f} MB; DataFrames {mem['frames_mb']:,.0f} MB); "
              f"{mem['issues'] / mem['seconds']:,.0f} issues/s incl. DataFrames")


if __name__ == "__main__":
    main()
