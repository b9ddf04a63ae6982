"""Build one SimPy environment from a scenario and run one replication."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

from twin.deadlines import TimeLimits
from twin.demand import Arrivals, generate_arrivals, more_repeat_offsets
from twin.engine.assembly import Engine, assemble_engine
from twin.engine.disputeplan import latent_dispute_events
from twin.engine.processes import arrival_events, arrivals, roster, worker
from twin.engine.shiftrows import shift_rows
from twin.engine.staff import Staff
from twin.engine.triggers import CAUSES
from twin.engine.views import Events
from twin.geography import Community, build_community
from twin.records import (
    ActivityRecorder,
    DisputeRecorder,
    EventRecorder,
    IssueRecorder,
    Labels,
    OrderRecorder,
    StepRecorder,
    VisitRecorder,
    complaints_frame,
)
from twin.rng import Streams
from twin.scenario.schema import Scenario
from twin.staffing import Staffing, build_staffing
from twin.vocab import CHANNELS, COLOURS, KINDS, MINUTES_PER_DAY

__all__ = ["MINUTES_PER_DAY", "ReplicationRecords", "labels_for", "simulate"]


@dataclass(frozen=True)
class ReplicationRecords:
    """What one replication produced."""

    replication: int
    issues: pd.DataFrame
    activity: pd.DataFrame
    escalations: pd.DataFrame
    visits: pd.DataFrame
    complaints: pd.DataFrame
    orders: pd.DataFrame
    """Work-order requests (categories with a flow); empty without flows."""
    steps: pd.DataFrame
    """Steps of the work orders."""
    disputes: pd.DataFrame
    """Disputes made known (categories with a dispute block); empty without them."""
    runtime: float
    """Wall-clock seconds."""
    n_events: int
    """Issues that occurred (a size measure for throughput figures)."""


def labels_for(scenario: Scenario, community: Community, staffing: Staffing) -> Labels:
    """Names behind the integer codes of the record tables."""
    return _labels(scenario, community, staffing.unit_names)


def _labels(scenario: Scenario, community: Community, unit_names: list[str]) -> Labels:
    return Labels(
        grids=list(community.grid_names),
        units=list(unit_names),
        categories=[c.name for c in scenario.demand.categories],
        channels=list(CHANNELS),
        colours=list(COLOURS),
        kinds=list(KINDS),
        causes=list(CAUSES),
    )


def simulate(
    scenario: Scenario,
    replication: int,
    community: Community | None = None,
    seed: int | None = None,
) -> ReplicationRecords:
    """Run one replication of ``scenario`` and return its record tables.

    Parameters
    ----------
    scenario
        The validated scenario.
    replication
        Replication number; with the seed it selects the random streams.
    community
        The built map, to reuse between replications (built if omitted).
    seed
        Root seed; default ``scenario.run.seed``.

    Examples
    --------
    >>> import twin
    >>> s = twin.load_scenario("scenarios/baseline.yaml", overrides={"run.horizon_days": 1,
    ...                                                              "run.warmup_days": 0.2})
    >>> records = simulate(s, replication=0)
    >>> same = simulate(s, replication=0)
    >>> records.issues.equals(same.issues)     # same seed and replication: same records
    True
    >>> {"on_site", "off_shift", "noncase"} <= set(records.activity["state"])
    True
    """
    started = time.perf_counter()
    community = community or build_community(scenario)
    streams = Streams(scenario.run.seed if seed is None else seed, replication)
    horizon = scenario.run.horizon_days * MINUTES_PER_DAY
    arr = generate_arrivals(scenario, community, streams, horizon)
    staffing = build_staffing(scenario, community, streams)
    team = staffing.team_of_category[arr.category]
    unit = staffing.unit_of_node[team, arr.node]

    env = simpy.Environment()
    issues = IssueRecorder(arr.t, arr.grid, unit, arr.category, arr.channel, arr.colour,
                           arr.node, arr.latent, issue_deadlines(scenario, arr))
    activity = ActivityRecorder(staffing.unit, staffing.kind, len(arr))
    escalations, visits = EventRecorder(), VisitRecorder()
    flowed = flowed_issues(scenario, arr.category)
    orders = OrderRecorder(len(arr), flowed, arr.grid, arr.category, arr.channel,
                           order_limits(scenario, arr.category) if flowed.any() else
                           np.zeros(0))
    steps, disputes = StepRecorder(), DisputeRecorder()
    limits = TimeLimits(scenario)  # a limit in working time is due by the calendar
    engine = assemble_engine(env, scenario, community, staffing, arr, issues, activity,
                             escalations, visits, streams, orders, steps, disputes, limits)
    staff = engine.staff
    changes = _shift_changes(staffing, staff, horizon)
    unit_names = staffing.unit_names  # read after the run (the engine may add units)
    del staffing  # the roster keeps its shared duty arrays (a few MB); the rest goes
    _start(env, engine, arr, scenario.patrols.enabled, changes,
           latent_dispute_events(scenario, arr, streams, horizon))
    env.run(until=horizon)
    engine.flush()
    _close_open_intervals(staff, horizon)
    issues.colour_closed[:] = engine.book.colour  # the colour each case ended with
    _working_deadlines(limits, issues)

    labels = _labels(scenario, community, unit_names)
    n_events = len(arr)
    complaints = _complaints(scenario, arr, issues, streams, horizon, orders)
    issues.repeat_complaints[:] = np.bincount(complaints["issue_id"].to_numpy(),
                                              minlength=len(arr))
    # Each table is built while the recorders of those before it are freed: the steps'
    # rows are copied in order and released; the issue and activity tables take over
    # their recorders' columns; the run's other state goes when this returns.
    step_frame = steps.to_frame(labels)
    steps.release()
    order_frame = orders.to_frame(labels)
    visit_issue = np.asarray(visits.issue, dtype=np.int64)
    visit_frame = visits.to_frame(labels)
    del engine, staff, arr
    return ReplicationRecords(
        replication=replication,
        issues=issues.to_frame(labels, copy=False),
        activity=activity.to_frame(labels, visit_issue, copy=False),
        escalations=escalations.to_frame(labels),
        visits=visit_frame,
        complaints=complaints,
        orders=order_frame,
        steps=step_frame,
        disputes=disputes.to_frame(labels),
        runtime=time.perf_counter() - started,
        n_events=n_events,
    )


def flowed_issues(scenario: Scenario, category: np.ndarray) -> np.ndarray:
    """Per issue: its category has a flow (it is a work order)."""
    flowed = np.array([c.flow is not None for c in scenario.demand.categories], dtype=bool)
    return flowed[category]


def disputed_issues(scenario: Scenario, category: np.ndarray) -> np.ndarray:
    """Per issue: its category is a dispute."""
    disputed = np.array([c.dispute is not None for c in scenario.demand.categories],
                        dtype=bool)
    return disputed[category]


def issue_deadlines(scenario: Scenario, arr: Arrivals) -> np.ndarray:
    """Per issue: the time allowed from report to resolution [min]: its category's time
    limit (a case's ``limit``, a work order's flow's; NaN for a dispute)."""
    return category_limits(scenario)[arr.category]


def category_limits(scenario: Scenario) -> np.ndarray:
    """Per category: its time limit [min] (NaN for a dispute)."""
    return np.array([c.time_limit() for c in scenario.demand.categories], dtype=float)


def order_limits(scenario: Scenario, category: np.ndarray) -> np.ndarray:
    """Per issue: the time its flow allows from receipt to closing [min] (NaN: no flow)."""
    limit = np.array([c.flow.time_limit() if c.flow is not None else np.nan
                      for c in scenario.demand.categories], dtype=float)
    return limit[category]


def _start(env: simpy.Environment, engine: Engine, arr: Arrivals, patrols: bool,
           changes: Iterator[tuple[float, int, bool]], extra: Events | None
           ) -> None:
    """Start every process: workers, arrivals and the roster."""
    staff, router = engine.staff, engine.router
    for w in range(staff.n):
        env.process(worker(env, router, staff, engine.fast, w, bool(staff.on_shift[w])))
    events = arrival_events(arr.t, arr.t_report, arr.latent, patrols, extra)
    arrivals(env, [router.appear, router.report, router.found, router.flared], events)
    roster(env, staff, changes)


def _shift_changes(staffing: Staffing, staff: Staff, horizon: float
                   ) -> Iterator[tuple[float, int, bool]]:
    """Set who is on shift at the start; return the later shift starts and ends as rows
    (time, staff member, on), by time; at equal times shifts end before others start, so
    nobody is sent out as their shift ends. The rows are made a week at a time from the
    duty arrays the staff share (:func:`twin.engine.shiftrows.shift_rows`)."""
    duty = staffing.duty
    for w, spans in enumerate(duty):
        staff.on_shift[w] = spans is None or (len(spans) > 0 and bool(spans[0, 0] <= 0.0))
    return shift_rows(duty, horizon)


def _working_deadlines(limits: TimeLimits, issues: IssueRecorder) -> None:
    """An issue whose limit is in working time is due by the calendar from its report, and
    one reported during a dated event that sets its category's limit is due by that
    limit: its ``deadline`` becomes the minutes from report to that due time."""
    if not limits.dynamic:
        return
    working = np.array([limits.working(k) for k in range(len(limits.limits))], dtype=bool)
    for _first, _end, set_ in limits.overrides:
        working[list(set_)] = True
    mine = working[issues.category]
    if mine.any():
        issues.deadline[mine] = limits.allowed_many(issues.category[mine],
                                                    issues.t_reported[mine])


def _complaints(scenario: Scenario, arr: Arrivals, issues: IssueRecorder, streams: Streams,
                horizon: float, orders: OrderRecorder) -> pd.DataFrame:
    """Repeat complaints of every case while it was open (reported -> resolved or
    horizon); a work order's are its repeat requests, made during the run."""
    open_for = np.where(np.isnan(issues.t_resolved), horizon, issues.t_resolved) - (
        issues.t_reported)
    open_for[orders.flowed] = np.nan  # counted by the order desk instead
    open_for[disputed_issues(scenario, arr.category)] = np.nan  # disputes have sessions
    repeats = (np.asarray(orders.repeat_issue, dtype=np.int64),
               np.asarray(orders.repeat_received, dtype=float))
    issue, offset, beyond, last = arr.repeat_offsets.hits(open_for)
    deadline = category_limits(scenario)[arr.category]  # the limit's length as written
    rate = scenario.repeat_complaints.rate_at_deadline
    more = {int(i): more_repeat_offsets(float(t), float(open_for[i]), float(deadline[i]),
                                        rate, streams[f"repeat-more/{i}"])
            for i, t in zip(beyond, last, strict=True)}
    return complaints_frame(issues.t_reported, (issue, offset), more, repeats)


def _close_open_intervals(staff: Staff, horizon: float) -> None:
    """Record the unfinished interval of every staff member up to the horizon."""
    for w in range(staff.n):
        if staff.idle[w]:
            staff.clear_idle(w)
        else:
            state, start, task = staff.phase[w]
            staff.activity.add(w, state, start, horizon, task)
