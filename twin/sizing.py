"""How big a run will be, before it runs: issues, repeat complaints and memory.

The figures are expectations from the scenario's rates, not a simulation, and
the memory figure is rough (within about a factor of two): about 1 KB per issue
while a replication runs (measured: 971 MB for a million issues with records,
``benchmarks/README.md``), about 0.3 KB per issue kept for the results of every
replication, and 40 bytes per repeat complaint; a work order (a category with a
flow) adds about 1 KB while running and 0.6 KB kept (its row and about four
step rows). Repeat complaints are estimated
for a case open ``max(deadline, 12 h)`` (an overnight wait; an upper figure for
most scenarios; a work order: open for its limit): their rate grows linearly with
the time open, so a tiny deadline multiplies them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from twin.demand import event_factors, rate_table
from twin.geography import Community
from twin.scenario.schema import Scenario
from twin.vocab import HOURS_PER_DAY, HOURS_PER_WEEK, MINUTES_PER_HOUR

BYTES_PER_ISSUE_RUNNING = 1_000
BYTES_PER_ISSUE_KEPT = 300
BYTES_PER_COMPLAINT = 40
BYTES_PER_ORDER_RUNNING = 1_000
BYTES_PER_ORDER_KEPT = 600
_OPEN_AT_LEAST = 720.0  # minutes a case is assumed open, for repeat complaints


@dataclass(frozen=True)
class SizeEstimate:
    """Expected size of a run."""

    issues: float
    """Issues per replication."""
    complaints: float
    """Repeat complaints per replication."""
    replications: int
    jobs: int
    memory_bytes: float
    """Rough peak memory of the whole run [bytes]."""
    available_bytes: float | None
    """Memory this machine has available now [bytes] (None: unknown)."""

    @property
    def fits(self) -> bool:
        """Whether the run is expected to fit in the available memory."""
        return self.available_bytes is None or self.memory_bytes <= self.available_bytes

    def message(self) -> str:
        """One line for the terminal."""
        text = (f"size: about {self.issues:,.0f} issues"
                + (f" and {self.complaints:,.0f} repeat complaints" if self.complaints else "")
                + f" per replication; roughly {_gb(self.memory_bytes)} for "
                f"{self.replications} replication(s) with {self.jobs} job(s)")
        if self.available_bytes is not None:
            text += f" ({_gb(self.available_bytes)} available)"
        if not self.fits:
            text += ("; this run will probably not fit in memory: shorten run.horizon_days, "
                     "lower the rates or run fewer replications")
        return text


def _gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB" if n >= 1e8 else f"{n / 1e6:,.0f} MB"


def available_memory() -> float | None:
    """Memory available to a new process [bytes], from /proc/meminfo or sysconf."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def estimate(scenario: Scenario, community: Community, jobs: int = 1,
             replications: int | None = None) -> SizeEstimate:
    """Expected issues, repeat complaints and peak memory of running ``scenario``."""
    reps = scenario.run.replications if replications is None else replications
    hours = scenario.run.horizon_days * HOURS_PER_DAY
    rates = rate_table(scenario, community)  # [1/h] by grid, category, hour of week
    per_category = rates.mean(axis=2).sum(axis=0) * hours
    n_hours = int(np.ceil(hours))
    for k, factor in enumerate(event_factors(scenario, n_hours)):
        if factor is not None:  # dated events: the rates hour by hour, times their factor
            by_hour = rates[:, k, np.arange(n_hours) % HOURS_PER_WEEK].sum(axis=0)
            per_category[k] = float((by_hour * factor).sum())
    issues = float(per_category.sum())
    complaints = 0.0
    orders = float(sum(n for n, cat in zip(per_category, scenario.demand.categories,
                                           strict=True) if cat.flow is not None))
    rate = scenario.repeat_complaints.rate_at_deadline / MINUTES_PER_HOUR  # [1/min]
    if rate > 0 and issues > 0:
        for n, cat in zip(per_category, scenario.demand.categories, strict=True):
            if cat.dispute is not None:  # settled over sessions: no repeat complaints
                continue
            deadline = cat.time_limit()
            if cat.flow is not None:  # open for its limit; the rate reaches R there
                complaints += float(n * rate * deadline / 2)
                continue
            open_for = max(deadline, _OPEN_AT_LEAST)
            complaints += float(n * rate * open_for**2 / (2 * deadline))
    per_rep = (issues * BYTES_PER_ISSUE_RUNNING + orders * BYTES_PER_ORDER_RUNNING
               + complaints * BYTES_PER_COMPLAINT)
    kept = reps * (issues * BYTES_PER_ISSUE_KEPT + orders * BYTES_PER_ORDER_KEPT
                   + complaints * BYTES_PER_COMPLAINT)
    memory = min(jobs, reps) * per_rep + kept
    return SizeEstimate(issues, complaints, reps, jobs, memory, available_memory())
