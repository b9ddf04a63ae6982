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

HOURS_PER_WEEK = 168
MINUTES_PER_HOUR = 60.0


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
    """Every issue of one replication, sorted by report time (structure of arrays)."""

    t: np.ndarray
    """Report times [min]."""
    grid: np.ndarray
    """Grid index."""
    category: np.ndarray
    """Category index."""
    node: np.ndarray
    """Map node index."""
    colour: np.ndarray
    """Colour index into COLOURS (0 green, 1 yellow, 2 red)."""
    channel: np.ndarray
    """Channel index into CHANNELS."""
    service: np.ndarray
    """On-site service time [min]."""

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
    """Draw every issue reported in [0, horizon) minutes."""
    rates = rate_table(scenario, community)
    n_hours = int(np.ceil(horizon / MINUTES_PER_HOUR))
    week_hour = np.arange(n_hours) % HOURS_PER_WEEK
    hour_start = np.arange(n_hours) * MINUTES_PER_HOUR
    parts: list[tuple[np.ndarray, ...]] = []
    for g, gname in enumerate(community.grid_names):
        nodes = community.grid_nodes[g]
        for k, cat in enumerate(scenario.demand.categories):
            key = f"{gname}/{cat.name}"
            rng = streams[f"arrivals/{key}"]
            counts = rng.poisson(rates[g, k, week_hour])
            n = int(counts.sum())
            t = np.repeat(hour_start, counts) + rng.random(n) * MINUTES_PER_HOUR
            t.sort()  # within an hour the uniform draws are unordered
            keep = t < horizon
            t = t[keep]
            n = len(t)
            node = nodes[streams[f"location/{key}"].integers(0, len(nodes), n)]
            colour = streams[f"colour/{key}"].choice(
                len(COLOURS), size=n, p=_shares(cat.colours, COLOURS))
            channel = streams[f"channel/{key}"].choice(
                len(CHANNELS), size=n, p=_shares(cat.channels, CHANNELS))
            service = sample_service(cat.service, streams[f"service/{key}"], n)
            parts.append((t, np.full(n, g), np.full(n, k), node, colour, channel, service))
    cols = [np.concatenate([p[i] for p in parts]) for i in range(7)]
    order = np.argsort(cols[0], kind="stable")
    t, grid, cat_, node, colour, channel, service = (c[order] for c in cols)
    return Arrivals(
        t=t.astype(float),
        grid=grid.astype(np.int32),
        category=cat_.astype(np.int32),
        node=node.astype(np.int64),
        colour=colour.astype(np.int8),
        channel=channel.astype(np.int8),
        service=service.astype(float),
    )
