"""Label translations (English, Chinese) and colours.

KPI labels and whether a KPI is a share come from the KPI catalogue
(:mod:`twin.metrics.catalogue`); labels of the causes of grade changes from the trigger
registry (:mod:`twin.engine.triggers`).

Fonts (a system CJK family, else the bundled subset) are chosen in
:mod:`twin.plots.fonts`; their names are re-exported here.
"""

from __future__ import annotations

import math
import re
import unicodedata

from matplotlib.axis import Axis
from matplotlib.ticker import FuncFormatter, MaxNLocator

from twin.engine.triggers import TRIGGERS
from twin.metrics.catalogue import CATALOGUE, kpi_spec, split
from twin.metrics.catalogue import is_share as is_share
from twin.plots.fonts import CJK_FAMILY as CJK_FAMILY
from twin.plots.fonts import FONT_FILE as FONT_FILE
from twin.plots.fonts import LANGS
from twin.plots.fonts import LATIN_FAMILY as LATIN_FAMILY
from twin.plots.fonts import apply_font as apply_font
from twin.plots.fonts import ensure_font as ensure_font
from twin.plots.fonts import families as families
from twin.vocab import COLOURS

COLOUR_HEX: dict[str, str] = dict(zip(COLOURS, ("#2e9d4b", "#e3b505", "#d62728"), strict=True))
"""Display colour (hex) of each severity colour (三色)."""

_TEXT: dict[str, tuple[str, str]] = {
    # axis titles and legends
    "response_time": ("Response time [min]", "响应时间（分钟）"),
    "share_reached": ("Share of issues reached", "已到场问题占比"),
    "time_days": ("Time [days]", "时间（天）"),
    "open_issues": ("Open issues", "未办结问题数"),
    "reported_per_day": ("Reported per day", "每日上报数"),
    "per_day_by_category": ("Issues reported per day, by category", "各类问题每日上报数"),
    "response_by_hour": ("Response time by hour of report [min]", "各上报时刻的响应时间（分钟）"),
    "mean": ("mean", "均值"),
    "band_minmax": ("min–max over replications", "各次重复的最小–最大"),
    "band_5_95": ("5–95% over replications", "各次重复的5%–95%"),
    "scenario": ("Scenario", "方案"),
    "grid": ("Grid", "网格"),
    "grade_first": ("First grade", "初始等级"),
    "grade_at_close": ("grade at close", "结案时等级"),
    "disputes_per_run": ("Disputes per replication", "每次重复的纠纷数"),
    "grade_changes": ("Dispute grades", "纠纷等级变化"),
    "escalations": ("raised", "次升级"),
    "deadline": ("deadline", "时限"),
    "warmup": ("warm-up", "预热期"),
    "ci95": ("95% CI", "95%置信区间"),
    "no_data": ("no data", "无数据"),
    "m": ("m", "米"),
    "km": ("km", "公里"),
    "noise_note": ("one colour scale for every map, at least as wide as the widest 95% CI "
                   "of a grid; values ± half that CI",
                   "各图共用一个色标，跨度不小于最宽的网格95%置信区间；数值 ± 半个置信区间"),
    # severity colours
    "green": ("green", "绿"),
    "yellow": ("yellow", "黄"),
    "red": ("red", "红"),
    "none": ("not graded", "未分级"),
    # causes of dispute grade changes, from the trigger registry
    **{f"cause:{t.cause}": t.label for t in TRIGGERS.values()},
    # report headings
    "report_title": ("Community dispatch report", "社区事件调度报告"),
    "scenarios": ("Scenarios", "方案"),
    "kpi_summary": ("KPI summary (mean and 95% CI)", "关键指标汇总（均值与95%置信区间）"),
    "comparison": ("Paired comparison with the first scenario",
                   "与第一个方案的配对比较"),
    "plots": ("Plots", "图表"),
    "manifest": ("Manifest", "运行信息"),
    "failed_replications": ("Failed replications: left out of every table and figure",
                            "失败的重复运行：已从所有表格和图中剔除"),
    "kpi": ("KPI", "指标"),
    "diff": ("diff vs first", "与第一个方案之差"),
    "diff_ci": ("95% CI of diff", "差值95%置信区间"),
    "significant": ("significant", "显著"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "setting": ("setting", "设置"),
    "value": ("value", "取值"),
    "description": ("description", "说明"),
    "all_kpis": ("All KPIs", "全部指标"),
    "replications": ("replications", "重复次数"),
    # a sweep against another scenario: the break-even
    "break_even": ("break-even", "持平点"),
    "break_even_section": ("Break-even against another scenario",
                           "与对照方案的持平点"),
    "break_even_note": ("Where the paired difference of a KPI (sweep point − the other "
                        "scenario, replication by replication) crosses zero along the "
                        "varied key, interpolated between points; the interval is a "
                        "bootstrap over replications. '< first' or '> last': the crossing "
                        "lies beyond the swept range on that side. Crossed: share of "
                        "resamples that cross inside the range.",
                        "指标配对差值（扫描点 − 对照方案，逐次重复配对）沿扫描参数穿过零的"
                        "位置，在相邻点间线性插值；区间为对重复运行的自助法区间。"
                        "“< 首值”或“> 末值”：穿越点在扫描范围之外。"
                        "穿越比例：在范围内穿过零的重抽样所占比例。"),
    "paired_diff": ("paired difference", "配对差值"),
    "varied_key": ("varied key", "扫描参数"),
    "sweep_minus": ("sweep −", "扫描方案 −"),
    "crossed": ("crossed", "穿越比例"),
    "better_below": ("better below / above it", "持平点以下／以上较优"),
    "sweep": ("sweep", "扫描方案"),
    "against": ("against", "对照方案"),
    # a sweep's staffing curve
    "staffing_curve": ("Staffing curve: every point of the sweep", "人员配置曲线：扫描的每个点"),
    "collapsed": ("collapsed", "积压失控"),
    "log_scale": ("log scale", "对数刻度"),
    "lines_overlap": ("lines overlap: {keys} changes nothing here",
                      "曲线重合：{keys}对此无影响"),
    # work orders (工单)
    "work_orders": ("Work orders", "工单"),
    "unit": ("unit", "单位"),
    "step_unit": ("step · unit", "环节 · 单位"),
    "where_orders_wait": ("Where orders wait: mean time per step and unit",
                          "工单耗时：各环节、各单位平均用时"),
    "minutes_per_step": ("Mean time per step [min]", "每环节平均用时（分钟）"),
    "orders_wait": ("Where orders wait", "工单耗时"),
    "part:wait": ("queue wait", "排队等待"),
    "part:assignment": ("assignment & returns", "派单与退单"),
    "part:delay": ("until due / lead time", "等待到期／前置时间"),
    "part:travel": ("travel", "路途"),
    "part:handling": ("handling", "办理"),
    "rows_per_run": ("steps per replication", "每次重复的环节数"),
    "orders_note": ("Means over replications, orders received after the warm-up; – where a "
                    "unit has none.",
                    "各次重复的均值，仅计预热期后受理的工单；–表示该单位无此类工单。"),
    **{f"step:{s}": label for s, label in (
        ("check", ("check", "核实")), ("file", ("file", "立案")), ("report", ("report", "报到")),
        ("assign", ("assign", "派单")), ("handle", ("handle", "处置")),
        ("settle", ("settle", "就地化解")), ("verify", ("verify", "核查")),
        ("callback", ("callback", "回访")), ("wish", ("wish", "微心愿")),
        ("offer", ("offer", "派给志愿者")), ("lead", ("lead", "前置时间")))},
}

_SETTINGS: dict[str, tuple[str, str]] = {
    "workforce.per_grid": ("Workers per grid", "每网格网格员数"),
}
"""Scenario keys drawn as an axis (a sweep's staffing curve)."""
_KPI: dict[str, tuple[str, str]] = {**{k.name: k.label for k in CATALOGUE}, **_SETTINGS}
"""Every KPI label of the catalogue and the axis labels (the font must hold them all)."""
_ARGUMENT = {"grid_worker": ("grid workers", "网格员"), "volunteer": ("volunteers", "志愿者"),
             "handler": ("handlers", "承办人员"), "resident": ("resident", "居民"),
             "command_centre": ("command centre", "指挥中心"),
             "patrol": ("patrol", "巡查"), "sensor": ("sensor", "感知设备")}


def check_lang(lang: str) -> int:
    """Index of ``lang`` in :data:`LANGS`; ValueError for an unknown language."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    return LANGS.index(lang)


def text(key: str, lang: str = "en") -> str:
    """The label ``key`` in ``lang`` (the key itself if it has no translation)."""
    i = check_lang(lang)
    entry = _TEXT.get(key)
    return entry[i] if entry else key


_SCOPES = {"unit": ("unit", "单位"), "category": ("category", "类别"), "grid": ("grid", "网格")}
"""Scopes of the assessment figures, as their labels show them."""


def kpi_label(kpi: str, lang: str = "en") -> str:
    """Readable name of a KPI column, e.g. ``settlement_rate[red]`` -> 调解成功率（红）.

    KPIs come from the catalogue; a scenario key drawn as an axis has its own
    label; anything else is shown as it is.
    """
    i = check_lang(lang)
    spec = kpi_spec(kpi)
    if spec is None:
        return _SETTINGS[kpi][i] if kpi in _SETTINGS else kpi
    _, arg = split(kpi)
    if arg is None or not spec.family:
        return spec.label[i]
    scope, sep, name = arg.partition(":")
    if sep and scope in _SCOPES:  # an assessment scope: unit:NAME, category:NAME, grid:NAME
        shown = f"{_SCOPES[scope][i]}{'：' if i else ': '}{_ARGUMENT.get(name, (name, name))[i]}"
    else:
        shown = _TEXT[arg][i] if arg in COLOURS else _ARGUMENT.get(arg, (arg, arg))[i]
    return f"{spec.label[i]}（{shown}）" if lang == "zh" else f"{spec.label[i]} ({shown})"


COUNT_UNITS = frozenset({"issues", "disputes", "orders", "complaints", "regrades", "sessions",
                         "steps"})
"""Catalogue units that count things: their axes get whole-number ticks."""


def is_count(kpi: str) -> bool:
    """Whether a KPI of the catalogue counts things (issues, orders, ...)."""
    spec = kpi_spec(kpi)
    return spec is not None and spec.unit in COUNT_UNITS


def plain_number(value: float) -> str:
    """A number as people write it, never in scientific notation: ``2,999``,
    ``3,000``, ``42.5``, ``0.0123`` (three significant digits below 100)."""
    if not math.isfinite(value):
        return "–" if math.isnan(value) else ("∞" if value > 0 else "−∞")
    if abs(value) >= 100 or value == 0:
        return f"{value:,.0f}"
    digits = 2 - math.floor(math.log10(abs(value)))
    shown = f"{value:.{digits}f}"
    return shown.rstrip("0").rstrip(".") if "." in shown else shown


def plain_ticks(axis: Axis, *, integer: bool = False) -> None:
    """Tick labels of ``axis`` as :func:`plain_number` (no ``3e+03``, no offset);
    ``integer=True`` for counts: ticks only at whole numbers."""
    axis.set_major_formatter(FuncFormatter(_plain_tick))
    if integer:
        axis.set_major_locator(MaxNLocator(integer=True))


def _plain_tick(value: float, _pos: int | None = None) -> str:
    """A tick label as :func:`plain_number` (a module function, so figures can be pickled
    and rendered in another process)."""
    return plain_number(value)


_SEPARATORS = " _-/·.,"
_BREAKS = re.compile(r"(?<=[\s_\-/·.,])")


def _width(chunk: str) -> int:
    """Display width: a CJK character takes two Latin ones."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in chunk)


def _cut(chunk: str, width: int) -> list[str]:
    """A piece with no break point, cut into pieces at most ``width`` wide."""
    pieces, current = [], ""
    for ch in chunk:
        if current and _width(current + ch) > width:
            pieces.append(current)
            current = ""
        current += ch
    return [*pieces, current] if current else pieces


def short_label(name: str, width: int = 16, lines: int = 2) -> str:
    """A scenario name fitted for a tick label, a title or a legend.

    Wrapped at spaces, ``_``, ``-``, ``/``, ``.`` into lines about ``width``
    characters wide (a CJK character counts two; a line may end in the separator
    it broke at, so joining the lines gives the name back); a name that needs more than
    ``lines`` lines keeps its start and its end, joined by ``…``, so names that
    differ only at the end stay apart.
    """
    if _width(name) <= width:
        return name
    if lines < 1 or width < 3:
        raise ValueError("short_label needs lines >= 1 and width >= 3")
    budget = width * lines
    if _width(name) > budget:  # keep both ends: names often differ in their tail
        head = _cut(name, (budget - 1) // 2)[0]
        tail = "".join(reversed(_cut(name[::-1], budget - 1 - _width(head))[0]))
        name = f"{head}…{tail}"
    rows: list[str] = []
    for token in (t for t in _BREAKS.split(name) if t):
        for piece in _cut(token, width):
            if rows and _width((rows[-1] + piece).rstrip(_SEPARATORS)) <= width:
                rows[-1] = rows[-1] + piece
            else:
                rows.append(piece)
    rows = [r.strip() for r in rows if r.strip()]
    if len(rows) > lines:  # break points fell badly: cut evenly instead
        rows = _cut(name, width)[:lines]
    return "\n".join(rows)


def unit_label(name: str, lang: str = "en") -> str:
    """A unit, pool or channel name as shown (``grid_worker`` -> 网格员)."""
    return _ARGUMENT.get(name, (name, name))[check_lang(lang)]
