"""Progress when stderr is not a terminal (``> log 2>&1``, ``nohup``): plain lines, one
per finished replication and one for writing the results, flushed, in the command's
language; on a terminal the bar, and none of these lines."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from twin.cli import app, common
from twin.cli.common import PlainProgress, progress_bar

ROOT = Path(__file__).resolve().parents[1]
MMC = str(ROOT / "scenarios" / "validation" / "mmc.yaml")
FAST = ["--set", "run.horizon_days=1", "--set", "run.warmup_days=0.25"]
ELAPSED = r"\d+:\d\d:\d\d"

runner = CliRunner()


class Recording(io.StringIO):
    """A stream (not a terminal) that notes what was written before each flush."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed: list[str] = []

    def flush(self) -> None:
        self.flushed.append(self.getvalue())
        super().flush()


def test_one_flushed_line_per_replication_then_the_writing_phase() -> None:
    now = [100.0]
    stream = Recording()
    tick = PlainProgress(3, "baseline", "en", Path("out/baseline"), stream=stream,
                         clock=lambda: now[0])
    for seconds in (65.0, 3600.0, 3.0):
        now[0] += seconds
        tick("baseline")
    assert stream.getvalue().splitlines() == [
        "baseline: 1/3 replications finished (0:01:05)",
        "baseline: 2/3 replications finished (1:01:05)",
        "baseline: 3/3 replications finished (1:01:08)",
        "baseline: writing results and report to out/baseline/ (1:01:08)",
    ]
    # each line reached the stream's file before the next replication ended
    assert [text.count("\n") for text in stream.flushed] == [1, 2, 3, 4]


def test_the_lines_in_chinese() -> None:
    stream = Recording()
    tick = PlainProgress(2, "比较", "zh", Path("out/compare"), stream=stream, clock=lambda: 0.0)
    tick("a")
    tick("b")
    assert stream.getvalue().splitlines() == [
        "比较：已完成 1/2 次重复运行（0:00:00）",
        "比较：已完成 2/2 次重复运行（0:00:00）",
        "比较：正在将结果和报告写入 out/compare/（0:00:00）",
    ]


def test_no_writing_line_before_the_last_replication_nor_without_a_folder() -> None:
    stream = Recording()
    tick = PlainProgress(5, "x (to precision)", stream=stream, path=Path("o"))
    for _ in range(4):  # a precision target met early: the total is only the most
        tick(None)
    assert "writing" not in stream.getvalue()
    quiet = Recording()
    bare = PlainProgress(1, "x", stream=quiet, clock=lambda: 0.0)
    bare(None)
    assert quiet.getvalue().splitlines() == ["x: 1/1 replications finished (0:00:00)"]


def test_a_terminal_gets_the_bar_and_no_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(common, "err_console", Console(file=screen, force_terminal=True,
                                                       width=80))
    with progress_bar(2, "baseline", "en", Path("out/b")) as tick:
        assert not isinstance(tick, PlainProgress)
        tick(None)
        tick(None)
    assert "replications finished" not in screen.getvalue()


def test_a_redirected_stderr_gets_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = io.StringIO()
    monkeypatch.setattr(common, "err_console", Console(file=pipe, width=80))
    monkeypatch.setattr(sys, "stderr", pipe)
    with progress_bar(1, "baseline", "en", Path("out/b")) as tick:
        assert isinstance(tick, PlainProgress)
        tick(None)
    assert pipe.getvalue().splitlines()[-1].startswith("baseline: writing results and report")


def _progress(stderr: str) -> list[str]:
    return [re.sub(ELAPSED, "T", ln) for ln in stderr.splitlines()
            if re.search(rf"[（(]{ELAPSED}[）)]$", ln)]


def test_run_redirected_to_a_log_file_shows_each_replication(tmp_path: Path) -> None:
    log = tmp_path / "log"
    out = tmp_path / "res"
    with log.open("w", encoding="utf-8") as handle:  # as `twin run ... > log 2>&1`
        done = subprocess.run([sys.executable, "-m", "twin", "run", MMC, *FAST,
                               "--replications", "3", "--out", str(out)],
                              cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, check=False)
    text = log.read_text(encoding="utf-8")
    assert done.returncode == 0, text
    assert _progress(text) == [
        "mmc: 1/3 replications finished (T)",
        "mmc: 2/3 replications finished (T)",
        "mmc: 3/3 replications finished (T)",
        f"mmc: writing results and report to {out}/ (T)",
    ]
    # the progress comes before what the finished run prints
    assert text.index("writing results and report") < text.index(f"results written to {out}/")


def test_run_in_chinese(tmp_path: Path) -> None:
    out = tmp_path / "res"
    res = runner.invoke(app, ["run", MMC, *FAST, "--replications", "2", "--out", str(out),
                              "--lang", "zh"])
    assert res.exit_code == 0, res.output
    assert _progress(res.stderr) == [
        "mmc：已完成 1/2 次重复运行（T）",
        "mmc：已完成 2/2 次重复运行（T）",
        f"mmc：正在将结果和报告写入 {out}/（T）",
    ]


def test_compare_counts_the_replications_of_every_scenario(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    res = runner.invoke(app, ["compare", MMC, MMC, *FAST, "--replications", "2",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert _progress(res.stderr) == [
        *[f"compare: {n}/4 replications finished (T)" for n in range(1, 5)],
        f"compare: writing results and report to {out}/ (T)",
    ]
