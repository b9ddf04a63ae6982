"""The verdict that opens a comparison: Holm's adjustment, the KPI's direction, the
number format, and a report page whose verdict block fits its box in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser import probe_in_chromium

import twin
from twin import numbers
from twin.compare import holm, paired_p, paired_table, ratio_interval, with_verdicts
from twin.metrics.catalogue import headline_kpis, kpi_spec
from twin.report import write_report

MMC_PATH = Path(__file__).resolve().parents[1] / "scenarios" / "validation" / "mmc.yaml"


def mmc(workers: int, name: str) -> twin.Scenario:
    overrides = {"name": name, "workforce.per_grid": workers, "run.horizon_days": 12,
                 "run.warmup_days": 2, "demand.categories.0.rate_per_hour": 4.0,
                 "demand.categories.0.service.mean": 20.0}
    return twin.load_scenario(MMC_PATH, overrides=overrides)


# Reports every element of the verdict block that sticks out of its parent or
# scrolls (its content wider than its box).
PROBE = """<pre id="result">pending</pre>
<script>
window.addEventListener("load", () => {
  const block = document.getElementById("verdict");
  const bad = [];
  for (const el of block.querySelectorAll("*")) {
    const r = el.getBoundingClientRect(), p = el.parentElement.getBoundingClientRect();
    if (r.left < p.left - 0.5 || r.right > p.right + 0.5 || el.scrollWidth > el.clientWidth + 1)
      bad.push(el.tagName + ":" + el.textContent.slice(0, 40));
  }
  const box = block.getBoundingClientRect();
  if (box.right > document.documentElement.clientWidth + 0.5) bad.push("section");
  document.getElementById("result").textContent = JSON.stringify({bad: bad,
    cells: block.querySelectorAll("td[data-verdict]").length});
});
</script>
"""


@pytest.fixture(scope="module")
def compared() -> twin.compare.Comparison:
    # 2 vs 4 vs 3 workers: the waits fall clearly, utilisation (no direction) too.
    return twin.compare([mmc(2, "two workers per grid"), mmc(4, "four workers per grid"),
                         mmc(3, "three workers per grid, a longer name")], replications=6)


def test_holm_matches_its_definition() -> None:
    p = [0.01, 0.04, 0.03, float("nan"), 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 over m = 4: x4, x3, x2, x1, made monotone
    expected = [max(0.02, 0.03), max(0.03, 0.06, 0.04), max(0.03, 0.06), float("nan"), 0.02]
    assert holm(p)[:3] == pytest.approx(expected[:3])
    assert np.isnan(holm(p)[3]) and holm(p)[4] == pytest.approx(0.02)


def test_paired_p_and_ratio_agree_with_their_definitions() -> None:
    from scipy import stats

    d = np.array([1.0, 2.0, 4.0, 3.0])
    base = np.array([10.0, 12.0, 9.0, 11.0])
    assert paired_p(d) == pytest.approx(stats.ttest_1samp(d, 0.0).pvalue)
    ratio, low, high = ratio_interval(d, base)
    assert ratio == pytest.approx(d.mean() / base.mean()) and low < ratio < high
    assert paired_p(np.zeros(3)) == 1.0


def test_verdicts_follow_the_direction_and_holm(compared: twin.compare.Comparison) -> None:
    table = compared.table
    others = table[table.scenario != compared.names[0]]
    family = others[others.kpi.isin(headline_kpis()) & others.p_value.notna()]
    assert family.p_holm.notna().all() and table.drop(family.index).p_holm.isna().all()
    assert (family.p_holm >= family.p_value - 1e-15).all()  # never below the raw p-value
    row = family[(family.kpi == "response_mean")
                 & (family.scenario == "four workers per grid")].iloc[0]
    assert row["diff"] < 0 and row["verdict"] == "better"  # lower is better
    for r in family.itertuples():
        spec = kpi_spec(r.kpi)
        if r.p_holm > 0.05:
            assert r.verdict == "no clear difference"
        elif spec is None or spec.direction is None:
            assert r.verdict == "differs"
        else:
            assert r.verdict == ("better" if (r.diff < 0) == (spec.direction == "lower")
                                 else "worse")
    # the first ten columns keep their names and order for readers of older files
    assert list(table.columns[:10]) == ["kpi", "scenario", "mean", "ci_low", "ci_high", "n",
                                        "diff", "diff_ci_low", "diff_ci_high", "significant"]
    shares = table[table.kpi.map(lambda k: bool(kpi_spec(k) and kpi_spec(k).share))]
    assert ((shares.ci_low.dropna() >= 0) & (shares.ci_high.dropna() <= 1)).all()


def test_flipping_the_direction_flips_the_verdict(compared: twin.compare.Comparison) -> None:
    # the reference last: every better becomes worse, as the differences change sign
    names = compared.names
    flipped = paired_table(compared.runs, [names[1], names[0]])
    one = compared.table[compared.table.scenario == names[1]].set_index("kpi")
    two = flipped[flipped.scenario == names[0]].set_index("kpi")
    swap = {"better": "worse", "worse": "better"}
    for kpi in one.index.intersection(two.index):
        if one.loc[kpi, "verdict"] in swap and two.loc[kpi, "verdict"] in swap:
            assert two.loc[kpi, "verdict"] == swap[one.loc[kpi, "verdict"]], kpi


def test_numbers_have_one_rule() -> None:
    assert numbers.value(1180.25, "arrived") == "1,180"  # a count: an integer
    assert numbers.half_width(0.0, 0.0, 0.0, "open_at_end") == "0 ± 0"
    assert numbers.value(1.02, "within_deadline") == "100.0%"  # a share, clipped
    assert numbers.interval(0.95, 1.03, "within_deadline") == "95.0% – 100.0%"
    assert numbers.diff(0.025, "within_deadline") == "+2.5 pp"
    assert numbers.value(61.6436, "response_mean") == "61.6"
    assert numbers.value(0.44711, "mean_waiting") == "0.447"  # a level, not a count
    assert numbers.value(0.1, "response_mean") == "0.1" and numbers.plain(-2e-9) == "0"
    assert numbers.value(12345.6, "response_mean") == "12,346"
    assert numbers.pct(-0.1234) == "-12.3%"
    assert numbers.value(float("nan"), "response_mean") == numbers.MISSING
    # a time or a count cannot be negative: its interval starts at 0 at least
    assert numbers.interval(-109.2, 722.4, "time_to_settle") == "0 – 722"
    assert numbers.interval(-5.2, 14.4, "arrived") == "0 – 14"
    assert numbers.half_width(307.0, -109.2, 722.4, "time_to_settle") == "307 (0 – 722)"
    assert numbers.half_width(307.0, 100.0, 514.0, "time_to_settle") == "307 ± 207"
    assert numbers.interval(-109.2, 722.4, "time_to_settle", of_diff=True) == "[-109, +722]"


def _page(compared: twin.compare.Comparison, path: Path, lang: str) -> str:
    runs = [(name, compared.runs[name]) for name in compared.names]
    write_report(path, runs, comparison=compared.table, lang=lang)
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_opens_with_the_verdict(compared: twin.compare.Comparison, tmp_path: Path,
                                       lang: str) -> None:
    page = _page(compared, tmp_path / "report.html", lang)
    block = re.search(r'<section id="verdict".*?</section>', page, re.S)
    assert block, "no verdict block"
    assert page.index('id="verdict"') < page.index("<table class=\"settings\"")
    heads = [k for k in headline_kpis() if k in set(compared.table.kpi)]
    rows = re.findall(r"<tr>(.*?)</tr>", block.group(0), re.S)[1:]
    assert len(rows) == len(heads)
    table = compared.table.set_index(["kpi", "scenario"])
    css = {"better": "better", "worse": "worse", "differs": "differs",
           "no clear difference": "same"}
    for kpi, row in zip(heads, rows, strict=True):
        label = twin.plots.labels.kpi_label(kpi, lang)
        assert row.startswith(f"<td>{label}")
        found = re.findall(r'<td class="(\w*)" data-verdict="([^"]*)">', row)
        want = [table.loc[(kpi, n), "verdict"] for n in compared.names[1:]]
        assert [v for _, v in found] == want
        assert [c for c, _ in found] == [css.get(v, "") for v in want]
    assert "Holm" in block.group(0)
    assert 'class="better"' in block.group(0)  # more workers: shorter waits
    # the settings that differ: only workforce.per_grid (and nothing the runs share)
    differ = page[page.index("<table class=\"settings\""):page.index("</table>",
                                                                     page.index("settings"))]
    assert "<code>workforce.per_grid</code>" in differ and "run.seed" not in differ


@pytest.mark.parametrize("width", [1200, 640])
def test_verdict_block_fits_its_box_in_chromium(compared: twin.compare.Comparison,
                                                tmp_path: Path, width: int) -> None:
    page = _page(compared, tmp_path / "report.html", "en")
    result = probe_in_chromium(page, PROBE, tmp_path, f"--window-size={width},900")
    assert result["cells"] == (len(compared.names) - 1) * len(
        [k for k in headline_kpis() if k in set(compared.table.kpi)])
    assert result["bad"] == []


def test_terminal_lists_the_settings_that_differ_and_holm_stars(
        compared: twin.compare.Comparison) -> None:
    from twin.cli.common import out_console
    from twin.cli.tables import print_comparison

    runs = [(name, compared.runs[name]) for name in compared.names]
    with out_console.capture() as captured:
        print_comparison(compared.table, compared.names, False, "en", runs)
    text = captured.get()
    lines = text.splitlines()
    assert "Settings that differ" in text
    row = next(ln for ln in lines if "workforce.per_grid" in ln)
    assert [c.strip() for c in row.strip("│ ").split("│")] == [
        "workforce.per_grid", "workers per grid", "2", "4", "3"]
    assert not any("run.seed" in ln for ln in lines)  # the same everywhere: not listed
    table = with_verdicts(compared.table, compared.names[0])
    clear = table[table["significant_holm"] == True]  # noqa: E712  (NaN elsewhere)
    assert len(clear)  # 2 → 4 workers per grid: the waits fall clearly
    for kpi in clear["kpi"].unique():
        row = next(ln for ln in lines if f"│ {kpi} " in ln and "±" in ln)
        assert row.rstrip("│ ").endswith("*")
    with out_console.capture() as captured:
        print_comparison(compared.table, compared.names, False, "zh", runs)
    assert "不同的设置" in captured.get() and "名/网格" in captured.get()


def test_an_older_comparison_table_gets_no_verdict(compared: twin.compare.Comparison) -> None:
    old = compared.table[list(compared.table.columns[:10])]
    again = with_verdicts(old, compared.names[0])
    assert again["p_holm"].isna().all() and (again["verdict"] == "").all()
    assert isinstance(again, pd.DataFrame)
