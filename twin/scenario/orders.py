"""Scenario sections for work orders (工单): handling units, the command centre, a
category's flow, callbacks, overdue orders and whistles.

A category with a ``flow`` is handled as a work order: received, checked where
the flow says so, filed by the centre, assigned to a handling unit (possibly the
wrong one, which returns it), signed for, responded to, handled, verified,
closed and called back. A category without a flow is handled as a case (or, with
a dispute block, as a dispute). Every duration is in minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from twin.scenario import limits as lim
from twin.scenario.base import Found, Strict, slash_name_problems, unique_name_problems
from twin.scenario.calendar import Limit, limit_problems, parse_limit
from twin.scenario.flows import DEFAULT_FLOWS
from twin.scenario.people import MAX_COST_PER_FTE, RotaSpec, check_rota_or_shifts
from twin.scenario.service import Fixed, ServiceSpec
from twin.scenario.shifts import Shift

GRID_WORKER_UNIT = "grid_worker"
"""What a step's ``by`` names for the grid workers of the order's grid."""
VOLUNTEER_UNIT = "volunteer"
"""What a wish step's ``by`` names: the volunteers of the order's grid."""
CENTRE_UNIT = "command_centre"
"""The unit of the centre's filing desk in the records."""


def _fixed(value: float) -> Fixed:
    return Fixed(distribution="fixed", value=value)


class StepSpec(Strict):
    """One step of a flow: what is done, by whom, and how long it takes."""

    step: Literal["check", "handle", "settle", "verify", "wish"]
    """`check`: a grid worker checks a resident's report on site before it is filed
    (核实; skipped for what a patrol or sensor found); `handle`: a handling unit does
    the work (处置), after the centre assigns the order and the unit signs for it;
    `settle`: a grid worker settles a minor matter on site (就地化解); `verify`: a grid
    worker checks on site that it was fixed (核查); `wish`: a volunteer helps with a
    resident's small request (微心愿), offered by the community to volunteers who
    accept or decline (see `volunteers`)."""
    by: str = Field(min_length=1)
    """Who does it: `grid_worker` (the grid's own workers, as the dispatch policy
    says) for check, settle and verify; the name of a handling unit from
    `work_orders.units` for handle; `volunteer` for wish."""
    service: ServiceSpec
    """Staff time of the step, on site or at the desk [min]."""
    lead_time: ServiceSpec | None = None
    """Handle only: elapsed time after signing before the work can start (an
    appointment, parts), with nobody busy [min]; absent: none."""

    def _check_by(self, raw: dict[str, Any]) -> Found:
        if self.step in ("check", "settle", "verify") and self.by != GRID_WORKER_UNIT:
            yield ("by",), (f"a {self.step} step is done by grid_worker (got {self.by!r}); "
                            "a handling unit's work is a handle step")
        if self.step == "handle" and self.by == GRID_WORKER_UNIT:
            yield ("by",), ("a handle step names a handling unit of work_orders.units; "
                            "a grid worker's own work is a settle step")
        if (self.step == "wish") != (self.by == VOLUNTEER_UNIT):
            yield ("by",), ("a wish step, and only a wish step, is done by volunteer "
                            f"(got step {self.step}, by {self.by!r})")
        if self.lead_time is not None and self.step != "handle":
            yield ("lead_time",), "only a handle step has a lead time"


STAGE_LIMITS = {"sign": "sign_limit", "respond": "respond_limit", "handle": "handle_limit"}
"""Stages of an order with a limit of their own, and the flow key that sets it."""


class FlowSpec(Strict):
    """How a category's orders are handled: a default flow by name, or its own steps.

    Write `flow: compound_repair` for a default flow, or a mapping with `steps`
    (or `template`) and any of the settings below."""

    template: str | None = Field(
        default=None, description="Name of a default flow whose steps to use: "
        + ", ".join(DEFAULT_FLOWS) + ".")
    steps: list[StepSpec] | None = Field(default=None, min_length=1)
    """The ordered steps; use instead of `template`."""
    limit: float | str | None = None
    """Time allowed from receipt to closing: calendar minutes, or a text such as
    `4 working hours`, `5 working days`, `7 days` (working time needs a `calendar`);
    default the template's limit, or 10080 (7 days, the hotline's limit for a general
    matter)."""
    sign_limit: float | str | None = None
    """Time allowed from an assignment to signing for it (签收), for this category's
    orders, in place of the unit's `sign_limit`: minutes or a text as for `limit`."""
    respond_limit: float | str | None = None
    """Time allowed from an assignment to contacting the requester (响应), in place of
    the unit's `respond_limit`."""
    handle_limit: float | str | None = None
    """Time allowed from the first assignment to the end of handling (处置: the last
    handle or settle step); absent: none (only `limit`, to closing, applies)."""
    answered_at_once: float = Field(default=0.0, ge=0, le=1)
    """Share of residents' requests answered at once with no order (a consultation)."""
    wrong_assignment: float = Field(default=0.0, ge=0, le=1)
    """Probability that the centre assigns a handle step to a wrong unit, which
    returns the order after its `return_delay` (退单) to be reassigned (重派)."""
    fixed: float = Field(default=1.0, ge=0, le=1)
    """Probability that one handle or settle attempt fixes the problem."""
    verify_detects: float = Field(default=0.9, ge=0, le=1)
    """Probability that a verify step finds an unfixed problem and sends it back."""
    beyond_street: bool = False
    """The street cannot solve it alone (illegal construction, a burst main): the
    order is whistled (吹哨) as soon as it is filed."""
    summon: list[str] | None = None
    """Handling units summoned when this category's order is whistled; default
    `work_orders.whistle.departments`."""

    def _check_one(self, raw: dict[str, Any]) -> Found:
        given = [k for k in ("template", "steps") if raw.get(k) is not None]
        if len(given) != 1:
            yield (), f"give exactly one of template and steps (got {len(given)})"

    def _check_template(self, raw: dict[str, Any]) -> Found:
        if self.template is not None and self.template not in DEFAULT_FLOWS:
            yield ("template",), (f"no default flow {self.template!r}; known: "
                                  + ", ".join(DEFAULT_FLOWS))

    def flow_steps(self) -> list[StepSpec]:
        """The steps, from the template when no steps are given."""
        if self.steps is not None:
            return list(self.steps)
        if self.template not in DEFAULT_FLOWS:
            return []
        return [StepSpec.model_validate(s) for s in DEFAULT_FLOWS[self.template].steps]

    def _check_limit(self, raw: dict[str, Any]) -> Found:
        for key in ("limit", *STAGE_LIMITS.values()):
            if getattr(self, key) is not None:
                yield from limit_problems(getattr(self, key), (key,), calendar=True)

    def stage_limit(self, stage: str) -> Limit | None:
        """The limit of a stage (`sign`, `respond`, `handle`) written for this flow, or None
        (the unit's own for signing and responding; none for handling)."""
        value = getattr(self, STAGE_LIMITS[stage])
        parsed = parse_limit(value) if value is not None else None
        return parsed if isinstance(parsed, Limit) else None

    def time_limit(self) -> float:
        """Length of the time allowed from receipt to closing as written [min] (a working
        day counted as a day)."""
        return self.limit_spec().minutes

    def limit_spec(self) -> Limit:
        """The time allowed from receipt to closing."""
        if self.limit is not None:
            parsed = parse_limit(self.limit)
            if isinstance(parsed, Limit):
                return parsed
        if self.template in DEFAULT_FLOWS and self.steps is None:
            return Limit(DEFAULT_FLOWS[self.template].limit, "minute", False)
        return Limit(10080.0, "minute", False)


def flow_from_name(value: Any) -> Any:
    """A category's `flow: name` shorthand, as the mapping `{template: name}`."""
    return {"template": value} if isinstance(value, str) else value


class HandlingUnit(Strict):
    """A handling unit (承办单位): property management, a department, the police
    station, the judicial office, the mediation office."""

    name: str = Field(min_length=1)
    """Unit name, unique, as flows name it (e.g. `property`, `city_management`)."""
    staff: int = Field(default=2, ge=0, le=lim.MAX_POOL_STAFF)
    """Staff of the unit (of each grid's unit with `per_grid`)."""
    per_grid: bool = False
    """One unit per grid, e.g. property management of each compound (物业); its
    staff are based at the grid's centre."""
    node: str | int | None = None
    """Base node (a node id); default the node nearest the map's centre (the grid's
    centre with `per_grid`)."""
    stations: int = Field(default=1, ge=1, le=lim.MAX_GRIDS)
    """Stations the staff work from, e.g. a police station (派出所) or judicial office
    (司法所) in each street (街道): the grids are cut into this many contiguous areas of
    about equal residents, each with a station at the centre of its middle grid, and
    the staff are dealt to the stations in turn, in groups of consecutive staff that
    between them work every shift (or every rest-day pattern of a rota that staggers
    them), so every station works round the unit's time and a rota's duty turns are
    spread over the stations. They share the unit's queue: a new order goes to the
    nearest free staff member, who walks back to their own station. At most the number
    of grids and the staff; not with `per_grid`, `node` or `travel: false`."""
    travel: bool = True
    """True: staff travel on the map from their base; false: office or remote work."""
    shifts: list[Shift] = Field(default_factory=list)
    """Shifts handed out in turn to the staff; empty means round the clock."""
    rota: RotaSpec | None = None
    """People on a rota (5-day weeks, leave, duty turns), instead of `shifts` (posts)."""
    cost_per_fte: float | None = Field(default=None, ge=0, le=MAX_COST_PER_FTE)
    """Cost per full-time equivalent (40 h a week) [yuan/year]; absent: not reported."""
    sign: ServiceSpec = Field(default_factory=lambda: _fixed(10.0))
    """Time from assignment to signing for the order (签收) [min]."""
    respond: ServiceSpec = Field(default_factory=lambda: _fixed(30.0))
    """Time from signing to contacting the requester (响应) [min]; sooner if the
    handler is on site first."""
    sign_limit: float = Field(default=30.0, gt=0, le=lim.MAX_MINUTES)
    """Time allowed to sign [min]."""
    respond_limit: float = Field(default=120.0, gt=0, le=lim.MAX_MINUTES)
    """Time allowed from assignment to contacting the requester [min]."""
    return_delay: ServiceSpec = Field(default_factory=lambda: _fixed(120.0))
    """Time this unit takes to send back an order wrongly assigned to it [min]."""
    report_limit: float = Field(default=30.0, gt=0, le=lim.MAX_MINUTES)
    """Time allowed to arrive after a whistle summons the unit (报到) [min]."""
    _check_rota = check_rota_or_shifts

    def _check_stations(self, raw: dict[str, Any]) -> Found:
        if self.stations > 1 and self.per_grid:
            yield ("stations",), ("a unit with per_grid has its own staff in every grid; "
                                  "give stations only to a unit that is not per grid")
        if self.stations > 1 and self.node is not None:
            yield ("stations",), ("the stations are placed by the grids; give either "
                                  "node (one base) or stations, not both")
        if self.stations > 1 and not self.travel:
            yield ("stations",), ("office-bound staff (travel: false) do not travel, so "
                                  "stations change nothing; remove stations or travel")
        if self.stations > max(self.staff, 1):
            yield ("stations",), (f"more stations than staff ({self.staff}) would leave "
                                  "stations empty; at most one station a staff member")


class CentreSpec(Strict):
    """The command centre's desk (网格化服务管理中心) that files orders and repeats."""

    staff: int = Field(default=2, ge=1, le=lim.MAX_POOL_STAFF)
    """Clerks filing orders."""
    shifts: list[Shift] = Field(default_factory=list)
    """Shifts handed out in turn to the clerks; empty means round the clock."""
    rota: RotaSpec | None = None
    """Clerks on a rota (5-day weeks, leave, duty turns), instead of `shifts` (posts)."""
    cost_per_fte: float | None = Field(default=None, ge=0, le=MAX_COST_PER_FTE)
    """Cost per full-time equivalent (40 h a week) [yuan/year]; absent: not reported."""
    filing: ServiceSpec = Field(default_factory=lambda: _fixed(5.0))
    """Desk time to file an order or a repeat request [min]."""
    _check_rota = check_rota_or_shifts


class CallbackSpec(Strict):
    """The callback (回访) after closing: was it solved, is the requester satisfied?

    The requester answers with probability `reached`. They say solved with
    probability `solved_if_fixed` or `solved_if_not_fixed`, by whether the last
    attempt fixed it. The odds of "satisfied" are those of `satisfied_if_solved`
    (or `_if_unsolved`) times `late_odds` to the power of the lateness in limits
    (0 when closed within the limit, 1 at twice the limit). An unsolved or
    unsatisfied order is sent back to be handled again (退回重办), at most
    `max_reworks` times."""

    enabled: bool = True
    """Call back residents' orders (patrol and sensor finds have no requester)."""
    delay: float = Field(default=60.0, ge=0, le=lim.MAX_MINUTES)
    """Time from closing to the callback [min]."""
    reached: float = Field(default=0.9, ge=0, le=1)
    """Probability that the requester answers."""
    solved_if_fixed: float = Field(default=0.97, ge=0, le=1)
    """Probability of "solved" when the problem was fixed."""
    solved_if_not_fixed: float = Field(default=0.1, ge=0, le=1)
    """Probability of "solved" when it was not."""
    satisfied_if_solved: float = Field(default=0.95, ge=0, le=1)
    """Probability of "satisfied" for a solved order closed in time."""
    satisfied_if_unsolved: float = Field(default=0.2, ge=0, le=1)
    """Probability of "satisfied" for an unsolved order closed in time."""
    late_odds: float = Field(default=0.5, ge=0, le=1)
    """Odds multiplier of "satisfied" per limit of lateness."""
    max_reworks: int = Field(default=2, ge=0, le=100)
    """Times an order may be sent back by callbacks and verifications together."""


class OverdueSpec(Strict):
    """Overdue orders (超期): chased (催办), then supervised (督办)."""

    chase_after: float = Field(default=0.0, ge=0, le=lim.MAX_MINUTES)
    """Time past the limit after which an open order is chased [min]."""
    supervise_after: float = Field(default=1440.0, ge=0, le=lim.MAX_MINUTES)
    """Time past the limit after which it is put under supervision [min]."""
    raise_priority: bool = True
    """A chased order goes ahead of ordinary ones in its queue, a supervised or
    whistled one ahead of chased ones."""

    def _check_order(self, raw: dict[str, Any]) -> Found:
        if self.supervise_after < self.chase_after:
            yield ("supervise_after",), (
                f"must be at least chase_after ({self.chase_after:g}) "
                f"(got {self.supervise_after:g})")


class WhistleSpec(Strict):
    """The street blows the whistle, departments report (街乡吹哨、部门报到)."""

    after_overdue: float | None = Field(default=None, ge=0, le=lim.MAX_MINUTES)
    """Time past the limit after which any open order is whistled [min]; absent:
    only `beyond_street` categories are whistled."""
    departments: list[str] = Field(default_factory=list)
    """Handling units summoned by a whistle (a category's `summon` overrides)."""
    meeting: ServiceSpec = Field(default_factory=lambda: _fixed(60.0))
    """Time each summoned department's staff member spends on site [min]."""


class WorkOrdersSpec(Strict):
    """Work orders (工单): the units that handle them and the rules of the chain."""

    units: list[HandlingUnit] = Field(default_factory=list)
    """Handling units (承办单位) that flows name in their handle steps."""
    centre: CentreSpec | None = None
    """The centre's filing desk; absent: filing takes no time."""
    max_returns: int = Field(default=2, ge=0, le=100)
    """Returns at one handle step after which the district decides the unit (兜底):
    the next assignment is right."""
    callback: CallbackSpec = Field(default_factory=CallbackSpec)
    """Callbacks after closing."""
    overdue: OverdueSpec = Field(default_factory=OverdueSpec)
    """Chasing and supervising overdue orders."""
    whistle: WhistleSpec = Field(default_factory=WhistleSpec)
    """Whistles and reports."""

    def _check_unique(self, raw: dict[str, Any]) -> Found:
        yield from unique_name_problems(raw, "units", "unit")
        yield from slash_name_problems(raw, "units", "unit")

    def _check_unit_names(self, raw: dict[str, Any]) -> Found:
        for i, unit in enumerate(self.units):
            if unit.name in (GRID_WORKER_UNIT, VOLUNTEER_UNIT, CENTRE_UNIT):
                yield ("units", i, "name"), (
                    f"{unit.name!r} is reserved; choose another unit name")

    def _check_departments(self, raw: dict[str, Any]) -> Found:
        names = [u.name for u in self.units]
        for i, name in enumerate(self.whistle.departments):
            if name not in names:
                yield ("whistle", "departments", i), (
                    f"no such unit {name!r}; units: {', '.join(names) or 'none'}")


def flow_problems(categories: Sequence[Any], work_orders: WorkOrdersSpec | None,
                  volunteers: bool) -> Found:
    """Problems of the categories' flows that need the rest of the scenario: units that
    exist, volunteers for a wish, keys that do not apply to a work order."""
    units = [u.name for u in work_orders.units] if work_orders else []
    departments = work_orders.whistle.departments if work_orders else []
    listed = ", ".join(units) or "none (add work_orders.units)"
    for k, cat in enumerate(categories):
        flow: FlowSpec | None = cat.flow
        if flow is None:
            continue
        where: tuple[str | int, ...] = ("demand", "categories", k, "flow")
        steps = flow.flow_steps()
        for i, step in enumerate(steps):
            if step.by == VOLUNTEER_UNIT:
                if not volunteers:
                    yield where, "a wish step needs volunteers in the scenario"
                if len(steps) > 1:
                    yield where, "a wish is a flow of its own: one wish step, nothing else"
            elif step.by != GRID_WORKER_UNIT and step.by not in units:
                loc = (*where, "steps", i, "by") if flow.steps is not None else (
                    *where, "template")
                needs = f" (the default flow {flow.template!r} needs it)" if (
                    flow.steps is None) else ""
                yield loc, f"no handling unit {step.by!r}{needs}; units: {listed}"
        for i, name in enumerate(flow.summon or []):
            if name not in units:
                yield (*where, "summon", i), f"no such unit {name!r}; units: {listed}"
        if flow.beyond_street and not (flow.summon or departments):
            yield (*where, "beyond_street"), (
                "a whistle must summon someone: give summon, or "
                "work_orders.whistle.departments")
        if flow.wrong_assignment > 0 and len(units) < 2:
            yield (*where, "wrong_assignment"), (
                f"a wrong assignment needs another handling unit to go to; units: {listed}")
        elif flow.wrong_assignment > 0 and not any(s.step == "handle" for s in steps):
            yield (*where, "wrong_assignment"), "needs a handle step to assign"
        if "volunteer_eligible" in cat.model_fields_set and cat.volunteer_eligible:
            yield ("demand", "categories", k, "volunteer_eligible"), (
                "does not apply to a category with a flow (its orders follow their steps; "
                "volunteers serve small requests, a `wish` flow)")
