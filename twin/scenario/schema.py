"""Pydantic models of a scenario file.

Every duration is in minutes, every rate per hour, every distance in metres and
every speed in metres per minute. Field docstrings become the JSON Schema's
descriptions (``twin schema``), so they are written for planners.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from twin.scenario import limits as lim
from twin.scenario.base import (
    Found,
    Strict,
    multiplier_problems,
    share_problems,
    slash_name_problems,
    unique_name_problems,
)
from twin.scenario.calendar import (
    CalendarSpec,
    Limit,
    calendar_problems,
    limit_problems,
    parse_limit,
)
from twin.scenario.community import FileMap as FileMap
from twin.scenario.community import GridItem as GridItem
from twin.scenario.community import GridSpec as GridSpec
from twin.scenario.community import LatticeMap as LatticeMap
from twin.scenario.community import MapSpec, partition_names
from twin.scenario.disputes import DisputeSpec, DisputesSpec, dispute_problems
from twin.scenario.events import EventSpec, event_problems
from twin.scenario.governance import (
    GridWorkSpec,
    LatentSpec,
    PatrolSpec,
    RepeatComplaintSpec,
    TeamSpec,
    VolunteerSpec,
)
from twin.scenario.orders import (
    FlowSpec,
    WorkOrdersSpec,
    flow_from_name,
    flow_problems,
)
from twin.scenario.rules import Deadlines as Deadlines
from twin.scenario.rules import DispatchSpec as DispatchSpec
from twin.scenario.rules import RunSpec as RunSpec
from twin.scenario.service import Empirical as Empirical
from twin.scenario.service import Exponential as Exponential
from twin.scenario.service import Fixed as Fixed
from twin.scenario.service import Gamma as Gamma
from twin.scenario.service import Lognormal as Lognormal
from twin.scenario.service import ServiceSpec
from twin.scenario.shifts import WEEKDAYS as WEEKDAYS
from twin.scenario.shifts import Shift as Shift
from twin.scenario.workforce import GridStaff as GridStaff
from twin.scenario.workforce import WorkforceSpec
from twin.vocab import CHANNELS as CHANNELS
from twin.vocab import COLOURS as COLOURS

# ------------------------------------------------------------------------ demand
DEFAULT_CASE_LIMIT = 1440.0
"""Time limit of a case a grid worker handles in one visit, unless it gives one [min]."""


class Category(Strict):
    """An issue category (事件类别) and how often, how severe and how long it is."""

    name: str = Field(min_length=1)
    """Category name, unique in the scenario (e.g. `repair`)."""
    rate_per_hour: float | None = Field(default=None, ge=0, le=lim.MAX_RATE_PER_HOUR)
    """Average reports per hour in each grid, over the week [1/h]."""
    rate_per_hour_per_1000_residents: float | None = Field(default=None, ge=0,
                                                            le=lim.MAX_RATE_PER_HOUR)
    """Average reports per hour per 1,000 residents [1/h]; use instead of `rate_per_hour`."""
    hour_of_day: list[float] | None = None
    """24 relative multipliers, hour 0 to 23; overrides `demand.hour_of_day`."""
    day_of_week: list[float] | None = None
    """7 relative multipliers, Monday to Sunday; overrides `demand.day_of_week`."""
    colours: dict[str, float] | None = None
    """A dispute's grade at intake (研判, 三色预警): shares of green, yellow and red
    summing to 1; absent: all green. Only disputes are graded: any other category's
    urgency is its time limit."""
    limit: float | str | None = None
    """Time allowed from report to resolution of a case a grid worker handles in one
    visit: calendar minutes, or a text such as `4 working hours`, `5 working days`,
    `7 days` (working time needs a `calendar`); absent: 1440 (a day). Its length as
    written is also the case's urgency: waiting work is taken shortest limit first. A
    work order has its flow's `limit`; a dispute has none (it takes sessions)."""
    channels: dict[str, float] | None = None
    """How issues enter: shares of resident (incl. 12345 hotline), patrol and sensor,
    sum 1; absent: all resident (latent categories: who finds it first)."""
    service: ServiceSpec | None = None
    """On-site handling time distribution [min]; required unless the category has
    a `flow` (whose steps have their own times)."""
    latent: LatentSpec | None = None
    """Issues exist before anyone reports them; residents report after a delay,
    sensors at once, patrols when they pass (replaces `channels`)."""
    volunteer_eligible: bool = False
    """Cases of this category may be served by a volunteer (not once chased or
    supervised)."""
    flow: FlowSpec | None = None
    """Handle this category as a work order (工单) through these steps: a default
    flow by name (e.g. `compound_repair`) or a mapping (see `FlowSpec`); absent:
    a case a grid worker handles in one visit (unless it is a dispute)."""
    dispute: DisputeSpec | None = None
    """Handle this category as a dispute (矛盾纠纷) graded by three colours: green
    mediated by the grid worker, yellow by the mediation office's sessions, red by a
    lead responder others join (see the `disputes` section); absent: not a dispute."""

    @field_validator("flow", mode="before")
    @classmethod
    def _flow_by_name(cls, value: Any) -> Any:
        return flow_from_name(value)

    def _check_rate(self, raw: dict[str, Any]) -> Found:
        keys = ("rate_per_hour", "rate_per_hour_per_1000_residents")
        given = [k for k in keys if raw.get(k) is not None]
        if len(given) != 1:
            where = ("rate_per_hour_per_1000_residents",) if len(given) == 2 else ()
            yield where, f"give exactly one of {keys[0]} and {keys[1]} (got {len(given)})"

    def _check_service(self, raw: dict[str, Any]) -> Found:
        if raw.get("service") is None and raw.get("flow") is None and (
                raw.get("dispute") is None):
            yield ("service",), ("required key is missing (a category with no flow and no "
                                 "dispute block needs its on-site time)")
        elif raw.get("service") is not None and raw.get("flow") is not None:
            yield ("service",), ("a category with a flow takes its times from the flow's "
                                 "steps; remove service")

    def _check_colours(self, raw: dict[str, Any]) -> Found:
        if self.colours is None:
            return
        if raw.get("dispute") is None:
            yield ("colours",), (
                "only disputes are graded (三色预警): a category without a dispute block "
                "has no colours; its urgency is its time limit (`limit`, or its flow's "
                "`limit`); remove colours" + ("" if raw.get("flow") is not None
                                             else " or add a dispute block"))
            return
        yield from share_problems(self.colours, COLOURS, "colours", "colour")

    def _check_limit(self, raw: dict[str, Any]) -> Found:
        if self.limit is None:
            return
        yield from limit_problems(self.limit, ("limit",), calendar=True)
        if raw.get("flow") is not None:
            yield ("limit",), ("a work order's time limit is its flow's `limit`; move "
                               "limit into the flow")
        elif raw.get("dispute") is not None:
            yield ("limit",), ("a dispute has no time limit (it is settled over sessions "
                               "weeks apart); remove limit")

    def time_limit(self) -> float:
        """Length of the time limit as written [min] (a working day counted as a day):
        the case's `limit`, its flow's limit, or NaN for a dispute."""
        spec = self.limit_spec()
        return float("nan") if spec is None else spec.minutes

    def limit_spec(self) -> Limit | None:
        """The time limit (None for a dispute)."""
        if self.flow is not None:
            return self.flow.limit_spec()
        if self.dispute is not None:
            return None
        parsed = parse_limit(self.limit if self.limit is not None else DEFAULT_CASE_LIMIT)
        return parsed if isinstance(parsed, Limit) else Limit(DEFAULT_CASE_LIMIT, "minute", False)

    def grade_mix(self) -> dict[str, float]:
        """Shares of each colour at intake (a category that is not a dispute: all green,
        never read)."""
        return self.colours if self.colours is not None else {"green": 1.0}

    def _check_latent_channels(self, raw: dict[str, Any]) -> Found:
        if self.latent is not None and self.channels is not None:
            yield ("channels",), (
                "a latent category's channel follows from who finds it first "
                "(resident, patrol or sensor); remove channels or latent")

    def _check_channels(self, raw: dict[str, Any]) -> Found:
        if self.channels is not None:
            yield from share_problems(self.channels, CHANNELS, "channels", "channel")

    def _check_hours(self, raw: dict[str, Any]) -> Found:
        yield from multiplier_problems(self.hour_of_day, 24, "hour_of_day", "hour 0-23")

    def _check_days(self, raw: dict[str, Any]) -> Found:
        yield from multiplier_problems(self.day_of_week, 7, "day_of_week", "weekday")


class DemandSpec(Strict):
    """What residents, patrols and sensors report, and when.

    The rate of a category in a grid at time t is its average rate times the
    hour-of-day and day-of-week multipliers, each normalised to mean 1, so that
    the multipliers shape the week without changing the average.
    """

    hour_of_day: list[float] = Field(default_factory=lambda: [1.0] * 24)
    """24 relative multipliers, hour 0 to 23 (normalised to mean 1)."""
    day_of_week: list[float] = Field(default_factory=lambda: [1.0] * 7)
    """7 relative multipliers, Monday to Sunday (normalised to mean 1)."""
    categories: list[Category] = Field(min_length=1)
    """Issue categories."""

    def _check_hours(self, raw: dict[str, Any]) -> Found:
        yield from multiplier_problems(self.hour_of_day, 24, "hour_of_day", "hour 0-23")

    def _check_days(self, raw: dict[str, Any]) -> Found:
        yield from multiplier_problems(self.day_of_week, 7, "day_of_week", "weekday")

    def _check_unique(self, raw: dict[str, Any]) -> Found:
        yield from unique_name_problems(raw, "categories", "category")


class Scenario(Strict):
    """A community, its demand, its workforce and its rules: one what-if to run."""

    name: str = Field(default="scenario", min_length=1)
    """Short name used in tables and plots."""
    description: str = ""
    """Free text for the report."""
    map: MapSpec
    """Street network."""
    grids: GridSpec = Field(default_factory=GridSpec)
    """Division of the map into grids."""
    demand: DemandSpec
    """Issue categories and arrival rates."""
    workforce: WorkforceSpec = Field(default_factory=WorkforceSpec)
    """Grid workers."""
    dispatch: DispatchSpec = Field(default_factory=DispatchSpec)
    """Dispatch policy."""
    deadlines: Deadlines = Field(default_factory=Deadlines)
    """The time allowed to be on site, for the response rate (time limits to resolve
    are per category)."""
    run: RunSpec = Field(default_factory=RunSpec)
    """Run length, replications and seed."""
    repeat_complaints: RepeatComplaintSpec = Field(default_factory=RepeatComplaintSpec)
    """Repeat complaints from slow cases."""
    patrols: PatrolSpec = Field(default_factory=PatrolSpec)
    """Patrols by idle grid workers."""
    volunteers: VolunteerSpec | None = None
    """Volunteer pool; absent: no volunteers."""
    teams: list[TeamSpec] = Field(default_factory=list)
    """Specialised teams, each handling some categories with its own grids and
    workers; empty: one comprehensive team (全科网格) made of `workforce`."""
    work_orders: WorkOrdersSpec | None = None
    """Handling units and the rules of the work-order chain, for categories with a
    `flow`; absent: no handling units."""
    disputes: DisputesSpec | None = None
    """The mediation office, the red response, follow-ups and daily reports, for
    categories with a `dispute` block; absent: no disputes."""
    grid_work: GridWorkSpec = Field(default_factory=GridWorkSpec)
    """Hand-offs between specialised teams; several matters in one visit (one team)."""
    calendar: CalendarSpec | None = None
    """Real dates: the first day, holidays, swapped working days and working hours, over
    which limits in working time run; absent: no dates, and every limit in calendar time."""
    events: list[EventSpec] = Field(default_factory=list)
    """Dated events: surges, temporary categories, changed limits or staff (needs a
    `calendar`; see :mod:`twin.scenario.events`)."""

    def _check_dates(self, raw: dict[str, Any]) -> Found:
        yield from calendar_problems(self, raw)
        yield from event_problems(self, raw)
        yield from unique_name_problems(raw, "events", "event")

    def _check_disputes(self, raw: dict[str, Any]) -> Found:
        staff = {u.name: u.staff for u in self.work_orders.units} if self.work_orders else None
        yield from dispute_problems(self.demand.categories, self.disputes, staff)

    def _check_flows(self, raw: dict[str, Any]) -> Found:
        yield from flow_problems(self.demand.categories, self.work_orders,
                                 self.volunteers is not None)

    def _check_team_names(self, raw: dict[str, Any]) -> Found:
        yield from unique_name_problems(raw, "teams", "team")
        yield from slash_name_problems(raw, "teams", "team")

    def _check_team_categories(self, raw: dict[str, Any]) -> Found:
        teams = raw.get("teams")
        if not isinstance(teams, list) or not teams:
            return
        names = [c.name for c in self.demand.categories]
        owner: dict[str, str] = {}
        for t, team in enumerate(teams):
            cats = _get(team, "categories")
            for k, cat in enumerate(cats if isinstance(cats, list) else []):
                if cat not in names:
                    yield ("teams", t, "categories", k), (
                        f"no such category {cat!r}; known: {', '.join(names)}")
                elif cat in owner:
                    yield ("teams", t, "categories", k), (
                        f"{cat!r} is already handled by team {owner[cat]!r}")
                else:
                    owner[cat] = str(_get(team, "name"))
        missing = [n for n in names if n not in owner]
        if missing:
            yield ("teams",), ("every category needs a team; categories with no team: "
                               + ", ".join(missing))

    def _check_team_blocks(self, raw: dict[str, Any]) -> Found:
        for t, team in enumerate(self.teams):
            if team.blocks is not None and self.map.source != "lattice":
                yield ("teams", t, "blocks"), "needs map.source lattice"
            elif team.blocks is not None and self.map.source == "lattice":
                r, c = team.blocks
                if not (1 <= r <= self.map.rows and 1 <= c <= self.map.cols):
                    yield ("teams", t, "blocks"), (
                        f"must be from [1, 1] to [{self.map.rows}, {self.map.cols}] "
                        f"(got [{r}, {c}])")

    def _check_grid_names(self, raw: dict[str, Any]) -> Found:
        known = known_grid_names(self)
        staff = raw.get("workforce")  # raw keys: reported even when workforce has mistakes
        named = staff.get("grids") if isinstance(staff, dict) else None
        if known is not None and isinstance(named, dict):
            for name in named:
                if name not in known:
                    yield ("workforce", "grids", name), (
                        "no such grid; known grids: " + ", ".join(known)
                    )

    def _check_map_and_grids(self, raw: dict[str, Any]) -> Found:
        assignment = self.grids.assignment
        if self.map.source == "lattice":
            r, c = self.grids.blocks
            if assignment == "blocks" and (r > self.map.rows or c > self.map.cols):
                yield ("grids", "blocks"), (
                    f"[{r}, {c}] is finer than the lattice "
                    f"({self.map.rows} x {self.map.cols} nodes); at most "
                    f"[{self.map.rows}, {self.map.cols}]"
                )
            if assignment == "attribute":
                yield ("grids", "assignment"), (
                    "attribute needs map.source file; use blocks or nearest_centre "
                    "for a lattice"
                )
        elif assignment == "blocks":
            if "assignment" in self.grids.model_fields_set:
                yield ("grids", "assignment"), (
                    "blocks needs map.source lattice; use partition, attribute, "
                    "nearest_centre or boundaries for a file map"
                )
            else:
                yield ("map", "source"), (
                    "a file map needs grids.assignment partition, attribute, "
                    "nearest_centre or boundaries (the default, blocks, only cuts a lattice)"
                )


def _get(node: Any, *keys: str) -> Any:
    """``node[k1][k2]...`` in raw data, or None where a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def known_grid_names(scenario: Scenario) -> list[str] | None:
    """Grid names known without reading the map (None for `assignment: attribute`)."""
    spec = scenario.grids
    if spec.items:
        return [g.name for g in spec.items]
    if spec.assignment == "blocks":
        return partition_names(spec.blocks[0] * spec.blocks[1])
    if spec.assignment == "partition" and spec.count is not None:
        return partition_names(spec.count)
    return None
