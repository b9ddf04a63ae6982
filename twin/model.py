"""Build one SimPy environment from a scenario and run one replication."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

from twin.demand import generate_arrivals
from twin.geography import Community, build_community
from twin.policies import dispatch_policy
from twin.processes import Dispatcher, arrivals, grid_worker, roster
from twin.records import ActivityRecorder, IssueRecorder, Labels
from twin.rng import Streams
from twin.scenario.schema import CHANNELS, COLOURS, WEEKDAYS, Scenario

MINUTES_PER_DAY = 1440.0


@dataclass(frozen=True)
class Workforce:
    """The grid workers of a scenario: home grid, base node and duty periods."""

    grid: np.ndarray
    """Home grid index per worker."""
    base: np.ndarray
    """Base node index per worker."""
    duty: list[list[tuple[float, float]]]
    """Per worker, sorted disjoint on-duty intervals [min]; empty list = always on duty."""


@dataclass(frozen=True)
class ReplicationRecords:
    """What one replication produced."""

    replication: int
    issues: pd.DataFrame
    activity: pd.DataFrame
    runtime: float
    """Wall-clock seconds."""
    n_events: int
    """Issues reported (a size measure for throughput figures)."""


def _clock(text: str) -> float:
    h, m = text.split(":")
    return int(h) * 60.0 + int(m)


def duty_intervals(shifts: list, horizon: float) -> list[tuple[float, float]]:
    """On-duty intervals of one worker over [0, horizon], merged."""
    spans: list[tuple[float, float]] = []
    n_days = int(np.ceil(horizon / MINUTES_PER_DAY)) + 1
    for day in range(-1, n_days):
        weekday = WEEKDAYS[day % 7]
        for shift in shifts:
            if weekday not in shift.days:
                continue
            start, end = _clock(shift.start), _clock(shift.end)
            if end <= start:
                end += MINUTES_PER_DAY
            s, e = day * MINUTES_PER_DAY + start, day * MINUTES_PER_DAY + end
            if e > 0 and s < horizon:
                spans.append((max(s, 0.0), min(e, horizon)))
    spans.sort()
    merged: list[tuple[float, float]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def build_workforce(scenario: Scenario, community: Community) -> Workforce:
    """Workers per grid, their bases and duty periods."""
    spec = scenario.workforce
    horizon = scenario.run.horizon_days * MINUTES_PER_DAY
    grids, bases, duty = [], [], []
    for g, name in enumerate(community.grid_names):
        staff = spec.grids.get(name)
        count = spec.per_grid if staff is None or staff.workers is None else staff.workers
        base = int(community.centre_node[g])
        if staff is not None and staff.base is not None:
            found = community.node_index(staff.base)
            if found is None:
                from twin.geography import MapError

                raise MapError(f"workforce.grids.{name}.base",
                               f"no map node {staff.base!r}")
            base = found
        for k in range(count):
            grids.append(g)
            bases.append(base)
            shifts = [spec.shifts[k % len(spec.shifts)]] if spec.shifts else []
            duty.append(duty_intervals(shifts, horizon) if shifts else [])
    return Workforce(np.array(grids, dtype=np.int64), np.array(bases, dtype=np.int64), duty)


def labels_for(scenario: Scenario, community: Community) -> Labels:
    """Names behind the integer codes of the record tables."""
    return Labels(
        grids=list(community.grid_names),
        categories=[c.name for c in scenario.demand.categories],
        channels=list(CHANNELS),
        colours=list(COLOURS),
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
    """
    started = time.perf_counter()
    community = community or build_community(scenario)
    root = scenario.run.seed if seed is None else seed
    streams = Streams(root, replication)
    horizon = scenario.run.horizon_days * MINUTES_PER_DAY
    arr = generate_arrivals(scenario, community, streams, horizon)
    workforce = build_workforce(scenario, community)

    env = simpy.Environment()
    issues = IssueRecorder(arr.t, arr.grid, arr.category, arr.channel, arr.colour, arr.node)
    activity = ActivityRecorder(workforce.grid)
    dispatcher = Dispatcher(
        env, dispatch_policy(scenario.dispatch), community.travel, issues, activity,
        arr.service, workforce.grid, workforce.base, len(community.grid_names),
        scenario.workforce.return_to_base,
    )
    changes: list[tuple[float, int, bool]] = []
    for w, spans in enumerate(workforce.duty):
        on_now = not spans or spans[0][0] <= 0.0
        dispatcher.on_shift[w] = on_now
        for s, e in spans:
            if s > 0.0:
                changes.append((s, w, True))
            if e < horizon:
                changes.append((e, w, False))
    changes.sort()
    for w in range(len(workforce.grid)):
        env.process(grid_worker(env, dispatcher, w, bool(dispatcher.on_shift[w])))
    env.process(arrivals(env, dispatcher, arr.t))
    env.process(roster(env, dispatcher, changes))
    env.run(until=horizon)
    _close_open_intervals(dispatcher, horizon)

    labels = labels_for(scenario, community)
    return ReplicationRecords(
        replication=replication,
        issues=issues.to_frame(labels),
        activity=activity.to_frame(labels),
        runtime=time.perf_counter() - started,
        n_events=len(arr),
    )


def _close_open_intervals(d: Dispatcher, horizon: float) -> None:
    """Record the unfinished interval of every worker up to the horizon."""
    for w in range(len(d.idle)):
        if d.idle[w]:
            d.clear_idle(w)
        else:
            state, start, issue = d.phase[w]
            d.activity.add(w, state, start, horizon, issue)
