"""Scenario sections for the governance mechanisms planners compare.

Tiers (三色预警 handled by different bodies), escalation (吹哨), follow-up
visits (回访), repeat complaints (重复投诉), patrols (巡查), latent hazards and
sensors (智能感知), volunteers (志愿者) and specialised teams (专业网格) that
can be merged into comprehensive grids (全科网格). Every duration is in minutes,
every rate per hour.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from twin.scenario import limits as lim
from twin.scenario.base import Found, Strict, unique_name_problems
from twin.scenario.service import Fixed, ServiceSpec
from twin.scenario.shifts import Shift


class MediationSpec(Strict):
    """The community mediation office (社区调解工作室): handles yellow cases."""

    staff: int = Field(default=2, ge=0, le=lim.MAX_POOL_STAFF)
    """Mediators in the office."""
    node: str | int | None = None
    """Map node of the office (a node id); default the node nearest the map's centre."""
    shifts: list[Shift] = Field(default_factory=list)
    """Shifts handed out in turn to the mediators; empty means round the clock."""
    travel: bool = True
    """True: a mediator goes to the case; false: the parties come to the office
    (no travel time)."""


class ResponderPool(Strict):
    """One department of a joint response, e.g. the police station (派出所)."""

    name: str = Field(min_length=1)
    """Pool name, unique among the pools (e.g. `police`, `judicial`)."""
    staff: int = Field(default=2, ge=0, le=lim.MAX_POOL_STAFF)
    """Responders in the pool."""
    node: str | int | None = None
    """Map node of the department (a node id); default the node nearest the map's centre."""
    shifts: list[Shift] = Field(default_factory=list)
    """Shifts handed out in turn to the responders; empty means round the clock."""


def _default_pools() -> list[ResponderPool]:
    return [ResponderPool(name="police", staff=2), ResponderPool(name="judicial", staff=1)]


class JointSpec(Strict):
    """The joint response to red cases: one responder from every pool, at once."""

    pools: list[ResponderPool] = Field(default_factory=_default_pools, min_length=1)
    """Departments that must all send one responder (police station 派出所,
    judicial office 司法所, ...)."""

    def _check_unique(self, raw: dict[str, Any]) -> Found:
        yield from unique_name_problems(raw, "pools", "pool")


class TiersSpec(Strict):
    """Who handles each colour: green the grid workers, yellow the mediation
    office, red a joint response. Without `tiers`, grid workers handle every colour."""

    mediation: MediationSpec = Field(default_factory=MediationSpec)
    """The mediation office, for yellow cases."""
    joint: JointSpec = Field(default_factory=JointSpec)
    """The joint response, for red cases."""


class FollowUpSpec(Strict):
    """Follow-up visits (回访) by a grid worker after a yellow or red case is resolved."""

    delay_days: float = Field(default=3.0, ge=0, le=lim.MAX_HORIZON_DAYS)
    """Days after resolution when the visit becomes due [days]."""
    service: ServiceSpec = Field(default_factory=lambda: Fixed(distribution="fixed", value=20.0))
    """Time spent on a visit [min]."""


class RepeatComplaintSpec(Strict):
    """Repeat complaints (重复投诉) while a case is unresolved, and repeat requests
    (重复诉求) while a resident's work order is open.

    They arrive as a Poisson process whose rate grows linearly with the time the
    case has been open: 0 at report, `rate_at_deadline` when the case reaches its
    colour's deadline (a work order: its flow's limit), and on. A case's are
    counted, not handled as new work; a work order's are new orders linked to it,
    filed by the centre's desk, with no field work. Disputes get none (their
    sessions and follow-ups are the contact)."""

    rate_at_deadline: float = Field(default=0.0, ge=0, le=lim.MAX_RATE_PER_HOUR)
    """Repeats per hour from a case open for exactly its deadline (a work order: its
    limit) [1/h]."""


class EscalationSpec(Strict):
    """The escalation state machine (吹哨): colours only move up, green -> yellow -> red."""

    enabled: bool = False
    """True: cases move up a colour when a deadline passes, an on-site attempt
    fails or a dispute grows; false: colours stay as reported."""
    on_deadline: bool = True
    """A case still waiting when its colour's deadline passes moves up a colour
    (a red case is recorded as a whistle to the departments, 吹哨)."""


class PatrolSpec(Strict):
    """Patrols (巡查): idle grid workers walk a route through their grid and find
    latent issues where they pass."""

    enabled: bool = False
    """Idle on-duty grid workers patrol instead of waiting or walking to base."""


class LatentSpec(Strict):
    """A category whose issues exist before anyone reports them (hazards)."""

    report_delay: float = Field(gt=0, le=lim.MAX_MINUTES)
    """Mean time from occurrence until a resident reports it, exponential [min]."""
    sensor_share: float = Field(default=0.0, ge=0, le=1)
    """Share of occurrences that raise a sensor alarm at once (智能感知)."""


class VolunteerSpec(Strict):
    """Volunteers (志愿者): residents order, the community dispatches, a volunteer
    accepts (居民点单、社区派单、志愿者接单). They serve small requests (微心愿) of
    categories whose flow is a `wish` step, and may take green cases of
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
