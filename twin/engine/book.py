"""The case book: the state of every task while it is open, and the queues it waits in.

Tasks are issues (ids 0..n-1) and visits (ids n, n+1, ...). A waiting
task sits in one or more heaps under the key ``rank * BIG + seq``; seq is the
order in which tasks became known, so a heap pops the lowest rank first, then
first come first served. Ranks, most urgent first: -1 a department's report to a
whistle and a red dispute's lead; 0 a supervised order (and a unit joining a red
dispute); 1 a chased order (and a mediation session); then ``ORDINARY + k`` for
an issue whose category has the k-th shortest time limit (only disputes are
graded: any other issue's urgency is its limit); last, ``VISIT_RANK``, a
follow-up. A dispute has no time limit; a grid worker's mediation of a green
one and the centre's filing of a repeat request share ``ORDINARY`` with the
shortest limit (a waiting dispute may flare up; a repeat filing is the desk's
minute of work for a resident already waiting), and a mediation session or a
joining unit goes before every order not overdue at its unit. Entries are
removed lazily: a popped key is skipped unless it is the task's current key and
the task is still waiting. The current grade of a dispute
is kept here, not in its record.
"""

from __future__ import annotations

import heapq
from array import array

BIG = 1 << 40
ORDINARY = 2
"""Rank of the issues of the category with the shortest time limit (and of a grid
worker's mediation of a green dispute)."""
VISIT_RANK = 1 << 20
"""Rank of a follow-up visit: after every issue."""


def urgency_ranks(limits: list[float]) -> list[int]:
    """Per category: its issues' rank, ``ORDINARY`` + the place of its time limit among
    the distinct limits, shortest first (a dispute, limit NaN: ``ORDINARY``)."""
    distinct = sorted({x for x in limits if x == x})
    if len(distinct) >= VISIT_RANK - ORDINARY:
        raise ValueError(f"at most {VISIT_RANK - ORDINARY - 1} distinct time limits")
    place = {x: k for k, x in enumerate(distinct)}
    return [ORDINARY + place[x] if x == x else ORDINARY for x in limits]


class CaseBook:
    """Per-task state, queue keys and heaps."""

    def __init__(self, n_issues: int, colour: list[int], urgency: list[int]) -> None:
        self.n = n_issues
        self.colour = colour
        """Current grade of each dispute (``UNGRADED`` for any other issue)."""
        self.urgency = urgency
        """Rank of each issue by its category's time limit (see ``urgency_ranks``)."""
        # Typed arrays, not lists: a long run holds one slot per issue (a list slot
        # costs 8 bytes plus the number's own object, a bytearray's one byte).
        self.waiting = bytearray(n_issues)
        self.key = array("q", bytes(8 * n_issues))
        self.seq_task = array("q")
        self.visit_key = array("q")
        self.visit_waiting = bytearray()
        self.heaps: list[list[int]] = []

    def new_queue(self) -> int:
        """A new, empty heap; returns its index."""
        self.heaps.append([])
        return len(self.heaps) - 1

    def known(self, task: int) -> None:
        """``task`` became known now: it gets the next sequence number."""
        self.seq_task.append(task)
        if task < self.n:
            self.key[task] = len(self.seq_task) - 1  # the rank is added when it waits
        else:
            self.visit_key[task - self.n] = len(self.seq_task) - 1

    def add_visit(self) -> int:
        """Room for one more visit; returns its task id."""
        self.visit_key.append(0)
        self.visit_waiting.append(False)
        return self.n + len(self.visit_key) - 1

    def push(self, task: int, queue: int, rank: int) -> None:
        """``task`` waits in ``queue`` at ``rank``."""
        if task < self.n:
            key = rank * BIG + self.key[task] % BIG
            self.key[task] = key
            self.waiting[task] = True
        else:
            v = task - self.n
            key = rank * BIG + self.visit_key[v] % BIG
            self.visit_key[v] = key
            self.visit_waiting[v] = True
        heapq.heappush(self.heaps[queue], key)

    def also_in(self, queue: int, issue: int) -> None:
        """A waiting issue may also be taken from ``queue`` (under its current key)."""
        heapq.heappush(self.heaps[queue], self.key[issue])

    def still_waiting(self, issue: int, key: int) -> bool:
        """Whether ``issue`` waits under ``key`` (a timer set then is still current)."""
        return self.waiting[issue] == 1 and self.key[issue] == key

    def valid(self, key: int) -> bool:
        """Whether a heap key is its task's current key and the task still waits."""
        task = self.seq_task[key % BIG]
        if task < self.n:
            return self.waiting[task] == 1 and self.key[task] == key
        v = task - self.n
        return self.visit_waiting[v] == 1 and self.visit_key[v] == key

    def take(self, task: int) -> None:
        """``task`` no longer waits (its heap entries become stale)."""
        if task < self.n:
            self.waiting[task] = False
        else:
            self.visit_waiting[task - self.n] = False

    def best(self, queues: list[int]) -> int:
        """Pop and take the most urgent waiting task of ``queues`` (-1 if none)."""
        best_q, best = -1, -1
        heaps, seq_task, n = self.heaps, self.seq_task, self.n
        waiting, keys = self.waiting, self.key
        for q in queues:
            heap = heaps[q]
            while heap:
                key = heap[0]
                task = seq_task[key % BIG]
                if task < n:  # inline of valid() for issues, the common case
                    if waiting[task] and keys[task] == key:
                        break
                elif self.valid(key):
                    break
                heapq.heappop(heap)
            if heap and (best < 0 or heap[0] < best):
                best_q, best = q, heap[0]
        if best_q < 0:
            return -1
        heapq.heappop(heaps[best_q])
        task = seq_task[best % BIG]
        self.take(task)
        return task
