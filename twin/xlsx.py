"""Excel copies of the summary and comparison tables, for people who read results in Excel.

``summary.xlsx`` (one row per KPI: mean and 95% CI over replications) sits next to
``summary.json`` in every run folder, and ``comparison.xlsx`` next to
``comparison.csv`` in a compare folder. Headers are English or Chinese (the
command's ``--lang``); KPI labels and units come from the KPI catalogue, with the
KPI's name beside its label. Numbers are those of the JSON and CSV files, to the
16 significant digits a workbook stores (Excel itself keeps 15), never rounded for
display: a share keeps its value between 0 and 1 and is shown as a percentage by
the cell's number format, as is a difference of shares (in points) and every change
in % of the reference. A missing value (no CI from one replication) is an empty cell.

The workbook is returned as bytes, so the caller writes it atomically like every
other result file.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from twin.metrics.catalogue import CATALOGUE, is_share, kpi_spec
from twin.metrics.groups import COMPARED, GROUPS, comparison_groups, group_summary, plain_kpis
from twin.numbers import is_count
from twin.plots.labels import check_lang, kpi_label
from twin.report_verdict import verdict_word

__all__ = ["GROUP_HEADERS", "HEADERS", "comparison_book", "comparison_xlsx", "group_headers",
           "summary_xlsx", "unit_text"]

HEADERS: dict[str, tuple[str, str]] = {
    "label": ("KPI", "指标"),
    "kpi": ("Name", "指标代码"),
    "unit": ("Unit", "单位"),
    "scenario": ("Scenario", "方案"),
    "mean": ("Mean", "均值"),
    "ci_low": ("95% CI low", "95%置信区间下限"),
    "ci_high": ("95% CI high", "95%置信区间上限"),
    "n": ("Replications", "重复次数"),
    "diff": ("Difference vs first", "与第一个方案之差"),
    "diff_ci_low": ("Difference 95% CI low", "差值95%置信区间下限"),
    "diff_ci_high": ("Difference 95% CI high", "差值95%置信区间上限"),
    "significant": ("Significant", "显著"),
    "pct": ("Change vs first [%]", "相对第一个方案的变化（%）"),
    "pct_ci_low": ("Change 95% CI low [%]", "变化95%置信区间下限（%）"),
    "pct_ci_high": ("Change 95% CI high [%]", "变化95%置信区间上限（%）"),
    "p_value": ("p (paired t-test)", "p值（配对t检验）"),
    "p_holm": ("p (Holm-adjusted)", "p值（Holm校正）"),
    "significant_holm": ("Significant after Holm", "Holm校正后显著"),
    "verdict": ("Verdict", "结论"),
}
"""Column headers in English and Chinese, by the column of the table they show."""
SHEETS = {"summary": ("Summary", "汇总"), "comparison": ("Comparison", "方案比较"),
          "grid": ("By grid", "按网格"), "unit": ("By unit", "按单位")}
GROUP_HEADERS = {"grid": ("Grid", "网格"), "unit": ("Unit", "单位")}
"""Headers of the name columns of the sheets by grid and by unit."""
_YES_NO = (("yes", "是"), ("no", "否"))
_UNITS: dict[str, tuple[str, str]] = {
    "share": ("%", "%"), "min": ("min", "分钟"), "issues": ("issues", "件"),
    "orders": ("orders", "单"), "complaints": ("complaints", "次"), "disputes": ("disputes", "件"),
    "regrades": ("regrades", "次"), "sessions": ("sessions", "次"), "steps": ("steps", "步"),
    "hours/day": ("hours/day", "小时/天"), "per 100 issues": ("per 100 issues", "每百件"),
    "FTE": ("FTE", "全职人数"), "yuan": ("yuan", "元"),
}
PERCENT = "0.0%"
NUMBER = "0.00"
COUNT = "#,##0"
"""A count's cells: whole numbers (a mean over replications keeps its decimals inside)."""
SUMMARY_COLUMNS = ("label", "kpi", "unit", "mean", "ci_low", "ci_high", "n")
COMPARISON_COLUMNS = ("label", "kpi", "unit", "scenario", "mean", "ci_low", "ci_high", "n",
                      "diff", "diff_ci_low", "diff_ci_high", "significant", "pct", "pct_ci_low",
                      "pct_ci_high", "p_value", "p_holm", "significant_holm", "verdict")
_NUMBERS = ("mean", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high")
_RATIOS = ("pct", "pct_ci_low", "pct_ci_high")
"""Changes as a share of the reference's mean: a percentage whatever the KPI."""
_P_VALUES = ("p_value", "p_holm")
P_VALUE = "0.0000"


def unit_text(kpi: str, lang: str = "en") -> str:
    """The unit of a KPI as its column shows it (``%`` for a share; empty if unknown)."""
    spec = kpi_spec(kpi)
    if spec is None:
        return ""
    return _UNITS.get(spec.unit, (spec.unit, spec.unit))[check_lang(lang)]


def _number(value: Any) -> float | None:
    """A cell's number: None for a missing or non-finite value."""
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _new_book() -> Workbook:
    """A workbook whose rows go to the file as they are appended (openpyxl's write-only
    mode): no cell kept, a tenth of the memory for a district's 100,000 rows."""
    return Workbook(write_only=True)


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


Row = tuple[list[Any], Sequence[tuple[int, str]]]
"""A row's values and the number formats of some of its cells (0-based column, format)."""


def _sheet(book: Workbook, title: str, head: Sequence[str], widest: Sequence[int],
           rows: Iterable[Row], count: int, lang: str, freeze: int,
           filtered: bool = False) -> None:
    """Write one sheet: the bold header row, then ``count`` rows, the first ``freeze``
    columns and the header staying in view, column widths from ``widest`` (the longest
    text of each column), filters on the header row if ``filtered``.

    In write-only mode the widths, the frozen panes and the sheet's size are written
    before the first row, so they are set here first; each number format is a cell kept
    per column and format and given each row's value: openpyxl writes a row when it is
    appended, so one cell serves every row."""
    ws = book.create_sheet(title)
    for k, wide in enumerate(widest, start=1):
        ws.column_dimensions[get_column_letter(k)].width = min(
            60, 2 + wide * (2 if check_lang(lang) else 1))
    ws.freeze_panes = f"{get_column_letter(freeze + 1)}2"
    ref = f"A1:{get_column_letter(len(head))}{count + 1}"
    ws.calculate_dimension = lambda: ref  # the <dimension> element, read before the rows
    if filtered:
        ws.auto_filter.ref = ref
    bold = Font(bold=True)
    ws.append([_styled(ws, name, font=bold) for name in head])
    formatted: dict[tuple[int, str], WriteOnlyCell] = {}
    for values, formats in rows:
        for k, fmt in formats:
            cell = formatted.get((k, fmt))
            if cell is None:
                cell = formatted[k, fmt] = _styled(ws, None, number_format=fmt)
            cell.value = values[k]
            values[k] = cell
        ws.append(values)


def _styled(ws: Any, value: Any, **style: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _workbook(sheet: str, columns: Sequence[str], rows: Sequence[dict[str, Any]],
              lang: str, book: Workbook | None = None) -> Workbook:
    i = check_lang(lang)
    book = book if book is not None else _new_book()
    head = [HEADERS[c][i] for c in columns]
    widest = [len(n) for n in head]
    formats = [(k, column) for k, column in enumerate(columns)
               if column in (*_NUMBERS, *_RATIOS, *_P_VALUES)]
    by_format = {fmt: [(k, fmt if column in _NUMBERS else PERCENT if column in _RATIOS
                        else P_VALUE) for k, column in formats]
                 for fmt in (PERCENT, COUNT, NUMBER)}
    out: list[Row] = []
    for row in rows:
        kpi = str(row["kpi"])
        cells: list[Any] = []
        for column in columns:
            value = row.get(column)
            if column == "label":
                cells.append(kpi_label(kpi, lang))
            elif column == "unit":
                cells.append(unit_text(kpi, lang))
            elif column == "n":
                count = _number(value)
                cells.append(None if count is None else int(count))
            elif column in ("significant", "significant_holm"):
                untested = column == "significant_holm" and _number(row.get("p_holm")) is None
                cells.append(None if value is None or pd.isna(value) or untested
                             else _YES_NO[0 if bool(value) else 1][i])
            elif column == "verdict":
                cells.append(verdict_word(str(value), lang) or None)
            elif column in (*_NUMBERS, *_RATIOS, *_P_VALUES):
                cells.append(_number(value))
            else:
                cells.append(str(value))
        widest = [max(w, len(str(v or ""))) for w, v in zip(widest, cells, strict=True)]
        out.append((cells, by_format[_format(kpi)]))
    _sheet(book, SHEETS[sheet][i], head, widest, out, len(out), lang, freeze=2)
    return book


def _format(kpi: str) -> str:
    return PERCENT if is_share(kpi) else COUNT if is_count(kpi) else NUMBER


def group_headers(table: pd.DataFrame, group: str, lang: str) -> list[str]:
    """Headers of a group's sheet: the name columns, then each family's label (with its
    unit) and its 95% CI bounds."""
    i = check_lang(lang)
    out = []
    for column in table.columns:
        if column in GROUP_HEADERS:
            out.append(GROUP_HEADERS[column][i])
            continue
        base, _sep, stat = str(column).partition(":")
        member = _member(base)
        unit, label = unit_text(member, lang), _LABELS[member][i]
        label = label if not unit or unit in label else f"{label} [{unit}]"
        out.append(label if not stat else f"{label}: {HEADERS[stat][i]}")
    return out


def _member(base: str) -> str:
    """The catalogue name of a family of the group (``overdue`` -> ``overdue[GRID]``)."""
    return next(k.name for k in CATALOGUE if k.base == base and k.family)


_LABELS = {k.name: k.label for k in CATALOGUE}


def _group_sheet(book: Workbook, table: pd.DataFrame, group: str, lang: str) -> None:
    """One row per grid (or unit), a mean and its CI per family: the long layout of
    ``kpis_by_grid.csv`` and ``kpis_by_unit.csv``."""
    i = check_lang(lang)
    head = group_headers(table, group, lang)
    names = [c for c in table.columns if c in GROUP_HEADERS]
    formats = [(k, _format(_member(str(c).partition(":")[0])))
               for k, c in enumerate(table.columns) if c not in names]
    widest = [max([len(h), *_lengths(table[c])]) if k < len(names) else min(len(h), 24)
              for k, (h, c) in enumerate(zip(head, table.columns, strict=True))]
    rows = ([str(v) if k < len(names) else _number(v) for k, v in enumerate(row)]
            for row in table.itertuples(index=False, name=None))
    _sheet(book, SHEETS[group][i], head, widest, ((cells, formats) for cells in rows),
           len(table), lang, freeze=len(names))


def _lengths(column: Any) -> list[int]:
    """The lengths of a column's distinct values as text (none for an empty column)."""
    return [len(str(v)) for v in pd.unique(pd.Series(column, dtype=object))]


def summary_xlsx(summary: pd.DataFrame, lang: str = "en",
                 grids: Collection[str] | None = None) -> bytes:
    """``summary.xlsx`` of a run: on the first sheet one row per KPI of ``summary``
    (indexed by KPI name, with columns ``mean``, ``ci_low``, ``ci_high``, ``n``) that is
    not broken down by grid or unit, in its order; then a sheet per group with members
    (:func:`twin.metrics.groups.group_summary`: one row per grid or unit, a mean and
    its 95% CI per family; ``grids``, the scenario's grid names, place the units)."""
    plain = summary.loc[plain_kpis(summary.index)]
    rows = [{"kpi": str(kpi), **{c: r[c] for c in ("mean", "ci_low", "ci_high", "n")}}
            for kpi, r in plain.iterrows()]
    book = _workbook("summary", SUMMARY_COLUMNS, rows, lang)
    for group in GROUPS:
        table = group_summary(summary, group, grids)
        if len(table):
            _group_sheet(book, table, group, lang)
    return _save(book)


def comparison_xlsx(table: pd.DataFrame, lang: str = "en",
                    grids: Collection[str] | None = None) -> bytes:
    """``comparison.xlsx`` of a compare: on the first sheet one row per row of the
    comparison table (:data:`twin.metrics.groups.COMPARISON_COLUMNS`) whose KPI is not broken
    down by grid or unit, in its order, with the change in % of the reference's mean,
    the p-values (paired and Holm-adjusted) and the verdict in words; then a sheet per
    group with members (:func:`twin.metrics.groups.comparison_groups`: one row per
    family, grid or unit, and scenario, the same statistics). A table written before
    those columns existed leaves their cells empty. ``grids`` as for
    :func:`summary_xlsx`."""
    return comparison_book(*comparison_groups(table, grids), lang)


def comparison_book(plain: pd.DataFrame, groups: Mapping[str, pd.DataFrame],
                    lang: str = "en") -> bytes:
    """:func:`comparison_xlsx` of a comparison already split by
    :func:`twin.metrics.groups.comparison_groups`."""
    book = _workbook("comparison", COMPARISON_COLUMNS, plain.to_dict("records"), lang)
    for group, long in groups.items():
        if len(long):
            _compared_sheet(book, long, group, lang)
    return _save(book)


MAX_ROWS = 1_048_575
"""Rows under the header of a worksheet (Excel's limit is 1,048,576 in all); a longer
table goes on over sheets named with a number: ``By unit (2)``."""


def _compared_sheet(book: Workbook, long: pd.DataFrame, group: str, lang: str) -> None:
    """The comparison of one group's KPIs: the family's label (with its unit) and code,
    the grid (or unit and its grid), then the scenario and its statistics as on the
    first sheet; filters on the header row."""
    i = check_lang(lang)
    names = [c for c in long.columns if c in GROUP_HEADERS]
    head = [HEADERS["label"][i], HEADERS["kpi"][i], *[GROUP_HEADERS[c][i] for c in names],
            *[HEADERS[c][i] for c in COMPARED]]
    labels, formats = {}, {}
    first = 2 + len(names)  # columns before the scenario's
    kinds = [(first + k, c) for k, c in enumerate(COMPARED)
             if c in (*_NUMBERS, *_RATIOS, *_P_VALUES)]
    for base in pd.unique(long["family"]):
        member = _member(str(base))
        unit, label = unit_text(member, lang), _LABELS[member][i]
        labels[base] = label if not unit or unit in label else f"{label} [{unit}]"
        fmt = _format(member)
        formats[base] = [(k, fmt if c in _NUMBERS else PERCENT if c in _RATIOS else P_VALUE)
                         for k, c in kinds]
    rows = long[["family", *names, *COMPARED]].itertuples(index=False, name=None)
    for part, start in enumerate(range(0, len(long), MAX_ROWS)):
        title = SHEETS[group][i] + (f" ({part + 1})" if part else "")
        count = min(MAX_ROWS, len(long) - start)
        cut = long.iloc[start:start + count]
        texts = [[labels[f] for f in pd.unique(cut["family"])], cut["family"],
                 *[cut[c] for c in names], cut["scenario"]]
        widest = [max([len(h), *_lengths(t)]) for h, t in zip(head, texts, strict=False)]
        widest += [min(len(h), 24) for h in head[first + 1:]]
        cells = _compared_rows(rows, count, labels, formats, first, i)
        _sheet(book, title, head, widest, cells, count, lang, freeze=first + 1, filtered=True)


def _compared_rows(rows: Iterator[tuple[Any, ...]], count: int, labels: Mapping[Any, str],
                   formats: Mapping[Any, Sequence[tuple[int, str]]], first: int,
                   i: int) -> Iterator[Row]:
    """The next ``count`` rows of a group's comparison as cells."""
    for row in itertools.islice(rows, count):
        family, named, stats = row[0], row[1:first - 1], row[first:]
        cells: list[Any] = [labels[family], family, *[str(v) for v in named],
                            str(row[first - 1])]
        for column, value in zip(COMPARED[1:], stats, strict=True):
            if column == "n":
                number = _number(value)
                cells.append(None if number is None else int(number))
            elif column == "significant":
                cells.append(None if pd.isna(value) else _YES_NO[0 if value else 1][i])
            else:
                cells.append(_number(value))
        yield cells, formats[family]
