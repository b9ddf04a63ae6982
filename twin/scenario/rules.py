"""Scenario sections for the rules of a run: dispatch policy, the response deadline,
run length and seed. Every duration is in minutes."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from twin.scenario import limits as lim
from twin.scenario.base import Found, Strict
from twin.scenario.registry import DISPATCH_POLICIES, policy_problem


# ---------------------------------------------------------------------- dispatch
class DispatchSpec(Strict):
    """Who is sent to an issue. Waiting work is taken most urgent first (a supervised
    or chased order, then by the time limit of its category, shortest first), first
    come first served within the same urgency."""

    policy: str = Field(
        default="own_grid", json_schema_extra={"enum": list(DISPATCH_POLICIES)},
        description="; ".join(f"`{name}`: {e.meaning}" for name, e in DISPATCH_POLICIES.items()))
    borrow_after: float = Field(default=30.0, ge=0, le=lim.MAX_MINUTES)
    """Minutes an issue waits for its own grid before a neighbour may take it [min]."""

    def _check_policy(self, raw: dict[str, Any]) -> Found:
        problem = policy_problem(self.policy)
        if problem:
            yield ("policy",), problem


class Deadlines(Strict):
    """The time allowed from report to a responder on site, for the response rate.
    Time limits to resolve are per category: a case's `limit`, a work order's flow's
    `limit`; a dispute has none."""

    response: float = Field(default=60.0, gt=0, le=lim.MAX_MINUTES)
    """Time allowed from report to a responder on site, for the response rate [min]."""


class RunSpec(Strict):
    """How long to simulate and how often."""

    horizon_days: float = Field(default=28.0, gt=0, le=lim.MAX_HORIZON_DAYS)
    """Simulated length including the warm-up [days]."""
    warmup_days: float = Field(default=7.0, ge=0, le=lim.MAX_HORIZON_DAYS)
    """Initial period left out of every KPI [days]."""
    replications: int = Field(default=10, ge=1, le=lim.MAX_REPLICATIONS)
    """Independent replications (each with its own random numbers)."""
    seed: int = Field(default=20261123, ge=0, le=2**63 - 1)
    """Root seed; the same seed gives the same results."""

    def _check_warmup(self, raw: dict[str, Any]) -> Found:
        if self.warmup_days >= self.horizon_days:
            yield ("warmup_days",), (
                f"must be less than horizon_days ({self.horizon_days:g}) "
                f"(got {self.warmup_days:g})"
            )
