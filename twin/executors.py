"""Where replications run: in this process, in a local process pool, or on a Dask cluster.

A *job* is ``(key, scenario, seed, replications)``; running it yields one
*outcome* ``(key, replication, records or None, traceback or None)`` per
replication. Replication r with root seed s draws from ``Streams(s, r)`` on
whatever machine runs it, so every executor gives identical records.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from twin.geography import Community, build_community
from twin.model import ReplicationRecords, simulate
from twin.scenario.schema import Scenario

Job = tuple[str, Scenario, int, tuple[int, ...]]
Outcome = tuple[str, int, ReplicationRecords | None, str | None]

_MAPS: dict[str, Community] = {}  # per process: the map of the scenario being run
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_POLL = 0.5
"""Seconds between a pool worker's checks that the process that started it is alive."""


def end_with_parent(main_pid: int) -> None:
    """Pool worker initializer: end this worker when the main process dies.

    On Linux the kernel kills the worker when its parent ends (``PR_SET_PDEATHSIG``);
    everywhere a daemon thread checks every :data:`PARENT_POLL` seconds that the
    parent is unchanged and ``main_pid`` alive, and ends the process if not.
    (Without this, a ``kill -9`` of ``twin compare --jobs 2`` leaves its workers
    computing for nobody.)
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no usable libc: the thread below still works
            pass
    if not _alive(parent, main_pid):  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch, args=(parent, main_pid), daemon=True,
                     name="twin-parent-watch").start()


def _alive(parent: int, main_pid: int) -> bool:
    if os.getppid() != parent:
        return False
    if os.name != "posix":  # os.kill(pid, 0) would terminate it on Windows
        return True
    try:
        os.kill(main_pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. no permission to signal it: it exists
        pass
    return True


def _watch(parent: int, main_pid: int) -> None:
    while _alive(parent, main_pid):
        time.sleep(PARENT_POLL)
    os._exit(1)


def community_for(scenario: Scenario) -> Community:
    """The scenario's map, built once per process and reused across replications."""
    key = scenario.model_dump_json(include={"map", "grids"})
    if key not in _MAPS:
        _MAPS.clear()
        _MAPS[key] = build_community(scenario)
    return _MAPS[key]


def run_job(key: str, scenario: Scenario, seed: int, replications: Sequence[int]
            ) -> list[Outcome]:
    """Run some replications of one scenario; a failing one is reported, not raised."""
    out: list[Outcome] = []
    for rep in replications:
        try:
            out.append((key, rep, simulate(scenario, rep, community_for(scenario), seed), None))
        except Exception:  # noqa: BLE001 - one failing replication must not kill a sweep
            out.append((key, rep, None, traceback.format_exc()))
    return out


class LocalExecutor:
    """Replications in this process (jobs=1) or a process pool, one task per replication."""

    def __init__(self, jobs: int = 1) -> None:
        self.jobs = max(1, int(jobs))

    def run(self, jobs: list[Job]) -> Iterator[Outcome]:
        """Yield outcomes as replications finish."""
        singles = [(k, s, seed, (r,)) for k, s, seed, reps in jobs for r in reps]
        if self.jobs == 1 or len(singles) <= 1:
            for job in singles:
                yield from run_job(*job)
            return
        with ProcessPoolExecutor(max_workers=min(self.jobs, len(singles)),
                                 initializer=end_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(run_job, *job) for job in singles]
            for future in as_completed(futures):
                yield from future.result()


class DaskExecutor:
    """Replications on a Dask distributed scheduler, ``batch`` replications per task.

    Needs the optional extra ``twin[cluster]`` (dask.distributed).
    """

    def __init__(self, address: str | Any, batch: int | None = None) -> None:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - depends on the extra
            raise RuntimeError(
                "--cluster needs dask.distributed: pip install 'twin[cluster]'") from exc
        self.client = address if isinstance(address, Client) else Client(address)
        self.batch = batch

    def run(self, jobs: list[Job]) -> Iterator[Outcome]:
        """Yield outcomes as batches finish."""
        from distributed import as_completed as dask_completed

        workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        total = sum(len(reps) for *_, reps in jobs)
        size = self.batch or max(1, total // (4 * workers))
        futures = []
        for key, scenario, seed, reps in jobs:
            for i in range(0, len(reps), size):
                futures.append(self.client.submit(run_job, key, scenario, seed,
                                                  tuple(reps[i:i + size]), pure=False))
        for future in dask_completed(futures):
            yield from future.result()


def executor_for(jobs: int = 1, cluster: str | Any | None = None,
                 batch: int | None = None) -> LocalExecutor | DaskExecutor:
    """A Dask executor if a cluster address (or Client) is given, else a local one."""
    if cluster is not None:
        return DaskExecutor(cluster, batch)
    return LocalExecutor(jobs)
