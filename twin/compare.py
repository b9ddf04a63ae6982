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

from twin.experiment import Execution, ExecutionOptions, RunResult, run_many
from twin.metrics import DEFAULT_LEVEL, confidence_interval
from twin.scenario.schema import Scenario

COMPARISON_COLUMNS = (
    "kpi", "scenario", "mean", "ci_low", "ci_high", "n", "diff", "diff_ci_low",
    "diff_ci_high", "significant",
)


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
            if name == names[0]:
                row.update(diff=0.0, diff_ci_low=np.nan, diff_ci_high=np.nan, significant=False)
            elif kpi not in ref.columns:  # the reference has none (e.g. no online mediation)
                row.update(diff=np.nan, diff_ci_low=np.nan, diff_ci_high=np.nan,
                           significant=False)
            else:
                d = (other.loc[common, kpi] - ref.loc[common, kpi]).to_numpy(dtype=float)
                dm, dl, dh, _ = confidence_interval(d, level)
                row.update(diff=dm, diff_ci_low=dl, diff_ci_high=dh,
                           significant=bool(np.isfinite(dl) and (dl > 0 or dh < 0)))
            rows.append(row)
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


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
