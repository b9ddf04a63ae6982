"""Local pool workers end with the process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import twin.executors
from twin.executors import LocalExecutor

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "scenarios" / "validation" / "mmc.yaml"
linux_only = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _state_and_parent(pid: int) -> tuple[str, int] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1])


def descendants(pid: int) -> set[int]:
    """Living processes below ``pid``."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            found = _state_and_parent(int(entry.name))
            if found is not None and found[0] != "Z":
                parents[int(entry.name)] = found[1]
    below, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        children = {p for p, pp in parents.items() if pp == parent}
        below |= children
        todo.extend(children)
    return below


def alive(pid: int) -> bool:
    found = _state_and_parent(pid)
    return found is not None and found[0] != "Z"  # a zombie has ended


@linux_only
def test_killing_the_main_process_ends_its_workers(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import twin
        s = twin.load_scenario({str(MMC)!r}, overrides={{"run.horizon_days": 3000,
                                                         "run.warmup_days": 1}})
        twin.run_replications(s, replications=2, jobs=2)
    """)
    log = tmp_path / "stderr.txt"
    with log.open("wb") as err:
        main = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 30
        workers: set[int] = set()
        while len(workers) < 2 and time.monotonic() < deadline and main.poll() is None:
            time.sleep(0.1)
            workers = descendants(main.pid)
        assert len(workers) >= 2, f"the pool did not start: {log.read_text()[-2000:]}"
        time.sleep(0.5)  # let the workers run their initializer and start computing
        workers = descendants(main.pid)
    finally:
        main.send_signal(signal.SIGKILL)
        main.wait()
    deadline = time.monotonic() + 5
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p for p in workers if alive(p)]
    for pid in left:  # do not leave them running if the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == []


def test_workers_get_the_initializer_and_still_compute() -> None:
    scenario = twin.load_scenario(MMC, overrides={"run.horizon_days": 1,
                                                  "run.warmup_days": 0.2})
    pooled = twin.run_replications(scenario, replications=2, jobs=2)
    single = twin.run_replications(scenario, replications=2, jobs=1)
    assert pooled.issues.equals(single.issues)
    assert LocalExecutor(2).jobs == 2


def test_the_watch_ends_a_worker_whose_parent_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    ended: list[int] = []

    class Ended(Exception):
        pass

    def fake_exit(code: int) -> None:
        ended.append(code)
        raise Ended

    monkeypatch.setattr(twin.executors.os, "_exit", fake_exit)
    monkeypatch.setattr(twin.executors, "PARENT_POLL", 0.01)
    assert twin.executors._alive(os.getppid(), os.getpid())
    with pytest.raises(Ended):
        twin.executors._watch(os.getppid() + 1, os.getpid())  # "the parent changed"
    assert ended == [1]
    calls: list[tuple[int, ...]] = []

    class FakeLibc:  # the real prctl would tie this test process to its parent
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def prctl(self, *args: int) -> int:
            calls.append(args)
            return 0

    monkeypatch.setattr(twin.executors.ctypes, "CDLL", FakeLibc)
    monkeypatch.setattr(twin.executors.sys, "platform", "linux")
    with pytest.raises(Ended):
        twin.executors.end_with_parent(2 ** 22 + 12345)  # no such main process
    assert ended == [1, 1]
    assert calls == [(1, int(signal.SIGKILL), 0, 0, 0)]  # PR_SET_PDEATHSIG
