"""Case (d) of the benchmarks: work orders through two handling units in tandem.

twin: one category whose flow is two handle steps, by unit A (c_A staff) then
unit B (c_B staff), no travel, exponential staff times, signing and response at
once, no centre, no callback, no wrong assignments: a tandem Jackson network.
The minimal model: one SimPy process per order requesting a `simpy.Resource` of
A, then one of B. Both report orders per wall-clock second and the mean time in
the system, next to the product-form value.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
import simpy

import twin
from twin.geography import build_community
from twin.theory import mmc_sojourn

ROOT = Path(__file__).resolve().parents[1]
RATE = 30.0  # orders per hour
UNITS = (("A", 3, 5.0), ("B", 2, 3.2))  # name, staff, mean staff time [min]


def tandem_text(days: float) -> str:
    """The scenario of case (d) as YAML."""
    units = "\n".join(
        f"    - {{name: {name}, staff: {c}, travel: false, "
        "sign: {distribution: fixed, value: 0}, respond: {distribution: fixed, value: 0}}"
        for name, c, _ in UNITS)
    steps = "\n".join(
        f"          - {{step: handle, by: {name}, "
        f"service: {{distribution: exponential, mean: {mean}}}}}" for name, _, mean in UNITS)
    return f"""name: tandem
map: {{source: lattice, rows: 3, cols: 3}}
grids: {{blocks: [1, 1]}}
workforce: {{per_grid: 0}}
demand:
  categories:
    - name: order
      rate_per_hour: {RATE}
      flow:
        limit: 100000
        steps:
{steps}
work_orders:
  units:
{units}
  callback: {{enabled: false}}
run: {{horizon_days: {days}, warmup_days: {min(1.0, days / 4)}, replications: 1}}
"""


def minimal_tandem(lam: float, horizon: float, seed: int) -> tuple[int, float]:
    """One process per order, a Resource per unit. Returns (orders, mean sojourn)."""
    rng = np.random.default_rng(seed)
    n = int(rng.poisson(lam * horizon))
    t = np.sort(rng.random(n) * horizon).tolist()
    draws = [rng.exponential(mean, n).tolist() for _, _, mean in UNITS]
    env = simpy.Environment()
    stations = [simpy.Resource(env, capacity=c) for _, c, _ in UNITS]
    done = [math.nan] * n

    def order(i: int) -> Generator[simpy.Event, Any, None]:
        for station, times in zip(stations, draws, strict=True):
            with station.request() as req:
                yield req
                yield env.timeout(times[i])
        done[i] = env.now

    def source() -> Generator[simpy.Event, Any, None]:
        for i, ti in enumerate(t):
            yield env.timeout(ti - env.now)
            env.process(order(i))

    env.process(source())
    env.run(until=horizon)
    return n, float(np.nanmean(np.asarray(done) - np.asarray(t)))


def case_orders(quick: bool, repeat: int, best_of: Any, tmp: Path) -> list[dict[str, Any]]:
    """Time twin and the minimal tandem model."""
    days = 20.0 if quick else 200.0
    path = tmp / "tandem.yaml"
    path.write_text(tandem_text(days), encoding="utf-8")
    scenario = twin.load_scenario(path)
    community = build_community(scenario)
    lam = RATE / 60.0
    t_twin, rec = best_of(repeat, lambda: twin.simulate(scenario, 0, community=community))
    t_min, (n_min, s_min) = best_of(repeat, lambda: minimal_tandem(lam, days * 1440.0, 1))
    orders = rec.orders
    s_twin = float((orders["t_closed"] - orders["t_received"]).mean())
    theory = sum(mmc_sojourn(lam, mean, c) for _, c, mean in UNITS)
    return [{
        "case": f"(d) work orders, tandem M/M/3 -> M/M/2, {days:g} d",
        "issues": rec.n_events, "twin_s": t_twin, "twin_rate": rec.n_events / t_twin,
        "min_issues": n_min, "min_s": t_min, "min_rate": n_min / t_min,
        "note": (f"time in system twin {s_twin:.2f}, minimal {s_min:.2f}, "
                 f"product form {theory:.2f} min"),
    }]
