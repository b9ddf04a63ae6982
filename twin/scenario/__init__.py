"""Scenario files: schema, loading with located errors, overrides."""

from twin.scenario.errors import Problem, ScenarioError
from twin.scenario.loader import (
    Locator,
    apply_overrides,
    dump_scenario,
    load_located,
    load_scenario,
    parse_overrides,
)
from twin.scenario.schema import Scenario, known_grid_names

__all__ = [
    "apply_overrides",
    "Problem",
    "Scenario",
    "ScenarioError",
    "Locator",
    "dump_scenario",
    "load_located",
    "known_grid_names",
    "load_scenario",
    "parse_overrides",
]
