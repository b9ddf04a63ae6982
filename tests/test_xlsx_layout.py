"""What a reader sees of ``summary.xlsx`` and ``comparison.xlsx`` besides the numbers:
the sheets, bold header rows in the command's language, frozen panes, filters on the
header rows of the sheets by grid and unit, column widths from the longest text, number
formats by KPI, the sheet's size for readers that trust it; and each row's own values
(the workbooks are streamed: one styled cell serves a column)."""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from twin.compare import COMPARISON_COLUMNS
from twin.metrics.catalogue import is_share
from twin.metrics.groups import COMPARED, comparison_groups, group_of, group_summary
from twin.numbers import is_count
from twin.xlsx import COMPARISON_COLUMNS as SHEET_COLUMNS
from twin.xlsx import (
    COUNT,
    GROUP_HEADERS,
    HEADERS,
    NUMBER,
    P_VALUE,
    PERCENT,
    SHEETS,
    comparison_xlsx,
    group_headers,
    summary_xlsx,
)

GRIDS = ["g1", "东城/一号", "g3"]
KPIS = ["arrived", "response_mean", "within_deadline", "pool_utilisation[police]",
        *[f"overdue[{g}]" for g in GRIDS], *[f"response_rate[grid:{g}]" for g in GRIDS],
        *[f"pool_utilisation[property/{g}]" for g in GRIDS], "step_wait[housing]",
        "orders_handled[police]"]
NUMBERS = ("mean", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high")
RATIOS = ("pct", "pct_ci_low", "pct_ci_high")


def comparison(names: tuple[str, ...] = ("a", "b")) -> pd.DataFrame:
    """A comparison of plain KPIs and KPIs by grid and unit, every value distinct, some
    intervals missing."""
    rng = np.random.default_rng(3)
    rows = []
    for s, name in enumerate(names):
        for k, kpi in enumerate(KPIS):
            row: dict[str, Any] = {c: float(rng.normal()) for c in COMPARISON_COLUMNS[2:]}
            row.update(kpi=kpi, scenario=name, n=3, significant=bool(k % 2),
                       p_holm=np.nan, significant_holm=False, verdict="",
                       diff=0.0 if s == 0 else row["diff"])
            if k % 5 == 0:
                row.update(ci_low=np.nan, ci_high=np.nan, n=1)
            rows.append(row)
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def summary() -> pd.DataFrame:
    table = comparison(("a",)).set_index("kpi")[["mean", "ci_low", "ci_high", "n"]]
    return table


def book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def same(cell: Any, value: Any) -> bool:
    """A cell holds the value (an empty cell a missing one) to the 16 significant digits
    a workbook stores."""
    if pd.isna(value):
        return cell is None
    return bool(cell == value) or math.isclose(cell, value, rel_tol=1e-15)


def fmt(kpi: str) -> str:
    return PERCENT if is_share(kpi) else COUNT if is_count(kpi) else NUMBER


def check_layout(ws: Any, head: list[str], frozen: int, rows: int, filtered: bool,
                 lang: str) -> None:
    """Header, frozen columns, size, filters and widths of a sheet with ``rows`` rows
    under its header."""
    cells = list(ws.iter_rows())
    assert [c.value for c in cells[0]] == head
    assert [c.font.b for c in cells[0]] == [True] * len(head)
    assert not any(c.font.b for row in cells[1:] for c in row)
    assert len(cells) == rows + 1
    assert ws.freeze_panes == f"{get_column_letter(frozen + 1)}2"
    ref = f"A1:{get_column_letter(len(head))}{rows + 1}"
    assert ws.dimensions == ref
    assert ws.auto_filter.ref == (ref if filtered else None)
    for k in range(1, frozen + 1):  # the names and labels: as wide as their longest text
        longest = max(len(str(row[k - 1].value or "")) for row in cells)
        assert ws.column_dimensions[get_column_letter(k)].width == min(
            60, 2 + longest * (2 if lang == "zh" else 1)), (ws.title, k)


def read_only_size(data: bytes) -> list[tuple[str, int, int]]:
    """Sheet sizes as a reader that trusts the file's stated size (pandas) sees them."""
    ro = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return [(ws.title, ws.max_row, ws.max_column) for ws in ro.worksheets]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_comparison_workbook_layout(lang: str) -> None:
    i = ("en", "zh").index(lang)
    table = comparison()
    plain, groups = comparison_groups(table, GRIDS)
    data = comparison_xlsx(table, lang, GRIDS)
    wb = book(data)
    assert wb.sheetnames == [SHEETS[s][i] for s in ("comparison", "grid", "unit")]
    check_layout(wb.worksheets[0], [HEADERS[c][i] for c in SHEET_COLUMNS], frozen=2,
                 rows=len(plain), filtered=False, lang=lang)
    sizes = [(SHEETS["comparison"][i], len(plain) + 1, len(SHEET_COLUMNS))]
    for group, ws in zip(("grid", "unit"), wb.worksheets[1:], strict=True):
        long = groups[group]
        names = [c for c in long.columns if c in GROUP_HEADERS]
        head = [HEADERS["label"][i], HEADERS["kpi"][i], *[GROUP_HEADERS[c][i] for c in names],
                *[HEADERS[c][i] for c in COMPARED]]
        first = 2 + len(names)
        check_layout(ws, head, frozen=first + 1, rows=len(long), filtered=True, lang=lang)
        sizes.append((ws.title, len(long) + 1, len(head)))
        for k in range(first + 2, len(head) + 1):  # statistics: the header's width, capped
            assert ws.column_dimensions[get_column_letter(k)].width == min(
                60, 2 + min(len(head[k - 1]), 24) * (1 + i))
        rows = list(ws.iter_rows(min_row=2))
        assert len(rows) == len(long) > 2
        for cells, want in zip(rows, long.to_dict("records"), strict=True):
            assert cells[1].value == want["family"]
            assert [c.value or "" for c in cells[2:first]] == [want[c] for c in names]
            assert cells[first].value == want["scenario"]
            kpi = next(k for k in KPIS if group_of(k) == (group, want[group], want["family"]))
            for cell, column in zip(cells[first:], COMPARED, strict=True):
                if column in (*NUMBERS, *RATIOS, "p_value"):
                    assert same(cell.value, want[column]), (kpi, column)
                    assert cell.number_format == (
                        fmt(kpi) if column in NUMBERS else PERCENT if column in RATIOS
                        else P_VALUE), (kpi, column)
    assert read_only_size(data) == sizes


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_summary_workbook_layout(lang: str) -> None:
    i = ("en", "zh").index(lang)
    kpis = summary()
    data = summary_xlsx(kpis, lang, GRIDS)
    wb = book(data)
    assert wb.sheetnames == [SHEETS[s][i] for s in ("summary", "grid", "unit")]
    first = wb.worksheets[0]
    plain = [k for k in KPIS if group_of(k) is None]
    check_layout(first, [HEADERS[c][i] for c in ("label", "kpi", "unit", "mean", "ci_low",
                                                 "ci_high", "n")],
                 frozen=2, rows=len(plain), filtered=False, lang=lang)
    for row in first.iter_rows(min_row=2):
        kpi = row[1].value
        assert [c.number_format for c in row[3:6]] == [fmt(kpi)] * 3, kpi
        want = kpis.loc[kpi, ["mean", "ci_low", "ci_high", "n"]]
        assert all(same(c.value, v) for c, v in zip(row[3:7], want, strict=True)), kpi
    assert [r[1].value for r in first.iter_rows(min_row=2)] == plain
    sizes = [(first.title, len(plain) + 1, 7)]
    for group, ws in zip(("grid", "unit"), wb.worksheets[1:], strict=True):
        table = group_summary(kpis, group, GRIDS)
        names = [c for c in table.columns if c in GROUP_HEADERS]
        check_layout(ws, group_headers(table, group, lang), frozen=len(names),
                     rows=len(table), filtered=False, lang=lang)
        sizes.append((ws.title, len(table) + 1, len(table.columns)))
        for cells, want in zip(ws.iter_rows(min_row=2), table.itertuples(index=False),
                               strict=True):
            assert [c.value or "" for c in cells[:len(names)]] == list(want[:len(names)])
            assert all(same(c.value, v) for c, v in zip(cells[len(names):], want[len(names):],
                                                         strict=True)), want
    assert read_only_size(data) == sizes


def test_an_empty_cell_keeps_its_columns_format() -> None:
    """A missing interval is an empty cell formatted like its column, as Excel shows a
    value typed into it."""
    wb = book(comparison_xlsx(comparison(), "en", GRIDS))
    row = next(r for r in wb.worksheets[1].iter_rows(min_row=2) if r[5].value is None)
    assert row[4].value is not None
    assert row[5].number_format == row[4].number_format != "General"
