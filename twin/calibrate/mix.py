"""Severity mix and on-site time distribution of a category, from its tickets.

Colour shares are posterior means under a Jeffreys prior: ``(n_k + 1/2) /
(n + K/2)`` over the K colours seen anywhere in the file, so a colour seen in
the file but not (yet) in this category gets a small share instead of an
impossible zero, while a colour never seen at all stays out.

On-site times [min] are fitted by maximum likelihood as exponential, lognormal
and gamma; the family with the lowest AIC (2k - 2 log L) is chosen. With fewer
than ``MIN_FIT`` times, or when no family can be fitted (e.g. zeros rule out
lognormal and gamma), the observed times are resampled (``empirical``); when every
time is the same (to 0.01 min), that time is ``fixed``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from twin.scenario.schema import COLOURS

MIN_FIT = 30
PSEUDO_COUNT = 0.5


@dataclass(frozen=True)
class ColourMix:
    """Severity mix of one category."""

    counts: dict[str, int]
    """Tickets per colour (tickets without a colour not counted)."""
    shares: dict[str, float]
    """Smoothed shares written to the scenario (sum 1)."""
    ci: dict[str, tuple[float, float]]
    """95% Clopper-Pearson interval of each raw share."""


def colour_mix(colour: np.ndarray, seen: list[str], fallback: dict[str, float] | None = None,
               level: float = 0.95) -> ColourMix:
    """Colour mix of a category from colour indices (-1: not given).

    ``seen`` are the colours present anywhere in the file; a category with no
    coloured ticket takes ``fallback`` (the file's mix), if given.
    """
    known = colour[colour >= 0]
    counts = {c: int((known == COLOURS.index(c)).sum()) for c in seen}
    n = sum(counts.values())
    if n == 0 and fallback is not None:
        shares = dict(fallback)
    else:
        shares = {c: (counts[c] + PSEUDO_COUNT) / (n + PSEUDO_COUNT * len(seen)) for c in seen}
    alpha = 1.0 - level
    ci = {}
    for c in seen:
        k = counts[c]
        low = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
        high = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
        ci[c] = (low, high)
    return ColourMix(counts, round_shares(shares), ci)


def round_shares(shares: dict[str, float], decimals: int = 6) -> dict[str, float]:
    """Shares rounded so that they still sum to 1 (the largest absorbs the rest)."""
    if not shares:
        return {}
    out = {c: round(v, decimals) for c, v in shares.items()}
    largest = max(out, key=lambda c: out[c])
    out[largest] = round(1.0 - sum(v for c, v in out.items() if c != largest), decimals)
    return out


@dataclass(frozen=True)
class ServiceFit:
    """The on-site time distribution chosen for a category."""

    spec: dict[str, Any]
    """The ``service:`` mapping for the scenario [min]."""
    n: int
    """Observed on-site times."""
    aic: dict[str, float] = field(default_factory=dict)
    """AIC of each family that could be fitted."""
    reason: str = ""
    """Why this family: lowest AIC, or why the empirical fallback."""


def fit_service(values: np.ndarray) -> ServiceFit:
    """Fit exponential, lognormal and gamma by maximum likelihood; pick by AIC."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n < MIN_FIT:
        return ServiceFit(empirical(x), n, {}, f"fewer than {MIN_FIT} times: resampled")
    if float(x.max() - x.min()) < 0.01:  # one value, to the 0.01 min the spec keeps
        return ServiceFit({"distribution": "fixed", "value": round(float(x.mean()), 2)}, n, {},
                          "every time the same: a fixed time")
    fits: dict[str, tuple[float, dict[str, Any]]] = {}
    mean = float(x.mean())
    if mean > 0:
        ll = -n * math.log(mean) - float(x.sum()) / mean
        fits["exponential"] = (2 * 1 - 2 * ll, {"distribution": "exponential", "mean": mean})
    if (x > 0).all():
        logs = np.log(x)
        mu, sigma = float(logs.mean()), float(logs.std())
        if sigma > 0:
            ll = float(stats.norm.logpdf(logs, mu, sigma).sum() - logs.sum())
            m = math.exp(mu + sigma**2 / 2)
            fits["lognormal"] = (2 * 2 - 2 * ll, {"distribution": "lognormal", "mean": m,
                                                  "sd": m * math.sqrt(math.expm1(sigma**2))})
        gamma = _gamma(x)
        if gamma is not None:
            fits["gamma"] = gamma
    # a spread that rounds to nothing would write an invalid spec (sd must be > 0)
    fits = {k: v for k, v in fits.items() if math.isfinite(v[0])
            and round(float(v[1].get("sd", 1.0)), 2) > 0}
    if not fits:
        return ServiceFit(empirical(x), n, {}, "no family could be fitted: resampled")
    best = min(fits, key=lambda k: fits[k][0])
    spec = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in fits[best][1].items()}
    return ServiceFit(spec, n, {k: v[0] for k, v in fits.items()}, "lowest AIC")


def _gamma(x: np.ndarray) -> tuple[float, dict[str, Any]] | None:
    """Maximum-likelihood gamma (location 0): AIC and its mean/sd spec."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns on poor starting points
        try:
            shape, _, scale = stats.gamma.fit(x, floc=0)
        except (ValueError, RuntimeError, FloatingPointError):
            return None
        ll = float(stats.gamma.logpdf(x, shape, scale=scale).sum())
    if not (math.isfinite(ll) and shape > 0 and scale > 0):
        return None
    return 2 * 2 - 2 * ll, {"distribution": "gamma", "mean": float(shape * scale),
                            "sd": float(math.sqrt(shape) * scale)}


def empirical(x: np.ndarray) -> dict[str, Any]:
    """Observed times as an ``empirical`` spec: distinct values (to 0.01 min), with
    their counts as weights when some repeat."""
    values, counts = np.unique(np.round(x, 2), return_counts=True)
    spec: dict[str, Any] = {"distribution": "empirical", "values": [float(v) for v in values]}
    if (counts > 1).any():
        spec["weights"] = [int(c) for c in counts]
    return spec
