"""Scenario sections for the governance mechanisms planners compare.

Repeat complaints (重复投诉), patrols (巡查), latent hazards and sensors
(智能感知), volunteers (志愿者) and specialised teams (专业网格) that can be
merged into comprehensive grids (全科网格). Disputes under three-colour warning
(三色预警) have a module of their own (:mod:`twin.scenario.disputes`). Every
duration is in minutes, every rate per hour.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from twin.scenario import limits as lim
from twin.scenario.base import Found, Strict
from twin.scenario.service import Fixed, ServiceSpec
from twin.scenario.shifts import Shift


class RepeatComplaintSpec(Strict):
    """Repeat complaints (重复投诉) while a case is unresolved, and repeat requests
    (重复诉求) while a resident's work order is open.

    They arrive as a Poisson process whose rate grows linearly with the time the
    case has been open: 0 at report, `rate_at_deadline` when the case reaches its
    category's time limit (a work order: its flow's limit), and on. A case's are
    counted, not handled as new work; a work order's are new orders linked to it,
    filed by the centre's desk, with no field work. Disputes get none (their
    sessions and follow-ups are the contact)."""

    rate_at_deadline: float = Field(default=0.0, ge=0, le=lim.MAX_RATE_PER_HOUR)
    """Repeats per hour from a case open for exactly its time limit (a work order: its
    flow's limit; a limit in working time: its length as written) [1/h]."""


class PatrolSpec(Strict):
    """Patrols (巡查): idle grid workers walk a route through their grid and find
    latent issues where they pass."""

    enabled: bool = False
    """Idle on-duty grid workers patrol instead of waiting or walking to base."""
    minimum_per_day: float = Field(default=0.0, ge=0, le=1440)
    """Minutes each grid worker must patrol every day (巡查 at least so long) before it
    takes waiting work, from the first moment it is free on duty that day; 0: none (it
    patrols only when idle)."""

    def _check_minimum(self, raw: dict[str, Any]) -> Found:
        if self.minimum_per_day > 0 and not self.enabled:
            yield ("minimum_per_day",), "needs patrols: set enabled: true"


class LatentSpec(Strict):
    """A category whose issues exist before anyone reports them (hazards)."""

    report_delay: float = Field(gt=0, le=lim.MAX_MINUTES)
    """Mean time from occurrence until a resident reports it, exponential [min]."""
    sensor_share: float = Field(default=0.0, ge=0, le=1)
    """Share of occurrences that raise a sensor alarm at once (智能感知)."""


class VolunteerSpec(Strict):
    """Volunteers (志愿者): residents order, the community dispatches, a volunteer
    accepts (居民点单、社区派单、志愿者接单). They serve small requests (微心愿) of
    categories whose flow is a `wish` step, and may take the cases of
    `volunteer_eligible` categories."""

    registered_per_1000_residents: float = Field(default=30.0, ge=0, le=1000)
    """Registered volunteers per 1,000 residents of a grid."""
    participation: float = Field(default=0.15, ge=0, le=1)
    """Share of registered volunteers who take part (not published; a training text
    reports a points scheme 积分制 raising residents' participation in community
    activities from 15% to 65%, which is another share, and unverified)."""
    shifts: list[Shift] = Field(
        default_factory=lambda: [Shift(start="09:00", end="12:00"),
                                 Shift(start="15:00", end="19:00")])
    """When volunteers are available, handed out in turn."""
    base: str = "random"
    """Where volunteers start: `random` nodes of their grid (their homes)."""
    accept: float = Field(default=0.7, ge=0, le=1)
    """Probability that a volunteer offered a small request accepts it."""
    decide: ServiceSpec = Field(default_factory=lambda: Fixed(distribution="fixed",
                                                              value=30.0))
    """Time a volunteer takes to accept or decline an offer [min]; they stay free meanwhile."""
    expire_after: float = Field(default=2880.0, gt=0, le=lim.MAX_MINUTES)
    """Time after which a small request nobody accepted lapses [min]."""
    rated_satisfied: float = Field(default=0.95, ge=0, le=1)
    """Probability that the resident rates the help as satisfying."""

    def _check_base(self, raw: dict[str, Any]) -> Found:
        if self.base != "random":
            yield ("base",), f"must be 'random' (got {self.base!r})"


class TeamSpec(Strict):
    """A specialised team (专业网格) with its own grids and workers."""

    name: str = Field(min_length=1)
    """Team name, unique (e.g. `sanitation`)."""
    categories: list[str] = Field(min_length=1)
    """Issue categories this team handles."""
    blocks: tuple[int, int] | None = None
    """The team's own grid layout [rows, cols] on a lattice map; default the
    scenario's grids."""
    per_grid: int = Field(default=1, ge=0, le=lim.MAX_WORKERS_PER_GRID)
    """Workers in each of the team's grids."""
    shifts: list[Shift] = Field(default_factory=list)
    """Shifts handed out in turn to each grid's workers; empty means round the clock."""


class HandOffSpec(Strict):
    """Hand-offs (转办) between specialised teams: a latent issue found on patrol by a
    grid worker of a team that does not handle its category is passed on to the team
    that does. It counts as reported when found; its team receives it only after
    `delay`, and with probability `astray` it never arrives (it stays latent, for
    another patrol or the resident's own report)."""

    delay: ServiceSpec
    """Time from the find until the owning team (its grid workers, or the centre for a
    work order) receives the matter [min]; e.g. `{distribution: fixed, value: 60}`."""
    astray: float = Field(default=0.0, ge=0, le=1)
    """Probability that a hand-off goes astray: the matter stays unreported."""


class GridWorkSpec(Strict):
    """How grid workers' matters move between teams and places: hand-offs between
    specialised teams (`teams`), and one visit settling several matters at the same place
    in a comprehensive grid (全科网格, no `teams`)."""

    handoff: HandOffSpec | None = None
    """Hand-offs between specialised teams; needs `teams`. Absent: a patrol of any team
    reports what it finds straight to the owning team, at no cost."""
    same_place_first: bool = False
    """A grid worker free at a node first takes the matters waiting at that same node in
    its queues (no travel), then the most urgent as usual. Only for a comprehensive grid
    (no `teams`): in specialised grids a visit settles one team's matter."""
