"""Fit twin's demand block to tickets: rates, profiles, colours, on-site times.

Per category, the hour and weekday multipliers are fitted on the tickets of
all grids together (see :mod:`twin.calibrate.rates`). A category with fewer
than ``min_count`` tickets borrows the profile fitted on every category
together (the scenario-wide ``demand.hour_of_day`` / ``day_of_week``).

twin gives a category one rate for all grids (``rate_per_hour``) or one rate
per 1,000 residents (``rate_per_hour_per_1000_residents``), not a rate per
grid. So for each category:

- grids' counts consistent with equal rates (chi-square p >= 0.05): the shared
  ``rate_per_hour``, the mean over grids;
- otherwise, with residents known from a scenario (and not all equal):
  ``rate_per_hour_per_1000_residents``; a warning if the counts are not in
  proportion to residents either;
- otherwise the mean ``rate_per_hour`` with a warning listing the per-grid rates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from twin.calibrate.mix import ColourMix, ServiceFit, colour_mix, fit_service
from twin.calibrate.rates import (
    FitTest,
    Profile,
    counts_table,
    effective_hours,
    exposure,
    fit_profile,
    garwood,
    hour_fit_test,
    share_test,
)
from twin.calibrate.tickets import Tickets, TicketsError
from twin.scenario import Problem, Scenario
from twin.scenario.schema import COLOURS

SIGNIFICANCE = 0.05
RateForm = Literal["rate_per_hour", "rate_per_hour_per_1000_residents"]


@dataclass(frozen=True)
class CategoryFit:
    """Everything fitted for one category."""

    name: str
    """Category name."""
    count: int
    """Tickets in the window."""
    by_grid: np.ndarray
    """Tickets per grid."""
    own_profile: bool
    """True: its own hour and weekday multipliers; False: the pooled ones."""
    profile: Profile
    """The multipliers used."""
    hours: float
    """Effective window length sum E*H*D [h]."""
    rates: np.ndarray
    """Average rate per grid over the week [1/h]."""
    rate_ci: np.ndarray
    """95% exact Poisson interval of each grid's rate, shape (grids, 2) [1/h]."""
    form: RateForm
    """Which rate key is written."""
    value: float
    """The rate written (per hour, or per hour per 1,000 residents)."""
    value_ci: tuple[float, float]
    """Its 95% exact Poisson interval."""
    p_equal: float
    """p-value: grids have equal rates."""
    p_residents: float | None
    """p-value: grid rates are in proportion to residents (None if unknown or all equal)."""
    hour_by_grid: FitTest
    """Hour-of-day counts per grid against the model."""
    hour_by_day: FitTest
    """Hour-of-day counts per weekday against the model (are the profiles separable?)."""
    colours: ColourMix | None
    """Severity mix (None without a colour column)."""
    service: ServiceFit
    """On-site time distribution."""
    warnings: list[str] = field(default_factory=list)
    """What the scenario cannot represent, or rests on little data."""


@dataclass(frozen=True)
class Calibration:
    """The fitted demand of a tickets file."""

    tickets: Tickets
    """The tickets used."""
    exposure: np.ndarray
    """Hours observed per weekday and clock hour, shape (7, 24)."""
    pooled: Profile
    """Multipliers fitted on every category together."""
    categories: list[CategoryFit]
    """Per category, in order of first appearance."""
    min_count: int
    """Tickets a category needs for its own profile."""
    warnings: list[str] = field(default_factory=list)
    """File-wide warnings."""


def fit_demand(tickets: Tickets, min_count: int = 200, template: Scenario | None = None,
               level: float = 0.95, like: Mapping[str, str] | None = None) -> Calibration:
    """Fit rates, profiles, colour mix and on-site times per category.

    Parameters
    ----------
    tickets
        Tickets inside the observation window.
    min_count
        A category with fewer tickets uses the profile of all categories pooled.
    template
        The scenario the grids come from; a category without any handling time
        keeps its ``service`` from its category of the same name there (or the one
        ``like`` maps it to), and needs none if that category is a work order or a
        dispute (its steps or sessions have their own times).
    level
        Confidence level of the intervals.

    Raises
    ------
    TicketsError
        When a category has no handling time and no template to take one from.
    """
    n_grids = len(tickets.grids)
    table = counts_table(tickets.grid, tickets.hours, n_grids)
    exp = exposure(tickets.start, tickets.end)
    if tickets.gaps:
        exp = tickets.gaps.remove_from(exp, tickets.start, tickets.end)
    warnings: list[str] = list(tickets.warnings)
    pooled = fit_profile(table, exp)
    if pooled.unobserved_days or pooled.unobserved_hours:
        gaps = f" (declared gaps: {tickets.gaps.describe()})" if tickets.gaps else ""
        warnings.append(
            f"the window covers {7 - pooled.unobserved_days} of 7 weekdays and "
            f"{24 - pooled.unobserved_hours} of 24 clock hours{gaps}; the others get "
            "multiplier 1")
    if len(tickets) < min_count:
        warnings.append(f"only {len(tickets)} tickets in all (fewer than --min-count "
                        f"{min_count}): the pooled profile is rough")
    seen = [c for i, c in enumerate(COLOURS) if (tickets.colour == i).any()]
    file_mix = colour_mix(tickets.colour, seen).shares if tickets.has_colour else None
    fits: list[CategoryFit] = []
    problems: list[Problem] = []
    for k, name in enumerate(tickets.categories):
        mine = tickets.category == k
        cat_table = counts_table(tickets.grid[mine], tickets.hours[mine], n_grids)
        service = _service(tickets, name, tickets.handling[mine], template, problems,
                           (like or {}).get(name, name))
        colours = (colour_mix(tickets.colour[mine], seen, file_mix)
                   if tickets.has_colour else None)
        fits.append(_category(tickets, name, cat_table, exp, pooled, min_count, level,
                              colours, service))
    if problems:
        raise TicketsError(problems)
    return Calibration(tickets, exp, pooled, fits, min_count, warnings)


def _service(tickets: Tickets, name: str, handling: np.ndarray, template: Scenario | None,
             problems: list[Problem], other: str) -> ServiceFit:
    values = handling[np.isfinite(handling)]
    if len(values):
        return fit_service(values)
    theirs = {c.name: c for c in template.demand.categories} if template else {}
    found = theirs.get(other)
    if found is not None and (found.flow is not None or found.dispute is not None):
        return ServiceFit({}, 0, {}, "no handling times: none needed (its steps or "
                                     "sessions have their own times)")
    if found is not None and found.service is not None:
        return ServiceFit(found.service.model_dump(mode="json"), 0, {},
                          f"no handling times: kept from {tickets.grids_source}")
    problems.append(Problem(tickets.source, 1, "handling_minutes", (
        f"no handling time for category {name!r}, and twin needs its on-site time; "
        "add handling_minutes, or give --grids-from a scenario with this category")))
    return ServiceFit({}, 0)


def _category(tickets: Tickets, name: str, table: np.ndarray, exp: np.ndarray,
              pooled: Profile, min_count: int, level: float, colours: ColourMix | None,
              service: ServiceFit) -> CategoryFit:
    count = int(table.sum())
    own = count >= min_count
    profile = fit_profile(table, exp) if own else pooled
    hours = effective_hours(profile, exp)
    by_grid = table.sum(axis=(1, 2))
    rates = by_grid / hours
    rate_ci = np.array([garwood(n, hours, level) for n in by_grid])
    n_grids = len(by_grid)
    p_equal = share_test(by_grid, np.ones(n_grids))
    residents = tickets.residents
    known = (residents is not None and float(np.ptp(residents)) > 0
             and float(residents.min()) > 0)
    p_res = share_test(by_grid, residents) if residents is not None and known else None
    warnings: list[str] = []
    per_grid = ", ".join(f"{g} {r:.3g}" for g, r in zip(tickets.grids, rates, strict=True))
    differ = p_equal < SIGNIFICANCE
    by_residents = differ and known
    form: RateForm
    if by_residents:
        assert residents is not None and p_res is not None
        form = "rate_per_hour_per_1000_residents"
        exposure_k = hours * residents.sum() / 1000.0
        if p_res < SIGNIFICANCE:
            warnings.append(
                f"{name}: grid rates differ (p = {p_equal:.2g}) and are not in proportion to "
                f"residents either (p = {p_res:.2g}); twin has no per-grid rate, so the "
                f"per-1,000-resident rate is an approximation. Per-grid rates [1/h]: "
                f"{per_grid}")
    else:
        form = "rate_per_hour"
        exposure_k = hours * n_grids
        if differ:
            warnings.append(
                f"{name}: grid rates differ (p = {p_equal:.2g}) but twin's rate_per_hour is "
                f"shared by all grids, so the mean is written"
                + ("" if residents is not None else
                   " (--grids-from would give residents for a per-1,000-resident rate)")
                + f". Per-grid rates [1/h]: {per_grid}")
    if not own:
        warnings.append(f"{name}: {count} tickets (< --min-count {min_count}): uses the "
                        "hour and weekday profile of all categories pooled")
    expected = (rates[:, None, None] * profile.day[None, :, None] * profile.hour[None, None, :]
                * exp[None])
    by_hour = hour_fit_test(table.sum(axis=1), expected.sum(axis=1), own, True)
    by_day = hour_fit_test(table.sum(axis=0), expected.sum(axis=0), own, own)
    return CategoryFit(
        name=name, count=count, by_grid=by_grid, own_profile=own, profile=profile,
        hours=hours, rates=rates, rate_ci=rate_ci, form=form,
        value=count / exposure_k, value_ci=garwood(count, exposure_k, level),
        p_equal=p_equal, p_residents=p_res, hour_by_grid=by_hour, hour_by_day=by_day,
        colours=colours, service=service, warnings=warnings,
    )
