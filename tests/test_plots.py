"""Plots: each returns its Axes, draws what the tables say, in English and Chinese."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from scipy import stats

import twin
from twin.geography import Community, build_community
from twin.plots import (
    FONT_FILE,
    community_map,
    escalation_flow,
    flow_counts,
    kpi_bars,
    new_figure,
    open_counts,
    open_over_time,
    report_plots,
    response_ecdf,
    staffing_curve,
)
from twin.plots import labels as label_module
from twin.plots.labels import kpi_label, plain_number, short_label
from twin.plots.maps import scale_length, scale_text, shared_scale

ROOT = Path(__file__).resolve().parents[1]
LANGS = ["en", "zh"]
WARMUP = 1440.0
HORIZON = 3 * 1440.0


@pytest.fixture(scope="module")
def run() -> twin.RunResult:
    # the dispute baseline with disputes frequent enough to see every grade change
    scenario = twin.load_scenario(ROOT / "scenarios/disputes_baseline.yaml", overrides={
        "run.horizon_days": 3, "run.warmup_days": 1,
        "demand.categories.3.rate_per_hour_per_1000_residents": 0.05,
        "demand.categories.3.colours": {"green": 0.4, "yellow": 0.4, "red": 0.2},
        "demand.categories.3.latent.report_delay": 60})
    return twin.run_replications(scenario, replications=2)


@pytest.fixture(scope="module")
def community(run: twin.RunResult) -> Community:
    return build_community(run.scenario)


def _axes():
    fig, axes = new_figure()
    return fig, axes[0, 0]


def _draw_clean(fig) -> None:
    """Render the figure and fail on any missing-glyph warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    glyphs = [str(w.message) for w in caught if "missing from" in str(w.message)
              or "Glyph" in str(w.message)]
    assert glyphs == []


def _two_scenarios(run: twin.RunResult) -> pd.DataFrame:
    base = run.summary.reset_index().assign(scenario="base")
    other = run.summary.reset_index().assign(scenario="more staff")
    other["mean"] *= 0.8
    return pd.concat([base, other], ignore_index=True)


@pytest.mark.parametrize("lang", LANGS)
def test_kpi_bars_one_bar_per_scenario_with_its_mean(run: twin.RunResult, lang: str) -> None:
    summary = _two_scenarios(run)
    fig, ax = _axes()
    assert kpi_bars(summary, "response_p90", ax, lang=lang) is ax
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 2
    expected = summary[summary["kpi"] == "response_p90"]["mean"].to_numpy()
    assert np.allclose([b.get_height() for b in bars], expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["base", "more staff"]
    _draw_clean(fig)


def test_kpi_bars_needs_the_long_table() -> None:
    fig, ax = _axes()
    with pytest.raises(ValueError, match="scenario"):
        kpi_bars(pd.DataFrame({"kpi": ["a"], "mean": [1.0]}), "a", ax)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("by", ["category", "colour"])
def test_response_ecdf_one_curve_per_group_ending_at_one(run: twin.RunResult, by: str,
                                                         lang: str) -> None:
    # by category (the default) over every issue; by colour over the disputes, the only
    # issues that are graded
    issues = run.issues
    if by == "colour":
        issues = issues[issues["category"].astype(str) == "neighbour_dispute"]
    fig, ax = _axes()
    kwargs = {} if by == "category" else {"by": by}
    assert response_ecdf(issues, ax, warmup=WARMUP, deadline=60.0, lang=lang, **kwargs) is ax
    picked = issues[(issues["t_reported"] >= WARMUP) & issues["t_on_site"].notna()]
    groups = set(picked[by].astype(str))
    assert len(groups) >= 2
    if by == "colour":
        assert groups <= {"green", "yellow", "red"}
    curves = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
    assert len(curves) == len(groups)
    for line in curves:
        y = np.asarray(line.get_ydata(), float)
        assert y[-1] == pytest.approx(1.0)
        assert np.all(np.diff(y) >= 0)
    sizes = sorted(len(line.get_xdata()) - 1 for line in curves)
    assert sizes == sorted(picked.groupby(picked[by].astype(str)).size().tolist())
    _draw_clean(fig)


def test_open_counts_counts_reported_not_resolved() -> None:
    issues = pd.DataFrame({"replication": [0, 0, 0, 1],
                           "t_reported": [10.0, 20.0, np.nan, 5.0],
                           "t_resolved": [30.0, np.nan, np.nan, 6.0]})
    counts = open_counts(issues, np.array([0.0, 15.0, 25.0, 35.0]))
    assert counts.tolist() == [[0, 1, 2, 1], [0, 0, 0, 0]]


@pytest.mark.parametrize("lang", LANGS)
def test_open_over_time_mean_line_inside_its_band(run: twin.RunResult, lang: str) -> None:
    issues = pd.concat([run.issues.assign(scenario="a"),
                        run.issues.assign(scenario="b", t_resolved=run.issues["t_resolved"] + 60)])
    fig, ax = _axes()
    assert open_over_time(issues, HORIZON, ax, warmup=WARMUP, band="5-95", lang=lang) is ax
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) >= 2  # one band per scenario (plus the warm-up shading)
    means = [line for line in ax.get_lines() if line.get_label() in ("a", "b")]
    assert len(means) == 2
    times = np.arange(0.0, HORIZON + 30.0, 60.0)
    expected = open_counts(run.issues, times).mean(axis=0)
    assert np.allclose(means[0].get_ydata(), expected)
    assert np.asarray(means[1].get_ydata()).sum() > expected.sum()  # later resolution: more open
    _draw_clean(fig)


def _sweep() -> pd.DataFrame:
    rows = []
    for k in (3, 1, 2):
        rows += [{"point": f"p{k}", "workforce.per_grid": k, "kpi": "response_p90",
                  "mean": 600 / k, "ci_low": 500 / k, "ci_high": 700 / k, "n": 2},
                 {"point": f"p{k}", "workforce.per_grid": k, "kpi": "within_deadline",
                  "mean": 1 - 0.3 / k, "ci_low": 1 - 0.4 / k, "ci_high": 1 - 0.2 / k, "n": 2}]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("lang", LANGS)
def test_staffing_curve_one_kpi_per_panel_with_its_band(lang: str) -> None:
    fig, ax = _axes()
    assert staffing_curve(_sweep(), "workforce.per_grid", ax, lang=lang) is ax
    assert len(fig.axes) == 1
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == [1, 2, 3]
    assert np.allclose(line.get_ydata(), [600, 300, 200])
    fig2, right = _axes()
    staffing_curve(_sweep(), "workforce.per_grid", right, lang=lang, kpi="within_deadline")
    assert np.allclose(right.get_lines()[0].get_ydata(), [0.7, 0.85, 0.9])
    assert sum(isinstance(c, PolyCollection) for c in ax.collections + right.collections) == 2
    _draw_clean(fig)
    _draw_clean(fig2)


def test_staffing_curve_refuses_mixed_points() -> None:
    table = pd.concat([_sweep(), _sweep()])
    fig, ax = _axes()
    with pytest.raises(ValueError, match="several rows"):
        staffing_curve(table, "workforce.per_grid", ax)


@pytest.mark.parametrize("lang", LANGS)
def test_community_map_colours_nodes_by_their_grid(community: Community, lang: str) -> None:
    values = {name: float(i) for i, name in enumerate(community.grid_names)}
    fig, ax = _axes()
    assert community_map(community, values, ax, label="response_p90", lang=lang) is ax
    dots = [c for c in ax.collections if isinstance(c, PathCollection)][0]
    assert len(dots.get_offsets()) == community.graph.number_of_nodes()
    assert np.allclose(np.asarray(dots.get_array()), np.asarray(community.grid_of_node))
    streets = [c for c in ax.collections if isinstance(c, LineCollection)][0]
    assert len(streets.get_segments()) == community.graph.number_of_edges()
    shown = " ".join(t.get_text() for t in ax.texts)
    assert all(name in shown for name in community.grid_names)
    assert len(fig.axes) == 2  # the colour bar
    _draw_clean(fig)


def test_a_large_map_is_drawn_as_a_picture_without_grid_names(tmp_path: Path) -> None:
    """Above RASTER_NODES nodes the streets and nodes are one picture in the SVG (a few
    hundred KB, not a vector shape per node) and above NAMED_GRIDS grids no names are
    written; below both, every node and street is a vector shape and every grid named."""
    from twin.plots.maps import NAMED_GRIDS, RASTER_NODES
    sizes, images = {}, {}
    for side, blocks in ((80, [16, 16]), (40, [4, 4])):
        path = tmp_path / f"m{side}.yaml"
        path.write_text(f"name: m\nmap: {{source: lattice, rows: {side}, cols: {side}}}\n"
                        f"grids: {{blocks: {blocks}}}\n"
                        "demand: {categories: [{name: a, rate_per_hour: 1, service: "
                        "{distribution: exponential, mean: 30}}]}\n",
                        encoding="utf-8")
        big = build_community(twin.load_scenario(path))
        large = len(big.xy) > RASTER_NODES
        assert large == (side == 80) and (len(big.grid_names) > NAMED_GRIDS) == large
        fig, ax = _axes()
        community_map(big, {g: float(i) for i, g in enumerate(big.grid_names)}, ax)
        assert all(c.get_rasterized() == large for c in ax.collections)
        names = " ".join(t.get_text() for t in ax.texts)
        assert all((g in names) != large for g in big.grid_names)
        out = tmp_path / f"m{side}.svg"
        fig.savefig(out)
        sizes[side] = out.stat().st_size
        images[side] = out.read_text(encoding="utf-8").count("<image")
    # one picture more than the colour bar's; 6,400 nodes drawn as a picture take less
    # room than 1,600 drawn as shapes
    assert images[80] == images[40] + 1
    assert sizes[80] < sizes[40]


@pytest.mark.parametrize("lang", LANGS)
def test_escalation_flow_bars_add_up_to_the_disputes(run: twin.RunResult, lang: str) -> None:
    fig, ax = _axes()
    assert escalation_flow(run.issues, run.escalations, ax, disputes=run.disputes,
                           warmup=WARMUP, lang=lang) is ax
    flows, causes, reps = flow_counts(run.issues, run.escalations, run.disputes, WARMUP)
    assert reps == 2
    disputed = run.issues.merge(run.disputes[["replication", "issue_id"]])
    picked = disputed[disputed["t_reported"] >= WARMUP]
    assert len(picked) > 20 and len(picked) < (run.issues["t_reported"] >= WARMUP).sum()
    assert flows.to_numpy().sum() == pytest.approx(len(picked) / 2)
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == flows.size
    widths: dict[float, float] = {}
    for bar in bars:
        widths[round(bar.get_y(), 3)] = widths.get(round(bar.get_y(), 3), 0) + bar.get_width()
    assert sorted(widths.values()) == pytest.approx(sorted(flows.sum(axis=1)))
    escalated = run.escalations.merge(picked[["replication", "issue_id"]])
    assert causes.to_numpy().sum() == pytest.approx(len(escalated) / 2) and len(escalated)
    assert causes["settled"].sum() > 0
    _draw_clean(fig)


def test_escalation_flow_without_disputes_says_so() -> None:
    fig, ax = _axes()
    issues = pd.DataFrame({"replication": [0], "issue_id": [0], "t_reported": [5.0],
                           "colour": ["none"], "colour_closed": ["none"]})
    none = pd.DataFrame({"replication": pd.Series(dtype=int), "issue_id": pd.Series(dtype=int)})
    escalation_flow(issues, none.assign(cause=pd.Series(dtype=str)), ax, disputes=none)
    assert "no data" in [t.get_text() for t in ax.texts]
    _draw_clean(fig)


def test_chinese_labels_use_the_bundled_font(run: twin.RunResult) -> None:
    fig, ax = _axes()
    disputes = run.issues[run.issues["category"].astype(str) == "neighbour_dispute"]
    response_ecdf(disputes, ax, by="colour", warmup=WARMUP, lang="zh")  # grades named in zh
    assert ax.get_xlabel() == "响应时间（分钟）"
    _draw_clean(fig)
    label = ax.xaxis.get_label()
    assert Path(font_manager.findfont(label.get_fontproperties())) == FONT_FILE
    ticks = ax.get_yticklabels()
    assert ticks and all(Path(font_manager.findfont(t.get_fontproperties())) == FONT_FILE
                         for t in ticks)
    legend = ax.get_legend()
    assert legend is not None and "绿" in " ".join(t.get_text() for t in legend.get_texts())


def test_every_chinese_label_is_in_the_font() -> None:
    cmap = TTFont(FONT_FILE)["cmap"].getBestCmap()
    words = [zh for _, zh in label_module._TEXT.values()]
    words += [zh for _, zh in label_module._KPI.values()]
    words += [zh for _, zh in label_module._ARGUMENT.values()]
    missing = sorted({ch for word in words for ch in word if ord(ch) not in cmap})
    assert missing == []


def test_font_is_small_and_licensed() -> None:
    assert FONT_FILE.stat().st_size < 3 * 1024 * 1024
    licence = (FONT_FILE.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE" in licence and "Adobe" in licence


def test_unknown_language_is_refused(run: twin.RunResult) -> None:
    fig, ax = _axes()
    with pytest.raises(ValueError, match="unknown language"):
        response_ecdf(run.issues, ax, lang="fr")


def test_no_pyplot_and_no_font_registration_at_import() -> None:
    code = (
        "import sys\n"
        "from matplotlib import font_manager\n"
        "import twin.plots, twin.report\n"
        "from twin.plots import FONT_FILE, new_figure, kpi_bars\n"
        "assert not any(f.fname == str(FONT_FILE) for f in font_manager.fontManager.ttflist)\n"
        "import pandas as pd\n"
        "fig, axes = new_figure()\n"
        "kpi_bars(pd.DataFrame({'scenario': ['a'], 'kpi': ['k'], 'mean': [1.0],\n"
        "         'ci_low': [0.5], 'ci_high': [1.5]}), 'k', axes[0, 0], lang='zh')\n"
        "fig.canvas.draw()\n"
        "assert any(f.fname == str(FONT_FILE) for f in font_manager.fontManager.ttflist)\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr


def test_text_of_every_axes_gets_the_language_font(run: twin.RunResult) -> None:
    fig, ax = _axes()
    kpi_bars(_two_scenarios(run), "within_deadline", ax, lang="zh")
    families = {tuple(t.get_fontfamily()) for t in ax.findobj(Text) if t.get_text()}
    assert families == {(label_module.CJK_FAMILY, label_module.LATIN_FAMILY)}


# ---- honest scales -------------------------------------------------------------------


def _slower(run: twin.RunResult, minutes: float) -> SimpleNamespace:
    """The run with every response ``minutes`` longer (same summary, same scenario)."""
    issues = run.issues.assign(t_on_site=run.issues["t_on_site"] + minutes)
    return SimpleNamespace(summary=run.summary, issues=issues, escalations=run.escalations,
                           kpis=run.kpis, scenario=run.scenario)


def _plot(plots: list, slug: str):
    return next(p for p in plots if p.slug == slug).figure


def _all_texts(fig) -> list[str]:
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def test_response_curves_share_one_x_axis_wide_enough_for_the_slowest(
        run: twin.RunResult) -> None:
    slow = _slower(run, 2000.0)
    fig = _plot(report_plots([("fast", run), ("slow", slow)]), "response_ecdf")
    limits = [ax.get_xlim() for ax in fig.axes if ax.get_visible()]
    assert len(limits) == 2 and limits[0] == limits[1]
    reached = slow.issues[(slow.issues["t_reported"] >= WARMUP) & slow.issues["t_on_site"].notna()]
    longest = float((reached["t_on_site"] - reached["t_reported"]).max())
    assert limits[0][0] == 0 and limits[0][1] >= longest
    # drawn alone, the fast run's axis ends far sooner: the shared axis is what keeps it honest
    _, ax = _axes()
    response_ecdf(run.issues, ax, warmup=WARMUP)
    assert ax.get_xlim()[1] < longest


def test_comparison_maps_share_one_colour_scale_at_least_as_wide_as_the_noise(
        run: twin.RunResult, community: Community) -> None:
    slow = _slower(run, 10.0)  # ten minutes: less than the noise of a grid's P90
    fig = _plot(report_plots([("base", run), ("plus ten", slow)], community=community),
                "community_map")
    maps = [ax for ax in fig.axes if any(isinstance(c, PathCollection) for c in ax.collections)]
    clims = [next(c for c in ax.collections if isinstance(c, PathCollection)).get_clim()
             for ax in maps]
    assert len(clims) == 2 and clims[0] == clims[1]
    low, high = clims[0]
    widest = 0.0
    for table in (run.issues, slow.issues):
        reached = table[(table["t_reported"] >= WARMUP) & table["t_on_site"].notna()]
        p90 = (reached["t_on_site"] - reached["t_reported"]).groupby(
            [reached["grid"].astype(str), reached["replication"]]).quantile(0.9)
        for _, values in p90.groupby(level=0):
            if len(values) > 1:
                half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(
                    len(values))
                widest = max(widest, 2 * half)
    assert widest > 0 and high - low >= widest - 1e-9
    assert any("±" in t for t in _all_texts(fig))  # each grid's value carries its noise


def test_shared_scale_spans_the_values_and_widens_to_the_noise() -> None:
    assert shared_scale([100.0, 300.0], [20.0]) == (100.0, 300.0)  # values wider than noise
    assert shared_scale([100.0, 110.0], [30.0, 5.0]) == (75.0, 135.0)  # about the middle
    assert shared_scale([5.0, 10.0], [20.0]) == (0.0, 40.0)  # non-negative stays so
    assert shared_scale([5.0, float("nan")], [float("nan")]) == (5.0, 5.0)
    assert shared_scale([], []) == (0.0, 1.0)


@pytest.mark.parametrize("value", [2999.0, 3000.0, 123456.0, 3_000_000.0, 0.000012, 42.5])
def test_plain_number_never_writes_an_exponent(value: float) -> None:
    shown = plain_number(value)
    assert "e" not in shown.lower()
    assert float(shown.replace(",", "")) == pytest.approx(value, rel=5e-3)


def test_counts_and_residents_show_without_scientific_notation(community: Community) -> None:
    summary = pd.DataFrame({"scenario": ["a", "b"], "kpi": ["arrived"] * 2,
                            "mean": [2999.0, 3_000_000.0], "ci_low": [2900.0, 2_900_000.0],
                            "ci_high": [3100.0, 3_100_000.0]})
    fig, ax = _axes()
    kpi_bars(summary, "arrived", ax)
    texts = _all_texts(fig)
    assert not [t for t in texts if "e+" in t]
    assert "2,999" in texts and "3,000,000" in texts
    ticks = ax.get_yticks()
    assert np.allclose(ticks, np.round(ticks))  # a count axis: whole numbers only
    assert ax.yaxis.get_offset_text().get_text() == ""
    residents = {name: 2999.0 + 1000 * i for i, name in enumerate(community.grid_names)}
    fig, ax = _axes()
    community_map(community, residents, ax, label="residents")
    texts = _all_texts(fig)
    assert not [t for t in texts if "e+" in t] and any("2,999" in t for t in texts)


@pytest.mark.parametrize("lang", LANGS)
def test_community_map_has_a_scale_bar_in_metres(community: Community, lang: str) -> None:
    fig, ax = _axes()
    community_map(community, {}, ax, lang=lang)
    bars = [a for a in ax.artists if isinstance(a, AnchoredSizeBar)]
    assert len(bars) == 1
    span = float(np.ptp(np.asarray(community.xy)[:, 0]))
    length = scale_length(span)
    assert bars[0].txt_label.get_text() == scale_text(length, lang)
    bar_width = next(p for p in bars[0].findobj(Rectangle) if p.get_width() > 0).get_width()
    assert bar_width == pytest.approx(length)  # drawn in data units: metres
    _draw_clean(fig)


@pytest.mark.parametrize("span", [37.0, 480.0, 1234.0, 5000.0, 98_765.0])
def test_scale_length_is_round_and_near_a_fifth_of_the_map(span: float) -> None:
    length = scale_length(span)
    assert span / 12.5 < length <= span / 5
    leading = length / 10 ** np.floor(np.log10(length))
    assert round(leading, 9) in (1.0, 2.0, 5.0)
    assert scale_text(2000.0) == "2 km" and scale_text(500.0, "zh") == "500 米"


def test_long_scenario_names_are_wrapped_on_the_bars(run: twin.RunResult) -> None:
    long = "strict_deadlines_with_night_shift"
    summary = _two_scenarios(run).replace({"scenario": {"more staff": long}})
    fig, ax = _axes()
    kpi_bars(summary, "response_p90", ax)
    shown = [t.get_text() for t in ax.get_xticklabels()]
    assert shown[0] == "base"
    lines = shown[1].split("\n")
    # a line may end in the "_" it broke at
    assert len(lines) > 1 and all(len(line.rstrip("_")) <= 16 for line in lines)
    assert "".join(lines) == long  # wrapped, nothing lost


def test_short_label_keeps_both_ends_of_a_name_too_long_to_wrap() -> None:
    a = "strict deadlines with night shift, volunteers and patrols, variant a"
    b = a[:-1] + "b"
    short_a, short_b = short_label(a), short_label(b)
    assert short_a != short_b and "…" in short_a
    assert short_a.startswith("strict") and short_a.replace("\n", "").endswith("variant a")
    assert all(len(line) <= 16 for line in short_a.split("\n")) and short_a.count("\n") <= 1
    cjk = "严格时限加夜班与志愿者巡查方案二"  # a CJK character is two columns wide
    assert short_label(cjk, width=16) == f"{cjk[:8]}\n{cjk[8:]}"


def test_report_panels_show_the_mean_beside_the_p90(run: twin.RunResult) -> None:
    fig = _plot(report_plots([("base", run)]), "kpi_bars")
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles.index(kpi_label("response_mean")) + 1 == titles.index(
        kpi_label("response_p90"))
    assert kpi_label("resolution_mean") in titles
