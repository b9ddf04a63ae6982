"""The report's opening: the verdict, then the settings that differ.

The verdict is one table: each headline KPI of the KPI catalogue, the
reference's mean, and for every other scenario its paired change, the change
as a % of the reference, both with their 95% CI, coloured by the catalogue's
direction: better, worse, or no clear difference (a KPI with no better way,
such as arrivals or utilisation, that clearly moved "differs"). The tests are
Holm-adjusted over every (headline KPI, scenario) pair, and the page says so.
Then one table of the scenario keys whose values differ between the runs, with
their units; every setting of every run folds away below it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import pandas as pd

from twin import numbers
from twin.compare import VERDICTS, with_verdicts
from twin.metrics.catalogue import headline_kpis, kpi_spec
from twin.plots.figures import RunLike, scenario_of, setting
from twin.plots.labels import check_lang, kpi_label, text

SETTINGS: dict[str, str] = {
    "run.horizon_days": "days", "run.warmup_days": "days", "run.seed": "",
    "workforce.per_grid": "workers per grid", "dispatch.policy": "",
    "dispatch.borrow_after": "min", "deadlines.response": "min",
    "patrols.enabled": "", "volunteers.participation": "share",
    "volunteers.registered_per_1000_residents": "per 1,000 residents",
    "repeat_complaints.rate_at_deadline": "per hour", "disputes.mediation.unit": "",
    "disputes.mediation.sessions": "sessions", "disputes.mediation.online.share": "share",
    "disputes.red.lead": "", "disputes.red.join": "",
    "disputes.follow_up.delay_days": "days", "work_orders.units": "staff", "teams": "",
}
"""Scenario keys the report lists for each run, with their units ("" for none)."""
_UNITS_ZH = {"days": "天", "workers per grid": "名/网格", "min": "分钟", "share": "比例",
             "per 1,000 residents": "每千居民", "per hour": "每小时", "sessions": "次",
             "staff": "人"}


def setting_unit(key: str, lang: str = "en") -> str:
    """The unit of a listed setting, in ``lang`` ("" for none)."""
    unit = SETTINGS.get(key, "")
    return _UNITS_ZH.get(unit, unit) if check_lang(lang) else unit

_TEXT: dict[str, tuple[str, str]] = {
    "verdict": ("Verdict: each scenario against the reference",
                "结论：各方案与参照方案相比"),
    "verdict_note": (
        "Headline KPIs. Change: scenario − reference, paired on common random numbers, with "
        "its 95% CI; %: the change as a share of the reference's mean. Colours follow the "
        "KPI's better direction: green better, red worse, grey no clear difference, blue "
        "a clear change in a KPI with no better way. Tests are Holm-adjusted over the {m} "
        "(headline KPI, scenario) pairs at the 5% level.",
        "关键指标。变化：方案 − 参照方案，按共同随机数逐次配对，附95%置信区间；%：变化占参照方案"
        "均值的比例。颜色按指标的优化方向：绿色较优，红色较差，灰色无明显差异，蓝色为无优劣方向的指标"
        "有明显变化。检验经Holm校正，覆盖{m}个（关键指标，方案）组合，显著性水平5%。"),
    "no_tests": ("This comparison table has no p-values (written by an older version), so "
                 "no verdict is given.", "此比较表没有p值（旧版本生成），故不给出结论。"),
    "reference": ("reference", "参照"),
    "better": ("better", "较优"), "worse": ("worse", "较差"),
    "differs": ("changed", "有变化"), "no clear difference": ("no clear difference", "无明显差异"),
    "lower": ("lower is better", "越低越好"), "higher": ("higher is better", "越高越好"),
    "settings_differ": ("Settings that differ", "不同的设置"),
    "settings_same": ("Every listed setting is the same in every run.",
                      "所列设置在各方案中相同。"),
    "all_settings": ("Every setting of every run", "各方案的全部设置"),
    "unit": ("unit", "单位"),
}


def _t(key: str, lang: str) -> str:
    return _TEXT[key][check_lang(lang)]


def verdict_word(verdict: str, lang: str = "en") -> str:
    """A verdict of :data:`twin.compare.VERDICTS` as the report writes it ("" if none)."""
    return _t(verdict, lang) if verdict in VERDICTS else ""


def verdict_section(comparison: pd.DataFrame | None, lang: str) -> list[str]:
    """The verdict block (nothing without a comparison of two or more scenarios)."""
    if comparison is None or not len(comparison):
        return []
    names = list(dict.fromkeys(comparison["scenario"]))
    if len(names) < 2:
        return []
    table = with_verdicts(comparison, names[0])
    kpis = [k for k in headline_kpis() if k in set(table["kpi"])]
    cells = table.set_index(["kpi", "scenario"])
    tested = int(table["p_holm"].notna().sum())
    head = [text("kpi", lang), f"{html.escape(names[0])}<br><small>{_t('reference', lang)}"
            "</small>", *[html.escape(n) for n in names[1:]]]
    rows = []
    for kpi in kpis:
        spec = kpi_spec(kpi)
        way = f"<br><small>{_t(spec.direction, lang)}</small>" if spec and spec.direction else ""
        ref = cells.loc[(kpi, names[0])] if (kpi, names[0]) in cells.index else None
        row = [f"{html.escape(kpi_label(kpi, lang))}{way}",
               numbers.value(None if ref is None else ref["mean"], kpi)]
        for name in names[1:]:
            row.append(_verdict_cell(cells.loc[(kpi, name)] if (kpi, name) in cells.index
                                     else None, kpi, lang))
        rows.append(row)
    note = _t("verdict_note", lang).format(m=tested) if tested else _t("no_tests", lang)
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in row)
                   + "</tr>" for row in rows)
    return [f'<section id="verdict" class="verdict"><h2>{_t("verdict", lang)}</h2>'
            f"<p>{html.escape(note)}</p><table class=\"verdict\"><thead><tr>{th}</tr></thead>"
            f"<tbody>{body}</tbody></table></section>"]


def _verdict_cell(row: Any, kpi: str, lang: str) -> str:
    if row is None:
        return f"<td>{numbers.MISSING}</td>"
    verdict = str(row.get("verdict") or "")
    css = {"better": "better", "worse": "worse", "differs": "differs",
           "no clear difference": "same"}.get(verdict, "")
    word = f'<span class="word">{_t(verdict, lang)}</span><br>' if verdict else ""
    change = numbers.diff(row.get("diff"), kpi)
    ci = numbers.interval(row.get("diff_ci_low"), row.get("diff_ci_high"), kpi, of_diff=True)
    pct = numbers.pct(row.get("pct"))
    pct_ci = numbers.interval(row.get("pct_ci_low"), row.get("pct_ci_high"), relative=True)
    return (f'<td class="{css}" data-verdict="{html.escape(verdict)}">{word}'
            f'<b>{change}</b> <small>{ci}</small><br>{pct} <small>{pct_ci}</small></td>')


def _lists(scenario: Any) -> dict[str, str]:
    """Settings that are lists: the handling units and their staff, the units that join
    a red dispute's response, the teams."""
    out = {}
    units = setting(scenario, "work_orders.units") or []
    if units:
        out["work_orders.units"] = ", ".join(
            f"{u.name} {u.staff}" + (" per grid" if u.per_grid else "") for u in units)
    join = setting(scenario, "disputes.red.join")
    if join:
        out["disputes.red.join"] = ", ".join(join)
    teams = getattr(scenario, "teams", None) or []
    if teams:
        out["teams"] = ", ".join(f"{t.name} ({t.per_grid} per grid)" for t in teams)
    return out


def settings_of(run: RunLike) -> dict[str, str]:
    """The listed settings of a run, as shown (keys of :data:`SETTINGS` it has)."""
    scenario = scenario_of(run)
    reps = getattr(run, "replications", None)
    shown = {"replications": f"{len(reps if reps is not None else run.kpis):,}"}
    lists = _lists(scenario)
    for key in SETTINGS:
        if key in lists:
            shown[key] = lists[key]
            continue
        value = setting(scenario, key) if key not in ("disputes.red.join", "work_orders.units",
                                                      "teams") else None
        if value is not None and not isinstance(value, list | tuple):
            shown[key] = f"{value:g}" if isinstance(value, float) else str(value)
    return shown


def differing_settings(runs: Sequence[tuple[str, RunLike]]
                       ) -> tuple[list[str], list[str], dict[str, dict[str, str]]]:
    """Every listed key, the keys whose values differ between runs, and each run's
    settings as shown (by run name)."""
    table = {name: settings_of(run) for name, run in runs}
    keys = list(dict.fromkeys(k for name, _ in runs for k in table[name]))
    differ = [k for k in keys if len({table[n].get(k) for n, _ in runs}) > 1]
    return keys, differ, table


def settings_table(runs: Sequence[tuple[str, RunLike]], keys: Sequence[str],
                    table: dict[str, dict[str, str]], lang: str) -> str:
    head = [text("setting", lang), _t("unit", lang), *[html.escape(n) for n, _ in runs]]
    rows = []
    for key in keys:
        label = text("replications", lang) if key == "replications" else f"<code>{key}</code>"
        rows.append([label, html.escape(setting_unit(key, lang)),
                     *[html.escape(table[n].get(key, numbers.MISSING)) for n, _ in runs]])
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="settings"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def settings_section(runs: Sequence[tuple[str, RunLike]], lang: str) -> list[str]:
    """One table of the settings that differ between runs, then every setting folded;
    one run's settings are shown whole."""
    keys, differ, table = differing_settings(runs)
    descriptions = "".join(
        f"<li><b>{html.escape(name)}</b>: {html.escape(str(d))}</li>" for name, run in runs
        if (d := getattr(scenario_of(run), "description", None)))
    about = f"<ul>{descriptions}</ul>" if descriptions else ""
    if len(runs) < 2:
        return [f"<h2>{text('scenarios', lang)}</h2>", about,
                settings_table(runs, keys, table, lang)]
    shown = (settings_table(runs, differ, table, lang) if differ
             else f"<p>{_t('settings_same', lang)}</p>")
    return [f"<h2>{_t('settings_differ', lang)}</h2>", about, shown,
            f"<details><summary>{_t('all_settings', lang)}</summary>"
            f"{settings_table(runs, keys, table, lang)}</details>"]
