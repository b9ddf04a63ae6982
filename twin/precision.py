"""How many replications: add them until a KPI's confidence interval is tight enough.

Starting from a few replications, twin estimates from the current half-width
how many are needed (the half-width shrinks like 1/sqrt(n)), runs the missing
ones (finished ones are kept), and stops when the 95% CI half-width of the KPI
is at most ``relative`` x |mean| for every scenario, or at ``max_replications``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Unpack

from twin.experiment import Execution, ExecutionOptions, RunResult, run_many, with_options
from twin.scenario.schema import Scenario
from twin.store import MemoryStore

MIN_REPLICATIONS = 3


@dataclass(frozen=True)
class PrecisionTarget:
    """What "precise enough" means: the 95% CI half-width of ``kpi`` at most
    ``relative`` x |mean| for every scenario, with at most ``max_replications``."""

    kpi: str
    relative: float
    max_replications: int = 200


@dataclass(frozen=True)
class PrecisionOutcome:
    """Runs with enough replications, and how that went."""

    runs: dict[str, RunResult]
    replications: int
    """Replications each scenario ended with."""
    reached: bool
    """True if the target precision was met."""
    achieved: dict[str, float]
    """Relative half-width achieved per scenario."""

    def message(self, kpi: str, relative: float) -> str:
        """One line for the terminal."""
        worst = max(self.achieved.values()) if self.achieved else float("nan")
        verdict = "reached" if self.reached else "NOT reached (maximum hit)"
        return (f"precision {relative:g} on {kpi} {verdict} with {self.replications} "
                f"replications (worst relative half-width {worst:.3f})")


def relative_half_width(run: RunResult, kpi: str) -> float:
    """CI half-width over |mean| of a KPI (inf if undefined)."""
    if kpi not in run.summary.index:
        return math.inf
    row = run.summary.loc[kpi]
    half = (row["ci_high"] - row["ci_low"]) / 2.0
    if not math.isfinite(half) or row["mean"] == 0 or not math.isfinite(row["mean"]):
        return math.inf
    return float(half / abs(row["mean"]))


def run_to_precision(
    requests: Sequence[tuple[str, Scenario]],
    kpi: str,
    relative: float,
    start: int = 5,
    max_replications: int = 200,
    seed: int | None = None,
    execution: Execution | None = None,
    **options: Unpack[ExecutionOptions],
) -> PrecisionOutcome:
    """Run scenarios (on common random numbers) until ``kpi`` is precise enough.

    Each round runs only the missing replications: finished ones are kept in the
    execution's store (in memory if it has none).
    """
    ex = with_options(execution, **options)
    if ex.store is None:
        ex = replace(ex, store=MemoryStore())
    n = max(MIN_REPLICATIONS, min(start, max_replications))
    while True:
        runs = run_many(requests, n, seed, ex)
        achieved = {name: relative_half_width(run, kpi) for name, run in runs.items()}
        worst = max(achieved.values())
        if worst <= relative:
            return PrecisionOutcome(runs, n, True, achieved)
        if n >= max_replications:
            return PrecisionOutcome(runs, n, False, achieved)
        needed = n * (worst / relative) ** 2 if math.isfinite(worst) else 2 * n
        # The next count depends only on the results, never on jobs, so the
        # outcome is the same however many processes run it.
        n = min(max_replications, max(n + 1, math.ceil(needed)))
