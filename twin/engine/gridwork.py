"""Grid work across teams and places: hand-offs between specialised teams (专业网格)
and several matters settled in one visit in a comprehensive grid (全科网格).

* **Hand-offs.** With `teams`, every team patrols the same streets. A latent issue
  found by a grid worker of a team that does not own its category is handed over
  (转办): each find draws, from the issue's own stream ``handoff/<issue>``, a uniform
  (does it go astray?) and a delay. A hand-off that arrives reaches the owning team
  after the delay; one that goes astray leaves the issue latent. The router stamps
  the find and delivers the issue (see :meth:`twin.engine.router.Router.patrol_arrival`).
  Per-issue streams keep the draws of an issue the same whatever else changes
  (common random numbers across a sweep of the delay).
* **Same place first.** A grid worker free at a node first takes the matters
  waiting at that node in its queues (no travel), the most urgent of them, before
  the usual most-urgent rule: :func:`waiting_at` finds it. The queues are heaps of
  keys, scanned only when the switch is on, so the switch costs nothing when off.
"""

from __future__ import annotations

from collections.abc import Callable

from twin.demand import sample_service
from twin.engine.book import BIG, CaseBook
from twin.engine.views import IntColumn
from twin.rng import Streams
from twin.scenario.governance import HandOffSpec


class HandOffs:
    """Which finds cross teams, and the fate of each hand-off."""

    def __init__(self, spec: HandOffSpec, worker_team: list[int], category_team: list[int],
                 category: IntColumn, streams: Streams) -> None:
        self.spec = spec
        self._worker_team = worker_team
        self._category_team = category_team
        self._category = category
        self._streams = streams
        self.handed = 0
        """Hand-offs that reached their team (or are on their way)."""
        self.astray = 0
        """Hand-offs that went astray."""

    def crosses(self, worker: int, issue: int) -> bool:
        """Whether ``worker``'s team does not handle ``issue``'s category."""
        return self._worker_team[worker] != self._category_team[self._category[issue]]

    def fate(self, issue: int) -> float:
        """The delay [min] until the owning team receives ``issue``, or -1.0 if this
        hand-off goes astray. Both draws are made at every find, so an issue's k-th
        find draws the same numbers whatever the delay's distribution or `astray`."""
        rng = self._streams[f"handoff/{issue}"]
        lost = float(rng.random()) < self.spec.astray
        delay = float(sample_service(self.spec.delay, rng, 1)[0])
        if lost:
            self.astray += 1
            return -1.0
        self.handed += 1
        return delay


def waiting_at(book: CaseBook, queues: list[int], node: int,
               node_of: Callable[[int], int]) -> int:
    """The most urgent task waiting at ``node`` in ``queues``, taken off them (-1 if
    none). Heaps keep stale entries (lazy deletion): only current keys count."""
    best = -1
    heaps, valid, seq_task = book.heaps, book.valid, book.seq_task
    for q in queues:
        for key in heaps[q]:
            if (best < 0 or key < best) and valid(key) and node_of(seq_task[key % BIG]) == node:
                best = key
    if best < 0:
        return -1
    task = seq_task[best % BIG]
    book.take(task)
    return task
