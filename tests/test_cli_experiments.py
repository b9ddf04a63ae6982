"""``twin compare`` and ``twin sweep`` from the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from twin.cli import app

ROOT = Path(__file__).resolve().parents[1]
MMC = str(ROOT / "scenarios" / "validation" / "mmc.yaml")
FAST = ["--set", "run.horizon_days=3", "--set", "run.warmup_days=1"]
runner = CliRunner()


def test_compare_writes_a_paired_table_and_each_result(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    res = runner.invoke(app, ["compare", MMC, MMC, "--replications", "3", *FAST, "--out",
                              str(out)])
    assert res.exit_code == 0, res.output
    assert "A = mmc  (reference)" in res.stdout and "B = mmc-2" in res.stdout
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.columns) == ["kpi", "scenario", "mean", "ci_low", "ci_high", "n", "diff",
                                   "diff_ci_low", "diff_ci_high", "significant", "pct",
                                   "pct_ci_low", "pct_ci_high", "p_value", "p_holm",
                                   "significant_holm", "verdict"]
    # the verdict comes first: identical scenarios differ in nothing
    assert res.stdout.index("Verdict against mmc (reference)") < res.stdout.index("A = mmc")
    verdict = res.stdout.split("A = ")[0]
    assert "% no clear difference" in verdict
    assert "% better" not in verdict and "% worse" not in verdict
    assert set(table["scenario"]) == {"mmc", "mmc-2"}
    assert (out / "mmc" / "issues.parquet").is_file()
    assert (out / "mmc-2" / "summary.json").is_file()


def test_compare_reports_every_bad_file_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmap: {source: lattice, rows: 0, cols: 1}\n")
    missing = tmp_path / "missing.yaml"
    res = runner.invoke(app, ["compare", str(bad), str(missing), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert f"{bad}:2: map.rows: must be >= 1 (got 0)" in res.stderr
    assert f"{missing}: (top level): file not found" in res.stderr
    assert not (tmp_path / "o").exists()


def test_compare_to_precision_names_an_unknown_kpi(tmp_path: Path) -> None:
    res = runner.invoke(app, ["compare", MMC, MMC, "--precision", "0.05", "--kpi", "response_p99",
                              *FAST, "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "--kpi: unknown KPI 'response_p99'; did you mean 'response_p95'?" in res.stderr
    assert not (tmp_path / "o").exists()


def test_sweep_writes_tidy_tables(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    res = runner.invoke(app, ["sweep", MMC, "--vary", "workforce.per_grid=2..3", "--vary",
                              "deadlines.response=60,120", "--replications", "2", *FAST,
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 4
    results = pd.read_csv(out / "results.csv")
    assert list(results.columns[:5]) == ["point", "workforce.per_grid", "deadlines.response",
                                         "replication", "kpi"]
    summary = pd.read_csv(out / "summary.csv")
    assert {"mean", "ci_low", "ci_high", "n"} <= set(summary.columns)


def test_sweep_rejects_bad_values_with_exit_2(tmp_path: Path) -> None:
    res = runner.invoke(app, ["sweep", MMC, "--vary", "workforce.per_grid", *FAST,
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "--vary: workforce.per_grid: expected key.path=VALUES" in res.stderr
    res = runner.invoke(app, ["sweep", MMC, "--vary", "workforce.per_grid=-1,2", *FAST,
                              "--out", str(tmp_path / "o2")])
    assert res.exit_code == 2
    assert "--vary: workforce.per_grid: must be >= 0 (got -1)" in res.stderr
