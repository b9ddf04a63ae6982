"""Label translations (English, Chinese), colours and the bundled CJK font.

Chinese labels need a CJK font. twin ships a subset of Noto Sans CJK SC
(``fonts/TwinSansSC-Regular.otf``, SIL Open Font License) and registers it with
matplotlib the first time a plot asks for it, so nothing happens at import.
Texts get the family list ``[bundled, DejaVu Sans]`` for Chinese and the reverse
for English, so a Chinese grid name still draws in an English figure and a
character outside the subset falls back instead of vanishing.
"""

from __future__ import annotations

import re
from pathlib import Path

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.text import Text

FONT_FILE = Path(__file__).with_name("fonts") / "TwinSansSC-Regular.otf"
"""The bundled CJK font."""
CJK_FAMILY = "Twin Sans SC"
"""Family name of the bundled font."""
LATIN_FAMILY = "DejaVu Sans"
"""matplotlib's own font."""
LANGS = ("en", "zh")

COLOURS: dict[str, str] = {"green": "#2e9d4b", "yellow": "#e3b505", "red": "#d62728"}
"""Display colour of each severity colour (三色)."""
COLOUR_ORDER = ("green", "yellow", "red")

_TEXT: dict[str, tuple[str, str]] = {
    # axis titles and legends
    "response_time": ("Response time [min]", "响应时间（分钟）"),
    "share_reached": ("Share of issues reached", "已到场问题占比"),
    "time_days": ("Time [days]", "时间（天）"),
    "open_issues": ("Open issues", "未办结问题数"),
    "mean": ("mean", "均值"),
    "band_minmax": ("min–max over replications", "各次重复的最小–最大"),
    "band_5_95": ("5–95% over replications", "各次重复的5%–95%"),
    "scenario": ("Scenario", "方案"),
    "grid": ("Grid", "网格"),
    "colour_at_report": ("Colour at report", "上报时颜色"),
    "colour_at_close": ("colour at close", "办结时颜色"),
    "issues_per_run": ("Issues per replication", "每次重复的问题数"),
    "escalations": ("escalations", "次升级"),
    "whistles": ("whistles", "次吹哨"),
    "deadline": ("deadline", "时限"),
    "warmup": ("warm-up", "预热期"),
    "ci95": ("95% CI", "95%置信区间"),
    "no_data": ("no data", "无数据"),
    # severity colours
    "green": ("green", "绿"),
    "yellow": ("yellow", "黄"),
    "red": ("red", "红"),
    # escalation causes
    "cause:deadline": ("deadline passed", "超时"),
    "cause:failed": ("attempt failed", "处置失败"),
    "cause:grew": ("grew while waiting", "矛盾升级"),
    "cause:whistle": ("whistle", "吹哨"),
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
}

_KPI: dict[str, tuple[str, str]] = {
    "arrived": ("Issues arrived", "上报问题数"),
    "resolved": ("Issues resolved", "办结问题数"),
    "open_at_end": ("Open at end", "期末未办结"),
    "response_mean": ("Mean response [min]", "平均响应时间（分钟）"),
    "response_p50": ("Median response [min]", "响应时间中位数（分钟）"),
    "response_p90": ("P90 response [min]", "90%响应时间（分钟）"),
    "response_p95": ("P95 response [min]", "95%响应时间（分钟）"),
    "resolution_mean": ("Mean resolution [min]", "平均办结时间（分钟）"),
    "resolution_p50": ("Median resolution [min]", "办结时间中位数（分钟）"),
    "resolution_p90": ("P90 resolution [min]", "90%办结时间（分钟）"),
    "within_deadline": ("Within deadline", "按时办结率"),
    "mean_waiting": ("Mean issues waiting", "平均等待问题数"),
    "utilisation": ("Utilisation", "网格员利用率"),
    "travel_share": ("Travel share", "路途时间占比"),
    "patrol_share": ("Patrol share", "巡查时间占比"),
    "count": ("Issues", "问题数"),
    "escalated_share": ("Escalated share", "升级比例"),
    "overdue": ("Overdue issues", "超时问题数"),
    "response_rate": ("Response rate", "响应率"),
    "resolution_rate": ("Resolution rate", "办结率"),
    "satisfaction": ("Satisfaction", "满意率"),
    "repeat_complaints": ("Repeat complaints", "重复投诉数"),
    "repeat_complaints_per_100": ("Repeat complaints per 100", "每百件重复投诉数"),
    "channel_share": ("Channel share", "渠道占比"),
    "pool_utilisation": ("Pool utilisation", "队伍利用率"),
    "pool_workload": ("Pool workload [h/day]", "队伍工作量（小时/天）"),
    "mediation_success": ("Mediation success", "调解成功率"),
    "follow_ups_done": ("Follow-up visits done", "已回访数"),
    "follow_up_delay_mean": ("Mean follow-up delay [min]", "平均回访延迟（分钟）"),
    "latent_report_delay_mean": ("Mean latent report delay [min]", "隐患平均发现时间（分钟）"),
    "latent_exposure_mean": ("Mean latent exposure [min]", "隐患平均暴露时间（分钟）"),
    "latent_unreported": ("Latent hazards unreported", "未发现隐患数"),
    "workforce.per_grid": ("Workers per grid", "每网格网格员数"),
}
_ARGUMENT = {"grid_worker": ("grid workers", "网格员"), "volunteer": ("volunteers", "志愿者"),
             "mediation": ("mediation", "调解"), "resident": ("resident", "居民"),
             "patrol": ("patrol", "巡查"), "sensor": ("sensor", "感知设备")}
_BRACKETED = re.compile(r"^(?P<base>[^\[]+)\[(?P<arg>.+)\]$")
_SHARES = {"within_deadline", "utilisation", "travel_share", "patrol_share", "escalated_share",
           "response_rate", "resolution_rate", "satisfaction", "channel_share",
           "pool_utilisation", "mediation_success"}


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


def kpi_label(kpi: str, lang: str = "en") -> str:
    """Readable name of a KPI column, e.g. ``within_deadline[red]`` -> 按时办结率（红）."""
    i = check_lang(lang)
    if kpi in _KPI:
        return _KPI[kpi][i]
    m = _BRACKETED.match(kpi)
    if m and m.group("base") in _KPI:
        arg = m.group("arg")
        shown = _TEXT[arg][i] if arg in COLOURS else _ARGUMENT.get(arg, (arg, arg))[i]
        base = _KPI[m.group("base")][i]
        return f"{base}（{shown}）" if lang == "zh" else f"{base} ({shown})"
    return kpi


def is_share(kpi: str) -> bool:
    """Whether a KPI is a share between 0 and 1 (shown as a percentage)."""
    m = _BRACKETED.match(kpi)
    return (m.group("base") if m else kpi) in _SHARES


def ensure_font() -> Path:
    """Register the bundled CJK font with matplotlib (once) and return its path."""
    path = str(FONT_FILE)
    if not any(entry.fname == path for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    return FONT_FILE


def families(lang: str = "en") -> list[str]:
    """Font families for ``lang``, the first one preferred, the next as fallback."""
    check_lang(lang)
    ensure_font()
    return [CJK_FAMILY, LATIN_FAMILY] if lang == "zh" else [LATIN_FAMILY, CJK_FAMILY]


def apply_font(axes: list[Axes], lang: str = "en") -> None:
    """Give every text of these axes (titles, labels, ticks, legends, notes) the
    font families of ``lang``; tick labels drawn later get them too."""
    fams = families(lang)
    for ax in axes:
        ax.tick_params(which="both", labelfontfamily=fams)
        for artist in ax.findobj(Text):
            artist.set_fontfamily(fams)
