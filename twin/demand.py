"""Issue demand: time-varying arrival rates, severity and channel mix, service times.

Rates are piecewise constant over the 168 hours of the week, so a
non-homogeneous Poisson process is generated exactly by drawing a Poisson count
for every hour of the horizon and placing that many reports uniformly inside
the hour. (Drawing "the next gap at the current rate" would skip rate peaks.)

All of a replication's issues are drawn before the run, one named stream per
purpose, grid and category (``arrivals/<grid>/<category>``, ``service/...``),
so scenarios that differ only in staffing or rules see the same issues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from twin.poisson import HourlyRates, hourly_draws
from twin.repeats import REPEAT_BLOCK as REPEAT_BLOCK  # re-exported
from twin.repeats import REPEAT_DRAWS as REPEAT_DRAWS  # re-exported
from twin.repeats import RepeatOffsets
from twin.rng import Streams
from twin.scenario.schema import (
    CHANNELS,
    COLOURS,
    Category,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    Lognormal,
    Scenario,
    ServiceSpec,
)
from twin.vocab import HOURS_PER_WEEK, MINUTES_PER_HOUR, UNGRADED


class Grids(Protocol):
    """What demand needs to know of the map (``twin.geography.Community`` has it)."""

    @property
    def grid_names(self) -> list[str]:
        """Grid names by index."""

    @property
    def residents(self) -> np.ndarray:
        """Residents per grid."""

    @property
    def grid_nodes(self) -> list[np.ndarray]:
        """Node indices of each grid."""


@dataclass(frozen=True)
class Arrivals:
    """Every issue of one replication, sorted by occurrence time (structure of arrays)."""

    t: np.ndarray
    """Occurrence times [min] (for most categories the report time too)."""
    t_report: np.ndarray
    """Time a resident or sensor reports it [min]; later than ``t`` for latent hazards."""
    latent: np.ndarray
    """True if a patrol passing the node before ``t_report`` would find it."""
    grid: np.ndarray
    """Grid index."""
    category: np.ndarray
    """Category index."""
    node: np.ndarray
    """Map node index."""
    colour: np.ndarray
    """A dispute's grade at report, an index into COLOURS (0 green, 1 yellow, 2 red); 3
    (UNGRADED) for any other issue."""
    channel: np.ndarray
    """Channel index into CHANNELS if reported at ``t_report``."""
    service: np.ndarray
    """On-site time of a case [min] (0 for work orders and disputes, whose steps and
    visits draw their own)."""
    repeat_offsets: RepeatOffsets
    """Times after report of the first REPEAT_DRAWS repeat complaints if the case
    stayed open, read as ``offsets[issue, j]`` [min] (shape (n, 0) when complaints are
    off); ``more_repeat_offsets`` continues the sequence for the rare case open longer."""

    def __len__(self) -> int:
        return len(self.t)


def weekly_profile(scenario: Scenario, category: Category) -> np.ndarray:
    """168 multipliers (Monday 00:00 first) with mean 1."""
    hours = np.asarray(category.hour_of_day or scenario.demand.hour_of_day, dtype=float)
    days = np.asarray(category.day_of_week or scenario.demand.day_of_week, dtype=float)
    hours = hours / hours.mean()
    days = days / days.mean()
    return (days[:, None] * hours[None, :]).ravel()


def rate_table(scenario: Scenario, community: Grids) -> np.ndarray:
    """Arrival rates [1/h], shape (grids, categories, 168 hours of the week)."""
    cats = scenario.demand.categories
    table = np.empty((len(community.grid_names), len(cats), HOURS_PER_WEEK))
    for k, cat in enumerate(cats):
        profile = weekly_profile(scenario, cat)
        if cat.rate_per_hour is not None:
            base = np.full(len(community.grid_names), cat.rate_per_hour)
        else:
            per_1000 = cat.rate_per_hour_per_1000_residents or 0.0
            base = per_1000 * community.residents / 1000.0
        table[:, k, :] = base[:, None] * profile[None, :]
    return table


def event_factors(scenario: Scenario, n_hours: int) -> list[np.ndarray | None]:
    """Per category: the factor of the dated events on each hour of the run (None: no
    event changes it, so its rates are used as they are); a temporary category's is 0
    outside the days of the events that add it."""
    out: list[np.ndarray | None] = [None] * len(scenario.demand.categories)
    if not scenario.events or scenario.calendar is None:
        return out
    days = int(np.ceil(n_hours / 24))
    names = [c.name for c in scenario.demand.categories]
    for k, name in enumerate(names):  # a temporary category: only on the days that add it
        adders = [e for e in scenario.events if name in e.adds]
        if adders:
            on = np.any([e.days(scenario.calendar.start, days) for e in adders], axis=0)
            out[k] = np.repeat(on.astype(float), 24)[:n_hours]
    for event in scenario.events:
        per_hour = np.repeat(event.factor(scenario.calendar.start, days), 24)[:n_hours]
        for k, name in enumerate(names):
            if event.categories is None or name in event.categories:
                current = out[k]
                out[k] = per_hour if current is None else current * per_hour
    return out


def sample_service(spec: ServiceSpec, rng: np.random.Generator, size: int) -> np.ndarray:
    """Draw on-site service times [min]."""
    if isinstance(spec, Exponential):
        return rng.exponential(spec.mean, size)
    if isinstance(spec, Lognormal):
        sigma2 = np.log1p((spec.sd / spec.mean) ** 2)
        return rng.lognormal(np.log(spec.mean) - sigma2 / 2, np.sqrt(sigma2), size)
    if isinstance(spec, Gamma):
        shape = (spec.mean / spec.sd) ** 2
        return rng.gamma(shape, spec.sd**2 / spec.mean, size)
    if isinstance(spec, Fixed):
        return np.full(size, spec.value)
    if isinstance(spec, Empirical):
        p = None
        if spec.weights is not None:
            w = np.asarray(spec.weights, dtype=float)
            p = w / w.sum()
        return rng.choice(np.asarray(spec.values, dtype=float), size=size, p=p)
    raise TypeError(f"unknown service distribution {spec!r}")


def _shares(mapping: dict[str, float], names: tuple[str, ...]) -> np.ndarray:
    p = np.array([mapping.get(n, 0.0) for n in names], dtype=float)
    return p / p.sum()


def _cdf(p: np.ndarray) -> np.ndarray:
    """``Generator.choice(len(p), n, p=p)`` is ``_cdf(p).searchsorted(random(n),
    "right")``: the same numbers without choice's checks on every call."""
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return cdf


def generate_arrivals(
    scenario: Scenario, community: Grids, streams: Streams, horizon: float
) -> Arrivals:
    """Draw every issue occurring in [0, horizon) minutes.

    Every grid and category draws from its own streams (``arrivals/<grid>/<category>``,
    ``location/...``, ``channel/...``), each once; see :meth:`Streams.starts`.
    """
    week = rate_table(scenario, community)
    n_hours = int(np.ceil(horizon / MINUTES_PER_HOUR))
    repeat_rate = scenario.repeat_complaints.rate_at_deadline / MINUTES_PER_HOUR
    surge = event_factors(scenario, n_hours)
    cats = scenario.demand.categories
    grids = community.grid_names
    n_cats = len(cats)
    # rows by category, then grid, so rows of like rates walk through their draws together
    starts = streams.starts([f"arrivals/{g}/{c.name}" for c in cats for g in grids])
    rates = HourlyRates(week.transpose(1, 0, 2).reshape(n_cats * len(grids), HOURS_PER_WEEK),
                        n_hours)
    if any(f is not None for f in surge):
        rates = HourlyRates(rates.week, n_hours,
                            np.stack([np.ones(n_hours) if f is None else f for f in surge]),
                            np.arange(len(rates.week)) // len(grids))
    del week
    row, hour, uniform = hourly_draws(starts.at, rates)
    del starts, rates
    t = hour * MINUTES_PER_HOUR + uniform * MINUTES_PER_HOUR
    del hour, uniform
    part = (row % len(grids)) * n_cats + row // len(grids)  # grid * n_cats + category
    by = np.lexsort((t, part))  # each part's times in order
    part, t = part[by], t[by]
    keep = t < horizon
    part, t = part[keep], t[keep]
    sizes = np.bincount(part, minlength=n_cats * len(grids))
    return _place(scenario, community, streams, t, sizes, repeat_rate)


def _place(scenario: Scenario, community: Grids, streams: Streams, every: np.ndarray,
           sizes: np.ndarray, repeat_rate: float) -> Arrivals:
    """Put every grid and category's issues in time order and draw the rest of them
    (node, grade, on-site time, channel, report time, repeat complaints)."""
    cats = scenario.demand.categories
    n_cats = len(cats)
    order = np.argsort(every, kind="stable")  # a part's row -> its place in time order
    parts = np.flatnonzero(sizes)  # grid * n_cats + category of the parts with issues
    keys = [f"{community.grid_names[p // n_cats]}/{cats[p % n_cats].name}"
            for p in parts.tolist()]
    k_of = parts % n_cats
    purposes = ["location", "colour", "service", "channel", "sensor", "report-delay", "repeat"]
    wanted = {"location": np.ones(len(parts), bool),
              "colour": np.array([cats[k].dispute is not None for k in range(n_cats)])[k_of],
              "service": np.array([cats[k].service is not None for k in range(n_cats)])[k_of],
              "channel": np.array([cats[k].latent is None for k in range(n_cats)])[k_of],
              "repeat": np.full(len(parts), repeat_rate > 0)}
    wanted["sensor"] = wanted["report-delay"] = ~wanted["channel"]
    start_of: dict[str, list[int]] = {}  # purpose -> part's index among that purpose's
    starts = {}
    for purpose in purposes:
        mine = np.flatnonzero(wanted[purpose])
        starts[purpose] = streams.starts([f"{purpose}/{keys[i]}" for i in mine.tolist()])
        start_of[purpose] = (np.cumsum(wanted[purpose]) - 1).tolist()
    colour_cdf = [_cdf(_shares(c.grade_mix(), COLOURS)) if c.dispute is not None else
                  np.ones(1) for c in cats]
    channel_cdf = [_cdf(_shares(c.channels or {"resident": 1.0}, CHANNELS)) for c in cats]
    limits = [c.time_limit() if c.dispute is None else 1.0 for c in cats]  # D of the repeats
    n_all = len(every)
    node = np.empty(n_all, np.int64)
    colour = np.full(n_all, UNGRADED, np.int8)
    service = np.zeros(n_all)
    channel = np.empty(n_all, np.int8)
    t_report = every.copy()
    latent = np.zeros(n_all, bool)
    repeats = RepeatOffsets(repeat_rate)
    sensor, resident = CHANNELS.index("sensor"), CHANNELS.index("resident")
    row = np.concatenate([[0], np.cumsum(sizes)])
    j = 0  # index of the part among those with issues
    for p in range(len(sizes)):
        n = int(sizes[p])
        k = p % n_cats
        if n == 0:
            if repeat_rate > 0:
                repeats.add_part(None, limits[k], 0)
            continue
        cat, lo, hi = cats[k], int(row[p]), int(row[p + 1])
        nodes = community.grid_nodes[p // n_cats]
        at = starts["location"].at(start_of["location"][j])
        node[lo:hi] = nodes[at.integers(0, len(nodes), n)]
        if cat.dispute is not None:
            at = starts["colour"].at(start_of["colour"][j])
            colour[lo:hi] = colour_cdf[k].searchsorted(at.random(n), "right")
        if cat.service is not None:
            at = starts["service"].at(start_of["service"][j])
            service[lo:hi] = sample_service(cat.service, at, n)
        if cat.latent is None:
            at = starts["channel"].at(start_of["channel"][j])
            channel[lo:hi] = channel_cdf[k].searchsorted(at.random(n), "right")
        else:  # a latent hazard: reported by a sensor at once, or by a resident later
            sensed = starts["sensor"].at(start_of["sensor"][j]).random(n) < (
                cat.latent.sensor_share)
            delay = starts["report-delay"].at(start_of["report-delay"][j]).exponential(
                cat.latent.report_delay, n)
            channel[lo:hi] = np.where(sensed, sensor, resident)
            t_report[lo:hi] = np.where(sensed, every[lo:hi], every[lo:hi] + delay)
            latent[lo:hi] = ~sensed
        if repeat_rate > 0:
            repeats.add_part(starts["repeat"].at(start_of["repeat"][j]), limits[k], n)
        j += 1
    repeats.finish(order)
    del row
    # into time order one column at a time, so a single row-order copy is alive at once
    node, colour, channel, service = node[order], colour[order], channel[order], service[order]
    t_report, latent = t_report[order], latent[order]
    part_of = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)[order]
    return Arrivals(t=every[order], t_report=t_report, latent=latent,
                    grid=part_of // n_cats, category=part_of % n_cats, node=node,
                    colour=colour, channel=channel, service=service, repeat_offsets=repeats)


def more_repeat_offsets(last: float, open_for: float, deadline: float, rate_per_hour: float,
                        rng: np.random.Generator) -> np.ndarray:
    """Repeat-complaint times after the pre-drawn ones, up to ``open_for`` [min].

    Continues the same process: the k-th complaint is at sqrt(2 D E_k / R) for
    cumulative unit exponentials E_k; ``last`` is the last pre-drawn time.
    """
    rate = rate_per_hour / MINUTES_PER_HOUR
    e = last * last * rate / (2.0 * deadline)
    out: list[float] = []
    while True:
        e += rng.exponential(1.0)
        t = float(np.sqrt(2.0 * deadline * e / rate))
        if t >= open_for:
            return np.asarray(out, dtype=float)
        out.append(t)
