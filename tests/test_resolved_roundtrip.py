"""Every example scenario, written out resolved (as in scenario.resolved.yaml), loads
back to the same scenario, and a scenario with overrides applied stays valid."""

from __future__ import annotations

from pathlib import Path

import pytest

import twin
from twin.scenario import dump_scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").rglob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_resolved_scenario_loads_back_equal(path: Path, tmp_path: Path) -> None:
    scenario = twin.load_scenario(path)
    out = tmp_path / "resolved.yaml"
    out.write_text(dump_scenario(scenario), encoding="utf-8")
    assert twin.load_scenario(out) == scenario


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_overrides_keep_a_scenario_valid(path: Path) -> None:
    scenario = twin.load_scenario(path)
    changed = twin.apply_overrides(scenario, {"run.replications": 3})
    assert changed.run.replications == 3
    assert changed.model_copy(update={"run": scenario.run}) == scenario
