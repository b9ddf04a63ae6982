"""Tests of counts against a fitted expectation, used to find candidate events.

The exact conditional comparison of two Poisson rates (two-sided p-value and
the Clopper-Pearson interval of their ratio), a robust dispersion estimate for
overdispersed counts, and the Benjamini-Hochberg and Holm procedures.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from twin.calibrate.rates import DAYS

TRIM_SHARE = 0.05
"""Share of the dates with the largest residuals left out of the dispersion."""
_CUT = float(stats.norm.ppf(1 - TRIM_SHARE / 2))
_TRIMMED_VARIANCE = float(1.0 - 2 * _CUT * stats.norm.pdf(_CUT) / (1 - TRIM_SHARE))
"""Variance of a standard normal variable without its largest TRIM_SHARE in size."""


def dispersion(observed: np.ndarray, expected: np.ndarray, use: np.ndarray) -> float:
    """Dispersion phi >= 1 of daily counts about their expectation: the mean squared
    Pearson residual (O - E)^2 / E with the largest ``TRIM_SHARE`` of them left out, so
    that a few event days do not inflate it, corrected for the trimming (as for normal
    residuals) and for the 7 fitted weekday multipliers; 1 with too few dates to tell."""
    use = use & (expected > 0)
    n = int(use.sum())
    if n < 3 * DAYS:
        return 1.0
    r2 = np.sort((observed[use] - expected[use]) ** 2 / expected[use])
    kept = r2[:n - int(np.ceil(TRIM_SHARE * n))]
    phi = float(kept.mean()) / _TRIMMED_VARIANCE / (1.0 - DAYS / n)
    return max(1.0, phi)


def benjamini_hochberg(p: np.ndarray, alpha: float) -> np.ndarray:
    """Which p-values (any shape) the Benjamini-Hochberg step-up rejects at FDR ``alpha``."""
    flat = p.ravel()
    order = np.argsort(flat, kind="stable")
    m = len(flat)
    below = flat[order] <= alpha * np.arange(1, m + 1) / m
    reject = np.zeros(m, bool)
    if below.any():
        reject[order[:int(np.flatnonzero(below)[-1]) + 1]] = True
    return reject.reshape(p.shape)


def holm(p: np.ndarray, alpha: float) -> np.ndarray:
    """Which p-values Holm's step-down rejects at family-wise level ``alpha``."""
    order = np.argsort(p, kind="stable")
    m = len(p)
    reject = np.zeros(m, bool)
    for i, j in enumerate(order):
        if p[j] > alpha / (m - i):
            break
        reject[j] = True
    return reject


def conditional_p(observed: np.ndarray, reference: np.ndarray, share0: np.ndarray,
                  phi: float = 1.0) -> np.ndarray:
    """Two-sided p-values (twice the smaller tail) that ``observed`` of
    ``observed + reference`` counts fall on the tested dates, whose share is ``share0``
    when their rate is that of the reference dates: the exact test of two Poisson rates
    given their total (binomial; counts divided by ``phi`` for overdispersion). Unlike a
    test against a fitted mean, it carries the uncertainty of the reference's rate.
    1 where there is no reference."""
    x = np.asarray(observed, float) / phi
    n = x + np.asarray(reference, float) / phi
    share0 = np.asarray(share0, float)
    p = np.ones(np.broadcast(x, n, share0).shape)
    ok = (n > 0) & (share0 > 0) & (share0 < 1)
    x, n, s0 = x[ok], n[ok], share0[ok]
    low = np.ones(len(x))
    high = np.ones(len(x))
    below, above = x < n, x > 0
    low[below] = stats.beta.sf(s0[below], x[below] + 1, n[below] - x[below])
    high[above] = stats.beta.cdf(s0[above], x[above], n[above] - x[above] + 1)
    p[ok] = np.minimum(1.0, 2.0 * np.minimum(low, high))
    return p


def rate_ratio(observed: float, kept: float, expected: float, phi: float, level: float
               ) -> tuple[float, tuple[float, float], float]:
    """Ratio of the rate on event dates to the rate on the others, its Clopper-Pearson
    interval and two-sided p-value (ratio 1), conditional on the total: ``observed`` of
    ``observed + kept`` tickets fall on the event dates, which would take
    ``expected / (expected + kept)`` of them at ratio 1. Counts are divided by ``phi``."""
    x, n = observed / phi, (observed + kept) / phi
    odds = kept / expected  # converts the event dates' share into a rate ratio
    p = float(conditional_p(np.array([observed]), np.array([kept]),
                            np.array([expected / (expected + kept)]), phi)[0])
    a = 1.0 - level
    lo = 0.0 if x <= 0 else float(stats.beta.ppf(a / 2, x, n - x + 1))
    hi = 1.0 if x >= n else float(stats.beta.ppf(1 - a / 2, x + 1, n - x))
    return observed / expected, (_odds(lo) * odds, _odds(hi) * odds), p


def _odds(share: float) -> float:
    return share / (1.0 - share) if share < 1.0 else float("inf")
