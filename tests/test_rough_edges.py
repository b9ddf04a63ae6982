"""Small promises of the command line and the package: one-file compare, ``--version``,
the resume key, ``write_results`` with its report, the Python calibration API, and
the files a release carries (LICENSE, py.typed, extras)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import twin
import twin.store
from twin.cli import app
from twin.store import run_key
from twin.version import package_digest, twin_version

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "scenarios" / "validation" / "mmc.yaml"
FAST = {"run.horizon_days": 2, "run.warmup_days": 0.5, "run.replications": 2}
runner = CliRunner()


@pytest.fixture(scope="module")
def result() -> twin.RunResult:
    return twin.run_replications(twin.load_scenario(MMC, overrides=FAST))


# ------------------------------------------------------------------ command line
def test_compare_with_one_file_has_nothing_to_compare(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    res = runner.invoke(app, ["compare", str(MMC), "--out", str(out)])
    assert res.exit_code == 2
    assert res.stderr.splitlines()[0] == (
        "command line: FILES: nothing to compare: give two or more scenario files, the first "
        "being the reference (got 1); to run one scenario, use twin run")
    assert "Traceback" not in res.output
    assert not out.exists()


def test_one_file_is_reported_with_the_file_s_own_mistakes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmap: {source: lattice, rows: 0, cols: 1}\n")
    res = runner.invoke(app, ["compare", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    lines = res.stderr.splitlines()
    assert lines[0].startswith("command line: FILES: nothing to compare")
    assert f"{bad}:2: map.rows: must be >= 1 (got 0)" in lines
    assert lines[-1] == f"{len(lines) - 1} problems found; nothing was run."
    assert not (tmp_path / "o").exists()


def test_version_option_prints_the_installed_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.stdout == f"twin {twin_version()}\n"


# ------------------------------------------------------------------ resume store
def test_the_key_changes_with_the_code_as_well_as_the_version(
        monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = twin.load_scenario(MMC)
    before = run_key(scenario, 1)
    monkeypatch.setattr(twin.store, "code_digest", lambda: "0" * 16)
    edited = run_key(scenario, 1)
    assert edited != before and edited.startswith("mmc-")
    monkeypatch.setattr(twin.store, "twin_version", lambda: "99.0")
    assert run_key(scenario, 1) not in (before, edited)


def test_the_code_digest_follows_content_and_names_only(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        (root / "sub").mkdir(parents=True)
        (root / "m.py").write_text("x = 1\n")
        (root / "sub" / "n.py").write_text("y = 2\n")
    (a / "notes.txt").write_text("not code")
    assert package_digest(a) == package_digest(b)  # another folder, same code
    (b / "sub" / "n.py").write_text("y = 3\n")
    assert package_digest(a) != package_digest(b)
    (b / "sub" / "n.py").write_text("y = 2\n")
    (b / "sub" / "n.py").rename(b / "sub" / "o.py")
    assert package_digest(a) != package_digest(b)


# ------------------------------------------------------------------ write_results
def test_write_results_writes_the_report_inside_the_folder(tmp_path: Path,
                                                         result: twin.RunResult) -> None:
    out = twin.write_results(result, tmp_path / "res", report=True, lang="zh")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<html" in page and "平均响应时间" in page
    assert any((out / "plots").glob("*.png"))
    assert json.loads((out / "manifest.json").read_text())["kind"] == "run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]  # no temporary left


def test_write_results_writes_no_report_unless_asked(tmp_path: Path,
                                                     result: twin.RunResult) -> None:
    out = twin.write_results(result, tmp_path / "res")
    assert (out / "summary.json").is_file() and (out / "summary.xlsx").is_file()
    assert not (out / "report.html").exists() and not (out / "plots").exists()


def test_write_results_refuses_an_unknown_language_before_writing(
        tmp_path: Path, result: twin.RunResult) -> None:
    with pytest.raises(ValueError, match="unknown language 'fr'; choose one of en, zh"):
        twin.write_results(result, tmp_path / "res", lang="fr")
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ calibration API
def test_calibration_is_part_of_the_python_api() -> None:
    for name in ("calibrate", "read_tickets", "fit_demand", "find_events", "demand_yaml",
                 "GridMap"):
        assert name in twin.__all__
    assert twin.fit_demand is twin.calibrate.fit_demand
    assert twin.read_tickets is twin.calibrate.read_tickets
    assert all(hasattr(twin, name) for name in twin.__all__)


def test_the_real_map_notebook_calibrates_in_python() -> None:
    book = json.loads((ROOT / "notebooks" / "05_real_map.ipynb").read_text(encoding="utf-8"))
    code = "".join("".join(c["source"]) for c in book["cells"] if c["cell_type"] == "code")
    assert "subprocess" not in code and "twin.fit_demand(" in code
    assert "twin.demand_yaml(" in code


# ------------------------------------------------------------------ release files
def test_license_is_mit_with_the_authors_line() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the twin authors" in text.splitlines()


def test_py_typed_and_extras_are_packaged() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert (ROOT / "twin" / "py.typed").is_file()
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["twin"]
    assert any(d.startswith("openpyxl") for d in project["project"]["dependencies"])
    extra = project["project"]["optional-dependencies"]["notebooks"]
    assert any(d.startswith(("jupyterlab", "nbconvert")) for d in extra)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install -e '.[notebooks]'" in readme
