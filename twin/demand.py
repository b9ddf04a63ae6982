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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

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


REPEAT_DRAWS = 20
REPEAT_BLOCK = 512
"""Rows of repeat-complaint draws made at once; the stream's state is kept at the start
of each block, so a block can be drawn again."""


class RepeatOffsets:
    """The first REPEAT_DRAWS repeat-complaint offsets of every issue, without holding
    them: the first of each issue is kept; the rest are drawn again, a block of
    REPEAT_BLOCK issues of one grid and category at a time, from the state its stream
    had before the block (the same numbers as drawing them all at once).

    ``offsets[i, j]`` is issue ``i``'s ``j``-th offset [min]; ``shape`` is (n,
    REPEAT_DRAWS), or (n, 0) when repeat complaints are off; :meth:`hits` gives the ones
    that fell while each issue was open.
    """

    def __init__(self, rate: float) -> None:
        self.rate = rate
        """Repeat complaints per minute at the time limit [1/min]."""
        self.limits: list[float] = []
        """Per part (grid and category): the limit D of t_k = sqrt(2 D E_k / R) [min]."""
        self.states: list[list[Mapping[str, Any]]] = []
        """Per part: the stream's state before each block."""
        self.starts = np.zeros(1, dtype=np.int64)
        """Per part: its first row among all parts' rows, then the total."""
        self.first = np.zeros(0)
        """Per issue: its first offset [min]."""
        self.source = np.zeros(0, dtype=np.int64)
        """Per issue: its row among all parts' rows (parts concatenated)."""
        self._cache: dict[tuple[int, int], np.ndarray] = {}
        self._firsts: list[np.ndarray] = []

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.first), REPEAT_DRAWS if self.rate > 0 else 0

    def add_part(self, rng: np.random.Generator, limit: float, n: int) -> None:
        """Draw a part's offsets block by block, keeping the states and first offsets."""
        states = []
        for lo in range(0, n, REPEAT_BLOCK):
            states.append(rng.bit_generator.state)
            self._firsts.append(self._block(rng, limit, min(REPEAT_BLOCK, n - lo))[:, 0])
        self.limits.append(limit)
        self.states.append(states)
        self.starts = np.append(self.starts, self.starts[-1] + n)

    def finish(self, order: np.ndarray) -> None:
        """The issues are the parts' rows taken in ``order``."""
        first = np.concatenate(self._firsts) if self._firsts else np.zeros(0)
        self._firsts = []
        self.first = first[order] if self.rate > 0 else np.zeros(len(order))
        self.source = order.astype(np.int32)

    def _block(self, rng: np.random.Generator, limit: float, m: int) -> np.ndarray:
        # rate r(t) = R t / D: Lambda(t) = R t^2 / (2 D), so t_k = sqrt(2 D E_k / R)
        e = np.cumsum(rng.exponential(1.0, (m, REPEAT_DRAWS)), 1)
        return np.sqrt(2.0 * limit * e / self.rate)

    def _redraw(self, part: int, block: int) -> np.ndarray:
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = self.states[part][block]
        n = int(self.starts[part + 1] - self.starts[part])
        return self._block(rng, self.limits[part], min(REPEAT_BLOCK, n - block * REPEAT_BLOCK))

    def __getitem__(self, at: tuple[int, int]) -> float:
        issue, j = at
        if j == 0:
            return float(self.first[issue])
        if j < 0:
            j += REPEAT_DRAWS
        src = int(self.source[issue])
        part = int(np.searchsorted(self.starts, src, side="right")) - 1
        row = src - int(self.starts[part])
        key = (part, row // REPEAT_BLOCK)
        block = self._cache.get(key)
        if block is None:
            if len(self._cache) >= 16:
                del self._cache[next(iter(self._cache))]
            block = self._cache[key] = self._redraw(*key)
        return float(block[row % REPEAT_BLOCK, j])

    def hits(self, open_for: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                  np.ndarray]:
        """The offsets below each issue's ``open_for`` [min] (NaN: none), as (issue,
        offset) sorted by issue and offset; and the issues open beyond their last
        drawn offset, ascending, with that offset."""
        if self.shape[1] == 0:
            none = np.zeros(0, dtype=np.int64)
            return none, np.zeros(0), none, np.zeros(0)
        issue_of = np.empty(len(self.source), dtype=np.int64)  # row -> issue
        issue_of[self.source] = np.arange(len(self.source))
        limit = np.nan_to_num(open_for, nan=-1.0)
        issues, ks, offsets, beyond, lasts = [], [], [], [], []
        for part, states in enumerate(self.states):
            lo = int(self.starts[part])
            for b in range(len(states)):
                offs = self._redraw(part, b)
                mine = issue_of[lo + b * REPEAT_BLOCK:lo + b * REPEAT_BLOCK + len(offs)]
                row, k = np.nonzero(offs < limit[mine][:, None])
                issues.append(mine[row])
                ks.append(k)
                offsets.append(offs[row, k])
                out = np.flatnonzero(limit[mine] > offs[:, -1])
                beyond.append(mine[out])
                lasts.append(offs[out, -1])
        issue, k = np.concatenate(issues), np.concatenate(ks)
        order = np.lexsort((k, issue))
        late = np.concatenate(beyond)
        late_order = np.argsort(late)
        return (issue[order], np.concatenate(offsets)[order], late[late_order],
                np.concatenate(lasts)[late_order])


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


def generate_arrivals(
    scenario: Scenario, community: Grids, streams: Streams, horizon: float
) -> Arrivals:
    """Draw every issue occurring in [0, horizon) minutes."""
    rates = rate_table(scenario, community)
    n_hours = int(np.ceil(horizon / MINUTES_PER_HOUR))
    week_hour = np.arange(n_hours) % HOURS_PER_WEEK
    hour_start = np.arange(n_hours) * MINUTES_PER_HOUR
    repeat_rate = scenario.repeat_complaints.rate_at_deadline / MINUTES_PER_HOUR
    surge = event_factors(scenario, n_hours)
    repeats = RepeatOffsets(repeat_rate)
    cats = scenario.demand.categories
    times: list[np.ndarray] = []  # first the times of every grid and category
    for g in range(len(community.grid_names)):
        for k in range(len(cats)):
            rng = streams[f"arrivals/{community.grid_names[g]}/{cats[k].name}"]
            counts = rng.poisson(rates[g, k, week_hour] if surge[k] is None
                                 else rates[g, k, week_hour] * surge[k])
            t = np.repeat(hour_start, counts) + rng.random(int(counts.sum())) * MINUTES_PER_HOUR
            t.sort()  # within an hour the uniform draws are unordered
            times.append(t[t < horizon])
    every = np.concatenate(times)
    order = np.argsort(every, kind="stable")
    n_all = len(order)
    at = np.empty(n_all, dtype=np.int64)  # each part's row -> its place in time order
    at[order] = np.arange(n_all)
    arr = Arrivals(t=every[order], t_report=np.empty(n_all), latent=np.empty(n_all, bool),
                   grid=np.empty(n_all, np.int32), category=np.empty(n_all, np.int32),
                   node=np.empty(n_all, np.int64), colour=np.empty(n_all, np.int8),
                   channel=np.empty(n_all, np.int8), service=np.empty(n_all),
                   repeat_offsets=repeats)
    del every
    lo = 0
    for g, gname in enumerate(community.grid_names):  # then the rest, into place
        nodes = community.grid_nodes[g]
        for k, cat in enumerate(cats):
            key = f"{gname}/{cat.name}"
            t = times[g * len(cats) + k]
            n = len(t)
            mine = at[lo:lo + n]
            lo += n
            arr.grid[mine] = g
            arr.category[mine] = k
            arr.node[mine] = nodes[streams[f"location/{key}"].integers(0, len(nodes), n)]
            arr.colour[mine] = (streams[f"colour/{key}"].choice(
                len(COLOURS), size=n, p=_shares(cat.grade_mix(), COLOURS))
                if cat.dispute is not None else UNGRADED)
            arr.service[mine] = (sample_service(cat.service, streams[f"service/{key}"], n)
                                 if cat.service is not None else 0.0)
            channel, arr.t_report[mine], arr.latent[mine] = _channels(cat, key, streams, t)
            arr.channel[mine] = channel
            if repeat_rate > 0:
                # D: the category's time limit (a dispute has none and never complains)
                d = cat.time_limit() if cat.dispute is None else 1.0
                repeats.add_part(streams[f"repeat/{key}"], d, n)
    repeats.finish(order)
    return arr


def _channels(cat: Category, key: str, streams: Streams, t: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Channel and report time: from the mix, or, for latent hazards, who finds it first."""
    n = len(t)
    if cat.latent is None:
        channel = streams[f"channel/{key}"].choice(
            len(CHANNELS), size=n, p=_shares(cat.channels or {"resident": 1.0}, CHANNELS))
        return channel, t, np.zeros(n, dtype=bool)
    sensed = streams[f"sensor/{key}"].random(n) < cat.latent.sensor_share
    delay = streams[f"report-delay/{key}"].exponential(cat.latent.report_delay, n)
    return (np.where(sensed, CHANNELS.index("sensor"), CHANNELS.index("resident")),
            np.where(sensed, t, t + delay), ~sensed)


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
