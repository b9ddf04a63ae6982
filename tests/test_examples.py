"""Every scenario shipped under scenarios/ validates and runs a short horizon."""

from __future__ import annotations

from pathlib import Path

import pytest

import twin

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "scenarios").rglob("*.yaml"))
SHORT = ["run.horizon_days=1.5", "run.warmup_days=0.25", "run.replications=2"]
HEAVY = {"district.yaml"}
"""Scenarios too large to run in the tests: checked (map, grids, staffing) over one day
only; benchmarks/district_bench.py runs them."""


def test_there_are_examples() -> None:
    names = {p.relative_to(ROOT / "scenarios").as_posix() for p in EXAMPLES}
    assert {"baseline.yaml", "validation/mmc.yaml"} <= names


def _short(scenario: twin.Scenario) -> list[str]:
    """A short run; one with dated events runs until a day and a half into the first
    (an event wholly outside the run is a mistake in the file)."""
    if not scenario.events or scenario.calendar is None:
        return SHORT
    first = min(e.start for e in scenario.events)
    days = max(0, (first - scenario.calendar.start).days) + 1.5
    return [f"run.horizon_days={days}", *SHORT[1:]]


@pytest.mark.parametrize(
    "path", EXAMPLES, ids=[p.relative_to(ROOT).as_posix() for p in EXAMPLES]
)
def test_example_validates_and_runs(path: Path) -> None:
    if path.name in HEAVY:
        one_day = ["run.horizon_days=1", "run.warmup_days=0.25", "run.replications=1"]
        scenario = twin.load_checked(str(path), one_day)
        assert scenario.run.horizon_days == 1
        return
    scenario = twin.load_checked(str(path))
    assert scenario.run.warmup_days < scenario.run.horizon_days
    short = twin.load_checked(str(path), _short(scenario))
    result = twin.run_replications(short)
    assert result.errors == {}, "\n".join(result.errors.values())
    assert result.replications == (0, 1)
    assert len(result.kpis) == 2
    assert not result.summary.empty
