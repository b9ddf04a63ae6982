"""Grid workers (网格员): how many per grid, where they start, when they work."""

from __future__ import annotations

from pydantic import Field

from twin.scenario import limits as lim
from twin.scenario.base import Strict
from twin.scenario.people import MAX_COST_PER_FTE, NonCaseSpec, RotaSpec, check_rota_or_shifts
from twin.scenario.shifts import Shift


class GridStaff(Strict):
    """Workforce settings for one named grid, overriding the defaults."""

    workers: int | None = Field(default=None, ge=0, le=lim.MAX_WORKERS_PER_GRID)
    """Number of grid workers in this grid."""
    base: str | int | None = None
    """Base node of this grid's workers (a node id of the map); default the grid's centre node."""


class WorkforceSpec(Strict):
    """Grid workers (网格员): how many, where they start, when they work."""

    per_grid: int = Field(default=2, ge=0, le=lim.MAX_WORKERS_PER_GRID)
    """Grid workers in each grid unless `grids` says otherwise."""
    shifts: list[Shift] = Field(default_factory=list)
    """Shifts handed out in turn to the workers of each grid (worker k gets shift
    k mod len(shifts)); empty means every worker is on duty round the clock."""
    grids: dict[str, GridStaff] = Field(default_factory=dict)
    """Per-grid overrides, keyed by grid name."""
    return_to_base: bool = True
    """After a job with nothing waiting, walk back to base (and be dispatchable on
    the way); false means wait where the job ended."""
    rota: RotaSpec | None = None
    """People on a rota (5-day weeks, leave, duty turns), instead of `shifts` (posts)."""
    non_case: NonCaseSpec | None = None
    """Work that is not casework (ledgers, meetings, information collection): no new case."""
    cost_per_fte: float | None = Field(default=None, ge=0, le=MAX_COST_PER_FTE)
    """Cost per full-time equivalent (40 h a week) [yuan/year]; absent: not reported."""
    _check_rota = check_rota_or_shifts
