"""Shared fixtures: scenario files, scenarios with overrides, small synthetic scenarios.

Every helper goes through ``twin.load_scenario`` so that tests exercise the same
validation and override path as the command line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

import twin
from twin.model import MINUTES_PER_DAY

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
MMC_PATH = SCENARIOS / "validation" / "mmc.yaml"
BASELINE_PATH = SCENARIOS / "baseline.yaml"

# A small community: one 4 x 4 lattice grid, one worker on duty round the clock,
# one category of exponential jobs. Tests override what they need.
SMALL_BASE: dict[str, Any] = {
    "name": "small",
    "map": {"source": "lattice", "rows": 4, "cols": 4, "block_length": 100.0, "speed": 100.0},
    "grids": {"assignment": "blocks", "blocks": [1, 1]},
    "demand": {
        "categories": [
            {
                "name": "job",
                "rate_per_hour": 2.0,
                "service": {"distribution": "exponential", "mean": 20.0},
            }
        ]
    },
    "workforce": {"per_grid": 1, "return_to_base": True},
    "dispatch": {"policy": "own_grid"},
    "run": {"horizon_days": 2.0, "warmup_days": 0.5, "replications": 2, "seed": 7},
}

Loader = Callable[..., twin.Scenario]


def load(path: str | Path, overrides: Mapping[str, Any] | None = None) -> twin.Scenario:
    """Load a scenario file with ``{"dotted.key": value}`` overrides."""
    return twin.load_scenario(path, overrides=dict(overrides or {}))


def horizon_of(scenario: twin.Scenario) -> float:
    """Run length [min]."""
    return scenario.run.horizon_days * MINUTES_PER_DAY


def warmup_of(scenario: twin.Scenario) -> float:
    """Warm-up length [min]."""
    return scenario.run.warmup_days * MINUTES_PER_DAY


@pytest.fixture(scope="session")
def load_scenario() -> Loader:
    """``load_scenario(path, {"dotted.key": value})`` -> validated Scenario."""
    return load


@pytest.fixture(scope="session")
def mmc_scenario() -> Callable[..., twin.Scenario]:
    """The M/M/c validation scenario with its queue parameters replaced.

    ``mmc_scenario(rate_per_hour, servers, service_mean=..., fixed_service=...,
    horizon_days=..., warmup_days=..., **dotted_overrides)``; give either an
    exponential mean or a fixed service time [min].
    """

    def make(
        rate_per_hour: float,
        servers: int,
        service_mean: float | None = None,
        fixed_service: float | None = None,
        horizon_days: float = 20.0,
        warmup_days: float = 2.0,
        **extra: Any,
    ) -> twin.Scenario:
        if (service_mean is None) == (fixed_service is None):
            raise ValueError("give exactly one of service_mean and fixed_service")
        service = (
            {"distribution": "exponential", "mean": service_mean}
            if service_mean is not None
            else {"distribution": "fixed", "value": fixed_service}
        )
        overrides: dict[str, Any] = {
            "demand.categories.0.rate_per_hour": rate_per_hour,
            "demand.categories.0.service": service,
            "workforce.per_grid": servers,
            "run.horizon_days": horizon_days,
            "run.warmup_days": warmup_days,
        }
        overrides.update({k.replace("__", "."): v for k, v in extra.items()})
        return load(MMC_PATH, overrides)

    return make


@pytest.fixture(scope="session")
def small_scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SMALL_BASE written as a scenario file (JSON is valid YAML)."""
    path = tmp_path_factory.mktemp("scenarios") / "small.yaml"
    path.write_text(json.dumps(SMALL_BASE, indent=2), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def small_scenario(small_scenario_file: Path) -> Callable[..., twin.Scenario]:
    """``small_scenario({"dotted.key": value, ...})`` -> SMALL_BASE with overrides."""

    def make(overrides: Mapping[str, Any] | None = None) -> twin.Scenario:
        return load(small_scenario_file, overrides)

    return make


@pytest.fixture(scope="session")
def write_scenario(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Write a scenario mapping to a file (in ``folder`` if given) and return its path."""
    counter = iter(range(1_000_000))

    def write(data: Mapping[str, Any], folder: Path | None = None, name: str | None = None
              ) -> Path:
        where = folder or tmp_path_factory.mktemp("written")
        path = where / (name or f"scenario-{next(counter)}.yaml")
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
        return path

    return write


# A small community for the governance mechanisms: two grids of a 4 x 4 lattice, one
# category of cases with a one-hour limit, one grid worker per grid, a short response
# deadline. Tests override what they need.
GOVERNANCE_BASE: dict[str, Any] = {
    "name": "governance",
    "map": {"source": "lattice", "rows": 4, "cols": 4, "block_length": 100.0, "speed": 100.0},
    "grids": {"assignment": "blocks", "blocks": [1, 2]},
    "demand": {
        "categories": [
            {
                "name": "case",
                "rate_per_hour": 1.0,
                "limit": 60.0,
                "service": {"distribution": "exponential", "mean": 20.0},
            }
        ]
    },
    "workforce": {"per_grid": 1, "return_to_base": True},
    "dispatch": {"policy": "own_grid"},
    "deadlines": {"response": 30.0},
    "run": {"horizon_days": 2.0, "warmup_days": 0.5, "replications": 2, "seed": 11},
}


@pytest.fixture(scope="session")
def governance_scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GOVERNANCE_BASE written as a scenario file."""
    path = tmp_path_factory.mktemp("scenarios") / "governance.yaml"
    path.write_text(json.dumps(GOVERNANCE_BASE, indent=2), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def governance_scenario(governance_scenario_file: Path) -> Callable[..., twin.Scenario]:
    """``governance_scenario({"dotted.key": value, ...})`` -> GOVERNANCE_BASE with overrides."""

    def make(overrides: Mapping[str, Any] | None = None) -> twin.Scenario:
        return load(governance_scenario_file, overrides)

    return make
