"""Paired comparisons of scenarios on common random numbers.

Every scenario runs the same replication numbers with the same root seed, so
replication r of each faces the same issues. The difference of a KPI between a
scenario and the first (the reference) is taken replication by replication,
and its confidence interval comes from those paired differences: the noise
shared by both runs cancels, and a real difference shows with few replications.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import numpy as np
import pandas as pd
from scipy import stats

from twin.experiment import Execution, ExecutionOptions, RunResult, run_many
from twin.metrics import DEFAULT_LEVEL, confidence_interval
from twin.metrics.catalogue import Kpi, headline_kpis, is_share, kpi_spec
from twin.metrics.groups import COMPARISON_COLUMNS
from twin.scenario.schema import Scenario

VERDICTS = ("better", "worse", "differs", "no clear difference")
"""A headline KPI's verdict against the reference, by its Holm-adjusted test and the
catalogue's direction (``differs``: a clear difference in a KPI with no better way)."""


@dataclass(frozen=True)
class Comparison:
    """Runs of several scenarios and their paired differences against the first."""

    names: list[str]
    """Scenario names, the reference first."""
    runs: dict[str, RunResult]
    """Each scenario's results."""
    table: pd.DataFrame
    """One row per (kpi, scenario): mean and CI, and the paired difference to the
    reference with its CI and whether that CI excludes zero."""


def unique_names(scenarios: Sequence[Scenario]) -> list[str]:
    """Scenario names, made unique with a numeric suffix where they repeat."""
    names: list[str] = []
    for scenario in scenarios:
        name, k = scenario.name, 2
        while name in names:
            name, k = f"{scenario.name}-{k}", k + 1
        names.append(name)
    return names


def _by_replication(run: RunResult) -> pd.DataFrame:
    """KPIs indexed by replication (empty when every replication failed)."""
    if "replication" not in run.kpis.columns:
        return pd.DataFrame(index=pd.Index([], name="replication"))
    return run.kpis.set_index("replication")


def paired_table(runs: dict[str, RunResult], names: list[str],
                 level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """The comparison table of runs that share replication numbers."""
    ref = _by_replication(runs[names[0]])
    rows: list[dict[str, Any]] = []
    tables = {name: _by_replication(runs[name]) for name in names}
    kpis = list(dict.fromkeys(c for name in names for c in tables[name].columns))
    for name in names:
        other = tables[name]
        common = ref.index.intersection(other.index)
        for kpi in kpis:
            if kpi not in other.columns:
                continue
            mean, low, high, n = confidence_interval(other[kpi].to_numpy(dtype=float), level)
            row: dict[str, Any] = {"kpi": kpi, "scenario": name, "mean": mean, "ci_low": low,
                                   "ci_high": high, "n": n}
            if is_share(kpi):  # a share's interval stays within [0, 1]
                row.update(ci_low=_clip(low), ci_high=_clip(high))
            if name == names[0]:
                row.update(diff=0.0, diff_ci_low=np.nan, diff_ci_high=np.nan, significant=False,
                           pct=0.0, pct_ci_low=np.nan, pct_ci_high=np.nan, p_value=np.nan)
            elif kpi not in ref.columns:  # the reference has none (e.g. no online mediation)
                row.update(diff=np.nan, diff_ci_low=np.nan, diff_ci_high=np.nan,
                           significant=False, pct=np.nan, pct_ci_low=np.nan,
                           pct_ci_high=np.nan, p_value=np.nan)
            else:
                base = ref.loc[common, kpi].to_numpy(dtype=float)
                d = other.loc[common, kpi].to_numpy(dtype=float) - base
                dm, dl, dh, _ = confidence_interval(d, level)
                pct, pl, ph = ratio_interval(d, base, level)
                row.update(diff=dm, diff_ci_low=dl, diff_ci_high=dh,
                           significant=bool(np.isfinite(dl) and (dl > 0 or dh < 0)),
                           pct=pct, pct_ci_low=pl, pct_ci_high=ph, p_value=paired_p(d))
            rows.append(row)
    table = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS[:-3]))
    return with_verdicts(table, names[0], 1.0 - level)


def _clip(value: float) -> float:
    return value if np.isnan(value) else min(1.0, max(0.0, value))


def paired_p(d: np.ndarray) -> float:
    """Two-sided p-value of the paired t-test of differences ``d`` (NaN dropped) against
    zero: the test whose interval :func:`confidence_interval` gives (NaN below two)."""
    v = np.asarray(d, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) < 2:
        return float("nan")
    sd = float(v.std(ddof=1))
    if sd == 0.0:  # every replication moved by the same amount
        return 1.0 if float(v.mean()) == 0.0 else 0.0
    t = float(v.mean()) / (sd / np.sqrt(len(v)))
    return float(2.0 * stats.t.sf(abs(t), len(v) - 1))


def ratio_interval(d: np.ndarray, base: np.ndarray, level: float = DEFAULT_LEVEL
                   ) -> tuple[float, float, float]:
    """The mean difference as a share of the reference's mean, and its CI.

    ``mean(d) / mean(base)`` with the ratio estimator's interval (delta method:
    the residuals ``d - R base`` carry the noise of both), so the reference's own
    noise widens it; NaN when the reference's mean is 0 or fewer than two pairs.
    """
    keep = ~(np.isnan(d) | np.isnan(base))
    d, base = np.asarray(d, dtype=float)[keep], np.asarray(base, dtype=float)[keep]
    n = len(d)
    if n == 0 or float(base.mean()) == 0.0:
        return float("nan"), float("nan"), float("nan")
    ratio = float(d.mean() / base.mean())
    if n < 2:
        return ratio, float("nan"), float("nan")
    se = float((d - ratio * base).std(ddof=1) / (np.sqrt(n) * abs(base.mean())))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * se
    return ratio, ratio - half, ratio + half


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (NaN stays NaN and is not counted)."""
    values = [float(p) for p in p_values]
    order = sorted((p, i) for i, p in enumerate(values) if not np.isnan(p))
    m = len(order)
    adjusted = [float("nan")] * len(values)
    running = 0.0
    for rank, (p, i) in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def _verdict(diff: float, p: float, alpha: float, spec: Kpi | None) -> str:
    if np.isnan(p):
        return ""
    if p > alpha:
        return "no clear difference"
    better = spec.better(diff) if spec is not None else None
    return "differs" if better is None else "better" if better else "worse"


def with_verdicts(table: pd.DataFrame, reference: str, alpha: float = 1 - DEFAULT_LEVEL
                  ) -> pd.DataFrame:
    """``table`` with ``p_holm``, ``significant_holm`` and ``verdict``: Holm's adjustment
    over every (headline KPI, scenario other than ``reference``) pair with a p-value,
    at level ``alpha``; other rows get NaN, False and ""."""
    out = table.copy()
    for column in ("pct", "pct_ci_low", "pct_ci_high", "p_value"):
        if column not in out.columns:
            out[column] = np.nan
    heads = set(headline_kpis())
    family = (out["kpi"].isin(heads) & (out["scenario"] != reference)
              & out["p_value"].notna()).to_numpy()
    adjusted = np.full(len(out), np.nan)
    adjusted[family] = holm(out.loc[family, "p_value"].tolist())
    out["p_holm"] = adjusted
    out["significant_holm"] = np.nan_to_num(adjusted, nan=1.0) <= alpha
    out["verdict"] = [_verdict(float(d), float(p), alpha, spec) for d, p, spec in zip(
        out["diff"], adjusted, map(kpi_spec, out["kpi"]), strict=True)]
    return out[[c for c in COMPARISON_COLUMNS if c in out.columns]
               + [c for c in out.columns if c not in COMPARISON_COLUMNS]]


def compare(
    scenarios: Sequence[Scenario],
    replications: int | Sequence[int] | None = None,
    seed: int | None = None,
    execution: Execution | None = None,
    **options: Unpack[ExecutionOptions],
) -> Comparison:
    """Run scenarios on common random numbers and compare each with the first.

    The root seed and the number of replications default to the first scenario's.
    ``execution`` (or its fields as keywords) says how they run, as for
    :func:`twin.experiment.run_many`.

    Examples
    --------
    >>> import twin
    >>> base = twin.load_scenario("scenarios/validation/mmc.yaml",
    ...                           overrides={"run.horizon_days": 3, "run.warmup_days": 1})
    >>> more = base.model_copy(update={"name": "more"})
    >>> result = twin.compare([base, more], replications=3)
    >>> result.names
    ['mmc', 'more']
    """
    if not scenarios:
        raise ValueError("compare needs at least one scenario")
    names = unique_names(scenarios)
    first = scenarios[0]
    reps = first.run.replications if replications is None else replications
    root = first.run.seed if seed is None else seed
    runs = run_many(list(zip(names, scenarios, strict=True)), reps, root, execution, **options)
    return Comparison(names, runs, paired_table(runs, names))
