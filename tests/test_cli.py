"""The ``twin`` command line: exit codes, messages and the result folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import twin
from twin.cli import app
from twin.metrics.catalogue import kpi_spec
from twin.output import KPI_TABLES

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
FAST = ["--set", "run.horizon_days=2", "--set", "run.warmup_days=0.5", "--replications", "2"]
FAST_OVERRIDES = ["run.horizon_days=2", "run.warmup_days=0.5", "run.replications=2"]

BAD = """\
name: bad
map:
  source: lattice
  rows: 4
  cols: 4
demand:
  categories:
    - name: repair
      rate_per_hour: -1
      service: {distribution: exponential, mean: 20}
workforce:
  per_grid: -3
dispatch:
  policy: nearest
"""
BAD_LINES = [
    "bad.yaml:9: demand.categories.0.rate_per_hour: must be >= 0 (got -1)",
    "bad.yaml:12: workforce.per_grid: must be >= 0 (got -3)",
    "bad.yaml:14: dispatch.policy: must be one of: own_grid, nearest_idle, "
    "own_grid_then_nearest, own_grid_then_neighbours (got 'nearest')",
]

runner = CliRunner()


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def result_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "result"
    res = runner.invoke(app, ["run", str(BASELINE), *FAST, "--seed", "11", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_validate_ok() -> None:
    res = runner.invoke(app, ["validate", str(BASELINE)])
    assert res.exit_code == 0
    assert "ok (baseline: 9 categories, dispatch own_grid_then_nearest)" in res.stdout


def test_validate_reports_every_problem_and_exits_2(bad_file: Path) -> None:
    res = runner.invoke(app, ["validate", str(bad_file)])
    assert res.exit_code == 2
    lines = res.stderr.splitlines()
    assert lines[:3] == [f"{bad_file.parent}/{line}" for line in BAD_LINES]
    assert "3 problems found; nothing was run." in res.stderr
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_validate_with_bad_set(bad_file: Path) -> None:
    res = runner.invoke(app, ["validate", str(BASELINE), "--set", "run.seed=-1", "--set", "x"])
    assert res.exit_code == 2
    assert res.stderr.splitlines()[:2] == [
        "--set: run.seed: must be >= 0 (got -1)",
        "--set: x: expected key.path=value, e.g. run.replications=5",
    ]


def test_run_with_bad_file_writes_nothing(bad_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "never"
    res = runner.invoke(app, ["run", str(bad_file), "--out", str(out)])
    assert res.exit_code == 2
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_run_with_bad_override_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "never"
    res = runner.invoke(app, ["run", str(BASELINE), "--replications", "0", "--out", str(out)])
    assert res.exit_code == 2
    assert res.stderr.splitlines()[0] == "--replications: run.replications: must be >= 1 (got 0)"
    assert not out.exists()


def test_out_that_is_a_file_exits_2(tmp_path: Path) -> None:
    out = tmp_path / "taken"
    out.write_text("not a folder")
    res = runner.invoke(app, ["run", str(BASELINE), *FAST, "--out", str(out)])
    assert res.exit_code == 2
    assert f"command line: --out: {out} exists and is not a folder" in res.stderr
    assert out.read_text() == "not a folder"


def test_jobs_zero_exits_2(tmp_path: Path) -> None:
    out = tmp_path / "never"
    res = runner.invoke(app, ["run", str(BASELINE), "--jobs", "0", "--out", str(out)])
    assert res.exit_code == 2
    assert "--jobs: must be >= 1 (got 0)" in res.stderr
    assert not out.exists()


def test_run_writes_the_result_folder(result_folder: Path) -> None:
    assert sorted(p.name for p in result_folder.iterdir()) == [
        "activity.parquet", "complaints.parquet", "disputes.parquet", "escalations.parquet",
        "issues.parquet", "kpis.csv", "kpis_by_grid.csv", "kpis_by_unit.csv", "manifest.json",
        "orders.parquet", "plots",
        "report.html", "scenario.resolved.yaml", "steps.parquet", "summary.json",
        "summary.xlsx", "visits.parquet",
    ]
    issues = pd.read_parquet(result_folder / "issues.parquet")
    activity = pd.read_parquet(result_folder / "activity.parquet")
    assert len(issues) > 0 and len(activity) > 0
    assert set(issues["replication"]) == {0, 1}


def test_kpis_one_row_per_replication(result_folder: Path) -> None:
    kpis = pd.read_csv(result_folder / "kpis.csv")
    assert list(kpis["replication"]) == [0, 1]


def test_summary_has_mean_and_ci_per_kpi(result_folder: Path) -> None:
    summary = json.loads((result_folder / "summary.json").read_text())
    kpis = wide_kpis(result_folder)
    # a cell of a table by grid or unit is a KPI of summary.json, or empty (a family
    # without that member: a grid-worker unit has no pool of its own)
    extra = set(kpis.columns) - {"replication"} - set(summary)
    assert set(summary) <= set(kpis.columns) and kpis[sorted(extra)].isna().all().all()
    for kpi, row in summary.items():
        assert set(row) == {"mean", "ci_low", "ci_high", "n"}
        # n counts replications where the KPI has a value (none: e.g. no red case;
        # one of two: e.g. a grid whose workers settled no order in one replication)
        assert row["n"] == int(kpis[kpi].notna().sum()) <= 2
        assert (row["mean"] is None) == (row["n"] == 0)
        if row["mean"] is not None and row["ci_low"] is not None:
            assert row["ci_low"] <= row["mean"] <= row["ci_high"]


def wide_kpis(folder: Path) -> pd.DataFrame:
    """kpis.csv joined with the tables by grid and unit: a column per KPI again."""
    parts = [pd.read_csv(folder / "kpis.csv").set_index("replication")]
    for group, name in KPI_TABLES.items():
        table = pd.read_csv(folder / name, keep_default_na=False, na_values=[""])
        long = table.drop(columns=[c for c in ("grid",) if group == "unit"]).melt(
            id_vars=["replication", group], var_name="family")
        long["kpi"] = [kpi_column(group, name, family) for name, family in
                       zip(long[group], long["family"], strict=True)]
        parts.append(long.pivot(index="replication", columns="kpi", values="value"))
    return pd.concat(parts, axis=1).copy().reset_index()  # copy: one block


def kpi_column(group: str, name: str, family: str) -> str:
    """The KPI column of a cell of a table by grid or unit."""
    spec = kpi_spec(f"{family}[x]")
    assert spec is not None, family
    return f"{family}[grid:{name}]" if spec.name.endswith("[SCOPE]") else f"{family}[{name}]"


def test_resolved_scenario_loads_back_equal(result_folder: Path) -> None:
    resolved = twin.load_scenario(result_folder / "scenario.resolved.yaml")
    expected = twin.load_scenario(BASELINE, [*FAST_OVERRIDES, "run.seed=11"])
    assert resolved == expected


def test_manifest_records_version_seed_and_overrides(result_folder: Path) -> None:
    manifest = json.loads((result_folder / "manifest.json").read_text())
    assert manifest["twin_version"]
    assert manifest["root_seed"] == 11
    assert manifest["replications"] == [0, 1]
    assert manifest["overrides"] == [*FAST_OVERRIDES, "run.seed=11"]
    assert manifest["failed_replications"] == {}


def test_rerun_replaces_the_folder_atomically(tmp_path: Path) -> None:
    out = tmp_path / "result"
    out.mkdir()
    (out / "manifest.json").write_text('{"twin_version": "0.0.1"}')  # an earlier result
    (out / "stale.txt").write_text("from an earlier run")
    res = runner.invoke(app, ["run", str(BASELINE), *FAST, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert not (out / "stale.txt").exists()
    assert (out / "summary.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result"]


def test_schema_is_json_schema_with_descriptions(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    res = runner.invoke(app, ["schema"])
    assert res.exit_code == 0
    schema = json.loads(res.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    props = schema["$defs"]["WorkforceSpec"]["properties"]
    assert props["per_grid"]["description"] == (
        "Grid workers in each grid unless `grids` says otherwise."
    )
    from ruamel.yaml import YAML

    baseline = YAML(typ="safe", pure=True).load(BASELINE.read_text(encoding="utf-8"))
    jsonschema.validate(baseline, schema)
    out = tmp_path / "schema.json"
    assert runner.invoke(app, ["schema", "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text()) == schema


def test_real_process_exit_code_and_no_traceback(bad_file: Path, tmp_path: Path) -> None:
    twin_exe = Path(sys.executable).parent / "twin"
    command = [str(twin_exe)] if twin_exe.exists() else [sys.executable, "-c",
                                                         "from twin.cli import main; main()"]
    out = tmp_path / "never"
    proc = subprocess.run([*command, "run", str(bad_file), "--out", str(out)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[:3] == [f"{bad_file.parent}/{line}" for line in BAD_LINES]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout == ""
    assert not out.exists()
