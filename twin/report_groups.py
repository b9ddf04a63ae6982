"""The report's tables of grids and units, kept to a page at any size of map.

A district has thousands of grids and staff units; a table row for each would make a
report of many megabytes that nobody reads. The report's KPI tables therefore list
every KPI while those by grid and unit (:mod:`twin.metrics.groups`) are at most
:data:`LISTED` (a community: its grids, units and pools), else only the KPIs of
``kpis.csv``, and say where the others are; the work-order table shows at most :data:`SHOWN` units
and the assessment sheet at most :data:`SHOWN` grids, the worst ones, each with a note
naming the file that has them all. Also the cell and table helpers of the report.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from twin import numbers
from twin.metrics.catalogue import kpi_spec, split
from twin.metrics.groups import group_of, plain_kpis
from twin.plots.labels import check_lang, text, unit_label

__all__ = ["LISTED", "SHOWN", "UNIT_COLUMNS", "fmt", "groups_note", "listed_kpis",
           "orders_section", "table", "worst", "worst_note"]

LISTED = 300
"""Up to this many KPIs by grid and unit, the report's KPI tables list them with the
others (a community of a few dozen grids); beyond, a district's thousands are left to
their files."""

SHOWN = 20
"""At most this many grids (or units) in a table of the report: the worst ones."""
UNIT_COLUMNS = ("orders_handled", "time_to_sign", "time_to_handle", "unit_backlog",
                "pool_utilisation")
"""KPI families of the work-order table, one column each, one row per unit of an order
(the last, the utilisation of every pool, is read for those units only); the units'
assessment figures are on the assessment sheet (:mod:`twin.report_assessment`)."""

_TEXT: dict[str, tuple[str, str]] = {
    "groups": ("KPIs by grid and by staff unit are not listed here: they are in "
               "kpis_by_grid.csv and kpis_by_unit.csv (a row per replication and grid or "
               "unit), on the sheets by grid and by unit of summary.xlsx, and in summary.json.",
               "按网格和按单位的指标不在此列出：见 kpis_by_grid.csv 和 kpis_by_unit.csv（每次重复的"
               "每个网格或单位一行）、summary.xlsx 的按网格和按单位工作表以及 summary.json。"),
    "groups_compared": ("KPIs by grid and by staff unit are not listed here (this map "
                        "has too many): their paired differences are in "
                        "comparison_by_grid.csv and comparison_by_unit.csv, and on the sheets "
                        "by grid and by unit of comparison.xlsx.",
                        "按网格和按单位的指标不在此列出（本地图过多）：其配对差异见 "
                        "comparison_by_grid.csv 和 comparison_by_unit.csv，以及 comparison.xlsx "
                        "的按网格和按单位工作表。"),
    "grid": ("Grids: the {n} of {total:,} with the most overdue orders (overdue_orders), most "
             "first; every grid is in kpis_by_grid.csv and on the sheet by grid of summary.xlsx.",
             "网格：超期工单数（overdue_orders）最多的{n}个（共{total:,}个），多者在前；全部网格见 "
             "kpis_by_grid.csv 和 summary.xlsx 的按网格工作表。"),
    "unit": ("Units: the {n} of {total:,} with the largest backlog (unit_backlog), largest "
             "first; every unit is in kpis_by_unit.csv and on the sheet by unit of summary.xlsx.",
             "单位：积压工单数（unit_backlog）最大的{n}个（共{total:,}个），大者在前；全部单位见 "
             "kpis_by_unit.csv 和 summary.xlsx 的按单位工作表。"),
}


def fmt(value: Any, kpi: str = "") -> str:
    """A table cell: a number as :mod:`twin.numbers` writes the KPI, text escaped."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating) or value is None:
        return numbers.value(value, kpi)
    return html.escape(str(value))


def table(head: Sequence[str], rows: Sequence[Sequence[str]], css: str = "") -> str:
    """An HTML table of cells already escaped."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def listed_kpis(kpis: Sequence[str]) -> list[str]:
    """The KPIs a report table lists: all of ``kpis`` if at most :data:`LISTED` of them
    are by grid or unit, else those of ``kpis.csv``."""
    grouped = sum(group_of(str(k)) is not None for k in kpis)
    return list(kpis) if grouped <= LISTED else plain_kpis(kpis)


def groups_note(kpis: Sequence[str], lang: str, comparison: bool = False) -> str:
    """A paragraph saying where the KPIs by grid and unit are, if a table left them out
    (``comparison``: where their paired differences are)."""
    if len(listed_kpis(kpis)) == len(kpis):
        return ""
    key = "groups_compared" if comparison else "groups"
    return f"<p>{html.escape(_TEXT[key][check_lang(lang)])}</p>"


def worst(names: Sequence[str], score: Callable[[str], Any], n: int = SHOWN) -> list[str]:
    """All ``names`` in their order if there are at most ``n``; else the ``n`` with the
    highest score, highest first, ties and missing scores (last) by name."""
    if len(names) <= n:
        return list(names)

    def key(name: str) -> tuple[float, str]:
        value = score(name)
        x = float(value) if value is not None else math.nan
        return (-x if math.isfinite(x) else math.inf, name)
    return sorted(names, key=key)[:n]


def worst_note(group: str, shown: int, total: int, lang: str) -> str:
    """A paragraph saying which grids (or units) a cut table shows; "" if it shows all."""
    if shown >= total:
        return ""
    return f"<p>{html.escape(_TEXT[group][check_lang(lang)].format(n=shown, total=total))}</p>"


def orders_section(summary: pd.DataFrame, lang: str) -> list[str]:
    """Work orders (工单): per run with orders, a table of its units' means (the worst
    :data:`SHOWN` by backlog if there are more)."""
    i = check_lang(lang)
    head = [text("unit", lang), *[html.escape(spec.label[i]) for spec in (
        kpi_spec(f"{base}[UNIT]") for base in UNIT_COLUMNS) if spec is not None]]
    parts = []
    names = list(dict.fromkeys(summary["scenario"]))
    for name in names:
        rows = summary[summary["scenario"] == name]
        if "orders_received" not in set(rows["kpi"]):
            continue
        means = dict(zip(rows["kpi"], rows["mean"], strict=True))
        units = list(dict.fromkeys(arg for base, arg in map(split, rows["kpi"])  # units
                                   if base in UNIT_COLUMNS[:-1] and arg is not None))  # of orders
        shown = worst(units, lambda u: means.get(f"unit_backlog[{u}]"))  # noqa: B023
        cells = [[html.escape(unit_label(unit, lang)),
                  *[fmt(means.get(f"{base}[{unit}]"), f"{base}[{unit}]") for base in UNIT_COLUMNS]]
                 for unit in shown]
        title = f"<h3>{html.escape(name)}</h3>" if len(names) > 1 else ""
        parts.append(title + worst_note("unit", len(shown), len(units), lang)
                     + table(head, cells, "num"))
    if not parts:
        return []
    return [f"<h2>{text('work_orders', lang)}</h2>", f"<p>{text('orders_note', lang)}</p>",
            *parts]
