"""The HTML report: self-contained, written atomically, and every plot shows in a
real browser (headless Chromium; ``make browser`` installs it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser import chromium, probe_in_chromium
from matplotlib.image import imread

import twin
from twin import numbers
from twin.geography import build_community
from twin.plots import report_plots
from twin.report import write_report, write_report_folder

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios/disputes_baseline.yaml"
SHORT = {"run.horizon_days": 3, "run.warmup_days": 1,
         "demand.categories.3.rate_per_hour_per_1000_residents": 0.02}  # disputes to show
# Written into the page copy under test: reports what the browser rendered.
PROBE = """<pre id="result">pending</pre>
<script>
window.addEventListener("load", () => {
  const imgs = Array.from(document.querySelectorAll("img"));
  const svgs = Array.from(document.querySelectorAll("svg"));
  const out = {
    images: imgs.length,
    drawn: imgs.filter(i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0).length,
    svgs: svgs.length,
    svgs_drawn: svgs.filter(s => { const b = s.getBBox(); return b.width > 0; }).length,
    tables: document.querySelectorAll("table").length,
    external: Array.from(document.querySelectorAll("[src],[href]")).map(
      e => e.getAttribute("src") || e.getAttribute("href")).filter(
      u => !u.startsWith("data:") && !u.startsWith("#")).length,
  };
  document.getElementById("result").textContent = JSON.stringify(out);
});
</script>
"""


@pytest.fixture(scope="module")
def runs() -> list[tuple[str, twin.RunResult]]:
    base = twin.load_scenario(SCENARIO, overrides=SHORT)
    more = twin.load_scenario(SCENARIO, overrides={**SHORT, "workforce.per_grid": 3})
    return [("two per grid", twin.run_replications(base, replications=2)),
            ("three per grid", twin.run_replications(more, replications=2))]


def _comparison(runs: list[tuple[str, twin.RunResult]]) -> pd.DataFrame:
    (_, ref), *_ = runs
    rows = []
    for name, run in runs:
        for kpi in ("response_p90", "within_deadline", "arrived"):
            diff = run.kpis[kpi].to_numpy() - ref.kpis[kpi].to_numpy()
            half = 2 * float(np.std(diff)) + 1e-9
            rows.append({"kpi": kpi, "scenario": name, "mean": float(run.kpis[kpi].mean()),
                         "diff": float(diff.mean()), "diff_ci_low": diff.mean() - half,
                         "diff_ci_high": diff.mean() + half,
                         "significant": bool(abs(diff.mean()) > half)})
    return pd.DataFrame(rows)


def _sweep(runs: list[tuple[str, twin.RunResult]]) -> pd.DataFrame:
    frames = [run.summary.reset_index().assign(**{"workforce.per_grid": k})
              for k, (_, run) in zip((2, 3), runs, strict=True)]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module", params=["en", "zh"])
def report(request: pytest.FixtureRequest, runs: list[tuple[str, twin.RunResult]],
           tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    lang = request.param
    out = tmp_path_factory.mktemp(f"report-{lang}")
    scenario = runs[0][1].scenario
    manifest = {"root_seed": runs[0][1].seed, "replications": [0, 1], "twin_version": "test"}
    path = write_report(out / "report.html", runs, comparison=_comparison(runs),
                        sweep=_sweep(runs), community=build_community(scenario),
                        manifest=manifest, lang=lang, plots_dir=out / "plots")
    return path, out / "plots", lang


def test_report_is_one_file_with_every_plot_inline(report: tuple[Path, Path, str]) -> None:
    path, plots, lang = report
    page = path.read_text(encoding="utf-8")
    pngs = sorted(p.stem for p in plots.glob("*.png"))
    assert pngs == sorted(p.stem for p in plots.glob("*.svg"))
    # disputes_baseline has work orders and disputes: "where orders wait" and the
    # disputes' grade changes are drawn too
    assert pngs == sorted(["kpi_bars", "response_ecdf", "open_over_time", "response_by_hour",
                           "escalation_flow", "order_time_by_step", "community_map",
                           "staffing_curve"])
    assert page.count('src="data:image/png;base64,') == len(pngs)
    for tag in ("<link", "<script", "@import", 'src="http', 'href="http'):
        assert tag not in page
    assert {p.name for p in path.parent.iterdir()} == {"report.html", "plots"}  # no temp files
    title = "社区事件调度报告" if lang == "zh" else "Community dispatch report"
    assert f"<title>{title}</title>" in page
    assert ("@font-face" in page) == (lang == "zh")
    assert "two per grid" in page and "three per grid" in page
    assert str(runs_seed(page)) in page


def runs_seed(page: str) -> int:
    """The root seed as the manifest shows it."""
    found = re.search(r'"root_seed": (\d+)', page)
    assert found, "the manifest has no root seed"
    return int(found.group(1))


def test_report_tables_hold_the_numbers(report: tuple[Path, Path, str],
                                        runs: list[tuple[str, twin.RunResult]]) -> None:
    path, _, lang = report
    page = path.read_text(encoding="utf-8")
    arrived = runs[0][1].summary.loc["arrived", "mean"]
    assert numbers.value(arrived, "arrived") in page  # a count, as an integer
    assert page.count("<table") >= 4  # verdict, settings, KPI summary, comparison
    assert '"root_seed": ' in page
    heading = "与第一个方案之差" if lang == "zh" else "diff vs first"
    assert heading in page
    # one settings table: key, unit, then a column per scenario
    assert f"<code>run.seed</code></td><td></td><td>{runs[0][1].seed}</td>" in page
    assert "<code>disputes.red.lead</code></td><td></td><td>police</td>" in page
    assert "<code>disputes.red.join</code></td><td></td><td>judicial, community</td>" in page
    unit = "workers per grid" if lang == "en" else "名/网格"  # the unit in the page's language
    assert f"<code>workforce.per_grid</code></td><td>{unit}</td><td>2</td><td>3</td>" in page
    assert "property 4 per grid, city_management 16" in page  # work_orders.units


def test_report_replaces_atomically(tmp_path: Path,
                                    runs: list[tuple[str, twin.RunResult]]) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")
    write_report(target, runs[:1], manifest={"seed": 1})
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_every_plot_renders_in_chromium(report: tuple[Path, Path, str],
                                        tmp_path: Path) -> None:
    path, plots, _ = report
    result = probe_in_chromium(path.read_text(encoding="utf-8"), PROBE, tmp_path)
    written = len(list(plots.glob("*.png")))
    assert result["images"] == written
    assert result["drawn"] == written
    assert result["svgs_drawn"] == result["svgs"]
    assert result["external"] == 0
    assert result["tables"] >= 4


def test_report_screenshot_is_not_blank(report: tuple[Path, Path, str],
                                        tmp_path: Path) -> None:
    path, _, _ = report
    shot = tmp_path / "shot.png"
    proc = chromium(tmp_path, "--window-size=1200,900", f"--screenshot={shot}", path.as_uri())
    assert shot.exists(), f"no screenshot (exit {proc.returncode}): {proc.stderr[-2000:]}"
    pixels = imread(shot)
    assert pixels.shape[0] > 100 and pixels.shape[1] > 100
    assert float(pixels[..., :3].std()) > 0.02  # text and tables, not a blank page


def test_report_folder_from_a_dict_of_runs(tmp_path: Path,
                                           runs: list[tuple[str, twin.RunResult]]) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"root_seed": 5}))
    sweep = _sweep(runs).assign(**{"dispatch.policy": "own_grid"})
    path = write_report_folder(tmp_path, dict(runs), sweep=sweep, lang="zh")
    assert path == tmp_path / "report.html"
    page = path.read_text(encoding="utf-8")
    assert '"root_seed": 5' in page and '"two per grid"' in page
    stems = {p.stem for p in (tmp_path / "plots").iterdir()}
    assert {"community_map", "staffing_curve", "kpi_bars"} <= stems  # same map: drawn


def test_report_without_disputes_has_no_grade_changes(tmp_path: Path) -> None:
    scenario = twin.load_scenario(ROOT / "scenarios/validation/mmc.yaml",
                                  overrides={"run.horizon_days": 2, "run.warmup_days": 0.5})
    runs = [("mmc", twin.run_replications(scenario, replications=2))]
    assert [p.slug for p in report_plots(runs)] == ["kpi_bars", "response_ecdf",
                                                    "open_over_time", "response_by_hour"]
    page = write_report(tmp_path / "report.html", runs).read_text(encoding="utf-8")
    assert "disputes." not in page and page.count('src="data:image/png;base64,') == 4


def test_sweep_without_numeric_key_has_no_staffing_curve(
        runs: list[tuple[str, twin.RunResult]]) -> None:
    sweep = _sweep(runs).drop(columns="workforce.per_grid").assign(policy="own_grid")
    slugs = [p.slug for p in report_plots(runs, sweep=sweep)]
    assert "staffing_curve" not in slugs and "response_ecdf" in slugs


def test_report_has_the_assessment_sheet(report: tuple[Path, Path, str],
                                         runs: list[tuple[str, twin.RunResult]]) -> None:
    path, _, lang = report
    page = path.read_text(encoding="utf-8")
    heading = "考核表" if lang == "zh" else "Assessment sheet"
    assert f'<h2 id="assessment">{heading}</h2>' in page
    sheet = page[page.index('<h2 id="assessment">'):]
    sheet = sheet[:sheet.index("<h2", 5)]
    assert sheet.count("<h3>") == len(runs)                      # one sheet per scenario
    assert ("满意率" in sheet) == (lang == "zh") and "<code>satisfaction_rate</code>" in sheet
    for _, run in runs:
        mean = run.summary.loc["satisfaction_rate", "mean"]
        assert f"<td>{mean:.1%}<br>" in sheet
