"""Chinese everywhere with ``--lang zh`` or ``TWIN_LANG=zh``: terminal, problems, fonts."""

from __future__ import annotations

import string
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from twin.cli import app
from twin.cli.say import MESSAGES, line, message, say
from twin.plots import fonts
from twin.plots.canvas import new_figure
from twin.plots.figures import figure_bytes

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "scenarios" / "validation" / "mmc.yaml"
FAST = ["--set", "run.horizon_days=2", "--set", "run.warmup_days=0.5", "--replications", "2"]
BAD = """\
name: bad
map:
  source: lattice
  rows: 4
  cols: 4
demand:
  categories:
    - name: repair
      rate_per_hour: -1
      service: {distribution: exponential, mean: 20}
workforce:
  per_grid: 2
  per_grdi: 3
dispatch:
  policy: nearest
"""

runner = CliRunner()


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_message_has_both_languages_with_the_same_fields() -> None:
    for key, (en, zh) in MESSAGES.items():
        assert en.strip() and zh.strip(), key
        assert _fields(en) == _fields(zh), key


def test_run_in_chinese_from_the_environment(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", str(MMC), *FAST, "--seed", "3", "--out", str(out)],
                        env={"TWIN_LANG": "zh"})
    assert res.exit_code == 0, res.output
    assert "mmc：2 次重复运行，随机种子 3，95%置信区间" in res.stdout
    header = next(ln for ln in res.stdout.splitlines() if "代码" in ln)
    assert [cell.strip() for cell in header.strip("┃ ").split("┃")] == [
        "指标", "代码", "单位", "均值", "95%置信下限", "95%置信上限"]
    assert "│ 平均响应时间（分钟） │ response_mean" in res.stdout
    assert f"结果已写入 {out}/（报告：{out / 'report.html'}）" in res.stdout
    assert (out / "report.html").is_file()
    assert "（关键指标；--all 显示全部指标；全部指标见 summary.json）" in res.stderr
    assert "warning" not in res.stderr
    assert "results written" not in res.stdout


def test_validate_in_chinese_translates_the_library_lines() -> None:
    res = runner.invoke(app, ["validate", str(MMC), "--lang", "zh"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    # the people of mmc's two round-the-clock posts and the note on posts, from the library
    assert "人员：grid_worker：2 个岗位，每周 336 小时，8.4 个全职当量" in lines
    assert ("人员：按班次排班的人员池是岗位而非人员；按每周 40 小时计，每个岗位需要：grid_worker "
            "4.20 人（每周 168.0 小时，每天最长 24.0 小时）。请为人员池设置轮班表（rota），"
            "以规划人员并按《劳动法》核对工时") in lines
    assert any(ln.startswith("规模：每次重复约 ") for ln in lines)


def test_compare_with_lang_option_in_chinese(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    res = runner.invoke(app, ["compare", str(MMC), str(MMC), *FAST, "--set", "name=堃苑",
                              "--out", str(out), "--lang", "zh"], env={"TWIN_LANG": "en"})
    assert res.exit_code == 0, res.output
    stdout = res.stdout.splitlines()
    assert "A = 堃苑（参照方案）" in stdout
    assert "B = 堃苑-2" in stdout
    assert f"报告：{out / 'report.html'}" in stdout
    assert f"结果已写入 {out}/" in stdout
    assert any(ln.startswith("与参照方案 堃苑 相比的结论：") for ln in stdout)
    assert any(ln.startswith("均值 ± 95%置信区间半宽") for ln in stdout)
    # the bundled font lacks 堃: one warning, in Chinese, and no glyph warning of matplotlib
    said = [ln for ln in res.stderr.splitlines() if "堃" in ln]
    assert len(said) == 1 and said[0].startswith("警告：字符 堃 不在图表所用的任何字体"), said
    assert "Glyph" not in res.stderr


def test_scenario_error_in_chinese_keeps_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    en = runner.invoke(app, ["validate", str(bad)], env={"TWIN_LANG": "en"})
    zh = runner.invoke(app, ["validate", str(bad), "--lang", "zh"])
    assert en.exit_code == zh.exit_code == 2
    en_lines, zh_lines = en.stderr.splitlines(), zh.stderr.splitlines()
    assert zh_lines == [
        f"{tmp_path}/bad.yaml:9: demand.categories.0.rate_per_hour: 必须 ≥ 0（实际为 -1）",
        f"{tmp_path}/bad.yaml:13: workforce.per_grdi: 未知的键；是否想写 'per_grid'？"
        "允许的键：" + en_lines[1].split("allowed: ")[1],
        f"{tmp_path}/bad.yaml:15: dispatch.policy: 必须是以下之一："
        "own_grid, nearest_idle, own_grid_then_nearest, own_grid_then_neighbours"
        "（实际为 'nearest'）",
        "发现 3 个问题；未运行任何内容。",
    ]
    for en_line, zh_line in zip(en_lines[:3], zh_lines[:3], strict=True):
        where = en_line.split(": ")[0:2]
        assert zh_line.split(": ")[0:2] == where


def test_bad_twin_lang_is_a_user_error() -> None:
    res = runner.invoke(app, ["validate", str(MMC)], env={"TWIN_LANG": "fr"})
    assert res.exit_code == 2
    assert res.stderr.splitlines() == ["environment: TWIN_LANG: must be en or zh (got 'fr')",
                                       "1 problem found; nothing was run."]
    # --lang wins over the environment
    ok = runner.invoke(app, ["validate", str(MMC), "--lang", "en"], env={"TWIN_LANG": "fr"})
    assert ok.exit_code == 0, ok.output


def test_bad_lang_option_is_reported_in_english() -> None:
    res = runner.invoke(app, ["run", str(MMC), "--lang", "fr"])
    assert res.exit_code == 2
    assert res.stderr.splitlines()[0] == "command line: --lang: must be en or zh (got 'fr')"


def test_problem_kinds_translate_and_others_stay_english() -> None:
    assert message("required key is missing", "zh") == "缺少必需的键"
    assert message("must be a whole number (got 'x')", "zh") == "必须是整数（实际为 'x'）"
    assert message("must have at least 1 item(s) (got 0)", "zh") == "至少需要 1 项（实际为 0）"
    assert message("must be < 5 (got 7)", "zh") == "必须 < 5（实际为 7）"
    odd = "green deadline must be shorter than yellow"
    assert message(odd, "zh") == odd
    assert message("required key is missing", "en") == "required key is missing"
    assert line("some other line", "zh") == "some other line"
    assert line("warm-up 0.5 d looks too short: MSER-5 on hourly counts on the open-issue "
                "count suggests 0.83 d", "zh") == \
        "预热期 0.5 天似乎太短：按未办结问题数的每小时计数 MSER-5，建议 0.83 天"
    assert line("warm-up 3 d looks too short: MSER on daily means on the open-issue count "
                "suggests 7.00 d, the latest it can judge (half the run): the count had not "
                "settled; run longer", "zh") == (
        "预热期 3 天似乎太短：按未办结问题数的每日均值 MSER，建议 7.00 天，这已是它能判断的最晚时点"
        "（运行时长的一半）：未办结数尚未稳定，请延长运行")
    assert say("problems_many", "zh", count=4) == "发现 4 个问题；未运行任何内容。"


def test_font_chooser_prefers_an_installed_cjk_family(monkeypatch: pytest.MonkeyPatch) -> None:
    base = fonts.installed_families()
    monkeypatch.setattr(fonts, "installed_families", lambda: base | {"SimHei", "Noto Sans SC"})
    assert fonts.families("zh") == ["SimHei", fonts.CJK_FAMILY, fonts.LATIN_FAMILY]
    assert fonts.families("en") == [fonts.LATIN_FAMILY, "SimHei", fonts.CJK_FAMILY]
    monkeypatch.setattr(fonts, "installed_families", lambda: base - set(fonts.SYSTEM_CJK))
    assert fonts.families("zh") == [fonts.CJK_FAMILY, fonts.LATIN_FAMILY]


def test_a_registered_system_family_draws_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled file under a system family's name stands in for an installed font."""
    from matplotlib import font_manager

    fonts.ensure_font()
    entry = next(e for e in font_manager.fontManager.ttflist if e.name == fonts.CJK_FAMILY)
    fake = font_manager.FontEntry(fname=entry.fname, name="Noto Sans CJK SC")
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [*font_manager.fontManager.ttflist, fake])
    assert fonts.system_cjk() == "Noto Sans CJK SC"
    assert fonts.families("zh")[0] == "Noto Sans CJK SC"


def _draw(title: str) -> list[warnings.WarningMessage]:
    fig, axes = new_figure(1, 1)
    axes[0, 0].set_title(title)
    fonts.apply_font([axes[0, 0]], "zh")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure_bytes(fig)
    return caught


def test_bundled_subset_warns_once_for_missing_characters(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "system_cjk", lambda: None)
    caught = _draw("堃苑 网格 犇 堃 鑫")  # 鑫 is in GB 2312, so in the bundled subset
    font = [w for w in caught if issubclass(w.category, fonts.FontWarning)]
    assert len(font) == 1  # one for the figure, never one per glyph
    assert font[0].message.chars == "堃犇"  # type: ignore[union-attr]
    assert str(font[0].message).startswith("characters 堃 犇 are in none of the plot fonts "
                                           "(Twin Sans SC, DejaVu Sans)")
    assert "fonts-noto-cjk" in str(font[0].message)
    assert not [w for w in caught if "Glyph" in str(w.message)]
    assert not [w for w in _draw("网格 ok") if issubclass(w.category, fonts.FontWarning)]


TICKETS = ROOT / "data" / "tickets" / "sample_tickets.csv"
STRESS = ROOT / "scenarios" / "stress.yaml"


def _header(stdout: str, first: str) -> list[str]:
    row = next(ln for ln in stdout.splitlines() if ln.startswith(f"┃ {first} "))
    return [cell.strip() for cell in row.strip("┃ ").split("┃")]


def test_calibrate_in_chinese_tables_and_warnings(tmp_path: Path) -> None:
    en = runner.invoke(app, ["calibrate", str(TICKETS), "--grids-from", str(STRESS),
                             "--out", str(tmp_path / "en.yaml")], env={"TWIN_LANG": "en"})
    zh = runner.invoke(app, ["calibrate", str(TICKETS), "--grids-from", str(STRESS),
                             "--out", str(tmp_path / "zh.yaml"), "--lang", "zh"])
    assert en.exit_code == zh.exit_code == 0, zh.output
    # the file written is the same: its comments and warnings stay English
    assert (tmp_path / "en.yaml").read_text(encoding="utf-8") == \
        (tmp_path / "zh.yaml").read_text(encoding="utf-8")
    out = zh.stdout.splitlines()
    for title in ("一周平均每小时发生率，95%精确泊松置信区间",
                  "时间分布（均值为 1）与各钟点计数的卡方拟合优度检验",
                  "已分级工单的颜色构成，供纠纷调解使用：占比（数量，观测占比的95%置信区间）",
                  "现场处置时间（分钟）：最大似然拟合，按 AIC 选择"):
        assert title in [ln.strip() for ln in out], title
    assert _header(zh.stdout, "类别")[:7] == ["类别", "分布", "钟点 0–23", "周一至周日", "高峰",
                                            "钟点 × 网格", "钟点 × 星期"]
    assert _header(zh.stdout, "网格")[0] == "网格"
    assert out[0].startswith(f"{TICKETS}（按 UTF-8 读取）：")
    assert f"10 个网格，来自 {STRESS}；3 个类别" in out[0]
    assert any(ln.startswith("候选事件：") for ln in out)
    assert ("按方案中的类别处理：neighbour_dispute 按 neighbour_dispute，sanitation 按 "
            "sanitation，repair 按 repair") in out
    # stress.yaml has two categories with flows that the tickets do not have
    assert ("warning: the scenario's categories safety_hazard (a work-order flow), elderly_care "
            "(a work-order flow) have no tickets, so the calibrated demand drops them"
            in en.stderr.splitlines())
    assert zh.stderr.splitlines() == [
        "警告：方案中的类别 safety_hazard（工单流程），elderly_care（工单流程） 没有工单，"
        "标定的需求中不再有这些类别"]
    assert "warning" not in zh.stderr and "categories" not in zh.stdout


def test_calibrate_tables_have_one_text_per_language() -> None:
    from twin.calibrate.diagnostics import TEXTS

    for key, (en, zh) in TEXTS.items():
        assert en.strip() and zh.strip(), key
        assert _fields(en) == _fields(zh), key


def test_unknown_kpi_and_cluster_in_chinese() -> None:
    res = runner.invoke(app, ["run", str(MMC), *FAST, "--precision", "0.1", "--kpi",
                              "respons_mean", "--lang", "zh"])
    assert res.exit_code == 2
    assert res.stderr.splitlines()[0] == (
        "命令行: --kpi: 未知的指标 'respons_mean'；是否想写 'response_mean'？"
        "指标名称见 summary.json")
    res = runner.invoke(app, ["run", str(MMC), *FAST, "--cluster", "nohost", "--lang", "zh"])
    assert res.exit_code == 2
    assert res.stderr.splitlines()[0] == (
        "命令行: --cluster: 无法连接 'nohost' 处的 Dask 调度器（地址应形如 tcp://127.0.0.1:8786）")
