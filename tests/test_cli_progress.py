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

import twin
from twin.cli import app, common
from twin.cli.common import PlainProgress, progress_bar, writing_of
from twin.experiment import Execution
from twin.precision import PrecisionTarget
from twin.workflows import run_workflow

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
    tick = PlainProgress(3, "baseline", "en", stream=stream, clock=lambda: now[0])
    for seconds in (65.0, 3600.0, 3.0):
        now[0] += seconds
        tick("baseline")
    tick.writing(Path("out/baseline"))
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
    tick = PlainProgress(2, "比较", "zh", stream=stream, clock=lambda: 0.0)
    tick("a")
    tick("b")
    tick.writing(Path("out/compare"))
    assert stream.getvalue().splitlines() == [
        "比较：已完成 1/2 次重复运行（0:00:00）",
        "比较：已完成 2/2 次重复运行（0:00:00）",
        "比较：正在将结果和报告写入 out/compare/（0:00:00）",
    ]


def test_no_writing_line_until_the_workflow_writes(tmp_path: Path) -> None:
    """The line comes from the workflow, not from the count: none after the last
    replication if nothing is written, one after fewer if a precision target stops
    early."""
    quiet = Recording()
    bare = PlainProgress(1, "x", stream=quiet, clock=lambda: 0.0)
    bare(None)
    assert quiet.getvalue().splitlines() == ["x: 1/1 replications finished (0:00:00)"]
    assert writing_of(bare) == bare.writing and writing_of(lambda _item: None) is None
    stream = Recording()
    tick = PlainProgress(8, "x (to precision)", stream=stream, clock=lambda: 0.0)
    scenario = twin.load_scenario(ROOT / MMC, overrides={"run.horizon_days": 2,
                                                         "run.warmup_days": 0.5,
                                                         "run.replications": 2})
    run_workflow(scenario, tmp_path / "o", precision=PrecisionTarget("response_mean", 10.0, 8),
                 execution=Execution(progress=tick, writing=tick.writing))
    lines = stream.getvalue().splitlines()
    out = tmp_path / "o"
    assert lines[-1] == f"x (to precision): writing results and report to {out}/ (0:00:00)"
    assert len(lines) - 1 < 8  # the loose target was met before the most replications


def test_a_terminal_gets_the_bar_and_no_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr(common, "err_console", Console(file=screen, force_terminal=True,
                                                       width=80))
    with progress_bar(2, "baseline", "en") as tick:
        assert not isinstance(tick, PlainProgress)
        tick(None)
        tick(None)
    assert "replications finished" not in screen.getvalue()


def test_a_redirected_stderr_gets_plain_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = io.StringIO()
    monkeypatch.setattr(common, "err_console", Console(file=pipe, width=80))
    monkeypatch.setattr(sys, "stderr", pipe)
    with progress_bar(1, "baseline", "en") as tick:
        assert isinstance(tick, PlainProgress)
        tick(None)
    assert pipe.getvalue().splitlines()[-1].startswith("baseline: 1/1 replications finished")


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
