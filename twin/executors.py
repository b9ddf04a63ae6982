"""Where replications run: in this process, in a local process pool, or on a Dask cluster.

A *job* is ``(key, scenario, seed, replications)``; running it yields one
*outcome* ``(key, replication, finished or None, traceback or None)`` per
replication. Replication r with root seed s draws from ``Streams(s, r)`` on
whatever machine runs it, so every executor gives identical records. Whoever
runs a replication also computes its KPIs and sends back a
:class:`~twin.finished.Finished` (KPI row and record columns), so the process
that asked only stacks them.

A :class:`WorkerPool` is a process pool kept for a whole command: compare,
sweep and a precision target run several batches of replications, and the report
renders its figures, on the same worker processes.

Maps are built once and shared through a :class:`~twin.geography.MapCache`
passed explicitly: the caller's for replications run in this process; one per
pool worker process, made by the pool's initializer; one per task on Dask
(a task holds several replications).
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

from twin.finished import Finished, finish, kpi_context
from twin.geography import MapCache
from twin.geography import community_for as community_for  # importable from here too
from twin.model import simulate
from twin.scenario.schema import Scenario

Job = tuple[str, Scenario, int, tuple[int, ...]]
Outcome = tuple[str, int, Finished | None, str | None]

_WORKER_MAPS: MapCache | None = None
"""The maps of a pool worker process, set by :func:`start_worker` in that process only."""
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
PARENT_POLL = 0.5
"""Seconds between a pool worker's checks that the process that started it is alive."""


def start_worker(main_pid: int, maps: MapCache | None = None) -> None:
    """Pool worker initializer: this worker's own map cache, reused across the
    replications it runs (a copy of ``maps``, so maps the main process built are
    not built again), and :func:`end_with_parent`."""
    global _WORKER_MAPS
    _WORKER_MAPS = maps if maps is not None else MapCache()
    end_with_parent(main_pid)


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


def run_job(key: str, scenario: Scenario, seed: int, replications: Sequence[int],
            maps: MapCache | None = None) -> list[Outcome]:
    """Run some replications of one scenario and compute their KPIs; a failing one is
    reported, not raised.

    The map comes from ``maps``, else from this pool worker's cache, else from a
    cache for this job alone.
    """
    if maps is None:
        maps = _WORKER_MAPS if _WORKER_MAPS is not None else MapCache(1)
    out: list[Outcome] = []
    context = None
    for rep in replications:
        try:
            community = maps.get(scenario)
            records = simulate(scenario, rep, community, seed)
            if context is None:
                context = kpi_context(scenario, community)
            out.append((key, rep, finish(records, context), None))
        except Exception:  # noqa: BLE001 - one failing replication must not kill a sweep
            out.append((key, rep, None, traceback.format_exc()))
    return out


class WorkerPool:
    """Local worker processes kept for a whole command, started at first use.

    Each worker keeps its own map cache, a copy of ``maps`` as it was when the pool
    started (so maps the main process built are not built again). Close it (or use
    it as a context manager) to end the workers.
    """

    def __init__(self, jobs: int, maps: MapCache | None = None) -> None:
        self.jobs = max(1, int(jobs))
        self.maps = maps if maps is not None else MapCache()
        self._pool: ProcessPoolExecutor | None = None

    @property
    def started(self) -> bool:
        """Whether the worker processes are running."""
        return self._pool is not None

    def executor(self, warm: Sequence[Scenario] = ()) -> ProcessPoolExecutor:
        """The process pool, started now if it is not yet (after building the maps of
        ``warm``, so that the workers inherit them)."""
        if self._pool is None:
            for scenario in list({id(s): s for s in warm}.values())[:self.maps.size]:
                _warm(self.maps, scenario)
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, initializer=start_worker,
                                             initargs=(os.getpid(), self.maps))
        return self._pool

    def close(self) -> None:
        """End the worker processes (a later use starts new ones)."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor:
    """Replications in this process (jobs=1) or a process pool, one task per replication.

    Replications run in this process take their maps from ``maps``; each pool
    worker keeps its own. With ``pool``, its workers run the replications and stay
    for the next call; without, a pool is started and ended within :meth:`run`.
    """

    def __init__(self, jobs: int = 1, maps: MapCache | None = None,
                 pool: WorkerPool | None = None) -> None:
        self.jobs = max(1, int(jobs)) if pool is None else pool.jobs
        self.maps = maps if maps is not None else MapCache()
        self.pool = pool

    def run(self, jobs: list[Job]) -> Iterator[Outcome]:
        """Yield outcomes as replications finish."""
        singles = [(k, s, seed, (r,)) for k, s, seed, reps in jobs for r in reps]
        pool = self.pool
        if self.jobs == 1 or (len(singles) <= 1 and (pool is None or not pool.started)):
            for job in singles:
                yield from run_job(*job, maps=self.maps)
            return
        if pool is None:
            with WorkerPool(min(self.jobs, len(singles)), self.maps) as own:
                yield from _pooled(own, singles)
        else:
            yield from _pooled(pool, singles)


def _pooled(pool: WorkerPool, singles: Sequence[Job]) -> Iterator[Outcome]:
    executor = pool.executor([s for _, s, _, _ in singles])
    futures = [executor.submit(run_job, *job) for job in singles]
    try:
        for future in as_completed(futures):
            yield from future.result()
    finally:  # an abandoned run (an error, a stop) leaves no task behind in a kept pool
        for future in futures:
            future.cancel()


def _warm(maps: MapCache, scenario: Scenario) -> None:
    """Build a map before the pool starts, so forked workers inherit it; a map that
    cannot be built is left for each replication to report."""
    try:
        maps.get(scenario)
    except Exception:  # noqa: BLE001 - reported per replication by run_job
        pass


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
                 batch: int | None = None, maps: MapCache | None = None,
                 pool: WorkerPool | None = None) -> LocalExecutor | DaskExecutor:
    """A Dask executor if a cluster address (or Client) is given, else a local one
    whose in-process replications use ``maps`` (and whose pool is ``pool``, if given)."""
    if cluster is not None:
        return DaskExecutor(cluster, batch)
    return LocalExecutor(jobs, maps, pool)
