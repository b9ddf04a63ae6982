"""Library sentences in Chinese, by pattern: calibrate's warnings, map notes, the precision
line, the resume store's warnings, and the problems of ``--out``, ``--set``, ``--kpi`` and
``--cluster`` (and of ``calibrate``'s ``--out``, ``--start`` and ``--end``).

These sentences are written in English by library modules below the command line (the
calibration, the map, the store ...), which keep them English for files and logs; the
command line translates them here when it shows them in Chinese. Each entry is a pattern
matching one English sentence exactly and a function building its Chinese. A sentence
that matches no pattern is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Table = list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]]


def _opt(text: str | None, fmt: str) -> str:
    """``fmt`` with ``text`` in it, or nothing when the part is absent."""
    return fmt.format(text) if text else ""


_NODE = re.compile(r"node ('(?:[^'\\]|\\.)*')(?: at (\[[^\]]*\]))?")


def _nodes(shown: str) -> str:
    """Map node examples (``node '3-4' at [400, 300]``) in Chinese."""
    return _NODE.sub(lambda m: f"节点 {m[1]}" + _opt(m[2], " 位于 {}"), shown)


_STRETCH = re.compile(r"(?P<a>\S+) to (?P<b>\S+) \((?P<d>\S+) days\)")
_FAR = re.compile(r"^(?P<n>[\d,]+) tickets? (?:lie|lies) more than (?P<d>\S+) days from the "
                  r"others \((?P<a>\S+) to (?P<b>\S+)\): (?P<rows>.*?)"
                  r"(?: and (?P<more>[\d,]+) more)?$")


def _coverage_part(part: str) -> str:
    """One part of the coverage warning: far tickets, or the stretches without any."""
    far = _FAR.match(part)
    if far:
        return (f"{far['n']} 张工单距其余工单（{far['a']} 至 {far['b']}）超过 {far['d']} 天："
                f"{far['rows']}" + _opt(far["more"], "，另有 {} 张"))
    if part.startswith("no tickets from "):
        spans = part.removeprefix("no tickets from ").split(", from ")
        return "以下时段没有工单：" + "，".join(
            _STRETCH.sub(lambda m: f"{m['a']} 至 {m['b']}（{m['d']} 天）", s) for s in spans)
    return part


def _like_hint(m: re.Match[str]) -> str:
    return f"--like {m['mine']}=<{m['choices']} 之一>"


CALIBRATE: Table = [
    (re.compile(r"^the window \((?P<days>\S+) days\) has long stretches without tickets; its "
                r"densest part covers (?P<share>\S+) of it: (?P<parts>.*)\. Rates are averaged "
                r"over the whole window, so they come out too low: (?P<rows>check these rows, "
                r"or )?(?:if the log does not cover all of the window, )?calibrate on the dense "
                r"part with (?P<opts>--start \S+ --end \S+)$"),
     lambda m: f"观测窗口（{m['days']} 天）中有很长的时段没有工单；最密集的部分只占其中的 "
     f"{m['share']}：" + "；".join(_coverage_part(p) for p in m["parts"].split("; "))
     + "。发生率按整个窗口平均，因而会偏低："
     + ("请检查这些行，或" if m["rows"] else "如果记录没有覆盖整个窗口，请")
     + f"用 {m['opts']} 只标定密集的部分"),
    (re.compile(r"^(?P<what>categories|grids) (?P<shown>.*) differ only in spaces around them "
                r"and are kept apart \(names are used exactly as written\)$"),
     lambda m: f"{'类别' if m['what'] == 'categories' else '网格'} {m['shown']} "
     "只是前后空格不同，仍按不同名称处理（名称按原样使用）"),
    (re.compile(r"^the window covers (?P<d>\d+) of 7 weekdays and (?P<h>\d+) of 24 clock hours"
                r"(?: \(declared gaps: (?P<gaps>.*)\))?; the others get multiplier 1$"),
     lambda m: f"观测窗口覆盖了一周 7 天中的 {m['d']} 天和一天 24 个钟点中的 {m['h']} 个"
     + _opt(m["gaps"], "（声明的缺记录时段：{}）") + "；其余的系数取 1"),
    (re.compile(r"^only (?P<n>\d+) tickets in all \(fewer than --min-count (?P<min>\d+)\): "
                r"the pooled profile is rough$"),
     lambda m: f"总共只有 {m['n']} 张工单（少于 --min-count {m['min']}）：合并后的时间分布较粗略"),
    (re.compile(r"^(?P<name>.+?): grid rates differ \(p = (?P<p>\S+)\) and are not in proportion "
                r"to residents either \(p = (?P<q>\S+)\); twin has no per-grid rate, so the "
                r"per-1,000-resident rate is an approximation\. Per-grid rates \[1/h\]: "
                r"(?P<rates>.*)$"),
     lambda m: f"{m['name']}：各网格的发生率不同（p = {m['p']}），也不与居民数成比例"
     f"（p = {m['q']}）；twin 没有按网格区分的发生率，因此每千名居民发生率只是近似。"
     f"各网格发生率［每小时］：{m['rates']}"),
    (re.compile(r"^(?P<name>.+?): grid rates differ \(p = (?P<p>\S+)\) but twin's rate_per_hour "
                r"is shared by all grids, so the mean is written(?P<res> \(--grids-from would "
                r"give residents for a per-1,000-resident rate\))?\. Per-grid rates \[1/h\]: "
                r"(?P<rates>.*)$"),
     lambda m: f"{m['name']}：各网格的发生率不同（p = {m['p']}），但 twin 的 rate_per_hour "
     "由所有网格共用，因此写入的是均值"
     + ("（用 --grids-from 给出居民数，即可写入每千名居民发生率）" if m["res"] else "")
     + f"。各网格发生率［每小时］：{m['rates']}"),
    (re.compile(r"^(?P<name>.+?): (?P<n>\d+) tickets \(< --min-count (?P<min>\d+)\): uses the "
                r"hour and weekday profile of all categories pooled$"),
     lambda m: f"{m['name']}：{m['n']} 张工单（< --min-count {m['min']}）：使用所有类别合并后的"
     "钟点与星期分布"),
    (re.compile(r"^the scenario's categories (?P<lost>.+?) match no ticket category, and ticket "
                r"categories (?P<bare>.+?) match no scenario category: the calibrated demand "
                r"drops the former and handles each of the latter as one grid-worker visit\. "
                r"Say which scenario category each ticket category is like: --like "
                r"(?P<mine>[^=]+)=<one of (?P<choices>.*)>$"),
     lambda m: f"方案中的类别 {_handling(m['lost'])} 没有对应的工单类别，工单类别 {m['bare']} "
     "也没有对应的方案类别：标定的需求去掉前者，并把后者每件都当作一次网格员上门处理。"
     f"请说明每个工单类别按哪个方案类别处理：{_like_hint(m)}"),
    (re.compile(r"^ticket categories (?P<bare>.+) match no scenario category: each is handled "
                r"as one grid-worker visit \(name the scenario category each is like with "
                r"--like TICKETS=SCENARIO\)$"),
     lambda m: f"工单类别 {m['bare']} 没有对应的方案类别：每件都当作一次网格员上门处理（请用 "
     "--like 工单类别=方案类别 说明每个工单类别按哪个方案类别处理）"),
    (re.compile(r"^the scenario's categories (?P<lost>.+) have no tickets, so the calibrated "
                r"demand drops them$"),
     lambda m: f"方案中的类别 {_handling(m['lost'])} 没有工单，标定的需求中不再有这些类别"),
]
"""``twin calibrate``'s warnings (twin.calibrate: model, tickets, window, carry)."""


def _handling(lost: str) -> str:
    return (lost.replace(" (a work-order flow)", "（工单流程）")
            .replace(" (a dispute block)", "（纠纷调解）").replace(", ", "，"))


LIBRARY: Table = [
    *CALIBRATE,
    (re.compile(r"^precision (?P<rel>\S+) on (?P<kpi>\S+) (?P<v>reached|NOT reached \(maximum "
                r"hit\)) with (?P<n>\d+) replications \(worst relative half-width "
                r"(?P<w>\S+)\)$"),
     lambda m: f"{m['kpi']} 的精度目标 {m['rel']} "
     + ("已达到" if m["v"] == "reached" else "未达到（已到最大重复次数）")
     + f"，共 {m['n']} 次重复运行（最差的相对半宽 {m['w']}）"),
    (re.compile(r"^map has (?P<parts>\d+) disconnected parts; kept the largest \((?P<k>\d+) of "
                r"(?P<n>\d+) nodes\)$"),
     lambda m: f"地图有 {m['parts']} 个互不连通的部分；保留了最大的部分"
     f"（{m['n']} 个节点中的 {m['k']} 个）"),
    (re.compile(r"^(?P<k>[\d,]+) map nodes? \((?P<shown>.*)\) lies? inside no grid boundary; "
                r"joined to the grid whose boundary is nearest$"),
     lambda m: f"{m['k']} 个地图节点（{_nodes(m['shown'])}）不在任何网格边界内；"
     "已并入边界最近的网格"),
    (re.compile(r"^no feature of (?P<f>.+) has the property (?P<p>.+) \(grids\.residents_property; "
                r"their properties: (?P<have>.+)\): every grid gets grids\.residents "
                r"\((?P<n>[\d,]+)\) unless grids\.items gives its own$"),
     lambda m: f"{m['f']} 中没有要素带有属性 {m['p']}（grids.residents_property；它们的属性："
     f"{m['have']}）：除非 grids.items 另行给出，每个网格的居民数都取 grids.residents"
     f"（{m['n']}）"),
    # the resume store (twin.store)
    (re.compile(r"^pyarrow (?P<v>\S+) can run code from Parquet files; stored replications in "
                r"(?P<root>.+) are not used \(install pyarrow >= 14\.0\.1\)$"),
     lambda m: f"pyarrow {m['v']} 可能执行 Parquet 文件中的代码；不使用 {m['root']} 中保存的"
     "重复运行（请安装 pyarrow >= 14.0.1）"),
    (re.compile(r"^ignored the stored replications in (?P<f>.+): it is a link, not a folder; "
                r"nothing is loaded from or saved to it$"),
     lambda m: f"已忽略 {m['f']} 中保存的重复运行：它是链接而非文件夹；不从中读取，也不向其保存"),
    (re.compile(r"^ignored (?P<n>\d+) old or foreign entries in (?P<f>.+) \(e\.g\. (?P<eg>.+)\); "
                r"they are never loaded \(delete them to silence this\)$"),
     lambda m: f"已忽略 {m['f']} 中 {m['n']} 个旧的或外来的条目（例如 {m['eg']}）；"
     "它们不会被读取（删除它们即不再提示）"),
    (re.compile(r"^ignored a damaged stored replication (?P<e>.+) \((?P<why>.*)\); it is "
                r"recomputed$"),
     lambda m: f"已忽略损坏的已存重复运行 {m['e']}（"
     + re.sub(r"^(?:cannot read it|unreadable): ", "无法读取：", m["why"]) + "）；将重新计算"),
]
"""Lines of library code shown on the terminal (warnings, notes, the precision line)."""

_ADDRESS = "expected an address like tcp://127.0.0.1:8786"

PROBLEMS: Table = [
    # --out (twin.outdir)
    (re.compile(r"^(?P<p>.+) exists and is not a folder$"),
     lambda m: f"{m['p']} 已存在，且不是文件夹"),
    (re.compile(r"^(?P<p>.+) is a file, not a folder$"), lambda m: f"{m['p']} 是文件，不是文件夹"),
    (re.compile(r"^(?P<p>.+) is a folder that twin did not write \(it holds (?P<names>.*)\); "
                r"choose another --out, or pass --force to write twin's files into it "
                r"\(nothing else is deleted\)$"),
     lambda m: f"{m['p']} 是一个不由 twin 写入的文件夹（其中有 {m['names']}）；请另选 --out，"
     "或加 --force 把 twin 的文件写入其中（不删除其他任何文件）"),
    (re.compile(r"^(?P<p>.+) cannot be used \((?P<why>.*)\)$"),
     lambda m: f"{m['p']} 无法使用（{m['why']}）"),
    # calibrate's --out, --start and --end (twin/cli/calibrate.py)
    (re.compile(r"^(?P<p>.+) is a folder; give a file name$"),
     lambda m: f"{m['p']} 是文件夹；请给出文件名"),
    (re.compile(r"^folder (?P<p>.+) does not exist$"), lambda m: f"文件夹 {m['p']} 不存在"),
    (re.compile(r"^(?P<p>.+) is (?P<what>the tickets file|the --grids-from scenario|a base of "
                r"the --grids-from scenario \(extended by (?P<by>.+)\)); choose another file$"),
     lambda m: f"{m['p']} 是" + ("工单文件" if m["what"] == "the tickets file" else
                                 " --grids-from 的方案文件" if m["by"] is None else
                                 f" --grids-from 方案的基础文件（由 {m['by']} 扩展）")
     + "；请另选文件"),
    (re.compile(r"^not a time; e\.g\. (?P<forms>.+) or an Excel date number \(got "
                r"(?P<got>.*)\)$"),
     lambda m: f"不是时间；可写成 {m['forms']} 或 Excel 日期序号（实际为 {m['got']}）"),
    (re.compile(r"^must be after --start \(got (?P<a>.+) to (?P<b>.+)\)$"),
     lambda m: f"必须晚于 --start（实际为 {m['a']} 至 {m['b']}）"),
    (re.compile(r"^cannot write in folder (?P<p>.+) \((?P<why>.*)\)$"),
     lambda m: f"无法在文件夹 {m['p']} 中写入（{m['why']}）"),
    (re.compile(r"^cannot write (?P<p>.+) \((?P<why>.*)\); it is left as it was$"),
     lambda m: f"无法写入 {m['p']}（{m['why']}）；该文件保持原样"),
    # --set (twin.scenario.overrides)
    (re.compile(r"^expected key\.path=value, e\.g\. run\.replications=5$"),
     lambda m: "应写成 key.path=value，例如 run.replications=5"),
    (re.compile(r"^bad value: (?P<why>.*)$"), lambda m: f"值有误：{m['why']}"),
    (re.compile(r"^empty part in the key path$"), lambda m: "键路径中有空的部分"),
    (re.compile(r"^index (?P<i>\d+) out of range: (?P<p>\S*) has (?P<n>\d+) item\(s\)$"),
     lambda m: f"索引 {m['i']} 超出范围：{m['p']} 只有 {m['n']} 项"),
    (re.compile(r"^(?P<p>\S+) is (?:(?P<list>a list)|a single value \((?P<v>.*)\)), not a "
                r"mapping$"),
     lambda m: f"{m['p']} 是" + ("列表" if m["list"] else f"单个值（{m['v']}）") + "，不是映射"),
    # --kpi
    (re.compile(r"^unknown KPI (?P<kpi>'.*'); (?:did you mean '(?P<hint>[^']*)'\? )?see "
                r"summary\.json for names$"),
     lambda m: f"未知的指标 {m['kpi']}；" + _opt(m["hint"], "是否想写 '{}'？")
     + "指标名称见 summary.json"),
    # --cluster
    (re.compile(r"^needs dask\.distributed: pip install -e '\.\[cluster\]' "
                r"\(or 'twin\[cluster\]'\)$"),
     lambda m: "需要 dask.distributed：pip install -e '.[cluster]'（或 'twin[cluster]'）"),
    (re.compile(r"^cannot reach a Dask scheduler at (?P<at>'.*') \((?P<why>.*)\)$"),
     lambda m: f"无法连接 {m['at']} 处的 Dask 调度器（"
     + m["why"].replace(_ADDRESS, "地址应形如 tcp://127.0.0.1:8786") + "）"),
]
"""Problem messages of options, checked by library code (pattern -> Chinese)."""
