"""Library sentences and option problems in Chinese (twin/cli/lines.py), one exact
example per pattern, and the patterns against what the library writes today."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin.cli.say import line, message

LIBRARY_LINES = [
    ("the window (40.0 days) has long stretches without tickets; its densest part covers "
     "70.0% of it: 2 tickets lie more than 3 days from the others (2024-03-01T00:00 to "
     "2024-03-28T00:00): t.csv:5 (2024-04-09), t.csv:9 (2024-04-10); no tickets from "
     "2024-03-28T00:00 to 2024-04-09T00:00 (12.0 days). Rates are averaged over the whole "
     "window, so they come out too low: check these rows, or calibrate on the dense part with "
     "--start 2024-03-01 --end 2024-03-28",
     "观测窗口（40.0 天）中有很长的时段没有工单；最密集的部分只占其中的 70.0%：2 张工单距其余工单"
     "（2024-03-01T00:00 至 2024-03-28T00:00）超过 3 天：t.csv:5 (2024-04-09), t.csv:9 "
     "(2024-04-10)；以下时段没有工单：2024-03-28T00:00 至 2024-04-09T00:00（12.0 天）。"
     "发生率按整个窗口平均，因而会偏低：请检查这些行，或用 --start 2024-03-01 --end 2024-03-28 "
     "只标定密集的部分"),
    ("categories 'a' and ' a' differ only in spaces around them and are kept apart (names are "
     "used exactly as written)",
     "类别 'a' and ' a' 只是前后空格不同，仍按不同名称处理（名称按原样使用）"),
    ("the window covers 5 of 7 weekdays and 24 of 24 clock hours (declared gaps: sat,sun); the "
     "others get multiplier 1", "观测窗口覆盖了一周 7 天中的 5 天和一天 24 个钟点中的 24 个"
     "（声明的缺记录时段：sat,sun）；其余的系数取 1"),
    ("only 50 tickets in all (fewer than --min-count 200): the pooled profile is rough",
     "总共只有 50 张工单（少于 --min-count 200）：合并后的时间分布较粗略"),
    ("repair: grid rates differ (p = 0.001) and are not in proportion to residents either "
     "(p = 0.02); twin has no per-grid rate, so the per-1,000-resident rate is an "
     "approximation. Per-grid rates [1/h]: g1 0.5, g2 0.1",
     "repair：各网格的发生率不同（p = 0.001），也不与居民数成比例（p = 0.02）；twin 没有按网格"
     "区分的发生率，因此每千名居民发生率只是近似。各网格发生率［每小时］：g1 0.5, g2 0.1"),
    ("repair: grid rates differ (p = 0.001) but twin's rate_per_hour is shared by all grids, so "
     "the mean is written (--grids-from would give residents for a per-1,000-resident rate). "
     "Per-grid rates [1/h]: g1 0.5, g2 0.1",
     "repair：各网格的发生率不同（p = 0.001），但 twin 的 rate_per_hour 由所有网格共用，因此写入"
     "的是均值（用 --grids-from 给出居民数，即可写入每千名居民发生率）。各网格发生率［每小时］："
     "g1 0.5, g2 0.1"),
    ("维修: 12 tickets (< --min-count 200): uses the hour and weekday profile of all categories "
     "pooled", "维修：12 张工单（< --min-count 200）：使用所有类别合并后的钟点与星期分布"),
    ("the scenario's categories repair (a work-order flow), feud (a dispute block) match no "
     "ticket category, and ticket categories 维修 match no scenario category: the calibrated "
     "demand drops the former and handles each of the latter as one grid-worker visit. Say "
     "which scenario category each ticket category is like: --like 维修=<one of repair, feud>",
     "方案中的类别 repair（工单流程），feud（纠纷调解） 没有对应的工单类别，工单类别 维修 也没有"
     "对应的方案类别：标定的需求去掉前者，并把后者每件都当作一次网格员上门处理。请说明每个工单"
     "类别按哪个方案类别处理：--like 维修=<repair, feud 之一>"),
    ("ticket categories 维修, 保洁 match no scenario category: each is handled as one "
     "grid-worker visit (name the scenario category each is like with --like "
     "TICKETS=SCENARIO)", "工单类别 维修, 保洁 没有对应的方案类别：每件都当作一次网格员上门处理"
     "（请用 --like 工单类别=方案类别 说明每个工单类别按哪个方案类别处理）"),
    ("the scenario's categories feud (a dispute block) have no tickets, so the calibrated "
     "demand drops them", "方案中的类别 feud（纠纷调解） 没有工单，标定的需求中不再有这些类别"),
    ("precision 0.05 on response_mean reached with 12 replications (worst relative half-width "
     "0.043)", "response_mean 的精度目标 0.05 已达到，共 12 次重复运行（最差的相对半宽 0.043）"),
    ("no feature of 网格.geojson has the property 'residents' (grids.residents_property; "
     "their properties: '人口', '名称'): every grid gets grids.residents (3,000) unless "
     "grids.items gives its own",
     "网格.geojson 中没有要素带有属性 'residents'（grids.residents_property；它们的属性："
     "'人口', '名称'）：除非 grids.items 另行给出，每个网格的居民数都取 grids.residents（3,000）"),
    ("map has 3 disconnected parts; kept the largest (95 of 100 nodes)",
     "地图有 3 个互不连通的部分；保留了最大的部分（100 个节点中的 95 个）"),
    ("2 map nodes (node '3-4' at [400, 300], node '9' at [1, 2]) lie inside no grid boundary; "
     "joined to the grid whose boundary is nearest",
     "2 个地图节点（节点 '3-4' 位于 [400, 300], 节点 '9' 位于 [1, 2]）不在任何网格边界内；"
     "已并入边界最近的网格"),
    ("pyarrow 12.0.0 can run code from Parquet files; stored replications in out/x/reps are "
     "not used (install pyarrow >= 14.0.1)", "pyarrow 12.0.0 可能执行 Parquet 文件中的代码；"
     "不使用 out/x/reps 中保存的重复运行（请安装 pyarrow >= 14.0.1）"),
    ("ignored the stored replications in out/x/reps/a: it is a link, not a folder; nothing is "
     "loaded from or saved to it",
     "已忽略 out/x/reps/a 中保存的重复运行：它是链接而非文件夹；不从中读取，也不向其保存"),
    ("ignored 2 old or foreign entries in out/x/reps/a (e.g. rep-1.pkl); they are never loaded "
     "(delete them to silence this)", "已忽略 out/x/reps/a 中 2 个旧的或外来的条目（例如 "
     "rep-1.pkl）；它们不会被读取（删除它们即不再提示）"),
    ("ignored a damaged stored replication out/a/rep-00001 (cannot read it: Permission denied); "
     "it is recomputed", "已忽略损坏的已存重复运行 out/a/rep-00001（无法读取：Permission denied）"
     "；将重新计算"),
]
OPTION_PROBLEMS = [
    ("out/x exists and is not a folder", "out/x 已存在，且不是文件夹"),
    ("out/f is a file, not a folder", "out/f 是文件，不是文件夹"),
    ("out/x is a folder that twin did not write (it holds a.txt, b, c, ...); choose another "
     "--out, or pass --force to write twin's files into it (nothing else is deleted)",
     "out/x 是一个不由 twin 写入的文件夹（其中有 a.txt, b, c, ...）；请另选 --out，或加 --force "
     "把 twin 的文件写入其中（不删除其他任何文件）"),
    ("out/x cannot be used (name too long)", "out/x 无法使用（name too long）"),
    ("d.yaml is a folder; give a file name", "d.yaml 是文件夹；请给出文件名"),
    ("folder no/such does not exist", "文件夹 no/such 不存在"),
    ("t.csv is the tickets file; choose another file", "t.csv 是工单文件；请另选文件"),
    ("s.yaml is the --grids-from scenario; choose another file",
     "s.yaml 是 --grids-from 的方案文件；请另选文件"),
    ("b.yaml is a base of the --grids-from scenario (extended by s.yaml); choose another file",
     "b.yaml 是 --grids-from 方案的基础文件（由 s.yaml 扩展）；请另选文件"),
    ("not a time; e.g. 2024-03-01T08:15, 2024/3/1 8:15 or an Excel date number (got 'x')",
     "不是时间；可写成 2024-03-01T08:15, 2024/3/1 8:15 或 Excel 日期序号（实际为 'x'）"),
    ("must be after --start (got 2024-03-02 to 2024-03-01)",
     "必须晚于 --start（实际为 2024-03-02 至 2024-03-01）"),
    ("cannot write in folder ro (Permission denied)",
     "无法在文件夹 ro 中写入（Permission denied）"),
    ("cannot write d.yaml (Disk full); it is left as it was",
     "无法写入 d.yaml（Disk full）；该文件保持原样"),
    ("expected key.path=value, e.g. run.replications=5",
     "应写成 key.path=value，例如 run.replications=5"),
    ("bad value: expected ',' or ']'", "值有误：expected ',' or ']'"),
    ("empty part in the key path", "键路径中有空的部分"),
    ("index 4 out of range: demand.categories has 2 item(s)",
     "索引 4 超出范围：demand.categories 只有 2 项"),
    ("run.seed is a single value (3), not a mapping", "run.seed 是单个值（3），不是映射"),
    ("demand.categories is a list, not a mapping", "demand.categories 是列表，不是映射"),
    ("unknown KPI 'respons_mean'; did you mean 'response_mean'? see summary.json for names",
     "未知的指标 'respons_mean'；是否想写 'response_mean'？指标名称见 summary.json"),
    ("unknown KPI 'zzz'; see summary.json for names", "未知的指标 'zzz'；指标名称见 summary.json"),
    ("needs dask.distributed: pip install -e '.[cluster]' (or 'twin[cluster]')",
     "需要 dask.distributed：pip install -e '.[cluster]'（或 'twin[cluster]'）"),
    ("cannot reach a Dask scheduler at 'x' (expected an address like tcp://127.0.0.1:8786)",
     "无法连接 'x' 处的 Dask 调度器（地址应形如 tcp://127.0.0.1:8786）"),
]


@pytest.mark.parametrize(("english", "chinese"), LIBRARY_LINES)
def test_library_line_in_chinese(english: str, chinese: str) -> None:
    assert line(english, "zh") == chinese
    assert line(english, "en") == english


@pytest.mark.parametrize(("english", "chinese"), OPTION_PROBLEMS)
def test_option_problem_in_chinese(english: str, chinese: str) -> None:
    assert message(english, "zh") == chinese
    assert message(english, "en") == english


def test_every_library_pattern_has_an_example() -> None:
    from twin.cli.lines import LIBRARY, PROBLEMS

    for table, examples in ((LIBRARY, LIBRARY_LINES), (PROBLEMS, OPTION_PROBLEMS)):
        for pattern, _ in table:
            assert any(pattern.match(en) for en, _ in examples), pattern.pattern


def test_library_sentences_as_written_translate(tmp_path: Path) -> None:
    """The patterns match what the library writes today, not only the examples above."""
    from twin.calibrate.tickets import _spaced
    from twin.outdir import out_problems
    from twin.precision import PrecisionOutcome
    from twin.scenario.overrides import parse_pairs
    from twin.store import DiskStore

    said = PrecisionOutcome({}, 4, False, {"a": 1.36}).message("response_p90", 0.5)
    assert line(said, "zh") == ("response_p90 的精度目标 0.5 未达到（已到最大重复次数），共 4 次"
                                "重复运行（最差的相对半宽 1.360）")
    spaced = _spaced(["g1", "g1 "], "grids")
    assert spaced is not None
    assert line(spaced, "zh") == ("网格 'g1' and 'g1 ' 只是前后空格不同，仍按不同名称处理"
                                  "（名称按原样使用）")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert [message(m, "zh") for m in out_problems(tmp_path / "file" / "sub")] == [
        f"{tmp_path / 'file'} 是文件，不是文件夹"]
    _, problems = parse_pairs(["run.seed"])
    assert [message(p.message, "zh") for p in problems] == [
        "应写成 key.path=value，例如 run.replications=5"]
    (tmp_path / "reps" / "key").mkdir(parents=True)
    (tmp_path / "reps" / "key" / "old.pkl").write_text("x", encoding="utf-8")
    heard: list[str] = []
    DiskStore(tmp_path / "reps", warn=heard.append).load("key", 0)
    assert [line(h, "zh") for h in heard] == [
        f"已忽略 {tmp_path / 'reps' / 'key'} 中 1 个旧的或外来的条目（例如 old.pkl）；"
        "它们不会被读取（删除它们即不再提示）"]


def test_calibrate_option_problems_in_chinese(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from twin.cli import app

    tickets = Path(__file__).resolve().parents[1] / "data" / "tickets" / "sample_tickets.csv"
    res = CliRunner().invoke(app, ["calibrate", str(tickets), "--out", str(tmp_path),
                                   "--start", "soon", "--lang", "zh"])
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [
        f"命令行: --out: {tmp_path} 是文件夹；请给出文件名",
        "命令行: --start: 不是时间；可写成 2024-03-01T08:15, 2024-03-01 08:15:00, 2024/3/1 8:15 "
        "或 Excel 日期序号（实际为 'soon'）",
        "发现 2 个问题；未运行任何内容。"]
    assert not list(tmp_path.iterdir())
