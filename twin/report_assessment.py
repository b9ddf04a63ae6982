"""The assessment sheet (考核表) of the report: the assessment figures of work orders
as a district's monthly sheet shows them.

One table per run with work orders: a row for the total, then one per handling unit,
category and grid (the :data:`~twin.report_groups.SHOWN` grids with the most overdue
orders if there are more: all are in ``kpis_by_grid.csv``); a column per figure of
:data:`twin.metrics.assessment.FIGURES`, each the mean over replications with its 95%
confidence interval, headed by the
catalogue's label (Chinese under ``lang="zh"``). The period is the measured window,
from the end of the warm-up to the horizon, with dates when the scenario has a
``calendar`` (its ``start`` is day 0, 00:00). Reads result tables only.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import Any

import pandas as pd

from twin import numbers
from twin.metrics.assessment import FIGURES, SCOPES, parse_scope, scope_column
from twin.metrics.catalogue import kpi_spec, split
from twin.plots.figures import RunLike, scenario_of
from twin.plots.labels import check_lang, unit_label
from twin.report_groups import worst, worst_note

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Assessment sheet", "考核表"),
    "note": ("Orders received in the period; each figure as the KPI reference defines it "
             "(an order counts for the unit that signed it for the response rate, the unit "
             "assigned for the return rate, each department summoned for whistles and "
             "reports, otherwise the unit of its last work step; a unit with a copy in each grid "
             "is one unit). Mean over replications, "
             "95% confidence interval below; – where a row has none.",
             "统计期内受理的工单；各项指标的定义见指标说明（响应率计入签收单位，退单率计入被派单位，"
             "吹哨和报到计入被召集的部门，其余计入最后承办的单位；各网格的同一单位合并计）。各次重复的均值，下方为95%置信区间；"
             "–表示该行无此类工单。"),
    "period": ("Period", "考核期"),
    "days": ("run day {a} to {b}, day 0 the first: end of the warm-up to the horizon",
             "运行第{a}至{b}天（首日为第0天）：预热期结束至模拟结束"),
    "scope": ("Scope", "考核对象"),
    "total": ("Total", "合计"),
    "unit": ("Unit", "单位"),
    "category": ("Category", "类别"),
    "grid": ("Grid", "网格"),
}


def _t(key: str, lang: str) -> str:
    return _TEXT[key][check_lang(lang)]


def _days(value: float) -> str:
    return f"{value:g}"


def measured_window(scenario: Any, lang: str = "en") -> str:
    """The period the figures cover: warm-up to horizon, in days of the run, and as
    dates when the scenario has a ``calendar`` (whose ``start`` is day 0, 00:00)."""
    run = scenario.run
    whole = float(run.warmup_days).is_integer() and float(run.horizon_days).is_integer()
    last = run.horizon_days - 1 if whole else run.horizon_days  # whole days: the last one
    days = _t("days", lang).format(a=_days(run.warmup_days), b=_days(last))
    calendar = getattr(scenario, "calendar", None)
    start = getattr(calendar, "start", None)
    if start is None:
        return days
    origin = dt.datetime.combine(start, dt.time())
    first = origin + dt.timedelta(days=run.warmup_days)
    end = origin + dt.timedelta(days=run.horizon_days)
    if first.time() == dt.time() and end.time() == dt.time():
        shown = (first.date().isoformat(), (end - dt.timedelta(days=1)).date().isoformat())
    else:
        shown = (f"{first:%Y-%m-%d %H:%M}", f"{end:%Y-%m-%d %H:%M}")
    joined = f"{shown[0]} 至 {shown[1]}" if lang == "zh" else f"{shown[0]} to {shown[1]}"
    return f"{joined} ({days})" if lang == "en" else f"{joined}（{days}）"


def figure_value(value: Any, kpi: str) -> str:
    """A figure for a table cell: a share as a percentage, a count as a number
    (:func:`twin.numbers.value`)."""
    return numbers.value(value, kpi)


def _cell(row: pd.Series | None, kpi: str) -> str:
    if row is None:
        return "–"
    mean = figure_value(row["mean"], kpi)
    low, high = row["ci_low"], row["ci_high"]
    if mean == "–" or pd.isna(low) or pd.isna(high):
        return mean
    return f"{mean}<br><small>{figure_value(low, kpi)} – {figure_value(high, kpi)}</small>"


def scope_rows(kpis: Sequence[str]) -> list[tuple[str, str] | None]:
    """Rows of the sheet from the KPI names of a run: None (the total), then each
    ``(scope, name)`` in the order of :data:`SCOPES`, names sorted."""
    found: dict[str, dict[str, None]] = {scope: {} for scope in SCOPES}
    for kpi in kpis:
        base, arg = split(kpi)
        scoped = parse_scope(arg) if arg is not None and base in FIGURES else None
        if scoped is not None:
            found[scoped[0]][scoped[1]] = None
    return [None, *[(scope, name) for scope in SCOPES for name in sorted(found[scope])]]


def _head(lang: str) -> str:
    i = check_lang(lang)
    cells = [f"<th>{_t('scope', lang)}</th>"]
    for figure in FIGURES:
        spec = kpi_spec(figure)
        label = spec.label[i] if spec is not None else figure
        cells.append(f"<th>{html.escape(label)}<br><code>{figure}</code></th>")
    return "<thead><tr>" + "".join(cells) + "</tr></thead>"


def _sheet(rows: pd.DataFrame, lang: str) -> str:
    cells = rows.set_index("kpi")
    every = scope_rows(list(cells.index))
    grids = [r[1] for r in every if r is not None and r[0] == "grid"]
    means = cells["mean"]
    kept = worst(grids, lambda g: means.get(scope_column("overdue_orders", "grid", g)))
    body = []
    for row in [r for r in every if r is None or r[0] != "grid"] + [("grid", g) for g in kept]:
        if row is None:
            name = f"<b>{_t('total', lang)}</b>"
        else:
            sep = "：" if lang == "zh" else ": "
            shown = unit_label(row[1], lang) if row[0] == "unit" else row[1]
            name = f"{_t(row[0], lang)}{sep}{html.escape(shown)}"
        values = []
        for figure in FIGURES:
            kpi = scope_column(figure, *(row or (None, None)))
            values.append(_cell(cells.loc[kpi] if kpi in cells.index else None, figure))
        body.append("<tr><td>" + name + "</td>" + "".join(f"<td>{v}</td>" for v in values)
                    + "</tr>")
    return (worst_note("grid", len(kept), len(grids), lang)
            + f'<table class="num">{_head(lang)}<tbody>{"".join(body)}</tbody></table>')


def assessment_section(runs: Sequence[tuple[str, RunLike]], summary: pd.DataFrame,
                       lang: str, folded: bool = False) -> list[str]:
    """The assessment sheet: per run with work orders, its period and its table (the
    long ``summary`` of :func:`twin.plots.figures.summary_by_scenario`); [] if no run
    has assessment figures. ``folded``: each run's sheet folds away under its name (a
    sweep's many points)."""
    parts = []
    for name, run in runs:
        rows = summary[summary["scenario"] == name]
        if not set(FIGURES) & set(rows["kpi"]):
            continue
        scenario = scenario_of(run)
        title = f"<h3>{html.escape(name)}</h3>" if len(runs) > 1 else ""
        period = (f"<p><b>{_t('period', lang)}</b>{'：' if lang == 'zh' else ': '}"
                  f"{html.escape(measured_window(scenario, lang))}</p>"
                  if scenario is not None else "")
        if folded:
            parts.append(f"<details><summary>{html.escape(name)}</summary>{period}"
                         f"{_sheet(rows, lang)}</details>")
        else:
            parts.append(title + period + _sheet(rows, lang))
    if not parts:
        return []
    return [f'<h2 id="assessment">{_t("title", lang)}</h2>', f"<p>{_t('note', lang)}</p>",
            *parts]
