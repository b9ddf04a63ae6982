"""Sweeps: a grid of runs over scenario keys (e.g. workers per grid x green deadline).

Every point of the grid is the base scenario with some keys overridden, run on
the same replication numbers and root seed (common random numbers across
points). Results come as a tidy long table: one row per (point, replication, KPI).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import pandas as pd

from twin.experiment import Execution, ExecutionOptions, RunResult, run_many
from twin.metrics import DEFAULT_LEVEL, summarise
from twin.scenario.errors import Problem, ScenarioError
from twin.scenario.loader import apply_overrides
from twin.scenario.schema import Scenario


@dataclass(frozen=True)
class SweepResult:
    """All points of a sweep."""

    keys: list[str]
    """The varied scenario keys (dotted paths)."""
    points: pd.DataFrame
    """One row per point: ``point`` and one column per varied key."""
    runs: dict[str, RunResult]
    """Each point's results, by point name."""
    results: pd.DataFrame
    """Long table: point, the varied keys, replication, kpi, value."""
    summary: pd.DataFrame
    """Per point and KPI: the varied keys, mean, ci_low, ci_high, n."""


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
    """A readable name for a point, e.g. ``workforce.per_grid=2,deadlines.green=60``."""
    return ",".join(f"{k}={v}" for k, v in values.items())


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
    **options: Unpack[ExecutionOptions],
) -> SweepResult:
    """Run the full grid of ``vary`` values over ``scenario``.

    ``execution`` (or its fields as keywords) says how the points run, as for
    :func:`twin.experiment.run_many`.

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
    runs = run_many(requests, replications, seed, execution, **options)
    points = pd.DataFrame([{"point": name, **values}
                           for (name, _), values in zip(requests, grid, strict=True)])
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
                       pd.concat(summary_rows, ignore_index=True))
