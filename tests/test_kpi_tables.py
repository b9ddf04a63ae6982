"""KPIs by grid and by unit: which families leave kpis.csv, the long tables they go to,
the sheets of summary.xlsx, and the report's cut tables of grids and units."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

import twin
from twin.metrics.assessment import FIGURES
from twin.metrics.groups import group_families, group_of, group_tables, plain_kpis, unit_grid
from twin.output import KPI_TABLES
from twin.report import _kpi_tables
from twin.report_assessment import assessment_section
from twin.report_groups import LISTED, SHOWN, groups_note, orders_section
from twin.xlsx import GROUP_HEADERS, group_headers

ROOT = Path(__file__).resolve().parents[1]
WORK_ORDERS = ROOT / "scenarios" / "work_orders.yaml"
GRIDS = ["grid-01", "grid-02"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[twin.RunResult, Path]:
    """Two grids, grid workers, handling units (property has a copy per grid), two
    replications, written as a result folder."""
    scenario = twin.load_scenario(WORK_ORDERS, overrides={
        "grids.blocks": [1, 2], "run.horizon_days": 2, "run.warmup_days": 0.5})
    result = twin.run_replications(scenario, replications=2)
    out = twin.write_results(result, tmp_path_factory.mktemp("kt") / "res")
    return result, out


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False,
                       na_values=[""])


def equal(a: Any, b: Any) -> bool:
    """Equal values, NaN equal to NaN (and to a missing cell)."""
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return bool(a == b)


def test_group_of_reads_the_family_argument() -> None:
    assert group_of("overdue[grid-01]") == ("grid", "grid-01", "overdue")
    assert group_of("response_rate[grid:grid-01]") == ("grid", "grid-01", "response_rate")
    assert group_of("utilisation[grid-01]") == ("unit", "grid-01", "utilisation")
    assert group_of("pool_utilisation[property/grid-02]") == (
        "unit", "property/grid-02", "pool_utilisation")
    assert group_of("step_wait[housing]") == ("unit", "housing", "step_wait")
    for stays in ("arrived", "utilisation", "response_rate", "response_rate[unit:property]",
                  "response_rate[category:repair]", "count[repair]", "fte[property]",
                  "settlement_rate[green]", "channel_share[patrol]", "made_up[x]"):
        assert group_of(stays) is None, stays


def test_each_table_has_one_column_per_family() -> None:
    assert group_families("grid") == ("overdue", *FIGURES)
    assert group_families("unit") == ("utilisation", "pool_utilisation", "pool_workload",
                                      "time_to_sign", "time_to_handle", "orders_handled",
                                      "step_wait", "unit_backlog")


def test_a_unit_belongs_to_its_grid() -> None:
    grids = set(GRIDS)
    assert [unit_grid(u, grids) for u in ("grid-01", "property/grid-02", "housing",
                                          "team/grid-03", "grid_worker")] == [
        "grid-01", "grid-02", "", "", ""]


def test_every_kpi_is_once_in_kpis_csv_or_a_table_with_its_value(
        folder: tuple[twin.RunResult, Path]) -> None:
    result, out = folder
    summary = json.loads((out / "summary.json").read_text())
    wide = result.kpis.set_index("replication")
    assert set(summary) == set(wide.columns)  # summary.json keeps every KPI
    kpis = read(out / "kpis.csv")
    tables = {g: read(out / name) for g, name in KPI_TABLES.items()}
    assert list(kpis.columns) == ["replication", *plain_kpis(summary)]
    assert kpis["replication"].tolist() == [0, 1]
    assert list(tables["grid"].columns) == ["replication", "grid", *group_families("grid")]
    assert list(tables["unit"].columns[:3]) == ["replication", "unit", "grid"]
    assert tables["grid"][["replication", "grid"]].values.tolist() == [
        [0, "grid-01"], [0, "grid-02"], [1, "grid-01"], [1, "grid-02"]]
    units = tables["unit"]
    assert units["grid"].fillna("").tolist() == [unit_grid(u, set(GRIDS)) for u in units["unit"]]
    assert {"grid-01", "property/grid-02", "housing"} <= set(units["unit"])
    assert units.loc[units["unit"] == "property/grid-02", "grid"].tolist() == ["grid-02"] * 2
    found: dict[tuple[str, int, str, str], str] = {}
    for kpi in summary:
        member = group_of(kpi)
        for rep in (0, 1):
            if member is None:
                place = ("kpis.csv", rep, "", kpi)
                value = kpis.set_index("replication").at[rep, kpi]
            else:
                group, name, base = member
                table = tables[group].set_index(["replication", group])
                place = (group, rep, name, base)
                value = table.at[(rep, name), base]
            assert place not in found, (kpi, found.get(place))
            found[place] = kpi
            assert equal(wide.at[rep, kpi], value), (kpi, rep, value)
    assert sum(1 for p in found if p[0] == "grid") == 2 * 2 * len(group_families("grid"))
    for group, table in tables.items():  # any other cell is empty
        for row in table.to_dict("records"):
            for base in table.columns[3 if group == "unit" else 2:]:
                if (group, row["replication"], row[group], base) not in found:
                    assert equal(row[base], None), (group, row, base)


def test_the_workbook_has_the_district_then_a_sheet_per_group(
        folder: tuple[twin.RunResult, Path]) -> None:
    _, out = folder
    summary = json.loads((out / "summary.json").read_text())
    book = openpyxl.load_workbook(out / "summary.xlsx")
    assert [ws.title for ws in book.worksheets] == ["Summary", "By grid", "By unit"]
    first = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in first] == plain_kpis(summary)
    grid = list(book.worksheets[1].iter_rows(values_only=True))
    assert grid[0][0] == GROUP_HEADERS["grid"][0]
    assert grid[0][1:4] == ("Overdue issues", "Overdue issues: 95% CI low",
                            "Overdue issues: 95% CI high")
    assert [r[0] for r in grid[1:]] == GRIDS
    for row in grid[1:]:
        for k, base in enumerate(group_families("grid")):
            kpi = f"{base}[{row[0]}]" if base == "overdue" else f"{base}[grid:{row[0]}]"
            for cell, stat in zip(row[1 + 3 * k:4 + 3 * k], ("mean", "ci_low", "ci_high"),
                                  strict=True):
                want = summary[kpi][stat]
                assert equal(want, cell) or math.isclose(cell, want, rel_tol=1e-15), kpi
    unit = list(book.worksheets[2].iter_rows(values_only=True))
    assert unit[0][:3] == ("Unit", "Grid", "Utilisation [%]")
    names = [r[0] for r in unit[1:]]
    assert names == sorted(names) and "property/grid-01" in names
    k = unit[0].index("Pool utilisation [%]")
    row = unit[1 + names.index("property/grid-01")]
    assert row[1] == "grid-01"
    assert math.isclose(row[k], summary["pool_utilisation[property/grid-01]"]["mean"],
                        rel_tol=1e-15)


def test_group_headers_in_chinese() -> None:
    table = pd.DataFrame(columns=["grid", "overdue", "overdue:ci_low", "response_rate"])
    assert group_headers(table, "grid", "zh") == [
        "网格", "超时问题数 [件]", "超时问题数 [件]: 95%置信区间下限", "响应率 [%]"]


def many_grids(n: int) -> pd.DataFrame:
    """A summary with n grids, grid k with k overdue orders, and n units, unit k with a
    backlog of k."""
    rows = [("orders_received", 10.0), ("response_rate", 0.5)]
    for k in range(n):
        rows += [(f"overdue_orders[grid:g{k:02d}]", float(k)),
                 (f"response_rate[grid:g{k:02d}]", 0.5),
                 (f"unit_backlog[u{k:02d}]", float(k)), (f"orders_handled[u{k:02d}]", 1.0)]
    kpis, means = zip(*rows, strict=True)
    return pd.DataFrame({"scenario": "a", "kpi": kpis, "mean": means, "ci_low": math.nan,
                         "ci_high": math.nan})


def test_the_report_shows_the_worst_grids_and_units_only() -> None:
    summary = many_grids(SHOWN + 5)
    sheet = "".join(assessment_section([("a", object())], summary, "en"))  # type: ignore[list-item]
    grids = re.findall(r"Grid: (g\d\d)", sheet)
    assert grids == [f"g{k:02d}" for k in range(SHOWN + 4, 4, -1)]  # most overdue first
    assert f"the {SHOWN} of {SHOWN + 5:,} with the most overdue orders" in sheet
    orders = "".join(orders_section(summary, "en"))
    units = re.findall(r"<tr><td>(u\d\d)</td>", orders)
    assert units == [f"u{k:02d}" for k in range(SHOWN + 4, 4, -1)]
    assert "kpis_by_unit.csv" in orders


def test_the_report_shows_every_grid_of_a_small_map() -> None:
    summary = many_grids(3)
    sheet = "".join(assessment_section([("a", object())], summary, "en"))  # type: ignore[list-item]
    assert re.findall(r"Grid: (g\d\d)", sheet) == ["g00", "g01", "g02"]
    assert "kpis_by_grid.csv" not in sheet


def test_the_report_kpi_table_lists_a_small_maps_grids_and_units() -> None:
    """A community's few KPIs by grid and unit stay in the report's tables (a comparison
    of two staffings reads them there); a district's are left to their files."""
    small = _kpi_tables(many_grids(3), "en")
    codes = re.findall(r"<code>([^<]+)</code>", small)
    assert len(codes) == 2 + 4 * 3 and "unit_backlog[u02]" in codes
    assert "kpis_by_grid.csv" not in small
    n = LISTED // 4 + 1  # four KPIs by grid or unit per grid: just over LISTED
    large = _kpi_tables(many_grids(n), "en")
    assert re.findall(r"<code>([^<]+)</code>", large) == ["response_rate", "orders_received"]
    assert "kpis_by_grid.csv and kpis_by_unit.csv" in large
    note = groups_note(list(many_grids(n)["kpi"]), "en", comparison=True)
    assert ("their paired differences are in comparison_by_grid.csv and "
            "comparison_by_unit.csv") in note
    assert groups_note(list(many_grids(3)["kpi"]), "en", comparison=True) == ""


def test_group_tables_of_no_broken_down_kpis_are_empty() -> None:
    tables = group_tables(pd.DataFrame({"replication": [0], "arrived": [3.0]}))
    assert list(tables["grid"].columns) == ["replication", "grid"] and tables["grid"].empty
    assert list(tables["unit"].columns) == ["replication", "unit", "grid"]
