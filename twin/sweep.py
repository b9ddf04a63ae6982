"""Sweeps: a grid of runs over scenario keys (e.g. workers per grid x hand-off delay).

Every point of the grid is the base scenario with some keys overridden, run on
the same replication numbers and root seed (common random numbers across
points). Results come as a tidy long table: one row per (point, replication, KPI).

A sweep may run *against* another scenario (e.g. specialised grids over their
hand-off delay against one comprehensive grid): that scenario runs on the same
replications and seed, every point is compared with it replication by
replication (:func:`paired_points`), and :func:`break_even` finds where a KPI's
paired difference crosses zero along the varied key, with a bootstrap
confidence interval.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import numpy as np
import pandas as pd

from twin.experiment import Execution, ExecutionOptions, RunResult, run_many
from twin.metrics import DEFAULT_LEVEL, confidence_interval, summarise
from twin.metrics.catalogue import kpi_spec
from twin.metrics.warmup import backlog_growth
from twin.rng import Streams
from twin.scenario.errors import Problem, ScenarioError
from twin.scenario.loader import apply_overrides
from twin.scenario.schema import Scenario
from twin.vocab import MINUTES_PER_DAY

BOOTSTRAP_SAMPLES = 2000
"""Resamples of the replications for the confidence interval of a break-even."""
PAIRED_COLUMNS = ("point", "kpi", "mean", "ci_low", "ci_high", "against_mean",
                  "against_ci_low", "against_ci_high", "diff", "diff_ci_low", "diff_ci_high",
                  "n", "significant")
"""Columns of :func:`paired_points` after the varied key (``paired.csv``)."""
BREAK_EVEN_COLUMNS = ("key", "kpi", "scenario", "against", "break_even", "ci_low",
                      "ci_high", "level", "crossed", "samples", "n", "x_min", "x_max",
                      "better_below")
"""Columns of :func:`break_even_table` (``breakeven.csv``)."""
COLLAPSE_UTILISATION = 0.99
"""Mean utilisation from which a point counts as collapsed: its workers never rest."""
SUMMARY_COLUMNS = ("point", "kpi", "mean", "ci_low", "ci_high", "n")
"""Columns of a sweep summary besides the varied keys."""


@dataclass(frozen=True)
class SweepResult:
    """All points of a sweep."""

    keys: list[str]
    """The varied scenario keys (dotted paths)."""
    points: pd.DataFrame
    """One row per point: ``point``, one column per varied key, its short ``label``
    (:func:`point_labels`) and why it ``collapsed`` (:func:`collapse_reason`; empty if
    it did not)."""
    runs: dict[str, RunResult]
    """Each point's results, by point name (and the ``against`` scenario's, by its name)."""
    results: pd.DataFrame
    """Long table: point, the varied keys, replication, kpi, value."""
    summary: pd.DataFrame
    """Per point and KPI: the varied keys, mean, ci_low, ci_high, n."""
    against: str | None = None
    """Name of the scenario every point is compared with (its run is in ``runs``)."""


def parse_values(text: str) -> list[Any]:
    """Values of a ``--vary`` option: ``1..4``, ``60,120`` or a YAML list ``[60, 120]``."""
    from ruamel.yaml import YAML

    text = text.strip()
    if ".." in text and "," not in text and not text.startswith("["):
        lo, _, hi = text.partition("..")
        try:
            start, stop = int(lo), int(hi)
        except ValueError:
            raise ValueError(f"a range a..b takes whole numbers (got {text!r}); list other "
                             "values instead, e.g. 0.5,1,2") from None
        step = 1 if stop >= start else -1
        return list(range(start, stop + step, step))
    if not text.startswith("["):
        text = f"[{text}]"
    values = YAML(typ="safe", pure=True).load(text)
    if not isinstance(values, list) or not values:
        raise ValueError(f"expected values like 1..4, 60,120 or [60, 120] (got {text!r})")
    return values


def point_name(values: Mapping[str, Any]) -> str:
    """A readable name for a point, e.g. ``workforce.per_grid=2,deadlines.response=30``."""
    return ",".join(f"{k}={v}" for k, v in values.items())


def point_labels(grid: Sequence[Mapping[str, Any]]) -> list[str]:
    """Short names of points, e.g. ``per_grid=1 · response=30``: the last part of each
    key, the whole key where last parts clash (``a.limit`` and ``b.limit``)."""
    keys = list(dict.fromkeys(k for values in grid for k in values))
    last = [k.rsplit(".", 1)[-1] for k in keys]
    short = {k: (t if last.count(t) == 1 else k) for k, t in zip(keys, last, strict=True)}
    return [" · ".join(f"{short[k]}={v}" for k, v in values.items()) for values in grid]


def collapse_reason(run: RunResult | Any) -> str:
    """Why a point collapsed, or ``""``: its open issues keep rising after the warm-up
    (:func:`twin.metrics.warmup.backlog_growth`) or its mean utilisation is at least
    :data:`COLLAPSE_UTILISATION`. Its KPIs then describe a growing backlog, not a
    steady state. ``run``: a RunResult, or anything with its ``scenario``, ``issues``
    and ``kpis``."""
    reasons = []
    spec = run.scenario
    if len(run.issues):
        slope = backlog_growth(run.issues, spec.run.horizon_days * MINUTES_PER_DAY,
                               spec.run.warmup_days * MINUTES_PER_DAY)
        if slope is not None:
            reasons.append(f"open issues keep rising (+{slope:.1f} a day after the warm-up)")
    if "utilisation" in run.kpis.columns:
        busy = float(run.kpis["utilisation"].mean())
        if busy >= COLLAPSE_UTILISATION:
            reasons.append(f"utilisation {busy:.1%}")
    return "; ".join(reasons)


def varied_keys(summary: pd.DataFrame) -> list[str]:
    """The varied keys of a sweep summary (its columns besides :data:`SUMMARY_COLUMNS`)."""
    return [c for c in summary.columns if c not in SUMMARY_COLUMNS]


def changed_kpis(summary: pd.DataFrame, key: str) -> list[str] | None:
    """The KPIs whose mean changes with ``key`` at some fixed values of the other varied
    keys (None when ``key`` takes one value): an empty list says the key changes nothing.
    """
    keys = varied_keys(summary)
    summary = summary.assign(**{k: summary[k].map(repr) for k in keys})  # lists are values too
    if summary[key].nunique() < 2:
        return None
    others = [k for k in keys if k != key]
    changed = []
    for kpi, rows in summary.groupby("kpi", sort=False):
        groups = rows.groupby(others, dropna=False)["mean"] if others else [(None, rows["mean"])]
        for _, means in groups:
            values = means.to_numpy(float)
            if len(values) > 1 and not np.allclose(values, values[0], rtol=1e-9, atol=1e-12,
                                                   equal_nan=True):
                changed.append(str(kpi))
                break
    return changed


def sweep_points(scenario: Scenario, vary: Mapping[str, Sequence[Any]]
                 ) -> tuple[list[dict[str, Any]], list[tuple[str, Scenario]]]:
    """Every point of the grid: its values and its (name, scenario).

    Raises
    ------
    ScenarioError
        Listing the problems of every invalid point, located at ``--vary``.
    """
    keys = list(vary)
    grid = [dict(zip(keys, combo, strict=True))
            for combo in itertools.product(*(vary[k] for k in keys))]
    requests: list[tuple[str, Scenario]] = []
    problems: list[Problem] = []
    for values in grid:
        try:
            requests.append((point_name(values), apply_overrides(scenario, values)))
        except ScenarioError as error:
            problems.extend(p for p in error.problems if p not in problems)
    if problems:
        raise ScenarioError(problems)
    return grid, requests


def sweep(
    scenario: Scenario,
    vary: Mapping[str, Sequence[Any]],
    replications: int | Sequence[int] | None = None,
    seed: int | None = None,
    execution: Execution | None = None,
    *,
    against: Scenario | None = None,
    **options: Unpack[ExecutionOptions],
) -> SweepResult:
    """Run the full grid of ``vary`` values over ``scenario``.

    ``execution`` (or its fields as keywords) says how the points run, as for
    :func:`twin.experiment.run_many`. With ``against``, that scenario runs too, on
    the replications and root seed of ``scenario`` (common random numbers with every
    point), for :func:`paired_points` and :func:`break_even_table`.

    Raises
    ------
    ScenarioError
        If a point makes an invalid scenario (reported with the offending values).

    Examples
    --------
    >>> import twin
    >>> base = twin.load_scenario("scenarios/validation/mmc.yaml",
    ...                           overrides={"run.horizon_days": 3, "run.warmup_days": 1})
    >>> result = twin.sweep(base, {"workforce.per_grid": [2, 3]}, replications=2)
    >>> list(result.points["workforce.per_grid"])
    [2, 3]
    """
    keys = list(vary)
    grid, requests = sweep_points(scenario, vary)
    other = None
    if against is not None:
        other = against.name
        while other in {n for n, _ in requests}:
            other += "-against"
        reps = scenario.run.replications if replications is None else replications
        seed = scenario.run.seed if seed is None else seed
        requests = [*requests, (other, apply_overrides(against, {"run.replications": reps}
                                                       if isinstance(reps, int) else {}))]
    runs = run_many(requests, replications, seed, execution, **options)
    if other is not None:
        requests = requests[:-1]
    points = pd.DataFrame([{"point": name, **values, "label": label,
                            "collapsed": collapse_reason(runs[name]) if runs[name].replications
                            else ""} for (name, _), values, label in zip(
                               requests, grid, point_labels(grid), strict=True)])
    long_rows, summary_rows = [], []
    for (name, _), values in zip(requests, grid, strict=True):
        kpis = runs[name].kpis
        melted = kpis.melt(id_vars="replication", var_name="kpi", value_name="value")
        for key, value in reversed(list(values.items())):
            melted.insert(0, key, [value] * len(melted))
        melted.insert(0, "point", name)
        long_rows.append(melted)
        summ = summarise(kpis, DEFAULT_LEVEL).reset_index()
        for key, value in reversed(list(values.items())):
            summ.insert(0, key, [value] * len(summ))
        summ.insert(0, "point", name)
        summary_rows.append(summ)
    return SweepResult(keys, points, runs, pd.concat(long_rows, ignore_index=True),
                       pd.concat(summary_rows, ignore_index=True), other)


def _by_replication(run: RunResult) -> pd.DataFrame:
    if "replication" not in run.kpis.columns:
        return pd.DataFrame(index=pd.Index([], name="replication"))
    return run.kpis.set_index("replication")


def paired_points(result: SweepResult, level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """Every point against the sweep's ``against`` scenario, KPI by KPI: the point's
    mean and CI, the other's mean, and the paired difference (point − against) taken
    replication by replication, with its CI and whether that CI excludes zero."""
    if result.against is None:
        raise ValueError("the sweep ran against no scenario")
    ref = _by_replication(result.runs[result.against])
    rows: list[dict[str, Any]] = []
    for point in result.points.to_dict("records"):
        name = point["point"]
        other = _by_replication(result.runs[name])
        common = ref.index.intersection(other.index)
        for kpi in [k for k in ref.columns if k in other.columns]:
            mean, low, high, _ = confidence_interval(other[kpi].to_numpy(float), level)
            d = (other.loc[common, kpi] - ref.loc[common, kpi]).to_numpy(float)
            dm, dl, dh, n = confidence_interval(d, level)
            am, al, ah, _ = confidence_interval(ref.loc[common, kpi].to_numpy(float), level)
            rows.append({**{k: point[k] for k in result.keys}, "point": name, "kpi": kpi,
                         "mean": mean, "ci_low": low, "ci_high": high, "against_mean": am,
                         "against_ci_low": al, "against_ci_high": ah, "diff": dm,
                         "diff_ci_low": dl, "diff_ci_high": dh, "n": n,
                         "significant": bool(np.isfinite(dl) and (dl > 0 or dh < 0))})
    return pd.DataFrame(rows, columns=[*result.keys, *PAIRED_COLUMNS])


def crossing(x: np.ndarray, y: np.ndarray) -> float:
    """Where the curve ``y`` over increasing ``x`` first reaches zero, interpolated
    linearly between points. A curve that stays on one side gives +inf when it comes
    closer to zero towards the last x (the crossing lies beyond the range), -inf when
    it comes closer towards the first; a curve with NaN gives NaN."""
    if len(y) == 0 or np.isnan(y).any():
        return float("nan")
    if y[0] == 0.0:
        return float(x[0])
    sign = np.sign(y)
    change = np.flatnonzero(sign[1:] != sign[:-1])
    if len(change):
        i = int(change[0])
        if y[i + 1] == 0.0:
            return float(x[i + 1])
        return float(x[i] + (x[i + 1] - x[i]) * y[i] / (y[i] - y[i + 1]))
    return math.inf if abs(y[-1]) < abs(y[0]) else -math.inf


@dataclass(frozen=True)
class BreakEven:
    """Where a KPI's paired difference (sweep point − against) crosses zero along the
    varied key, with a bootstrap confidence interval."""

    key: str
    kpi: str
    estimate: float
    """The crossing of the mean differences; ±inf: beyond the swept range on that
    side; NaN: no differences."""
    ci_low: float
    ci_high: float
    level: float
    crossed: float
    """Share of bootstrap resamples whose curve crosses zero inside the swept range."""
    samples: int
    n: int
    """Replications paired (those with a value at every point)."""
    x_min: float
    x_max: float
    better_below: str | None
    """Which side does better below the break-even (``sweep`` or ``against``; the other
    does better above it), from the KPI's direction; None when the KPI has no better
    direction. With the break-even at +inf the one below does better over the whole
    range; at -inf the other one does."""


def break_even(x: Sequence[float], diffs: np.ndarray, key: str, kpi: str,
               level: float = DEFAULT_LEVEL, samples: int = BOOTSTRAP_SAMPLES,
               rng: np.random.Generator | None = None) -> BreakEven:
    """The break-even of paired differences ``diffs`` (replications x points, in the
    order of ``x``): the crossing of their means, and a percentile bootstrap interval
    from resampling whole replications (a replication's differences at every point
    stay together, so the common random numbers across points are kept).

    Examples
    --------
    >>> import numpy as np
    >>> d = np.array([[-2.0, 0.0, 2.0], [-1.0, 1.0, 3.0]])   # means -1.5, 0.5, 2.5
    >>> break_even([0, 10, 20], d, "delay", "kpi").estimate
    7.5
    """
    xs = np.asarray(x, dtype=float)
    order = np.argsort(xs)
    xs, d = xs[order], np.asarray(diffs, dtype=float)[:, order]
    d = d[~np.isnan(d).any(axis=1)]
    n = len(d)
    estimate = crossing(xs, d.mean(axis=0)) if n else float("nan")
    low = high = crossed = float("nan")
    if n >= 2:
        gen = rng if rng is not None else Streams(0, 0)[f"break-even/{kpi}"]
        means = d[gen.integers(0, n, size=(samples, n))].mean(axis=1)
        found = np.sort([crossing(xs, row) for row in means])
        alpha = 1.0 - level
        low = float(found[int(math.floor(alpha / 2 * samples))])
        high = float(found[int(math.ceil((1 - alpha / 2) * samples)) - 1])
        crossed = float(np.isfinite(found).mean())
    spec = kpi_spec(kpi)
    better = None
    if spec is not None and spec.direction is not None and n and not math.isnan(estimate):
        first = float(d.mean(axis=0)[0])  # the sweep's point minus the other, at the first x
        sweep_first = bool(spec.better(first))  # better at the first x
        if estimate == -math.inf:  # the whole range lies above the break-even
            sweep_first = not sweep_first
        better = "sweep" if sweep_first else "against"
    return BreakEven(key, kpi, estimate, low, high, level, crossed, samples, n,
                     float(xs[0]), float(xs[-1]), better)


def break_even_table(result: SweepResult, kpis: Sequence[str],
                     level: float = DEFAULT_LEVEL, samples: int = BOOTSTRAP_SAMPLES,
                     seed: int = 0) -> pd.DataFrame:
    """The break-even of each KPI of ``kpis`` along the sweep's one varied key (its
    values must be numbers), against the sweep's ``against`` scenario: one row per KPI
    (:data:`BREAK_EVEN_COLUMNS`; ``better_below`` names the scenario that does better
    below the break-even, empty for a KPI with no better direction)."""
    if result.against is None or len(result.keys) != 1:
        raise ValueError("a break-even needs a sweep of one key against a scenario")
    key = result.keys[0]
    ref = _by_replication(result.runs[result.against])
    names = list(result.points["point"])
    runs = [_by_replication(result.runs[name]) for name in names]
    reps = ref.index
    for run in runs:
        reps = reps.intersection(run.index)
    rows = []
    for kpi in kpis:
        diffs = np.column_stack([
            (run.loc[reps, kpi] - ref.loc[reps, kpi]).to_numpy(float)
            if kpi in run.columns and kpi in ref.columns else np.full(len(reps), np.nan)
            for run in runs])
        found = break_even(result.points[key].astype(float).tolist(), diffs, key, kpi, level,
                           samples, Streams(seed, 0)[f"break-even/{kpi}"])
        swept = result.runs[names[0]].scenario.name
        better = {"sweep": swept, "against": result.against}.get(found.better_below or "")
        rows.append({"key": key, "kpi": kpi, "scenario": swept, "against": result.against,
                     "break_even": found.estimate, "ci_low": found.ci_low,
                     "ci_high": found.ci_high, "level": level, "crossed": found.crossed,
                     "samples": samples, "n": found.n, "x_min": found.x_min,
                     "x_max": found.x_max, "better_below": better})
    return pd.DataFrame(rows, columns=list(BREAK_EVEN_COLUMNS))
