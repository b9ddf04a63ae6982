"""Fit diagnostics as rich tables: rates with intervals, profiles, colours, on-site times.

Nothing here prints; the command line decides where the tables go. Titles, headers and
fixed words are in English or Chinese (``lang``), from :data:`TEXTS`; names, numbers and
the fitted families' names stay as written.
"""

from __future__ import annotations

import math
import re

import numpy as np
from rich.markup import escape
from rich.table import Table

from twin.calibrate.events import EventScan
from twin.calibrate.model import Calibration
from twin.calibrate.rates import FitTest, Profile
from twin.calibrate.tickets import format_time
from twin.scenario.schema import COLOURS

BARS = "▁▂▃▄▅▆▇█"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

TEXTS: dict[str, tuple[str, str]] = {
    "summary": ("{source} (read as {encoding}): {n} tickets of {rows}{left}; window {start} to "
                "{end} ({days:.2f} days, {weeks:.2f} weeks){gaps}; {grids}; {cats} categories",
                "{source}（按 {encoding} 读取）：{rows} 行中 {n} 张工单{left}；观测窗口 {start} 至 "
                "{end}（{days:.2f} 天，{weeks:.2f} 周）{gaps}；{grids}；{cats} 个类别"),
    "outside": ("; {n} outside the window left out", "，窗口外的 {n} 张未计入"),
    "gaps": ("; declared gaps without records: {gaps}", "；声明的缺记录时段：{gaps}"),
    "grids": ("{n} grids", "{n} 个网格"),
    "grids_from": ("{n} grids from {source}", "{n} 个网格，来自 {source}"),
    "rate_title": ("Average rate per hour over the week, 95% exact Poisson CI",
                   "一周平均每小时发生率，95%精确泊松置信区间"),
    "grid": ("grid", "网格"),
    "grids_equal": ("grids equal: p", "各网格相同：p"),
    "residents": ("∝ residents: p", "与居民数成比例：p"),
    "written": ("written", "写入值"),
    "per_grid": ("/grid", "/网格"),
    "per_1000": ("/1,000 res.", "/千名居民"),
    "profile_title": ("Profiles (mean 1) and chi-square goodness of fit of hour-of-day counts",
                      "时间分布（均值为 1）与各钟点计数的卡方拟合优度检验"),
    "category": ("category", "类别"),
    "profile": ("profile", "分布"),
    "hours": ("hour 0–23", "钟点 0–23"),
    "days": ("Mon–Sun", "周一至周日"),
    "peak": ("peak", "高峰"),
    "hour_grid": ("hour × grid", "钟点 × 网格"),
    "hour_day": ("hour × weekday", "钟点 × 星期"),
    "all_pooled": ("(all pooled)", "（全部合并）"),
    "fitted": ("fitted", "拟合"),
    "own": ("own", "自有"),
    "pooled": ("pooled", "合并"),
    "exact": ("exact by construction", "按构造精确"),
    "too_few": ("no test: too few tickets", "未检验：工单太少"),
    "left_out": (" ({n} rows < 5 expected left out)", "（期望值 < 5 的 {n} 行未计入）"),
    "colour_title": ("Colour mix of graded tickets, for a dispute block: share (count, 95% CI of "
                     "the observed share)",
                     "已分级工单的颜色构成，供纠纷调解使用：占比（数量，观测占比的95%置信区间）"),
    "service_title": ("On-site time [min]: maximum-likelihood fits, chosen by AIC",
                      "现场处置时间（分钟）：最大似然拟合，按 AIC 选择"),
    "chosen": ("chosen", "选用"),
    "mean": ("mean", "均值"),
    "aic": ("AIC {family}", "AIC {family}"),
    "why": ("why", "理由"),
    "events_how": ("exact two-sided tests per date and category, Benjamini-Hochberg at "
                   "{alpha:.0%} over {tests} tests on {dates} dates",
                   "按日期和类别的精确双侧检验，Benjamini-Hochberg 校正，水平 {alpha:.0%}，"
                   "共 {dates} 个日期的 {tests} 项检验"),
    "events_none": ("Candidate events: none found ({how})", "候选事件：未发现（{how}）"),
    "events_title": ("Candidate events ({how}); commented out in the file written",
                     "候选事件（{how}）；在写入的文件中以注释形式给出"),
    "dates": ("dates", "日期"),
    "n_days": ("days", "天数"),
    "kind": ("kind", "类型"),
    "observed": ("observed", "观测"),
    "expected": ("expected", "期望"),
    "ratio": ("ratio ({level} CI)", "比值（{level}置信区间）"),
    "multiplier": ("multiplier", "系数"),
    "categories": ("categories", "类别"),
    "all": ("(all)", "（全部）"),
    "date_span": ("{start} to {end}", "{start} 至 {end}"),
    "surge": ("surge", "激增"),
    "dip": ("dip", "骤减"),
    "green": ("green", "绿色"),
    "yellow": ("yellow", "黄色"),
    "red": ("red", "红色"),
}
"""Every fixed text of the tables: key -> (English, Chinese)."""

_REASONS = (
    (re.compile(r"^lowest AIC$"), "AIC 最低"),
    (re.compile(r"^fewer than (\d+) times: resampled$"), r"少于 \1 个时间：按样本重抽"),
    (re.compile(r"^every time the same: a fixed time$"), "所有时间相同：固定时间"),
    (re.compile(r"^no family could be fitted: resampled$"), "没有分布族能拟合：按样本重抽"),
    (re.compile(r"^no handling times: kept from (.+)$"), r"没有处置时间：沿用 \1 中的设定"),
)
"""Why an on-site time was chosen (twin.calibrate.mix, model), in Chinese."""


def text(key: str, lang: str = "en", **fields: object) -> str:
    """The table text ``key`` in ``lang`` (en or zh) with its fields filled in."""
    return TEXTS[key][1 if lang == "zh" else 0].format(**fields)


def _reason(why: str, lang: str) -> str:
    if lang == "zh":
        for pattern, chinese in _REASONS:
            if pattern.match(why):
                return pattern.sub(chinese, why)
    return why


def sparkline(values: np.ndarray) -> str:
    """One block character per value, scaled to the largest."""
    top = float(np.max(values)) if len(values) else 0.0
    if top <= 0:
        return BARS[0] * len(values)
    return "".join(BARS[min(len(BARS) - 1, int(v / top * (len(BARS) - 1) + 0.5))]
                   for v in values)


def _num(x: float) -> str:
    if not math.isfinite(x):
        return "-"
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def _p(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:.3f}" if x >= 0.001 else "<0.001"


def _test(test: FitTest, lang: str = "en") -> str:
    left = text("left_out", lang, n=test.rows_left_out) if test.rows_left_out else ""
    if test.df <= 0:
        # one bin (or none) means too few tickets, not a perfect fit
        return text("exact" if test.bins > 1 else "too_few", lang) + left
    return f"X²={test.statistic:.1f} df={test.df} p={_p(test.p_value)}{left}"


def summary(cal: Calibration, lang: str = "en") -> str:
    """One paragraph: the file, the window and the counts."""
    t = cal.tickets
    days = (t.end - t.start) / 24.0
    left = text("outside", lang, n=t.outside) if t.outside else ""
    grids = (text("grids_from", lang, n=len(t.grids), source=t.grids_source) if t.grids_source
             else text("grids", lang, n=len(t.grids)))
    gaps = text("gaps", lang, gaps=t.gaps.describe()) if t.gaps else ""
    return text("summary", lang, source=t.source, encoding=t.encoding, n=len(t), rows=t.rows,
                left=left, start=format_time(t.start), end=format_time(t.end), days=days,
                weeks=days / 7, gaps=gaps, grids=grids, cats=len(t.categories))


def rate_table(cal: Calibration, lang: str = "en") -> Table:
    """Average rate per grid and category over the week, with 95% exact intervals."""
    table = Table(title=text("rate_title", lang), title_justify="left")
    table.add_column(text("grid", lang))
    for fit in cal.categories:
        table.add_column(escape(fit.name), justify="right")
    for g, name in enumerate(cal.tickets.grids):
        cells = [f"{_num(f.rates[g])} ({_num(f.rate_ci[g, 0])}–{_num(f.rate_ci[g, 1])})"
                 f" n={int(f.by_grid[g])}" for f in cal.categories]
        table.add_row(escape(name), *cells)
    table.add_section()
    table.add_row(text("grids_equal", lang), *[_p(f.p_equal) for f in cal.categories])
    if cal.tickets.residents is not None:
        table.add_row(text("residents", lang), *[_p(f.p_residents) for f in cal.categories])
    written = []
    for f in cal.categories:
        unit = text("per_grid" if f.form == "rate_per_hour" else "per_1000", lang)
        low, high = f.value_ci
        written.append(f"{_num(f.value)}{unit} ({_num(low)}–{_num(high)})")
    table.add_row(text("written", lang), *written)
    return table


def profile_table(cal: Calibration, lang: str = "en") -> Table:
    """Hour and weekday multipliers as sparklines, with goodness-of-fit tests."""
    table = Table(title=text("profile_title", lang), title_justify="left")
    for col in ("category", "profile", "hours", "days", "peak", "hour_grid", "hour_day"):
        table.add_column(text(col, lang))
    rows: list[tuple[str, Profile, str, FitTest | None, FitTest | None]] = [
        (text("all_pooled", lang), cal.pooled, text("fitted", lang), None, None)]
    rows += [(f.name, f.profile, text("own" if f.own_profile else "pooled", lang),
              f.hour_by_grid, f.hour_by_day) for f in cal.categories]
    for name, profile, kind, by_grid, by_day in rows:
        peak = int(np.argmax(profile.hour))
        table.add_row(escape(name), kind, sparkline(profile.hour), sparkline(profile.day),
                      f"{peak:02d}:00 ×{profile.hour[peak]:.2f}",
                      _test(by_grid, lang) if by_grid else "",
                      _test(by_day, lang) if by_day else "")
    return table


def colour_table(cal: Calibration, lang: str = "en") -> Table | None:
    """Colour shares of the categories with graded tickets (written as a comment, for a
    dispute block), with counts and 95% Clopper-Pearson intervals of the raw share; None
    if no ticket is graded."""
    graded = [f for f in cal.categories
              if f.colours is not None and sum(f.colours.counts.values()) > 0]
    if not cal.tickets.has_colour or not graded:
        return None
    table = Table(title=text("colour_title", lang), title_justify="left")
    table.add_column(text("category", lang))
    for colour in COLOURS:
        table.add_column(text(colour, lang), justify="right")
    for f in graded:
        mix = f.colours
        assert mix is not None
        cells = []
        for colour in COLOURS:
            if colour not in mix.shares:
                cells.append("-")
                continue
            low, high = mix.ci[colour]
            cells.append(f"{mix.shares[colour]:.3f} (n={mix.counts[colour]}, "
                         f"{low:.3f}–{high:.3f})")
        table.add_row(escape(f.name), *cells)
    return table


def service_table(cal: Calibration, lang: str = "en") -> Table:
    """The on-site time distribution chosen per category and the AIC of each family."""
    table = Table(title=escape(text("service_title", lang)), title_justify="left")
    for col in ("category", "n", "chosen", "mean", "sd", "exponential", "lognormal", "gamma",
                "why"):
        head = (text(col, lang) if col in TEXTS else
                text("aic", lang, family=col) if col not in ("n", "sd") else col)
        table.add_column(head, justify="left" if col in ("category", "chosen", "why")
                         else "right")
    for f in cal.categories:
        spec = f.service.spec
        values = np.asarray(spec.get("values", []), dtype=float)
        mean = spec.get("mean", spec.get("value", float(values.mean()) if len(values) else
                                         math.nan))
        sd = spec.get("sd", math.nan)
        aic = f.service.aic
        table.add_row(escape(f.name), str(f.service.n), str(spec.get("distribution", "-")),
                      _num(float(mean)), _num(float(sd)),
                      *[_num(aic.get(k, math.nan)) for k in ("exponential", "lognormal",
                                                             "gamma")],
                      escape(_reason(f.service.reason, lang)))
    return table


def event_table(scan: EventScan, lang: str = "en") -> Table | str:
    """Candidate events (dates the model cannot explain), or one line saying none."""
    how = text("events_how", lang, alpha=scan.alpha, tests=scan.tests, dates=scan.dates)
    if not scan.events:
        return text("events_none", lang, how=how)
    level = f"{1 - scan.alpha:.0%}"
    table = Table(title=escape(text("events_title", lang, how=how)), title_justify="left")
    for col in ("dates", "n_days", "kind", "observed", "expected", "ratio", "multiplier",
                "categories", "p"):
        table.add_column(text(col, lang, level=level) if col in TEXTS else col,
                         justify="right" if col in ("n_days", "observed", "expected",
                                                    "multiplier", "p") else "left")
    for e in scan.events:
        low, high = e.ratio_ci
        dates = str(e.start) if e.days == 1 else text("date_span", lang, start=e.start,
                                                          end=e.end)
        kind = text(e.direction, lang) if e.direction in TEXTS else e.direction
        table.add_row(dates, str(e.days), kind, str(e.observed), _num(e.expected),
                      f"{_num(e.ratio)} ({_num(low)}–{_num(high)})", f"{e.multiplier:g}",
                      escape(", ".join(e.categories) if e.categories else text("all", lang)),
                      _p(e.p_value))
    return table


def warnings_of(cal: Calibration) -> list[str]:
    """Every warning's text (English), file-wide first."""
    return [*cal.warnings, *[w for f in cal.categories for w in f.warnings]]
