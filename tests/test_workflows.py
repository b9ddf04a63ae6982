"""Workflows: run, compare and sweep as library calls that write a result folder
(what the CLI commands do, without printing), and the one manifest builder."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import twin
import twin.executors
from twin.experiment import Execution
from twin.folders import folder_name
from twin.outdir import OutputRefused, atomic_write
from twin.output import manifest
from twin.precision import PrecisionTarget
from twin.workflows import (
    REPLICATIONS,
    compare_workflow,
    run_target,
    run_workflow,
    sweep_workflow,
)

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "scenarios" / "validation" / "mmc.yaml"
PROVENANCE = {"twin_version", "kind", "status", "python", "packages", "overrides",
              "stream_seeding", "git_revision"}


def mmc(name: str = "mmc", **overrides: Any) -> twin.Scenario:
    return twin.load_scenario(MMC, overrides={"name": name, "run.horizon_days": 1,
                                              "run.warmup_days": 0.25,
                                              "run.replications": 2, **overrides})


def counting_simulate(monkeypatch: pytest.MonkeyPatch, fail: set[int] | None = None
                      ) -> list[int]:
    calls: list[int] = []
    real = twin.executors.simulate

    def simulate(scenario: Any, replication: int, *args: Any, **kwargs: Any) -> Any:
        calls.append(replication)
        if fail and replication in fail:
            raise RuntimeError(f"boom in replication {replication}")
        return real(scenario, replication, *args, **kwargs)

    monkeypatch.setattr(twin.executors, "simulate", simulate)
    return calls


def read_manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_run_workflow_writes_the_result_folder_and_report(tmp_path: Path) -> None:
    out = tmp_path / "res"
    done = run_workflow(mmc(), out, source=str(MMC), overrides=["run.seed=3"])
    assert done.written and done.target == out and done.report == out / "report.html"
    assert done.result.replications == (0, 1) and done.precision is None
    for name in ("issues.parquet", "kpis.csv", "summary.json", "scenario.resolved.yaml"):
        assert (out / name).is_file()
    body = read_manifest(out)
    assert PROVENANCE <= set(body)
    assert body["kind"] == "run" and body["status"] == "complete"
    assert body["scenario_file"] == str(MMC) and body["overrides"] == ["run.seed=3"]
    assert body["replications"] == [0, 1] and body["failed_replications"] == {}


def test_run_target_defaults_to_a_safe_folder_name() -> None:
    assert run_target(mmc("../x")) == Path("out") / folder_name("../x")
    assert run_target(mmc(), Path("elsewhere")) == Path("elsewhere")


def test_run_workflow_refuses_a_foreign_folder_before_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting_simulate(monkeypatch)
    (tmp_path / "mine.txt").write_text("keep")
    with pytest.raises(OutputRefused, match="is a folder that twin did not write"):
        run_workflow(mmc(), tmp_path)
    assert calls == [] and sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_run_workflow_writes_nothing_when_every_replication_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counting_simulate(monkeypatch, fail={0, 1})
    done = run_workflow(mmc(), tmp_path / "res")
    assert not done.written and done.report is None
    assert sorted(done.result.errors) == [0, 1]
    assert not (tmp_path / "res").exists()


def test_run_workflow_to_precision(tmp_path: Path) -> None:
    done = run_workflow(mmc(), tmp_path / "res",
                        precision=PrecisionTarget("utilisation", 0.5, max_replications=4))
    assert done.precision is not None and done.written
    assert len(done.result.replications) == done.precision.replications >= 3


def test_compare_workflow_writes_everything_and_resumes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "cmp"
    scenarios = [mmc("a"), mmc("../a", **{"workforce.per_grid": 3})]
    done = compare_workflow(scenarios, out, sources=[str(MMC), str(MMC)],
                            overrides=["run.horizon_days=1"])
    assert done.written and done.names == ["a", "../a"]
    assert list(pd.read_csv(out / "comparison.csv")["scenario"].unique()) == ["a", "../a"]
    body = read_manifest(out)
    assert PROVENANCE <= set(body)
    assert body["kind"] == "compare" and body["status"] == "complete"
    assert body["scenario_files"] == [str(MMC), str(MMC)]
    folders = {name: run["folder"] for name, run in body["runs"].items()}
    assert all((out / folder / "issues.parquet").is_file() for folder in folders.values())
    assert body["runs"]["a"]["replications"] == [0, 1]
    assert (out / REPLICATIONS).is_dir() and (out / "report.html").is_file()

    calls = counting_simulate(monkeypatch)
    again = compare_workflow(scenarios, out, sources=[str(MMC), str(MMC)])
    assert calls == []  # every replication came from the folder's store
    pd.testing.assert_frame_equal(again.table, done.table)


def test_compare_workflow_with_every_replication_failing_writes_no_results(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counting_simulate(monkeypatch, fail={0, 1})
    out = tmp_path / "cmp"
    done = compare_workflow([mmc("a"), mmc("b")], out)
    assert not done.written
    assert read_manifest(out)["status"] == "running"  # claimed, never completed
    assert not (out / "comparison.csv").exists() and not (out / "report.html").exists()


def test_sweep_workflow_writes_tidy_tables(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    progress: list[str] = []
    done = sweep_workflow(mmc(), {"workforce.per_grid": [2, 3]}, out, source=str(MMC),
                          overrides=["--vary workforce.per_grid=2,3"],
                          execution=Execution(progress=progress.append))
    assert done.written and len(progress) == 4
    assert len(pd.read_csv(out / "points.csv")) == 2
    assert {"point", "workforce.per_grid", "kpi", "value"} <= set(
        pd.read_csv(out / "results.csv").columns)
    body = read_manifest(out)
    assert body["kind"] == "sweep" and body["overrides"] == ["--vary workforce.per_grid=2,3"]
    assert set(body["runs"]) == {"workforce.per_grid=2", "workforce.per_grid=3"}


def test_sweep_workflow_checks_every_point_before_writing(tmp_path: Path) -> None:
    with pytest.raises(twin.ScenarioError):
        sweep_workflow(mmc(), {"workforce.per_grid": [2, -1]}, tmp_path / "sw")
    assert not (tmp_path / "sw").exists()


def test_one_manifest_builder_for_a_run_and_a_folder_of_runs() -> None:
    run = twin.run_replications(mmc(), replications=1)
    single = manifest({"mmc": run}, "run", [str(MMC)], ["x=1"])
    several = manifest({"mmc": run}, "compare", [str(MMC)], ["x=1"], {"mmc": "mmc"})
    shared = PROVENANCE - {"kind"}
    assert {k: single[k] for k in shared} == {k: several[k] for k in shared}
    assert single["root_seed"] == several["runs"]["mmc"]["root_seed"] == run.seed
    assert several["runs"]["mmc"]["folder"] == "mmc"
    with pytest.raises(ValueError):
        manifest({"a": run, "b": run}, "run")


def test_atomic_write_can_flush_and_set_permissions(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "demand.yaml"
    atomic_write(path, "a: 1\r\n", fsync=True, mode=0o600)
    assert path.read_bytes() == b"a: 1\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    atomic_write(path, b"b")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert os.listdir(path.parent) == ["demand.yaml"]
