"""A comparison's KPIs by grid and by unit: comparison.csv keeps those of kpis.csv,
comparison_by_grid.csv and comparison_by_unit.csv (and their sheets of comparison.xlsx)
the others, every row once, with its figures unchanged; a unit's grid by exact name."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

import twin
import twin.xlsx
from twin.compare import COMPARISON_COLUMNS
from twin.metrics.catalogue import headline_kpis
from twin.metrics.groups import (
    COMPARED,
    comparison_groups,
    grids_of,
    group_families,
    group_of,
    group_tables,
    plain_kpis,
    unit_grid,
)
from twin.output import COMPARISON_TABLES, write_comparison
from twin.workflows import compare_workflow
from twin.xlsx import GROUP_HEADERS, HEADERS, comparison_xlsx

ROOT = Path(__file__).resolve().parents[1]
WORK_ORDERS = ROOT / "scenarios" / "work_orders.yaml"
SLASHED = "东城/一号"


def same(a: Any, b: Any) -> bool:
    """Equal values, NaN (or a missing cell) equal to NaN."""
    missing = [x is None or (isinstance(x, float) and math.isnan(x)) for x in (a, b)]
    if any(missing):
        return all(missing)
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-15, abs_tol=0.0)
    return bool(a == b)


def test_a_grid_name_with_a_slash_keeps_its_units() -> None:
    grids = {SLASHED, "一号", "grid-01"}
    assert unit_grid(f"property/{SLASHED}", grids) == SLASHED  # the longest, not "一号"
    assert unit_grid(f"team/{SLASHED}", {SLASHED}) == SLASHED
    assert unit_grid(SLASHED, grids) == SLASHED  # a grid's own grid workers
    assert unit_grid("property/一号", grids) == "一号"
    assert unit_grid("property/grid-01", grids) == "grid-01"
    assert unit_grid("police", grids) == ""
    assert unit_grid("property/东城", grids) == ""  # a prefix of a grid's name is not it


def test_the_unit_table_names_a_slashed_grid() -> None:
    kpis = pd.DataFrame({"replication": [0], f"overdue[{SLASHED}]": [1.0],
                         f"pool_utilisation[property/{SLASHED}]": [0.5],
                         "pool_utilisation[police]": [0.25]})
    units = group_tables(kpis)["unit"].set_index("unit")
    assert units.at[f"property/{SLASHED}", "grid"] == SLASHED
    assert units.at["police", "grid"] == ""


def test_the_scenarios_grid_names_place_units_of_grids_without_kpis() -> None:
    issues = pd.DataFrame({"grid": pd.Categorical(["a/1"], categories=["a/1", "b/2"])})
    assert grids_of(issues) == ["a/1", "b/2"]
    assert grids_of(pd.DataFrame({"grid": ["a/1"]})) is None
    kpis = pd.DataFrame({"replication": [0], "pool_utilisation[property/b/2]": [0.5]})
    assert group_tables(kpis)["unit"]["grid"].tolist() == [""]  # no KPI names grid b/2
    assert group_tables(kpis, grids_of(issues))["unit"]["grid"].tolist() == ["b/2"]


def comparison(names: tuple[str, ...] = ("a", "b", "c")) -> pd.DataFrame:
    """A comparison table of KPIs of every kind, scenarios in the table's order."""
    kpis = ["arrived", "response_mean", "pool_utilisation[police]", "overdue[g2]",
            "response_rate[grid:g1]", f"overdue[{SLASHED}]", "count[repair]",
            f"pool_utilisation[property/{SLASHED}]", "utilisation[g1]", "overdue[g1]",
            "response_rate[unit:property]", "step_wait[housing]"]
    rng = np.random.default_rng(7)
    rows = []
    for s, name in enumerate(names):
        for kpi in kpis:
            row = {c: float(rng.normal()) for c in COMPARISON_COLUMNS[2:]}
            row.update(kpi=kpi, scenario=name, n=3, significant=bool(rng.integers(2)),
                       p_holm=np.nan, significant_holm=False, verdict="",
                       diff=0.0 if s == 0 else row["diff"])
            rows.append(row)
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def test_every_row_is_once_in_the_main_table_or_a_group_table() -> None:
    table = comparison(("b", "a"))  # scenarios keep the table's order, not the alphabet's
    plain, groups = comparison_groups(table)
    assert list(plain.columns) == list(table.columns)
    assert plain["kpi"].tolist() == [k for k in table["kpi"] if group_of(k) is None]
    assert set(plain["kpi"]) == set(plain_kpis(table["kpi"]))
    assert list(groups["grid"].columns) == ["family", "grid", *COMPARED]
    assert list(groups["unit"].columns) == ["family", "unit", "grid", *COMPARED]
    assert len(plain) + sum(len(g) for g in groups.values()) == len(table)
    whole = table.set_index(["kpi", "scenario"])
    for group, long in groups.items():
        for row in long.to_dict("records"):
            kpi = next(k for k in table["kpi"] if group_of(k) == (group, row[group],
                                                                  row["family"]))
            for column in COMPARED[1:]:
                assert same(row[column], whole.at[(kpi, row["scenario"]), column]), (kpi,
                                                                                     column)
    rank = {b: i for i, b in enumerate(group_families("grid"))}
    keys = [(rank[f], g, ["b", "a"].index(s)) for f, g, s in
            groups["grid"][["family", "grid", "scenario"]].itertuples(index=False)]
    assert keys == sorted(keys)
    assert groups["grid"]["scenario"].tolist()[:2] == ["b", "a"]
    units = groups["unit"].drop_duplicates("unit").set_index("unit")["grid"].to_dict()
    assert units == {"police": "", f"property/{SLASHED}": SLASHED, "g1": "g1",
                     "housing": ""}


def test_no_headline_kpi_is_by_grid_or_unit() -> None:
    """The group tables leave out the Holm columns and the verdict: only the headline
    KPIs have them."""
    assert all(group_of(k) is None for k in headline_kpis())
    assert set(COMPARISON_COLUMNS) - set(COMPARED) == {
        "kpi", "p_holm", "significant_holm", "verdict"}


def sheet_rows(book: openpyxl.Workbook, title: str) -> list[tuple[Any, ...]]:
    return list(book[title].iter_rows(values_only=True))


def test_the_workbook_has_the_main_table_then_a_sheet_per_group(tmp_path: Path) -> None:
    table = comparison()
    write_comparison(tmp_path, table, lang="zh")
    plain, groups = comparison_groups(table)
    read = {g: pd.read_csv(tmp_path / name, keep_default_na=False, na_values=[""])
            for g, name in COMPARISON_TABLES.items()}
    main = pd.read_csv(tmp_path / "comparison.csv")
    assert main["kpi"].tolist() == plain["kpi"].tolist()
    book = openpyxl.load_workbook(tmp_path / "comparison.xlsx")
    assert [ws.title for ws in book.worksheets] == ["方案比较", "按网格", "按单位"]
    assert [r[1] for r in sheet_rows(book, "方案比较")[1:]] == plain["kpi"].tolist()
    for group, title in (("grid", "按网格"), ("unit", "按单位")):
        rows = sheet_rows(book, title)
        names = ["unit", "grid"] if group == "unit" else ["grid"]
        assert list(rows[0]) == [HEADERS["label"][1], HEADERS["kpi"][1],
                                 *[GROUP_HEADERS[c][1] for c in names],
                                 *[HEADERS[c][1] for c in COMPARED]]
        assert len(rows) - 1 == len(groups[group]) == len(read[group])
        for cells, want in zip(rows[1:], read[group].to_dict("records"), strict=True):
            assert cells[1] == want["family"]
            assert [c or "" for c in cells[2:2 + len(names)]] == [
                "" if pd.isna(want[c]) else want[c] for c in names]
            stats = cells[2 + len(names):]
            for cell, column in zip(stats, COMPARED, strict=True):
                if column == "significant":
                    assert cell == ("是" if want[column] else "否")
                else:
                    assert same(cell, want[column]), (cells, column)
        assert book[title].auto_filter.ref == book[title].dimensions


def test_a_sheet_longer_than_excel_allows_goes_on_over_numbered_sheets(
        monkeypatch: pytest.MonkeyPatch) -> None:
    table = comparison()
    _plain, groups = comparison_groups(table)
    monkeypatch.setattr(twin.xlsx, "MAX_ROWS", 4)
    book = openpyxl.load_workbook(io.BytesIO(comparison_xlsx(table)))
    n = len(groups["grid"])
    titles = [ws.title for ws in book.worksheets]
    parts = [t for t in titles if t.startswith("By grid")]
    assert parts == ["By grid", *[f"By grid ({k})" for k in range(2, math.ceil(n / 4) + 1)]]
    cells = [r for t in parts for r in sheet_rows(book, t)[1:]]
    assert [r[1:4] for r in cells] == [tuple(r) for r in groups["grid"][
        ["family", "grid", "scenario"]].itertuples(index=False)]
    assert all(book[t].max_row <= 5 for t in parts)


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """Two grids, handling units with a copy per grid, two replications."""
    base = twin.load_scenario(WORK_ORDERS, overrides={
        "grids.blocks": [1, 2], "run.horizon_days": 2, "run.warmup_days": 0.5})
    more = base.model_copy(update={"name": "more"})
    out = tmp_path_factory.mktemp("cg") / "cmp"
    return compare_workflow([base, more], out, replications=2), out


def test_compare_writes_the_three_tables(compared: tuple[Any, Path]) -> None:
    done, out = compared
    full = done.table
    main = pd.read_csv(out / "comparison.csv")
    assert main["kpi"].tolist() == [k for k in full["kpi"] if group_of(k) is None]
    by = {g: pd.read_csv(out / name, keep_default_na=False, na_values=[""])
          for g, name in COMPARISON_TABLES.items()}
    assert len(main) + len(by["grid"]) + len(by["unit"]) == len(full)
    assert "pool_utilisation" in set(by["unit"]["family"])
    pools = by["unit"][by["unit"]["family"] == "pool_utilisation"]
    whole = full.set_index(["kpi", "scenario"])
    for row in pools.to_dict("records"):
        kpi = f"pool_utilisation[{row['unit']}]"
        assert same(row["mean"], whole.at[(kpi, row["scenario"]), "mean"])
        assert same(row["diff"], whole.at[(kpi, row["scenario"]), "diff"])
    grids = set(grids_of(done.runs[done.names[0]].issues) or ())
    assert by["unit"]["grid"].fillna("").tolist() == [unit_grid(u, grids)
                                                      for u in by["unit"]["unit"]]
    assert {"property/grid-01", "housing"} <= set(by["unit"]["unit"])
