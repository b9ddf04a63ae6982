"""Parallel replications: what a replication sends back stacks into exactly the tables of
``pd.concat``; a command keeps one pool of workers for its replications and its figures;
the files written are the same for any number of jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import twin
import twin.executors
from twin.cli import app
from twin.experiment import Execution, pooled
from twin.finished import PackedTable, concat_frames, pack, stack_tables, unpack
from twin.precision import PrecisionTarget
from twin.records import TABLES
from twin.workflows import compare_workflow, run_workflow

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
MMC = ROOT / "scenarios" / "validation" / "mmc.yaml"


@pytest.fixture(scope="module")
def baseline_records() -> list[twin.ReplicationRecords]:
    s = twin.load_scenario(BASELINE, overrides={"run.horizon_days": 3, "run.warmup_days": 1})
    return [twin.simulate(s, rep) for rep in (0, 2)]


def test_packed_tables_stack_like_concatenated_frames(baseline_records) -> None:
    seen_empty = seen_full = False
    for name in TABLES:
        frames = [getattr(r, name) for r in baseline_records]
        packed = [pack(f) for f in frames]
        assert all(isinstance(p, PackedTable) for p in packed), name
        for frame, p in zip(frames, packed, strict=True):
            pd.testing.assert_frame_equal(unpack(p), frame, check_exact=True)
        stacked = stack_tables(packed, (0, 2))
        expected = concat_frames(frames, (0, 2))
        pd.testing.assert_frame_equal(stacked, expected, check_exact=True)
        assert list(stacked.columns)[0] == "replication"
        assert stacked["replication"].tolist() == [0] * len(frames[0]) + [2] * len(frames[1])
        seen_empty |= len(stacked) == 0
        seen_full |= len(stacked) > 0 and any(
            isinstance(d, pd.CategoricalDtype) for d in stacked.dtypes)
    assert seen_full


def test_tables_that_differ_in_columns_fall_back_to_concat() -> None:
    a = pd.DataFrame({"x": [1, 2], "c": pd.Categorical(["p", "q"])})
    b = pd.DataFrame({"x": [3.5], "c": pd.Categorical(["r"])})  # other dtypes, categories
    odd = pd.DataFrame({"x": [9]}, index=[5])  # not 0..n-1: kept as a frame
    assert isinstance(pack(odd), pd.DataFrame)
    for frames in ([a, b], [a, odd]):
        got = stack_tables([pack(f) for f in frames], (0, 1))
        pd.testing.assert_frame_equal(got, concat_frames(frames, (0, 1)), check_exact=True)
    assert stack_tables([], ()).empty


def test_run_in_a_pool_gives_the_same_kpis_as_in_process() -> None:
    s = twin.load_scenario(BASELINE, overrides={"run.horizon_days": 3, "run.warmup_days": 1})
    serial = twin.run_replications(s, replications=3, jobs=1)
    with pooled(Execution(jobs=2)) as ex:
        parallel = twin.run_replications(s, replications=3, execution=ex)
        again = twin.run_replications(s, replications=[2, 0], execution=ex)  # same workers
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(parallel, name),
                                      check_exact=True)
    pd.testing.assert_frame_equal(serial.kpis, parallel.kpis, check_exact=True)
    pd.testing.assert_frame_equal(serial.summary, parallel.summary, check_exact=True)
    # (a KPI no replication of a run produced is absent from it, so compare columns shared)
    pick = serial.kpis[serial.kpis["replication"] != 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(again.kpis, pick[list(again.kpis.columns)], check_exact=True)


@pytest.fixture
def pools_started(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The worker count of every process pool started from now on."""
    started: list[int] = []
    real = twin.executors.ProcessPoolExecutor

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            started.append(kwargs["max_workers"])
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(twin.executors, "ProcessPoolExecutor", Counting)
    return started


def mmc(name: str = "mmc", **extra: Any) -> twin.Scenario:
    return twin.load_scenario(MMC, overrides={"name": name, "run.horizon_days": 1,
                                              "run.warmup_days": 0.25,
                                              "run.replications": 2, **extra})


def test_a_precision_target_runs_every_round_on_one_pool(tmp_path: Path,
                                                         pools_started: list[int]) -> None:
    target = PrecisionTarget("utilisation", 0.02, max_replications=12)
    out = run_workflow(mmc(), tmp_path / "p", precision=target,
                       execution=Execution(jobs=2))
    assert out.precision is not None and out.precision.replications > 2  # several batches
    assert pools_started == [2]
    serial = run_workflow(mmc(), tmp_path / "s", precision=target,
                          execution=Execution(jobs=1))
    pd.testing.assert_frame_equal(out.result.kpis, serial.result.kpis, check_exact=True)
    assert pools_started == [2]  # one job: no pool


def test_compare_runs_and_draws_on_one_pool_with_the_same_files(
        tmp_path: Path, pools_started: list[int]) -> None:
    scenarios = [mmc("a"), mmc("b", **{"workforce.per_grid": 3})]
    one = compare_workflow(scenarios, tmp_path / "one", execution=Execution(jobs=1))
    assert pools_started == []
    two = compare_workflow(scenarios, tmp_path / "two", execution=Execution(jobs=2))
    assert pools_started == [2]
    pd.testing.assert_frame_equal(one.table, two.table, check_exact=True)
    assert_same_files(one.target, two.target)


def assert_same_files(a: Path, b: Path) -> None:
    """Record tables, KPIs, summaries and the PNG of every figure byte for byte (SVG
    ids are random; the manifest holds run times)."""
    names = sorted(p.relative_to(a) for p in a.rglob("*") if p.suffix in {
        ".parquet", ".csv", ".png"} or p.name == "summary.json")
    assert names == sorted(p.relative_to(b) for p in b.rglob("*") if p.suffix in {
        ".parquet", ".csv", ".png"} or p.name == "summary.json")
    assert any(n.suffix == ".png" for n in names) and any(n.suffix == ".parquet" for n in names)
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_twin_run_writes_the_same_folder_for_any_jobs(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    runner = CliRunner()
    common = ["run", str(BASELINE), "--set", "run.horizon_days=3", "--set",
              "run.warmup_days=1", "--replications", "3"]
    for jobs in ("1", "2"):
        res = runner.invoke(app, [*common, "--jobs", jobs, "--out", str(tmp_path / jobs)])
        assert res.exit_code == 0, res.output
    assert_same_files(tmp_path / "1", tmp_path / "2")
    page = (tmp_path / "2" / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == len(list((tmp_path / "2" / "plots").glob(
        "*.png")))
    kpis = pd.read_csv(tmp_path / "2" / "kpis.csv")
    assert kpis["replication"].tolist() == [0, 1, 2]
    assert np.isfinite(kpis["utilisation"]).all()
