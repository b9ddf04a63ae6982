"""Arrival rates from ticket counts: a multiplicative Poisson model over the week.

For one category the expected count of grid g in the (weekday d, hour h) cell is

    mu[g, d, h] = E[d, h] * base[g] * H[h] * D[d]

where E[d, h] is the exposure (hours of the observation window falling on that
weekday and clock hour) and H, D are hour-of-day and day-of-week multipliers,
each with mean 1, shared by the grids: 7 x 24 cells are described by 24 + 7
numbers, so sparse cells borrow strength from the rest of their row and
column. The maximum-likelihood estimate of this log-linear model matches the
three margins (per grid, per hour, per weekday); iterative proportional
fitting reaches it. With mean-1 multipliers, ``base[g]`` is the average rate
per hour over the week, exactly as twin's ``rate_per_hour`` is defined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

HOURS = 24
DAYS = 7
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)
MIN_EXPECTED = 5.0  # the usual floor for a Pearson chi-square cell


def weekday_hour(hours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weekday (Monday 0) and clock hour of times in hours since 1970-01-01."""
    whole = np.floor(hours).astype(np.int64)
    return (whole // HOURS + EPOCH_WEEKDAY) % DAYS, whole % HOURS


def exposure(start: float, end: float) -> np.ndarray:
    """Hours of the window [start, end] on each weekday and clock hour, shape (7, 24).

    A window of whole weeks gives every cell the same exposure (the number of
    weeks); partial hours at either end count by the fraction observed.
    """
    first = np.floor(start)
    n_slots = int(np.ceil(end) - first)
    # Whole weeks inside the window give every cell one hour each: counted at once, so
    # memory does not grow with the window; the hours around them one by one.
    weeks = max(0, (n_slots - 2) // (DAYS * HOURS))
    slots = first + np.r_[0, np.arange(1 + weeks * DAYS * HOURS, n_slots)]
    covered = np.clip(np.minimum(slots + 1, end) - np.maximum(slots, start), 0.0, 1.0)
    day, hour = weekday_hour(slots)
    table = np.full((DAYS, HOURS), float(weeks))
    np.add.at(table, (day, hour), covered)
    return table


def counts_table(grid: np.ndarray, hours: np.ndarray, n_grids: int) -> np.ndarray:
    """Ticket counts per grid, weekday and hour, shape (grids, 7, 24)."""
    day, hour = weekday_hour(hours)
    table = np.zeros((n_grids, DAYS, HOURS))
    np.add.at(table, (grid, day, hour), 1.0)
    return table


@dataclass(frozen=True)
class Profile:
    """Hour-of-day and day-of-week multipliers, each with mean 1."""

    hour: np.ndarray
    """24 multipliers, hour 0 to 23."""
    day: np.ndarray
    """7 multipliers, Monday to Sunday."""
    unobserved_days: int = 0
    """Weekdays the window never covers (their multiplier is set to 1)."""
    unobserved_hours: int = 0
    """Clock hours the window never covers (their multiplier is set to 1)."""


def fit_profile(counts: np.ndarray, exposure_: np.ndarray, tol: float = 1e-10,
                max_iter: int = 500) -> Profile:
    """Maximum-likelihood hour and weekday multipliers of ``counts`` (grids, 7, 24),
    by iterative proportional fitting of the weekday and hour margins.

    Grids only scale the model, so their totals do not change the profile.
    """
    by_hour = counts.sum(axis=(0, 1))
    by_day = counts.sum(axis=(0, 2))
    total = by_hour.sum()
    seen_h = exposure_.sum(axis=0) > 0
    seen_d = exposure_.sum(axis=1) > 0
    hour = np.where(seen_h, 1.0, 0.0)
    day = np.where(seen_d, 1.0, 0.0)
    if total > 0:
        for _ in range(max_iter):
            # one scale for all grids: base total B = total / sum(E H D)
            scale = total / float(day @ exposure_ @ hour)
            den_h = scale * (day @ exposure_)
            new_hour = np.divide(by_hour, den_h, out=np.zeros(HOURS), where=den_h > 0)
            scale = total / float(day @ exposure_ @ new_hour)
            den_d = scale * (exposure_ @ new_hour)
            new_day = np.divide(by_day, den_d, out=np.zeros(DAYS), where=den_d > 0)
            change = max(np.abs(new_hour - hour).max(), np.abs(new_day - day).max())
            hour, day = new_hour, new_day
            if change < tol * max(1.0, hour.max(), day.max()):
                break
    hour = _mean_one(hour, seen_h)
    day = _mean_one(day, seen_d)
    return Profile(hour, day, int((~seen_d).sum()), int((~seen_h).sum()))


def _mean_one(values: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Scale observed entries to mean 1 and set unobserved ones to 1."""
    out = values.astype(float).copy()
    if seen.any() and out[seen].sum() > 0:
        out[seen] = out[seen] / out[seen].mean()
    else:
        out[seen] = 1.0
    out[~seen] = 1.0
    return out


def effective_hours(profile: Profile, exposure_: np.ndarray) -> float:
    """sum E[d, h] H[h] D[d]: the window's length weighted by the profile [h].

    Equal to the window's length when it covers whole weeks, whatever the profile.
    """
    return float(profile.day @ exposure_ @ profile.hour)


def garwood(count: float, hours: float, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood, chi-square based) confidence interval of a Poisson rate [1/h]."""
    alpha = 1.0 - level
    low = 0.0 if count <= 0 else stats.chi2.ppf(alpha / 2, 2 * count) / 2
    high = stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    return float(low / hours), float(high / hours)


def share_test(counts: np.ndarray, weights: np.ndarray) -> float:
    """p-value of Pearson's chi-square test that ``counts`` are split in proportion
    to ``weights`` (given their total); 1.0 when there is nothing to test."""
    total = counts.sum()
    if len(counts) < 2 or total <= 0:
        return 1.0
    expected = total * weights / weights.sum()
    x2 = float(((counts - expected) ** 2 / expected).sum())
    return float(stats.chi2.sf(x2, len(counts) - 1))


@dataclass(frozen=True)
class FitTest:
    """A Pearson chi-square goodness-of-fit test."""

    statistic: float
    """X^2."""
    df: int
    """Degrees of freedom (0: the fit is exact by construction, no test)."""
    p_value: float
    """Upper tail probability (NaN with no degrees of freedom)."""
    bins: int
    """Hour bins used (adjacent hours merged until every expected count is >= 5)."""
    rows_left_out: int = 0
    """Rows (weekdays, grids) with fewer than 5 expected tickets in all, left out."""


def hour_bins(expected: np.ndarray) -> list[list[int]]:
    """Adjacent hours merged so that every row's expected count in a bin is >= 5."""
    bins: list[list[int]] = []
    current: list[int] = []
    for h in range(expected.shape[1]):
        current.append(h)
        if expected[:, current].sum(axis=1).min() >= MIN_EXPECTED:
            bins.append(current)
            current = []
    if current:
        if bins:
            bins[-1].extend(current)
        else:
            bins.append(current)
    return bins


def hour_fit_test(observed: np.ndarray, expected: np.ndarray, fitted_hours: bool,
                  fitted_rows: bool) -> FitTest:
    """Pearson test of hour-of-day counts (rows x 24) against the fitted model.

    ``fitted_hours``: the hour multipliers were fitted to these counts (so each
    bin's column total matches); ``fitted_rows``: each row's total was fitted
    (true for grids, whose base rates are fitted; for weekdays when the weekday
    multipliers were).
    """
    # A row expecting fewer than MIN_EXPECTED tickets in all (a weekday without
    # tickets, or declared a gap) can fill no bin: kept, it would merge every hour into
    # one bin and leave nothing to test.
    tested = expected.sum(axis=1) >= MIN_EXPECTED
    left_out = int((~tested).sum())
    observed, expected = observed[tested], expected[tested]
    if not len(expected):
        return FitTest(0.0, 0, float("nan"), 0, left_out)
    bins = hour_bins(expected)
    obs = np.stack([observed[:, b].sum(axis=1) for b in bins], axis=1)
    exp = np.stack([expected[:, b].sum(axis=1) for b in bins], axis=1)
    rows, cols = obs.shape
    keep = exp > 0
    x2 = float(((obs[keep] - exp[keep]) ** 2 / exp[keep]).sum())
    if fitted_hours:
        df = (rows - 1) * (cols - 1) if fitted_rows else rows * cols - cols
    else:
        df = rows * (cols - 1) if fitted_rows else rows * cols - 1
    p = float(stats.chi2.sf(x2, df)) if df > 0 else float("nan")
    return FitTest(x2, df, p, cols, left_out)
