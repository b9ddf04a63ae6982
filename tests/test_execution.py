"""The execution value: one ``Execution`` (jobs, cluster, store, progress, maps) for
every experiment function, and one map cache passed explicitly."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import twin
import twin.executors
import twin.geography
from twin.executors import LocalExecutor, run_job
from twin.experiment import Execution, with_options
from twin.geography import MapCache, community_for
from twin.precision import run_to_precision
from twin.store import MemoryStore

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "scenarios" / "validation" / "mmc.yaml"
SHORT = ["run.horizon_days=1", "run.warmup_days=0.25"]


def mmc(**overrides: Any) -> twin.Scenario:
    return twin.load_scenario(MMC, overrides={"run.horizon_days": 1, "run.warmup_days": 0.25,
                                              **overrides})


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the scenarios whose map is built (in this process)."""
    built: list[str] = []
    real = twin.geography.build_community

    def counting(scenario: twin.Scenario) -> Any:
        built.append(scenario.name)
        return real(scenario)

    monkeypatch.setattr(twin.geography, "build_community", counting)
    return built


def test_an_execution_is_a_frozen_value_with_defaults() -> None:
    ex = Execution()
    assert (ex.jobs, ex.cluster, ex.store, ex.progress) == (1, None, None, None)
    assert isinstance(ex.maps, MapCache)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ex.jobs = 2  # type: ignore[misc]
    assert Execution(jobs=2) == Execution(jobs=2)  # the map cache is not part of the value
    assert Execution().maps is not Execution().maps


def test_keywords_replace_fields_and_keep_the_map_cache() -> None:
    ex = Execution(jobs=2)
    changed = with_options(ex, jobs=1, store=MemoryStore())
    assert changed.jobs == 1 and isinstance(changed.store, MemoryStore)
    assert changed.maps is ex.maps
    assert with_options(ex) is ex
    assert with_options(None).jobs == 1
    with pytest.raises(TypeError):
        with_options(ex, workers=2)  # type: ignore[call-arg]


def test_keywords_and_an_execution_give_the_same_run() -> None:
    scenario = mmc()
    by_keywords = twin.run_replications(scenario, replications=2, jobs=1)
    by_value = twin.run_replications(scenario, replications=2, execution=Execution(jobs=1))
    pd.testing.assert_frame_equal(by_keywords.issues, by_value.issues)
    pd.testing.assert_frame_equal(by_keywords.kpis, by_value.kpis)


def test_one_map_cache_serves_loading_the_runs_and_their_notes(builds: list[str]) -> None:
    ex = Execution()
    scenario = twin.load_checked(str(MMC), SHORT, maps=ex.maps)
    twin.run_replications(scenario, replications=2, execution=ex)
    twin.compare([scenario, scenario.model_copy(update={"name": "again"})], replications=2,
                 execution=ex)
    assert builds == ["mmc"]
    assert community_for(scenario, ex.maps) is ex.maps.get(scenario)


def test_without_a_cache_each_call_builds_its_own(builds: list[str]) -> None:
    scenario = mmc()
    twin.run_replications(scenario, replications=1)
    twin.run_replications(scenario, replications=1)
    assert builds == ["mmc", "mmc"]
    assert community_for(scenario) is not community_for(scenario)


def test_pool_workers_start_from_the_main_process_maps(builds: list[str]) -> None:
    ex = Execution(jobs=2)
    scenario = mmc()
    pooled = twin.run_replications(scenario, replications=3, execution=ex)
    single = twin.run_replications(scenario, replications=3)
    pd.testing.assert_frame_equal(pooled.issues, single.issues)
    assert builds.count("mmc") == 2  # once for the pool (and its notes), once for `single`
    assert not hasattr(twin.executors, "_MAPS")  # no map kept by the module itself


def test_a_job_without_a_cache_builds_its_map_once() -> None:
    scenario = mmc()
    outcomes = run_job("k", scenario, 7, (0, 1))
    assert [(key, rep, error) for key, rep, _, error in outcomes] == [("k", 0, None),
                                                                       ("k", 1, None)]
    assert LocalExecutor(1).maps is not LocalExecutor(1).maps


def test_progress_comes_from_the_execution() -> None:
    scenario = mmc()
    names: list[str] = []
    counts: list[int] = []
    twin.run_many([("a", scenario), ("b", scenario)], replications=2,
                  execution=Execution(progress=names.append))
    twin.run_replications(scenario, replications=3, execution=Execution(progress=counts.append))
    twin.sweep(scenario, {"workforce.per_grid": [2, 3]}, replications=1,
               execution=Execution(progress=names.append))
    assert sorted(names) == ["a", "a", "b", "b", "workforce.per_grid=2",
                             "workforce.per_grid=3"]
    assert counts == [1, 2, 3]


def test_precision_keeps_finished_replications_in_the_execution_store() -> None:
    store = MemoryStore()
    ended: list[str] = []
    outcome = run_to_precision([("mmc", mmc())], "utilisation", 0.5, start=3,
                               max_replications=4, execution=Execution(store=store),
                               progress=ended.append)
    assert outcome.replications >= 3
    assert len(store._data) == outcome.replications
    assert len(ended) == outcome.replications


def _cached_maps_in_worker() -> int:
    maps = twin.executors._WORKER_MAPS
    return -1 if maps is None else len(maps._maps)


def test_a_pool_worker_gets_its_own_copy_of_the_built_maps() -> None:
    import os
    from concurrent.futures import ProcessPoolExecutor

    maps = MapCache()
    maps.get(mmc())
    with ProcessPoolExecutor(1, initializer=twin.executors.start_worker,
                             initargs=(os.getpid(), maps)) as pool:
        assert pool.submit(_cached_maps_in_worker).result() == 1
    assert twin.executors._WORKER_MAPS is None  # never set in the main process
