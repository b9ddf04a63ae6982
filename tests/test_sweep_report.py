"""A sweep's report: one table of points, collapsed points flagged everywhere, a
staffing curve with every point and one line per value of the other key."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.lines import Line2D
from typer.testing import CliRunner

from twin.cli import app
from twin.plots.canvas import new_figure
from twin.plots.figures import MAX_PANELS
from twin.plots.kpi import staffing_curve
from twin.sweep import changed_kpis, point_labels

ROOT = Path(__file__).resolve().parents[1]
MMC = str(ROOT / "scenarios" / "validation" / "mmc.yaml")
ABOUT = "One queue of jobs, for the sweep report test"
# 5 jobs an hour of 20 min each: 1.67 servers busy on average, so one worker per grid
# cannot keep up and its queue grows without end
SHORT = ["--set", "run.horizon_days=5", "--set", "run.warmup_days=1", "--set",
         f"description={ABOUT}", "--replications", "2"]
runner = CliRunner()


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    out = tmp_path_factory.mktemp("sweep") / "sw"
    res = runner.invoke(app, ["sweep", MMC, "--vary", "workforce.per_grid=1..4", "--vary",
                              "deadlines.response=30,60", *SHORT, "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out, res.stdout, res.stderr


def test_a_collapsed_point_is_flagged_in_the_terminal(swept: tuple[Path, str, str]) -> None:
    out, stdout, stderr = swept
    points = pd.read_csv(out / "points.csv", keep_default_na=False)
    gone = points[points["collapsed"] != ""]
    assert list(gone["workforce.per_grid"]) == [1, 1]  # 1.67 erlangs on one worker
    for label in gone["label"]:
        assert f"warning: {label}: collapsed: open issues keep rising (+" in stderr
    assert stderr.count("warning: ") == len(gone)
    assert "the community cannot keep up, and its KPIs describe a growing backlog" in stderr
    rows = [ln for ln in stdout.splitlines() if "per_grid=" in ln]
    assert len(rows) == len(points)
    assert [ln.rstrip(" │").endswith("yes") for ln in rows] == list(points["collapsed"] != "")


def test_points_csv_has_labels_and_collapse_reasons(swept: tuple[Path, str, str]) -> None:
    out, _, _ = swept
    points = pd.read_csv(out / "points.csv", keep_default_na=False)
    assert list(points.columns) == ["point", "workforce.per_grid", "deadlines.response",
                                    "label", "collapsed"]
    assert points["point"].iloc[0] == "workforce.per_grid=1,deadlines.response=30"
    assert list(points["label"]) == [f"per_grid={k} · response={r}"
                                     for k in (1, 2, 3, 4) for r in (30, 60)]
    busy = pd.read_csv(out / "summary.csv").query("kpi == 'utilisation'").set_index("point")
    for row in points.to_dict("records"):
        if row["collapsed"]:
            assert "open issues keep rising" in row["collapsed"]
        if busy.loc[row["point"], "mean"] >= 0.99:
            assert "utilisation" in row["collapsed"]
        else:
            assert "utilisation" not in row["collapsed"]


def test_the_report_opens_with_one_table_of_points(swept: tuple[Path, str, str]) -> None:
    out, _, _ = swept
    page = (out / "report.html").read_text(encoding="utf-8")
    points = pd.read_csv(out / "points.csv", keep_default_na=False)
    shown = page.split('<h2>Manifest</h2>')[0]  # the manifest lists the --set options
    assert shown.count(ABOUT) == 1  # the description once, not once per point
    table = page.split('<table class="num points">')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    assert body.count("<tr") == len(points)
    for label in points["label"]:
        assert body.count(f"<td>{label}</td>") == 1
    flagged = re.findall(r'<tr class="collapsed"><td>⚠ (P\d+)</td><td>([^<]+)</td>', body)
    assert [label for _, label in flagged] == list(points["label"][points["collapsed"] != ""])
    assert page.index("Sweep points") < page.index("<details><summary>Settings of every point")
    assert "Settings that differ" not in page and "Verdict" not in page
    assert "⚠ collapsed: open issues keep rising after the warm-up" in page


def test_the_report_says_which_points_the_panels_show(swept: tuple[Path, str, str]) -> None:
    out, _, _ = swept
    page = (out / "report.html").read_text(encoding="utf-8")
    n = len(pd.read_csv(out / "points.csv"))
    assert n > MAX_PANELS
    assert (f"Figures with a panel or a line per point show points P1–P{MAX_PANELS} of {n}; "
            "every point is in the table of points and in the staffing curve.") in page


def test_a_key_the_model_does_not_read_is_named(swept: tuple[Path, str, str]) -> None:
    out, _, stderr = swept
    summary = pd.read_csv(out / "summary.csv")
    assert changed_kpis(summary, "deadlines.response") == ["on_site_within_response"]
    assert "workforce.per_grid" not in stderr.split("note:")[-1]
    said = ("deadlines.response changes only on_site_within_response in this scenario: every "
            "other KPI is the same at each of its values (30, 60), the other keys fixed. It "
            "only sets what those KPIs are measured against; the simulation does not use it.")
    assert f"note: {said}" in " ".join(stderr.split())
    assert said in (out / "report.html").read_text(encoding="utf-8")


def test_changed_kpis_sees_a_key_that_changes_nothing() -> None:
    rows = [{"point": f"{k}-{d}", "k": k, "d": d, "kpi": kpi, "mean": k * (2 if kpi == "b" else 1)}
            for k in (1, 2) for d in ("x", "y") for kpi in ("a", "b")]
    summary = pd.DataFrame(rows).assign(ci_low=0.0, ci_high=1.0, n=2)
    assert changed_kpis(summary, "d") == []
    assert changed_kpis(summary, "k") == ["a", "b"]
    assert changed_kpis(summary[summary["k"] == 1], "k") is None


def test_point_labels_keep_whole_keys_whose_last_parts_clash() -> None:
    grid = [{"a.limit": 1, "b.limit": 2, "workforce.per_grid": 3}]
    assert point_labels(grid) == ["a.limit=1 · b.limit=2 · per_grid=3"]


def _summary(collapse: bool) -> pd.DataFrame:
    """Four staffing levels x two values of another key; P90 response 20 times longer at
    the first level when it collapses."""
    rows = []
    for k in (1, 2, 3, 4):
        for r in (30, 60):
            p90 = (4000.0 if collapse and k == 1 else 400.0 / k) + r / 10
            for kpi, mean in (("response_p90", p90), ("within_deadline", 1 - 0.2 / k)):
                rows.append({"point": f"k={k},r={r}", "k": k, "r": r, "kpi": kpi, "mean": mean,
                             "ci_low": mean * 0.9, "ci_high": mean * 1.05, "n": 3})
    return pd.DataFrame(rows)


def _curve_lines(ax: object) -> list[Line2D]:
    return [ln for ln in ax.get_lines() if ln.get_gid() == "curve"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("kpi", ["response_p90", "within_deadline"])
def test_staffing_curve_draws_every_point_of_every_line(kpi: str) -> None:
    table = _summary(collapse=True)
    _, axes = new_figure(1, 1)
    ax = staffing_curve(table, "k", axes[0, 0], kpi=kpi, by=["r"],
                        collapsed={"k=1,r=30", "k=1,r=60"})
    lines = _curve_lines(ax)
    assert len(lines) == table["r"].nunique()
    assert sum(len(ln.get_xdata()) for ln in lines) == len(table) // 2  # every point
    for ln, r in zip(lines, (30, 60), strict=True):
        want = table[(table["kpi"] == kpi) & (table["r"] == r)].sort_values("k")
        assert list(ln.get_xdata()) == [1, 2, 3, 4]
        assert np.allclose(ln.get_ydata(), want["mean"])
        assert ln.get_label() == f"r={r}"
    assert len({(ln.get_marker(), ln.get_linestyle()) for ln in lines}) == len(lines)
    crosses = [ln for ln in ax.get_lines() if ln.get_gid() == "collapsed"]
    assert sum(len(ln.get_xdata()) for ln in crosses) == 2
    assert "collapsed" in [t.get_text() for t in ax.texts]
    assert ax.get_legend().get_texts()[-1].get_text() == "collapsed"


def test_a_collapsed_point_sets_a_log_axis_and_only_then() -> None:
    _, axes = new_figure(1, 3)
    flagged = {"k=1,r=30", "k=1,r=60"}
    log = staffing_curve(_summary(True), "k", axes[0, 0], by=["r"], collapsed=flagged)
    assert log.get_yscale() == "log" and "log scale" in log.get_ylabel()
    plain = staffing_curve(_summary(False), "k", axes[0, 1], by=["r"])
    assert plain.get_yscale() == "linear" and "log scale" not in plain.get_ylabel()
    assert "lines overlap" not in plain.get_xlabel()  # r moves the response a little
    share = staffing_curve(_summary(True), "k", axes[0, 2], kpi="within_deadline", by=["r"],
                           collapsed=flagged)
    assert share.get_yscale() == "linear"


def test_lines_that_coincide_are_said_to() -> None:
    table = _summary(False)
    table["mean"] = table.groupby(["k", "kpi"])["mean"].transform("first")
    _, axes = new_figure(1, 1)
    ax = staffing_curve(table, "k", axes[0, 0], by=["r"])
    assert ax.get_xlabel().endswith("\nlines overlap: r changes nothing here")
    sizes = [ln.get_markersize() for ln in _curve_lines(ax)]
    assert sizes[0] > sizes[1]  # the line on top has smaller markers: both show


def test_a_sweep_speaks_chinese_from_the_environment(tmp_path: Path) -> None:
    out = tmp_path / "sw"
    res = runner.invoke(app, ["sweep", MMC, "--vary", "workforce.per_grid=1,2", *SHORT,
                              "--out", str(out)], env={"TWIN_LANG": "zh"})
    assert res.exit_code == 0, res.output
    assert "扫描：各点均值（95%置信区间见 summary.csv）" in res.stdout
    assert f"报告：{out / 'report.html'}" in res.stdout
    assert "警告：per_grid=1：崩溃：未办结问题持续增加（预热期后每天 +" in res.stderr
    assert "社区已无法应对" in res.stderr and "warning" not in res.stderr
    rows = [ln for ln in res.stdout.splitlines() if "per_grid=" in ln]
    assert [ln.rstrip(" │").endswith("是") for ln in rows] == [True, False]


def test_a_key_varied_over_lists_sweeps_and_reports(tmp_path: Path) -> None:
    base = tmp_path / "sw.yaml"
    base.write_text(f"extends: {MMC}\nname: blocks\nmap: {{source: lattice, rows: 4, cols: 4}}\n",
                    encoding="utf-8")
    out = tmp_path / "out"
    res = runner.invoke(app, ["sweep", str(base), "--vary", "grids.blocks=[[1,1],[1,2]]",
                              "--vary", "workforce.per_grid=2,3", *SHORT, "--out", str(out)])
    assert res.exit_code == 0, res.output
    page = (out / "report.html").read_text(encoding="utf-8")
    table = page.split('<table class="num points">')[1].split("</table>")[0]
    assert table.split("<tbody>")[1].count("<tr") == 4  # every point, none lost
    assert (out / "plots" / "staffing_curve.png").is_file()
    assert "blocks=[1, 2] · per_grid=3" in res.stdout
