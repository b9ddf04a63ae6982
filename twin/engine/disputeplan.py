"""The dispute desk's ports, and the draws made before the run for latent disputes
(矛盾苗头): when a grid worker's daily report would find each one, and when it would
flare up if nobody found it.

A latent dispute exists from ``t`` and is reported by a resident at ``t_report``
(the category's ``latent.report_delay``). Each daily report at ``at`` o'clock
after ``t`` finds it with probability ``finds`` (a geometric number of days); it
flares up after an exponential time with the category's ``flare_per_day``. Only
events before the resident's report and the horizon are kept; at run time an
event for a dispute already made known does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from twin.demand import Arrivals
from twin.engine.views import FLARE, FOUND, Events, FloatColumn, IntColumn, Schedule
from twin.records import VisitRecorder
from twin.rng import Streams
from twin.scenario.schema import Scenario
from twin.vocab import MINUTES_PER_DAY


@dataclass(frozen=True)
class DisputePorts:
    """What the dispute desk uses of the other parts."""

    env: simpy.Environment
    schedule: Schedule
    visits: VisitRecorder
    add_visit: Callable[[], int]
    """Room in the case book for one more visit; returns its task id."""
    known: Callable[[int], None]
    route: Callable[[int], None]
    take: Callable[[int], None]
    """A waiting task no longer waits (its queue entries become stale)."""
    colour: list[int]
    """The case book's current colour of each issue: a dispute's grade."""
    reported_colour: IntColumn
    """The issue table's colour at report (raised when a latent dispute flares up)."""
    record: Callable[[int, float, int, int, int], None]
    """Records a grade change (issue, time, from, to, cause code)."""
    count: Callable[[int], None]
    """Counts one more grade change in the issue's record."""
    category: IntColumn
    grid: IntColumn
    node: IntColumn
    channel: IntColumn
    grid_unit: IntColumn
    """The grid-worker unit of each issue."""
    t_dispatched: FloatColumn
    t_on_site: FloatColumn
    t_resolved: FloatColumn


@dataclass(frozen=True)
class DisputeUnits:
    """The units of disputes."""

    handling: dict[str, list[int]]
    """Per handling unit name: its unit, or one per grid."""
    office_node: Callable[[int], int]
    """Base node of a unit (where an online session is held)."""


def latent_dispute_events(scenario: Scenario, arr: Arrivals, streams: Streams,
                          horizon: float) -> Events | None:
    """Finds by daily reports and flare-ups of latent disputes (None: no disputes)."""
    spec = scenario.disputes
    cats = scenario.demand.categories
    if spec is None or not any(c.dispute is not None for c in cats):
        return None
    times: list[np.ndarray] = []
    issues: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    for k, cat in enumerate(cats):
        if cat.dispute is None or cat.latent is None:
            continue
        idx = np.flatnonzero((arr.category == k) & arr.latent)
        if not len(idx):
            continue
        t, until = arr.t[idx], np.minimum(arr.t_report[idx], horizon)
        if spec.daily_report is not None:
            at = spec.daily_report.minute_of_day()
            first = np.ceil((t - at) / MINUTES_PER_DAY) * MINUTES_PER_DAY + at
            first = np.where(first <= t, first + MINUTES_PER_DAY, first)
            days = streams[f"dispute-daily/{cat.name}"].geometric(spec.daily_report.finds,
                                                                  len(idx))
            found = first + (days - 1) * MINUTES_PER_DAY
            keep = found < until
            times.append(found[keep])
            issues.append(idx[keep])
            kinds.append(np.full(int(keep.sum()), FOUND))
        if cat.dispute.flare_per_day > 0.0:
            flare = t + streams[f"dispute-flare/{cat.name}"].exponential(
                MINUTES_PER_DAY / cat.dispute.flare_per_day, len(idx))
            keep = flare < until
            times.append(flare[keep])
            issues.append(idx[keep])
            kinds.append(np.full(int(keep.sum()), FLARE))
    if not times:
        return None
    return (np.concatenate(times), np.concatenate(issues).astype(np.int64),
            np.concatenate(kinds).astype(np.int64))
