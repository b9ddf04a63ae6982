"""``--all`` on a district: the KPIs by grid and unit as one line per family (its min,
median and max, the worst one by the catalogue's direction) and the files with them all;
a community's few are listed one by one as before."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from twin import numbers
from twin.cli.common import out_console
from twin.cli.tables import print_comparison, print_families
from twin.compare import COMPARISON_COLUMNS
from twin.metrics.groups import group_of
from twin.report_groups import LISTED


def comparison(grids: int) -> pd.DataFrame:
    """Two scenarios; grid k has k overdue orders in the reference and 2k in the other
    (lower is better: the last grid is the worst), and a response rate of 0.5 + k/1000
    in both; then a district-wide unit's backlog."""
    rows = []
    for name, factor in (("a", 1.0), ("b", 2.0)):
        kpis = [("response_mean", 30.0 * factor)]
        for k in range(grids):
            kpis += [(f"overdue_orders[grid:g{k:04d}]", k * factor),
                     (f"response_rate[grid:g{k:04d}]", 0.5 + k / 1000)]
        kpis.append(("unit_backlog[police]", 3.0 * factor))
        for kpi, mean in kpis:
            base = mean / factor
            rows.append({"kpi": kpi, "scenario": name, "mean": mean, "ci_low": mean,
                         "ci_high": mean, "n": 3, "diff": mean - base, "diff_ci_low": np.nan,
                         "diff_ci_high": np.nan, "significant": False})
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS[:10]))


def printed(table: pd.DataFrame, lang: str = "en") -> str:
    with out_console.capture() as captured:
        print_comparison(table, ["a", "b"], True, lang)
    return captured.get()


def codes(text: str) -> set[str]:
    return set(re.findall(r"[a-z_]+\[[^\]\s]+\]", text))


def test_a_communitys_grids_are_listed_one_by_one() -> None:
    grids = LISTED // 2 - 1  # two KPIs by grid each, then the police's: LISTED - 1
    table = comparison(grids)
    text = printed(table)
    assert sum(group_of(k) is not None for k in set(table["kpi"])) <= LISTED
    assert {f"overdue_orders[grid:g{k:04d}]" for k in range(grids)} <= codes(text)
    assert "unit_backlog[police]" in text
    assert "one line per family" not in text


def test_a_districts_grids_are_one_line_per_family() -> None:
    grids = LISTED  # 2 x LISTED + 1 KPIs by grid and unit
    table = comparison(grids)
    text = printed(table)
    assert not any(k.startswith(("overdue_orders[grid:", "unit_backlog[police"))
                   for k in codes(text))
    assert "response_mean" in text
    title = (f"Differences by grid and by unit ({2 * grids + 1:,}): one line per family and "
             f"scenario")
    assert title in " ".join(text.split())
    assert "comparison_by_grid.csv, comparison_by_unit.csv and comparison.xlsx" in " ".join(
        text.split())
    line = next(r for r in text.splitlines() if "overdue_orders[GRID]" in r)
    cells = [c.strip() for c in line.split("│")[1:-1]]
    diffs = [float(k) for k in range(grids)]  # 2k - k
    kpi = "overdue_orders[grid:g0000]"
    assert cells[2:] == ["B − A", f"{grids:,} grids", numbers.diff(0.0, kpi),
                         numbers.diff(float(np.median(diffs)), kpi),
                         numbers.diff(max(diffs), kpi),
                         f"g{grids - 1:04d} ({numbers.diff(max(diffs), kpi)})"]
    rate = next(r for r in text.splitlines() if "response_rate[GRID]" in r)
    assert rate.split("│")[-2].strip().startswith("g0000")  # no change: the first, by name
    police = next(r for r in text.splitlines() if "unit_backlog[UNIT]" in r)
    assert "1 unit " in police and "police (+3" in police


def test_a_runs_family_lines_in_chinese() -> None:
    values = {f"overdue[g{k}]": float(k) for k in range(5)}
    values["whistles[grid:g1]"] = math.nan
    with out_console.capture() as captured:
        print_families({"": values}, ["kpis_by_grid.csv", "summary.xlsx"], "zh")
    text = captured.get()
    assert "按网格和按单位的指标（6 个）" in text
    assert "kpis_by_grid.csv 和 summary.xlsx" in " ".join(text.split())
    line = next(r for r in text.splitlines() if "overdue[GRID]" in r)
    cells = [c.strip() for c in line.split("│")[1:-1]]
    assert cells[0] == "超时问题数"
    assert cells[3:] == ["5 个网格", "0", "2", "4", "g4 (4)"]
    empty = next(r for r in text.splitlines() if "whistles[GRID]" in r)
    assert [c.strip() for c in empty.split("│")[1:-1]][4:] == ["-"] * 4


def test_a_districts_run_prints_its_grids_one_line_per_family() -> None:
    from types import SimpleNamespace

    from twin.cli.tables import print_summary

    def result(grids: int) -> SimpleNamespace:
        kpis = ["response_mean", *(f"overdue_orders[grid:g{k:04d}]" for k in range(grids))]
        mean = [30.0, *range(grids)]
        summary = pd.DataFrame({"kpi": kpis, "mean": mean, "ci_low": mean, "ci_high": mean,
                                "n": 3}).set_index("kpi")
        return SimpleNamespace(summary=summary, scenario=SimpleNamespace(name="d"),
                               replications=[0, 1, 2], seed=1)

    for grids, listed in ((LISTED, True), (LISTED + 1, False)):
        with out_console.capture() as captured:
            print_summary(result(grids), everything=True)  # type: ignore[arg-type]
        text = captured.get()
        assert "response_mean" in text
        assert ("overdue_orders[grid:g0000]" in codes(text)) is listed
        line = [r for r in text.splitlines() if "overdue_orders[GRID]" in r]
        assert len(line) == (0 if listed else 1)
        if not listed:  # lower is better: the last grid is the worst
            assert f"{grids:,} grids" in line[0] and f"g{grids - 1:04d}" in line[0]
