"""The report's opening for a sweep: one compact table of its points.

A sweep of eight points is one scenario eight times: its description is shown
once (the base's), then one table with a row per point: its number (P1, P2, …),
its short label, the value of each varied key with its unit, a few headline KPIs
as mean and 95% CI, and whether the point collapsed (its open issues keep rising
after the warm-up, or its workers are busy all the time: its KPIs then describe
a growing backlog, not a steady state). A varied key that changes no KPI, or
only the KPIs measured against it, is said so in words. Every setting of every
point folds away below the table.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd

from twin import numbers
from twin.metrics.catalogue import kpi_spec
from twin.plots.figures import MAX_PANELS, RunLike, scenario_of, sweep_axis
from twin.plots.labels import check_lang, kpi_label
from twin.report_verdict import SETTINGS, setting_unit, settings_of, settings_table
from twin.sweep import changed_kpis, collapse_reason, point_labels, varied_keys

TABLE_KPIS = ("response_mean", "response_p90", "within_deadline", "utilisation", "open_at_end")
"""KPIs of the table of points (those the sweep has)."""
ONLY = 3
"""A key that changes this many KPIs or fewer is said to change only those."""

_TEXT: dict[str, tuple[str, str]] = {
    "points": ("Sweep points", "扫描点"),
    "point": ("point", "扫描点"),
    "collapsed": ("collapsed", "积压失控"),
    "collapsed_note": (
        "⚠ collapsed: open issues keep rising after the warm-up, or the workers are busy "
        "{share} of the time or more; the community cannot keep up, and the point's KPIs "
        "describe a growing backlog, not a steady state.",
        "⚠ 积压失控：预热期后未办结问题持续增加，或人员忙碌时间占比达{share}以上；社区处理不过来，"
        "该点的指标描述的是不断增长的积压，而非稳定状态。"),
    "table_note": ("Mean and 95% CI over replications (all KPIs fold away below).",
                   "各次重复的均值与95%置信区间（全部指标见下方折叠表）。"),
    "nothing": ("{key} changes nothing in this scenario: every KPI is the same at each of "
                "its values ({values}), the other keys fixed.",
                "{key}在此方案中不改变任何结果：在其各取值（{values}）下、其他参数固定时，所有指标相同。"),
    "only": ("{key} changes only {kpis} in this scenario: every other KPI is the same at "
             "each of its values ({values}), the other keys fixed.",
             "{key}在此方案中只改变{kpis}：在其各取值（{values}）下、其他参数固定时，其他指标相同。"),
    "measured": (" It only sets what those KPIs are measured against; the simulation "
                 "does not use it.", "它只是这些指标的衡量标准，模拟本身不使用它。"),
    "settings": ("Settings of every point", "各扫描点的全部设置"),
    "all_kpis": ("Every KPI of every point", "各扫描点的全部指标"),
    "panels": ("Figures with a panel or a line per point show points P1–P{shown} of {n}; "
               "every point is in the table of points and in the staffing curve.",
               "每点一幅分图或一条曲线的图只显示P1–P{shown}（共{n}个点）；每个点都在扫描点表和"
               "人员配置曲线中。"),
    "numbers": ("P1, P2, …: the rows of the table of points.", "P1、P2……：扫描点表中的各行。"),
    "no_curve": ("No staffing curve is drawn: no varied key is a number ({keys}).",
                 "未绘制人员配置曲线：没有数值型的扫描参数（{keys}）。"),
}


def _t(key: str, lang: str) -> str:
    return _TEXT[key][check_lang(lang)]


def is_sweep(sweep: pd.DataFrame | None) -> bool:
    """Whether ``sweep`` is a sweep summary with named points (``twin.sweep``'s)."""
    return sweep is not None and "point" in sweep.columns and len(sweep) > 0


def point_table(sweep: pd.DataFrame, runs: Sequence[tuple[str, RunLike]]) -> pd.DataFrame:
    """One row per point of a sweep summary, in order: ``point``, the varied keys, its
    ``label`` and why it ``collapsed`` (empty if it did not)."""
    keys = varied_keys(sweep)
    first = sweep.drop_duplicates("point")
    grid = [{k: row[k] for k in keys} for row in first.to_dict("records")]
    by_name = dict(runs)
    reasons = []
    for name in first["point"]:
        run = by_name.get(name)
        reasons.append(collapse_reason(run) if run is not None and scenario_of(run) is not None
                       and len(run.kpis) else "")
    return first[["point", *keys]].assign(label=point_labels(grid), collapsed=reasons
                                          ).reset_index(drop=True)


SHORT = 12
"""A label this long or shorter is written in figures too (a tick holds no more)."""


def shown_names(points: pd.DataFrame) -> dict[str, str]:
    """The name of each point in figures: its number, and its label when every label
    is short (``P1 per_grid=1``); else the number alone (``P1``), which the table of
    points explains."""
    labels = [str(label) for label in points["label"]]
    short = all(len(label) <= SHORT for label in labels)
    return {p: f"P{i} {label}" if short else f"P{i}" for i, (p, label) in enumerate(
        zip(points["point"], labels, strict=True), start=1)}


def _values(values: Sequence[str]) -> str:
    """Distinct values of a varied key, as written (their ``repr``: text quoted)."""
    return ", ".join(v.strip("'") for v in values)


def effect_notes(summary: pd.DataFrame, lang: str = "en") -> list[str]:
    """A sentence for each varied key that changes no KPI, or only a few (and whether
    those only measure against it, by the KPI catalogue's definitions)."""
    notes = []
    for key in varied_keys(summary):
        changed = changed_kpis(summary, key)
        if changed is None or len(changed) > ONLY:
            continue
        values = _values(list(dict.fromkeys(summary[key].map(repr))))
        if not changed:
            notes.append(_t("nothing", lang).format(key=key, values=values))
            continue
        note = _t("only", lang).format(key=key, values=values, kpis=", ".join(changed))
        specs = [kpi_spec(k) for k in changed]
        if all(s is not None and f"`{key}`" in s.definition for s in specs):
            note += _t("measured", lang)
        notes.append(note)
    return notes


def _cell(row: pd.Series | None, kpi: str) -> str:
    if row is None:
        return numbers.MISSING
    return (f"{numbers.value(row['mean'], kpi)}<br><small>"
            f"{numbers.interval(row['ci_low'], row['ci_high'], kpi)}</small>")


def points_table(sweep: pd.DataFrame, points: pd.DataFrame, lang: str) -> str:
    """The table of points: number, label, varied keys with units, KPIs, collapse."""
    keys = varied_keys(sweep)
    kpis = [k for k in TABLE_KPIS if k in set(sweep["kpi"])]
    cells = sweep.set_index(["point", "kpi"])
    head = ["#", _t("point", lang),
            *[f"<code>{html.escape(k)}</code>" + (
                f"<br><small>{html.escape(setting_unit(k, lang))}</small>"
                if SETTINGS.get(k) else "")
              for k in keys],
            *[html.escape(kpi_label(k, lang)) for k in kpis], _t("collapsed", lang)]
    rows = []
    for i, p in enumerate(points.to_dict("records"), start=1):
        reason = str(p["collapsed"] or "")
        flag = (f'<b class="collapse">⚠ {_t("collapsed", lang)}</b><br><small>'
                f"{html.escape(reason)}</small>") if reason else ""
        tds = [f"{'⚠ ' if reason else ''}P{i}", html.escape(str(p["label"])),
               *[html.escape(str(p[k])) for k in keys],
               *[_cell(cells.loc[(p["point"], k)] if (p["point"], k) in cells.index else None, k)
                 for k in kpis], flag]
        css = ' class="collapsed"' if reason else ""
        rows.append(f"<tr{css}>" + "".join(f"<td>{c}</td>" for c in tds) + "</tr>")
    th = "".join(f"<th>{h}</th>" for h in head)
    return (f'<table class="num points"><thead><tr>{th}</tr></thead><tbody>{"".join(rows)}'
            "</tbody></table>")


def sweep_section(runs: Sequence[tuple[str, RunLike]], sweep: pd.DataFrame,
                  points: pd.DataFrame, lang: str, sweep_x: str | None = None) -> list[str]:
    """The base's description once, the table of points, what a varied key changes,
    and every point's settings folded away."""
    from twin.sweep import COLLAPSE_UTILISATION

    named = set(points["point"])
    mine = [(n, r) for n, r in runs if n in named]
    base = scenario_of(mine[0][1]) if mine else None
    about = getattr(base, "description", "") or ""
    out = [f'<h2 id="points">{_t("points", lang)}</h2>']
    if about:
        out.append(f"<p>{html.escape(about)}</p>")
    out.append(points_table(sweep, points, lang))
    out.append(f"<p><small>{_t('table_note', lang)}</small></p>")
    if (points["collapsed"] != "").any():
        note = _t("collapsed_note", lang).format(share=f"{COLLAPSE_UTILISATION:.0%}")
        out.append(f'<p class="collapse">{html.escape(note)}</p>')
    out += [f"<p>{html.escape(n)}</p>" for n in effect_notes(sweep, lang)]
    if sweep_axis(sweep, sweep_x)[0] is None:
        why = _t("no_curve", lang).format(keys=", ".join(varied_keys(sweep)))
        out.append(f"<p>{html.escape(why)}</p>")
    shown = shown_names(points)
    labelled = [(shown[n], r) for n, r in mine]
    table = {name: settings_of(run) for name, run in labelled}
    keys = list(dict.fromkeys(k for name, _ in labelled for k in table[name]))
    out.append(f"<details><summary>{_t('settings', lang)}</summary>"
               f"{settings_table(labelled, keys, table, lang)}</details>")
    return out


def panels_note(points: pd.DataFrame, lang: str) -> list[str]:
    """What P1, P2, … are, and which points the figures with a panel per point show,
    when not all."""
    note = _t("numbers", lang)
    if len(points) > MAX_PANELS:
        note += " " + _t("panels", lang).format(shown=MAX_PANELS, n=len(points))
    return [f"<p>{html.escape(note)}</p>"]


def folded_kpis(table: str, lang: str) -> str:
    """Every KPI of every point, folded away."""
    return f"<details><summary>{_t('all_kpis', lang)}</summary>{table}</details>"
