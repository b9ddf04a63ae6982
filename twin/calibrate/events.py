"""Candidate events: the dates whose ticket counts the hour x weekday model cannot explain.

The fitted model gives every date of the window an expected count per category:
the category's base rate times its weekday multiplier times its hour
multipliers summed over the hours of that date inside the window. Each date's
count, of every category and of all together, is tested two-sided against the
kept dates of the same weekday, given their total (the exact conditional
binomial test of two Poisson rates, which carries the uncertainty of the
fitted weekday rate). Overdispersion is allowed for: counts are divided by a
dispersion phi >= 1, estimated from the Pearson residuals of the daily counts
with the largest 5% left out (so that event days do not hide themselves). The
tests of all dates and series form one family controlled by Benjamini-Hochberg
at ``alpha``: when nothing happened, the chance of any flagged date is at most
``alpha``; when something did, the share of wrongly flagged dates is kept at
``alpha`` without the loss of power of a family-wise correction over hundreds
of dates.

Event days inflate the rates they are tested against, so the fit is robust:
flagged dates are left out, the profiles and rates refitted on the other dates
and every date tested again, until the flagged dates no longer change.

Consecutive flagged dates with the same direction form a candidate event,
grown over neighbouring dates on which a series flagged in it departs the same
way at level ``alpha`` uncorrected (a strict threshold finds an event, a
lenient one its edges). Its categories are those whose own count over its
dates differs from their expectation (the same conditional test, event dates
against all kept dates, Holm over categories); its multiplier is their observed
/ expected ratio with a Clopper-Pearson interval from that binomial.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from twin.calibrate.model import Calibration
from twin.calibrate.rates import DAYS, EPOCH_WEEKDAY, HOURS, counts_table, fit_profile
from twin.calibrate.significance import (
    benjamini_hochberg,
    conditional_p,
    dispersion,
    holm,
    rate_ratio,
)

ALPHA = 0.05
"""False discovery rate over dates (and the level of the per-category tests)."""
MAX_PASSES = 10
"""Fits (each without the dates flagged by the one before), at most."""
MAX_MULTIPLIER = 1000.0
EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class CategoryExcess:
    """One category over the dates of a candidate event."""

    name: str
    observed: int
    """Tickets on the event's dates."""
    expected: float
    """Expected from the fit without the flagged dates."""
    p_value: float
    """Two-sided, event dates against the other dates (before Holm)."""
    named: bool
    """Significant after Holm over categories, in the event's direction."""


@dataclass(frozen=True)
class CandidateEvent:
    """A run of consecutive dates the model cannot explain."""

    start: dt.date
    end: dt.date
    """Last date, included."""
    direction: str
    """``surge`` (more tickets than expected) or ``dip`` (fewer)."""
    observed: int
    """Tickets of its categories (all, when none is named) on its dates."""
    expected: float
    """Their expected count."""
    ratio: float
    """observed / expected."""
    ratio_ci: tuple[float, float]
    """Confidence interval of the ratio (level 1 - alpha)."""
    multiplier: float
    """Suggested ``multiplier`` for an ``events:`` entry (the ratio, rounded)."""
    categories: list[str] | None
    """Categories whose own excess explains it; None: no single one, so all."""
    p_value: float
    """Two-sided p-value of its categories' count over its dates."""
    by_category: list[CategoryExcess]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def name(self) -> str:
        """A name for the ``events:`` entry, unique among the candidates."""
        span = f"{self.start}" if self.days == 1 else f"{self.start} to {self.end}"
        return f"{self.direction} {span}"


@dataclass(frozen=True)
class EventScan:
    """The candidate events of a calibration, and how they were found."""

    events: list[CandidateEvent]
    dates: int
    """Dates tested (dates with any time inside the window)."""
    tests: int
    """Tests in the Benjamini-Hochberg family (dates x (categories + 1))."""
    alpha: float
    passes: int
    """Fits made (1: nothing flagged)."""
    dispersion: dict[str, float]
    """phi per category and for the total (``""``); 1: Poisson."""
    rate_factor: dict[str, float] = field(default_factory=dict)
    """Per category, its rate fitted without the flagged dates / the rate written."""


@dataclass(frozen=True)
class _Days:
    """Ticket counts and hours observed per date of the window."""

    first: dt.date
    weekday: np.ndarray
    """Weekday of each date (Monday 0)."""
    cover: np.ndarray
    """Hours of each date and clock hour inside the window, shape (dates, 24)."""
    counts: np.ndarray
    """Tickets per category and date, shape (categories, dates)."""
    date_of: np.ndarray
    """Date index of every ticket."""


def _days(cal: Calibration) -> _Days:
    t = cal.tickets
    first_slot = np.floor(t.start)
    slots = first_slot + np.arange(int(np.ceil(t.end) - first_slot))
    covered = np.clip(np.minimum(slots + 1, t.end) - np.maximum(slots, t.start), 0.0, 1.0)
    if t.gaps:  # declared gaps are not observed time: their dates are not tested
        covered *= t.gaps.open_fraction(slots)
    day0 = int(first_slot // HOURS)
    n_dates = int(slots[-1] // HOURS) - day0 + 1 if len(slots) else 1
    cover = np.zeros((n_dates, HOURS))
    np.add.at(cover, ((slots // HOURS).astype(np.int64) - day0, (slots % HOURS).astype(int)),
              covered)
    weekday = (np.arange(n_dates) + day0 + EPOCH_WEEKDAY) % DAYS
    date_of = np.clip(np.floor(t.hours / HOURS).astype(np.int64) - day0, 0, n_dates - 1)
    counts = np.zeros((len(t.categories), n_dates))
    np.add.at(counts, (t.category, date_of), 1.0)
    return _Days(EPOCH + dt.timedelta(days=day0), weekday, cover, counts, date_of)


def _exposure(days: _Days, keep: np.ndarray) -> np.ndarray:
    table = np.zeros((DAYS, HOURS))
    np.add.at(table, days.weekday[keep], days.cover[keep])
    return table


def _weights(cal: Calibration, days: _Days, keep: np.ndarray) -> np.ndarray:
    """Profile weight of every date, per category, from a fit on the ``keep`` dates:
    D[weekday] * sum_h H[h] * cover[h], shape (categories, dates)."""
    t = cal.tickets
    kept = keep[days.date_of]
    exp = _exposure(days, keep)
    pooled = fit_profile(counts_table(np.zeros(int(kept.sum()), int), t.hours[kept], 1), exp)
    out = np.zeros((len(t.categories), len(days.weekday)))
    for k, fit in enumerate(cal.categories):
        profile = pooled
        if fit.own_profile:
            mine = kept & (t.category == k)
            profile = fit_profile(counts_table(np.zeros(int(mine.sum()), int), t.hours[mine], 1),
                                  exp)
        out[k] = profile.day[days.weekday] * (days.cover @ profile.hour)
    return out


def _expected(counts: np.ndarray, weights: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Expected tickets per category and date: base rate from the kept dates x weight."""
    kept_w = weights[:, keep].sum(axis=1)
    base = np.divide(counts[:, keep].sum(axis=1), kept_w, out=np.zeros(len(kept_w)),
                     where=kept_w > 0)
    return base[:, None] * weights


def find_events(cal: Calibration, alpha: float = ALPHA) -> EventScan:
    """The dates of ``cal``'s window whose counts its hour x weekday model cannot
    explain, grouped into candidate events (see the module's description).

    Parameters
    ----------
    cal
        A fitted calibration (its categories' own-or-pooled profile choice is kept).
    alpha
        False discovery rate over dates, and the level of the per-category tests and
        of the ratio's confidence interval (1 - alpha).
    """
    days = _days(cal)
    names = [f.name for f in cal.categories]
    present = days.cover.sum(axis=1) > 0
    keep = present.copy()
    obs = np.vstack([days.counts, days.counts.sum(axis=0)])
    phis = [1.0] * len(obs)
    passes = 0
    while True:
        passes += 1
        exp, weights = _fit(cal, days, keep)
        p = _date_tests(obs, exp, keep, present, days.weekday, phis)
        flags = np.zeros(obs.shape, bool)
        flags[:, present] = benjamini_hochberg(p[:, present], alpha)
        new_keep = present & ~flags.any(axis=0)
        new_phis = [dispersion(o, e, present) for o, e in zip(obs, exp, strict=True)]
        settled = np.array_equal(new_keep, keep) and np.allclose(new_phis, phis, rtol=1e-3)
        if settled or passes >= MAX_PASSES or not new_keep.any():
            break
        keep, phis = new_keep, new_phis
    runs = _extend(_runs(flags, obs, exp, p), flags, obs, exp, p, present, alpha)
    inside = np.zeros(len(present), bool)
    for first, last, _ in runs:
        inside[first:last + 1] = True
    outside = present & ~inside
    if runs and outside.any() and not np.array_equal(outside, keep):
        keep = outside  # the expectation on event dates leaves them all out
        exp, weights = _fit(cal, days, keep)
    rate_factor = {}
    for k, fit in enumerate(cal.categories):
        base = weights[k, keep].sum()
        full_rate = fit.count / fit.hours if fit.hours > 0 else 0.0
        if base > 0 and full_rate > 0:
            rate_factor[fit.name] = float(obs[k, keep].sum() / base / full_rate)
    events = [_event(days, names, obs, exp, phis, run, keep, alpha) for run in runs]
    return EventScan(events, int(present.sum()), int(flags[:, present].size), alpha, passes,
                     {n: phi for n, phi in zip([*names, ""], phis, strict=True)}, rate_factor)


def _date_tests(obs: np.ndarray, exp: np.ndarray, keep: np.ndarray, present: np.ndarray,
                weekday: np.ndarray, phis: list[float]) -> np.ndarray:
    """Two-sided p-value of every series and date: its count against the kept dates of
    the same weekday (all kept dates when there are none), given their total, so the
    uncertainty of the fitted weekday rate is carried; 1 on dates outside the window."""
    kept_obs, kept_exp = obs * keep, exp * keep
    by_day_obs = np.stack([kept_obs[:, weekday == w].sum(axis=1) for w in range(DAYS)], 1)
    by_day_exp = np.stack([kept_exp[:, weekday == w].sum(axis=1) for w in range(DAYS)], 1)
    ref_obs = by_day_obs[:, weekday] - kept_obs  # the same weekday's kept dates but this one
    ref_exp = by_day_exp[:, weekday] - kept_exp
    alone = ref_exp.sum(axis=0) <= 0  # no other such weekday kept: all other kept dates
    ref_obs[:, alone] = kept_obs.sum(axis=1)[:, None] - kept_obs[:, alone]
    ref_exp[:, alone] = kept_exp.sum(axis=1)[:, None] - kept_exp[:, alone]
    with np.errstate(invalid="ignore", divide="ignore"):
        share0 = np.where(exp + ref_exp > 0, exp / (exp + ref_exp), 0.0)
    p = np.vstack([conditional_p(o, r, s, phi)
                   for o, r, s, phi in zip(obs, ref_obs, share0, phis, strict=True)])
    p[:, ~present] = 1.0
    return p


def _fit(cal: Calibration, days: _Days, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Expected tickets per series (categories, then the total) and date from a fit on
    the ``keep`` dates, and the categories' profile weights per date."""
    weights = _weights(cal, days, keep)
    expected = _expected(days.counts, weights, keep)
    return np.vstack([expected, expected.sum(axis=0)]), weights


Run = tuple[int, int, int]
"""First date, last date (indices) and direction (+1 surge, -1 dip)."""


def _runs(flags: np.ndarray, obs: np.ndarray, exp: np.ndarray, p: np.ndarray) -> list[Run]:
    """Runs of consecutive flagged dates with the same direction: that of the date's
    most significant flagged test."""
    direction = np.zeros(flags.shape[1], int)
    for date in np.flatnonzero(flags.any(axis=0)):
        rows = np.flatnonzero(flags[:, date])
        r = rows[np.argmin(p[rows, date])]
        direction[date] = 1 if obs[r, date] > exp[r, date] else -1
    runs: list[Run] = []
    for d, sign in enumerate(direction.tolist()):
        if sign and runs and runs[-1][1] == d - 1 and runs[-1][2] == sign:
            runs[-1] = (runs[-1][0], d, int(sign))
        elif sign:
            runs.append((d, d, int(sign)))
    return runs


def _extend(runs: list[Run], flags: np.ndarray, obs: np.ndarray, exp: np.ndarray,
            p: np.ndarray, present: np.ndarray, alpha: float) -> list[Run]:
    """Each run grown over the unflagged dates next to it on which a series flagged in
    the run departs the same way at level ``alpha`` before correction (a strict threshold
    finds an event, a lenient one its edges), then runs that meet merged."""
    flagged = flags.sum(axis=0) > 0
    grown: list[Run] = []
    for first, last, sign in runs:
        rows = np.flatnonzero(flags[:, first:last + 1].any(axis=1))

        def joins(d: int, rows: np.ndarray = rows, sign: int = sign) -> bool:
            if d < 0 or d >= len(present) or not present[d] or flagged[d]:
                return False
            same = np.sign(obs[rows, d] - exp[rows, d]) == sign
            return bool((same & (p[rows, d] < alpha)).any())

        while joins(first - 1):
            first -= 1
        while joins(last + 1):
            last += 1
        if grown and grown[-1][2] == sign and grown[-1][1] >= first - 1:
            grown[-1] = (grown[-1][0], max(last, grown[-1][1]), sign)
        else:
            grown.append((first, last, sign))
    return grown


def _event(days: _Days, names: list[str], obs: np.ndarray, exp: np.ndarray,
           phis: list[float], run: Run,
           keep: np.ndarray, alpha: float) -> CandidateEvent:
    first, last, sign = run
    span = slice(first, last + 1)
    o = obs[:, span].sum(axis=1)
    e = exp[:, span].sum(axis=1)
    kept = obs[:, keep].sum(axis=1)
    level = 1.0 - alpha
    tests = [rate_ratio(o[k], kept[k], e[k], phis[k], level) if e[k] > 0 and kept[k] > 0
             else (np.nan, (np.nan, np.nan), 1.0) for k in range(len(names))]
    p_cat = np.array([t[2] for t in tests])
    named = holm(p_cat, alpha) & (np.sign(o[:-1] - e[:-1]) == sign)
    by_category = [CategoryExcess(n, int(o[k]), float(e[k]), float(p_cat[k]), bool(named[k]))
                   for k, n in enumerate(names)]
    rows = np.flatnonzero(named) if named.any() and not named.all() else [len(names)]
    o_sel, e_sel, k_sel = (float(o[rows].sum()), float(e[rows].sum()),
                           float(kept[rows].sum()))
    ratio, ci, p_run = (rate_ratio(o_sel, k_sel, e_sel, max(phis[r] for r in rows), level)
                        if e_sel > 0 and k_sel > 0 else (np.nan, (np.nan, np.nan), 1.0))
    multiplier = float(min(MAX_MULTIPLIER, round(ratio, 2))) if np.isfinite(ratio) else 1.0
    return CandidateEvent(
        start=days.first + dt.timedelta(days=first), end=days.first + dt.timedelta(days=last),
        direction="surge" if sign > 0 else "dip", observed=int(o_sel), expected=e_sel,
        ratio=float(ratio), ratio_ci=(float(ci[0]), float(ci[1])), multiplier=multiplier,
        categories=[names[r] for r in rows] if named.any() and not named.all() else None,
        p_value=float(p_run), by_category=by_category)
