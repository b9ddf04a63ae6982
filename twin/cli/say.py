"""What the command line says, in English or Chinese: one catalogue of texts.

Every fixed text the commands print is a key of :data:`MESSAGES`, an (English, Chinese)
pair with the same ``str.format`` fields in both. Problems (mistakes in a scenario or an
option) keep their file, line and key; their message is translated by pattern
(:func:`problem_line`) for the common kinds: a missing key, an unknown key with the
allowed ones, a wrong type, a number out of range, a value outside a fixed set. Other
messages, and lines from library code not listed in :data:`_LINES` or in
:mod:`twin.cli.lines` (calibrate's warnings, map notes, the store's warnings, the problems
of ``--out``, ``--set``, ``--kpi`` and ``--cluster``), stay in English.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from twin.cli.lines import LIBRARY, PROBLEMS
from twin.scenario import Problem

LANGS = ("en", "zh")

MESSAGES: dict[str, tuple[str, str]] = {
    # the frame of problems and warnings
    "problems_one": ("{count} problem found; nothing was run.",
                     "发现 {count} 个问题；未运行任何内容。"),
    "problems_many": ("{count} problems found; nothing was run.",
                      "发现 {count} 个问题；未运行任何内容。"),
    "command_line": ("command line", "命令行"),
    "top_level": ("(top level)", "（顶层）"),
    "warning": ("warning: {text}", "警告：{text}"),
    "note": ("note: {text}", "提示：{text}"),
    "named_warning": ("warning: {name}: {text}", "警告：{name}：{text}"),
    "bad_env_lang": ("must be en or zh (got {got!r})", "必须是 en 或 zh（实际为 {got!r}）"),
    "font_missing": ("characters {chars} are in none of the plot fonts ({fonts}) and show "
                     "as boxes; install a CJK font (e.g. apt install fonts-noto-cjk, or any "
                     "font such as Microsoft YaHei or SimHei), then delete matplotlib's font "
                     "cache (the fontlist-*.json in {cache}) so it finds the font",
                     "字符 {chars} 不在图表所用的任何字体（{fonts}）中，将显示为方框；"
                     "请安装中文字体（如 apt install fonts-noto-cjk，或微软雅黑、黑体等任一"
                     "中文字体），然后删除 matplotlib 的字体缓存（{cache} 中的 "
                     "fontlist-*.json），使其找到新字体"),
    # results
    "report": ("report: {path}", "报告：{path}"),
    "written": ("results written to {path}/", "结果已写入 {path}/"),
    "written_report": ("results written to {path}/ (report: {report})",
                       "结果已写入 {path}/（报告：{report}）"),
    "schema_written": ("schema written to {path}", "模式已写入 {path}"),
    "handled_like": ("handled as in the scenario: {pairs}", "按方案中的类别处理：{pairs}"),
    "like_pair": ("{mine} like {theirs}", "{mine} 按 {theirs}"),
    "comma": (", ", "，"),
    "demand_written": ("demand written to {path}; use it with  extends: [{base}, {path}]",
                       "需求已写入 {path}；使用方式：  extends: [{base}, {path}]"),
    # progress
    "to_precision": ("{name} (to precision)", "{name}（按精度）"),
    "compare": ("compare", "比较"),
    "progress_line": ("{label}: {done}/{total} replications finished ({elapsed})",
                      "{label}：已完成 {done}/{total} 次重复运行（{elapsed}）"),
    "writing": ("{label}: writing results and report to {path}/ ({elapsed})",
                "{label}：正在将结果和报告写入 {path}/（{elapsed}）"),
    # failures
    "rep_failed": ("{name}: replication {rep} failed: {error}{where}",
                   "{name}：第 {rep} 次重复运行失败：{error}{where}"),
    "failed_at": (" (at {file}:{line} in {func})", "（位于 {file}:{line}，{func}）"),
    "unknown_error": ("unknown error", "未知错误"),
    "all_failed": ("every replication failed; nothing was written",
                   "所有重复运行均失败；未写入任何内容"),
    "some_failed_run": ("{failed} of {total} replications failed and are left out; their "
                        "errors are in manifest.json and the report",
                        "{total} 次重复运行中有 {failed} 次失败，已剔除；错误信息见 "
                        "manifest.json 和报告"),
    "all_failed_of": ("every replication of {names} failed; no comparison or report was "
                      "written (finished replications are kept)",
                      "{names} 的所有重复运行均失败；未写入比较结果和报告"
                      "（已完成的重复运行已保留）"),
    "some_failed": ("some replications failed; see each manifest.json",
                    "部分重复运行失败；详见各 manifest.json"),
    "interrupted": ("interrupted: finished replications are kept in {path}; run the same "
                    "command again to resume",
                    "已中断：已完成的重复运行保存在 {path}；再次运行同一命令即可继续"),
    "nothing_to_compare": ("nothing to compare: give two or more scenario files, the first "
                           "being the reference (got {count}); to run one scenario, use "
                           "twin run",
                           "没有可比较的内容：请给出两个或更多方案文件，第一个为参照方案"
                           "（实际为 {count} 个）；运行单个方案请用 twin run"),
    "backlog": ("open issues keep rising (+{slope:.1f} a day after the warm-up): the "
                "community cannot keep up, and its KPIs describe a growing backlog, not a "
                "steady state",
                "未办结问题持续增加（预热期后每天 +{slope:.1f}）：社区处理不过来，"
                "其指标描述的是不断增长的积压，而非稳定状态"),
    # validate
    "valid": ("{file}: ok ({name}: {categories} categories, dispatch {policy})",
              "{file}：通过（{name}：{categories} 个类别，派单策略 {policy}）"),
    "grids_each": ("grids: {grids}", "网格：{grids}"),
    "grid_each": ("{name} ({nodes:,} nodes, {residents:,} residents)",
                  "{name}（{nodes:,} 个节点，{residents:,} 名居民）"),
    "grids_range": ("grids: residents per grid {low:,} to {high:,} (median {mid:,}), {total:,} "
                    "in all; nodes per grid {nlow:,} to {nhigh:,}",
                    "网格：每个网格居民 {low:,} 至 {high:,} 名（中位数 {mid:,}），共 {total:,} 名；"
                    "每个网格节点 {nlow:,} 至 {nhigh:,} 个"),
    "map_staff": ("map: {nodes:,} nodes in {grids} grids; staff: {staff}",
                  "地图：{nodes:,} 个节点，{grids} 个网格；人员：{staff}"),
    "staff_kind": ("{count} {kind}s", "{kind} {count} 名"),
    "stations": ("stations: {text} (each unit's staff dealt to its stations, one queue a "
                 "unit)", "站点：{text}（各单位人员分派到其站点，每个单位一个队列）"),
    "station_count": ("{name} {count}", "{name} {count} 个"),
    "staff_none": ("none", "无"),
    "people": ("people: {text}", "人员：{text}"),
    # tables
    "summary_title": ("{name}: {n} replications, seed {seed}, 95% CI",
                      "{name}：{n} 次重复运行，随机种子 {seed}，95%置信区间"),
    "kpi": ("KPI", "指标"),
    "code": ("KPI", "代码"),
    "unit": ("unit", "单位"),
    "mean": ("mean", "均值"),
    "ci_low": ("95% CI low", "95%置信下限"),
    "ci_high": ("95% CI high", "95%置信上限"),
    "ci": ("95% CI", "95%置信区间"),
    "headline_note": ("(headline KPIs; --all shows every one; all are in summary.json)",
                      "（关键指标；--all 显示全部指标；全部指标见 summary.json）"),
    "families_title": ("KPIs by grid and by unit ({count:,}): one line per family, over the "
                       "grids or units of each KPI's mean; every one is in {files}",
                       "按网格和按单位的指标（{count:,} 个）：每个指标族一行，为各网格或单位均值的"
                       "分布；全部见 {files}"),
    "families_diff_title": ("Differences by grid and by unit ({count:,}): one line per family "
                            "and scenario, over the grids or units of the paired difference; "
                            "every one, with its CI, is in {files}",
                            "按网格和按单位的差值（{count:,} 个）：每个指标族和方案一行，为各网格"
                            "或单位配对差值的分布；全部（含置信区间）见 {files}"),
    "orders_merged": ("(a unit's copies in every grid merged: more than {limit} rows by grid; "
                      "every step is in steps.parquet)",
                      "（各网格的同一单位已合并：按网格超过 {limit} 行；"
                      "每个环节见 steps.parquet）"),
    "over": ("over", "范围"),
    "over_grids": ("{n:,} grids", "{n:,} 个网格"),
    "over_units": ("{n:,} units", "{n:,} 个单位"),
    "over_unit": ("1 unit", "1 个单位"),
    "over_grid": ("1 grid", "1 个网格"),
    "min": ("min", "最小"),
    "median": ("median", "中位数"),
    "max": ("max", "最大"),
    "worst": ("worst", "最差"),
    "versus": ("vs", "对比"),
    "and": (" and ", " 和 "),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "orders_title": ("Work orders: time per step and unit (means over the orders received "
                     "after the warm-up)",
                     "工单：各环节、各单位用时（预热期后受理工单的均值）"),
    "step": ("step", "环节"),
    "wait": ("wait [min]", "等待（分钟）"),
    "travel": ("travel [min]", "路途（分钟）"),
    "handling": ("handling [min]", "处置（分钟）"),
    "per_rep": ("count per replication", "每次重复的数量"),
    "assessment_title": ("Assessment (考核), total; {window}; mean and 95% CI",
                         "考核，合计；{window}；均值与95%置信区间"),
    "figure": ("figure", "考核项"),
    "figure_zh": ("考核指标", "英文名称"),
    "assessment_note": ("(per unit, category and grid: the report's assessment sheet and "
                        "summary.json, e.g. response_rate[unit:NAME])",
                        "（按单位、类别和网格：见报告的考核表和 summary.json，"
                        "例如 response_rate[unit:NAME]）"),
    "people_title": ("People and cost (FTE: working hours a week ÷ 40)",
                     "人员与成本（FTE：每周工作小时 ÷ 40）"),
    "name_zh": ("名称", "英文名称"),
    "verdict_title": ("Verdict against {ref} (reference): change [95% CI] and % change; "
                      "Holm-adjusted over {tests} tests (headline KPIs × scenarios), 5% level",
                      "与参照方案 {ref} 相比的结论：变化 [95%置信区间] 与变化百分比；"
                      "经Holm校正，共 {tests} 项检验（关键指标 × 方案），显著性水平5%"),
    "better": ("better", "优化方向"),
    "lower": ("lower", "越低越好"),
    "higher": ("higher", "越高越好"),
    "verdict:better": ("better", "较优"),
    "verdict:worse": ("worse", "较差"),
    "verdict:differs": ("differs", "有变化"),
    "verdict:no clear difference": ("no clear difference", "无明显差异"),
    "letter": ("{letter} = {name}", "{letter} = {name}"),
    "reference": ("  (reference)", "（参照方案）"),
    "comparison_title": ("mean ± 95% CI half-width; differences paired on common random "
                         "numbers; * = a clear difference after the Holm adjustment (as in "
                         "the verdict), (*) = the CI excludes 0 before adjustment only",
                         "均值 ± 95%置信区间半宽；差值按共同随机数配对；* = 经Holm校正后差异明显"
                         "（同结论），(*) = 仅未校正时置信区间不含0"),
    "sweep": ("sweep", "扫描"),
    "sweep_title": ("sweep: mean per point (95% CIs in summary.csv)",
                    "扫描：各点均值（95%置信区间见 summary.csv）"),
    "point": ("point", "点"),
    "collapsed": ("collapsed", "崩溃"),
    "collapsed_point": ("{label}: collapsed: {reason}: the community cannot keep up, and "
                        "its KPIs describe a growing backlog, not a steady state",
                        "{label}：崩溃：{reason}：社区已无法应对，其指标描述的是不断增长的积压，"
                        "而非稳态"),
    "even_ci": ("95% CI {low} to {high}, n={n}, crossed in {crossed} of resamples",
                "95%置信区间 {low} 至 {high}，n={n}，{crossed} 的重抽样中越过零点"),
    "even_none": ("no break-even (no paired differences)", "无平衡点（没有配对差值）"),
    "even_outside": ("no break-even for {varied} in {lo} to {hi} ({ci})",
                     "{varied} 在 {lo} 至 {hi} 之间没有平衡点（{ci}）"),
    "even_whole": (": {better} does better over the whole range", "：{better} 在整个范围内较优"),
    "even_at": ("break-even at {varied} = {value} ({ci})", "平衡点在 {varied} = {value}（{ci}）"),
    "even_sides": ("; below it {below} does better, above it {above}",
                   "；低于此值 {below} 较优，高于此值 {above} 较优"),
    "settings_title": ("Settings that differ", "不同的设置"),
    "settings_same": ("Every listed setting is the same in every scenario (see the report "
                      "for all of them).", "所列设置在各方案中相同（全部设置见报告）。"),
    "setting": ("setting", "设置"),
    "replications_setting": ("replications", "重复次数"),
}
"""Every fixed text of the command line: key -> (English, Chinese)."""

UNITS: dict[str, str] = {
    "min": "分钟", "issues": "件", "orders": "单", "disputes": "件", "complaints": "件",
    "regrades": "次", "sessions": "场", "steps": "步", "yuan": "元", "FTE": "FTE",
    "hours/day": "小时/天", "per 100 issues": "每百件", "%": "%",
}
"""Chinese names of the KPI catalogue's units."""


def check(lang: str) -> int:
    """Index of ``lang`` in :data:`LANGS` (ValueError for another)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    return LANGS.index(lang)


def say(key: str, lang: str = "en", **fields: object) -> str:
    """The text ``key`` in ``lang`` with its fields filled in."""
    return MESSAGES[key][check(lang)].format(**fields)


def unit_name(unit: str, lang: str = "en") -> str:
    """A catalogue unit as shown."""
    return UNITS.get(unit, unit) if lang == "zh" else unit


def _got(m: re.Match[str]) -> str:
    return f"（实际为 {m['got']}）" if m["got"] is not None else ""


_GOT = r"(?: \(got (?P<got>.*)\))?$"
_OPS = {">=": "必须 ≥", ">": "必须 >", "<=": "必须 ≤", "<": "必须 <"}
_TYPES = {"a whole number": "整数", "a number": "数字", "true or false": "true 或 false",
          "text": "文本", "a list": "列表", "a mapping of keys": "键值映射",
          "a finite number, not infinity or NaN": "有限数，不能是无穷大或 NaN"}
_PROBLEMS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^required key is missing$"), lambda m: "缺少必需的键"),
    (re.compile(r"^unknown key; (?:did you mean '(?P<hint>[^']*)'\? )?allowed: (?P<keys>.*)$"),
     lambda m: "未知的键；" + (f"是否想写 '{m['hint']}'？" if m["hint"] else "")
     + f"允许的键：{m['keys']}"),
    (re.compile(r"^must be (?P<op>>=|>|<=|<) (?P<n>\S+)" + _GOT),
     lambda m: f"{_OPS[m['op']]} {m['n']}{_got(m)}"),
    (re.compile(r"^must be between (?P<a>\S+) and (?P<b>\S+)" + _GOT),
     lambda m: f"必须在 {m['a']} 和 {m['b']} 之间{_got(m)}"),
    (re.compile(r"^must be one of: (?P<choices>.*?)" + _GOT),
     lambda m: f"必须是以下之一：{m['choices']}{_got(m)}"),
    (re.compile(r"^must be en or zh" + _GOT), lambda m: f"必须是 en 或 zh{_got(m)}"),
    (re.compile(r"^must be (?P<type>" + "|".join(map(re.escape, _TYPES)) + ")" + _GOT),
     lambda m: f"必须是{_TYPES[m['type']]}{_got(m)}"),
    (re.compile(r"^must have at (?P<end>least|most) (?P<n>\d+) item\(s\)" + _GOT),
     lambda m: f"至{'少' if m['end'] == 'least' else '多'}需要 {m['n']} 项{_got(m)}"),
    (re.compile(r"^must not be empty$"), lambda m: "不能为空"),
]
"""The kinds of problem messages that are translated (pattern -> Chinese)."""

_POST = re.compile(r"(?P<pool>\S+) (?P<n>\S+) \((?P<h>\S+) h a week, days up to (?P<d>\S+) h\)")
_LINES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^(?P<pool>.+?): (?P<n>\d+) of (?P<all>\d+) persons over the "
                r"Labour Law's (?P<week>\S+) hours a week on average; (?P<who>.+) works "
                r"(?P<h>\S+) h a week \(week (?P<wk>\d+): (?P<max>\S+) h\)$"),
     lambda m: f"{m['pool']}：{m['all']} 人中有 {m['n']} 人平均每周超过《劳动法》规定的 "
     f"{m['week']} 小时；{m['who']} 每周工作 {m['h']} 小时（第 {m['wk']} 周：{m['max']} 小时）"),
    (re.compile(r"^pools on shifts are posts, not people; at (?P<std>\S+) h a week each post "
                r"needs: (?P<parts>.+)\. Give a pool a rota to plan people and check their "
                r"hours against the Labour Law$"),
     lambda m: f"按班次排班的人员池是岗位而非人员；按每周 {m['std']} 小时计，每个岗位需要："
     + _POST.sub(lambda p: f"{p['pool']} {p['n']} 人（每周 {p['h']} 小时，每天最长 {p['d']} "
                 "小时）", m["parts"]).replace("; ", "；")
     + "。请为人员池设置轮班表（rota），以规划人员并按《劳动法》核对工时"),
    (re.compile(r"^(?P<pool>.+?): (?P<n>\S+) (?P<what>posts|people), (?P<h>\S+) h a week"
                r"(?: \+ (?P<duty>\S+) h on duty turns)?, (?P<fte>\S+) FTE"
                r"(?:, (?P<cost>\S+) yuan a day)?$"),
     lambda m: f"{m['pool']}：{m['n']} {'个岗位' if m['what'] == 'posts' else '人'}，每周 "
     f"{m['h']} 小时" + (f" + 值班 {m['duty']} 小时" if m["duty"] else "")
     + f"，{m['fte']} 个全职当量" + (f"，每天 {m['cost']} 元" if m["cost"] else "")),
    (re.compile(r"^the run is shorter than a week: weekly hours are not checked against "
                r"the Labour Law's (?P<week>\S+) hours; run 7 days or more to check them$"),
     lambda m: f"运行不足一周：每周工时未按《劳动法》规定的 {m['week']} 小时核对；"
     "运行 7 天或以上才能核对"),
    (re.compile(r"^(?P<pool>.+?): (?P<n>\d+) of (?P<all>\d+) work more than the Labour "
                r"Law's (?P<day>\S+) hours a day; (?P<who>.+): (?P<h>\S+) h$"),
     lambda m: f"{m['pool']}：{m['all']} 人中有 {m['n']} 人每天工作超过《劳动法》规定的 "
     f"{m['day']} 小时；{m['who']}：{m['h']} 小时"),
]
"""Lines built by library code that are translated (pattern -> Chinese)."""
_LINES.append((  # why a sweep's point collapsed (twin.sweep.collapse_reasons)
    re.compile(r"^(?:open issues keep rising \(\+(?P<slope>\S+) a day after the warm-up\))?"
               r"(?:; )?(?:utilisation (?P<busy>\S+))?$"),
    lambda m: "；".join(
        ([f"未办结问题持续增加（预热期后每天 +{m['slope']}）"] if m["slope"] else [])
        + ([f"利用率 {m['busy']}"] if m["busy"] else []))))
_LINES.append((
    re.compile(r"^size: about (?P<n>\S+) issues(?: and (?P<c>\S+) repeat complaints)? per "
               r"replication; roughly (?P<mem>\S+ [MG]B) for (?P<r>\d+) replication\(s\) "
               r"with (?P<j>\d+) job\(s\)(?: \((?P<av>\S+ [MG]B) available\))?"
               r"(?P<nofit>; this run will probably not fit.*)?$"),
    lambda m: f"规模：每次重复约 {m['n']} 件问题" + (f"、{m['c']} 次重复诉求" if m["c"] else "")
    + f"；{m['r']} 次重复、{m['j']} 个进程约需 {m['mem']}"
    + (f"（可用 {m['av']}）" if m["av"] else "")
    + ("；这次运行很可能内存不足：请缩短 run.horizon_days、降低发生率或减少重复次数"
       if m["nofit"] else "")))
_LINES.append((
    re.compile(r"^warm-up (?P<d>\S+) d looks (?P<v>too short|long enough): (?P<how>MSER-5 on "
               r"hourly counts|MSER on daily means) on the open-issue count suggests "
               r"(?P<r>\S+) d(?P<late>, the latest it can judge.*)?$"),
    lambda m: f"预热期 {m['d']} 天{'似乎太短' if m['v'] == 'too short' else '看来足够'}："
    f"按未办结问题数的{'每小时计数 MSER-5' if m['how'].startswith('MSER-5') else '每日均值 MSER'}"
    f"，建议 {m['r']} 天"
    + ("，这已是它能判断的最晚时点（运行时长的一半）：未办结数尚未稳定，请延长运行" if m["late"]
       else "")))


def _translate(text: str, table: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]]
               ) -> str:
    for pattern, chinese in table:
        found = pattern.match(text)
        if found:
            return chinese(found)
    return text


def message(text: str, lang: str = "en") -> str:
    """A problem's message in ``lang``: translated when its kind is known, else as it is."""
    return _translate(text, _PROBLEMS + PROBLEMS) if lang == "zh" else text


def line(text: str, lang: str = "en") -> str:
    """A line of library output (a Labour Law hours warning ...) in ``lang`` when known."""
    return _translate(text, _LINES + LIBRARY) if lang == "zh" else text


def problem_line(problem: Problem, lang: str = "en") -> str:
    """One problem as ``file:line: key: message``, the frame and message in ``lang``."""
    source = say("command_line", lang) if problem.source == "command line" else problem.source
    where = f"{source}:{problem.line}" if problem.line is not None else source
    # the location keeps its ASCII colons in Chinese too, so editors can jump to it
    return f"{where}: {problem.path or say('top_level', lang)}: {message(problem.message, lang)}"


def problems_found(count: int, lang: str = "en") -> str:
    """The closing line of a list of problems."""
    return say("problems_one" if count == 1 else "problems_many", lang, count=count)
